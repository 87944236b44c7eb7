# nop.s - a static program that does nothing: exit(0).
#
# Teaches: nothing by itself; it is the payload of the start-up benchmark, so that a
#   container's run is all setup and teardown.
# Prints: nothing. Exit status: 0.
# Build: as --32 nop.s -o nop.o && ld -m elf_i386 nop.o -o nop

        .text
        .globl _start
_start:
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
