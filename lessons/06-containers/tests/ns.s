# ns.s - what does a process learn about where it runs? (lab 06)
#
# Teaches: a container is an ordinary process that the kernel answers differently: in a new PID
#   namespace getpid() is 1 and getppid() 0 (the parent is outside); in a new UTS namespace
#   uname() reports the container's own hostname. The same program runs natively, in a real
#   container (vsim --mode container) and on vsim's guest kernel.
# Prints: pid=P ppid=Q node=NODENAME   (P, Q in decimal; a negative value is an error: -38 ENOSYS)
# Exit status: 0.
# Run: vsim run ns.s ; VSIM_KERNEL_SOURCE=kernel.s vsim run ns.s --mode hvm ; vsim run ns.s --mode container

        .text
        .globl _start
_start: movl $m_pid, %esi
        call puts
        movl $20, %eax                  # getpid()
        int $0x80
        call putdec
        movl $m_ppid, %esi
        call puts
        movl $64, %eax                  # getppid()
        int $0x80
        call putdec
        movl $m_node, %esi
        call puts
        movl $122, %eax                 # uname(&uts)
        movl $uts, %ebx
        int $0x80
        testl %eax, %eax
        jz 1f
        call putdec                     # the error
        jmp 2f
1:      movl $uts + 65, %esi            # uts.nodename
        call puts
2:      movl $m_nl, %esi
        call puts
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# puts: write the NUL-terminated string at %esi.
puts:   movl %esi, %edx
1:      cmpb $0, (%edx)
        je 2f
        incl %edx
        jmp 1b
2:      subl %esi, %edx
        movl $4, %eax
        movl $1, %ebx
        movl %esi, %ecx
        int $0x80
        ret

# putdec: write %eax as a signed decimal.
putdec: movl $num + 12, %edi
        movb $0, (%edi)
        movl %eax, %ebp                 # the sign
        testl %eax, %eax
        jns 1f
        negl %eax
1:      movl $10, %ecx
2:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 2b
        testl %ebp, %ebp
        jns 3f
        decl %edi
        movb $'-', (%edi)
3:      movl %edi, %esi
        jmp puts

        .data
m_pid:  .asciz "pid="
m_ppid: .asciz " ppid="
m_node: .asciz " node="
m_nl:   .asciz "\n"
        .bss
num:    .space 13
uts:    .space 6 * 65
