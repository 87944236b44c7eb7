# stdf.s - lab 04 hidden test: a program that calls write(2) with the direction flag set.
# A kernel must not trust user EFLAGS.DF in its own string instructions (Linux clears it on entry).
# Prints: hello, DF=1   Exit status: 0.
        .text
        .globl _start
_start: std                             # DF = 1: string instructions would run backwards
        movl $4, %eax                   # write(1, msg, 12)
        movl $1, %ebx
        movl $msg, %ecx
        movl $12, %edx
        int $0x80
        cld
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
        .data
msg:    .ascii "hello, DF=1\n"
