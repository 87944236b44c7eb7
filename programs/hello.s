# hello.s - the smallest vsim guest: one write(2) and one exit(2).
#
# Teaches: the i386 Linux system-call ABI. `int $0x80` enters the kernel with
#   the call number in %eax (4 = write, 1 = exit) and the arguments in %ebx,
#   %ecx, %edx. Under `vsim run --mode interpret` it is vsim, not Linux, that
#   serves these calls (user-mode emulation, like qemu-i386).
# Prints: "Hello, world!" and a newline.
# Exit status: 0.
# Build natively: as --32 hello.s -o hello.o && ld -m elf_i386 hello.o -o hello

        .text
        .globl _start
_start:
        movl $4, %eax           # write(
        movl $1, %ebx           #   fd 1 (stdout),
        movl $msg, %ecx         #   buffer,
        movl $len, %edx         #   length)
        int $0x80
        movl $1, %eax           # exit(
        xorl %ebx, %ebx         #   0)
        int $0x80

        .section .rodata
msg:    .ascii "Hello, world!\n"
        .equ len, . - msg
