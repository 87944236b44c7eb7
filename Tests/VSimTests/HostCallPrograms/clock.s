# clock.s - the guest kernel's clock through the host-call device, for HostCallTests: two
# clock_gettime(CLOCK_MONOTONIC) readings, a nanosleep of 500,000 ns, a third reading; then
# prints ts2 - ts1 and ts3 - ts2 in nanoseconds and the gettimeofday and time seconds. The
# machine clock advances 1 ns per guest instruction, so the differences are the instructions
# between two readings (hand-counted in HostCallTests) plus what nanosleep slept.
        .text
        .globl _start
_start:
        movl $265, %eax                 # clock_gettime(CLOCK_MONOTONIC, &ts1)
        movl $1, %ebx
        movl $ts1, %ecx
        int $0x80
        movl $265, %eax                 # clock_gettime(CLOCK_MONOTONIC, &ts2)
        movl $1, %ebx
        movl $ts2, %ecx
        int $0x80
        movl $162, %eax                 # nanosleep(&req, NULL)
        movl $req, %ebx
        xorl %ecx, %ecx
        int $0x80
        movl $265, %eax                 # clock_gettime(CLOCK_MONOTONIC, &ts3)
        movl $1, %ebx
        movl $ts3, %ecx
        int $0x80
        movl $78, %eax                  # gettimeofday(&tv, NULL)
        movl $tv, %ebx
        xorl %ecx, %ecx
        int $0x80
        movl $13, %eax                  # time(NULL)
        xorl %ebx, %ebx
        int $0x80
        movl %eax, seconds

        movl ts2 + 4, %eax              # the readings are under a second: nanoseconds only
        subl ts1 + 4, %eax
        call print_num
        movl ts3 + 4, %eax
        subl ts2 + 4, %eax
        call print_num
        movl ts1, %eax
        addl ts2, %eax
        addl ts3, %eax
        addl tv, %eax
        addl seconds, %eax
        call print_num                  # all the seconds: 0 (the machine booted at the epoch)
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80

# print_num: %eax (unsigned) in decimal and a newline, one write(1).
print_num:
        movl $numbuf + 15, %edi
        movb $'\n', (%edi)
        movl $10, %ebx
1:      xorl %edx, %edx
        divl %ebx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 1b
        movl $numbuf + 16, %edx
        subl %edi, %edx
        movl %edi, %ecx
        movl $1, %ebx
        movl $4, %eax
        int $0x80
        ret

        .data
req:    .long 0, 500000                 # struct timespec {0 s, 500,000 ns}
        .bss
ts1:    .space 8
ts2:    .space 8
ts3:    .space 8
tv:     .space 8
seconds: .space 4
numbuf: .space 16
