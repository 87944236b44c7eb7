# uname.s - lab 06 hidden test: prints uname's sysname and machine fields.
# Prints: SYSNAME MACHINE   (e.g. "Linux i686"); "uname failed" on an error. Exit status: 0.
        .text
        .globl _start
_start: movl $122, %eax                 # uname(&uts)
        movl $uts, %ebx
        int $0x80
        testl %eax, %eax
        jnz 9f
        movl $uts, %esi                 # sysname
        call puts
        movl $m_sp, %esi
        call puts
        movl $uts + 4 * 65, %esi        # machine
        call puts
        movl $m_nl, %esi
        call puts
        jmp 8f
9:      movl $m_fail, %esi
        call puts
8:      movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
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
        .data
m_sp:   .asciz " "
m_nl:   .asciz "\n"
m_fail: .asciz "uname failed\n"
        .bss
uts:    .space 6 * 65
