# badbuf.s - lab 04 hidden test: write(1, buf, 8) from a user address that is not mapped.
# The kernel's copy faults (#PF in kernel mode at user_read_insn) and must return -EFAULT, not panic.
# Prints: EFAULT (or "no EFAULT"). Exit status: 0.
        .text
        .globl _start
_start: movl $4, %eax                   # write(1, 0x40000000, 8): below USER_TOP, never mapped
        movl $1, %ebx
        movl $0x40000000, %ecx
        movl $8, %edx
        int $0x80
        movl $yes, %ecx
        movl $7, %edx
        cmpl $-14, %eax                 # -EFAULT
        je 1f
        movl $no, %ecx
        movl $10, %edx
1:      movl $4, %eax
        movl $1, %ebx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
        .data
yes:    .ascii "EFAULT\n"
no:     .ascii "no EFAULT\n"
