# echo.s - print the command-line arguments, like echo(1) without options.
#
# Teaches: what the kernel (or vsim's loader) puts on the initial stack of an
#   i386 Linux process: (%esp) = argc, 4(%esp) = argv[0], 8(%esp) = argv[1],
#   ..., then a NULL, then the environment. Strings are NUL-terminated.
# Prints: argv[1] .. argv[argc-1] separated by single spaces, then a newline
#   (just a newline when there are no arguments).
# Exit status: 0.
# Build natively: as --32 echo.s -o echo.o && ld -m elf_i386 echo.o -o echo

        .text
        .globl _start
_start:
        movl (%esp), %ebp       # argc
        leal 8(%esp), %esi      # &argv[1]
        movl $1, %edi           # index of the next argument
1:      cmpl %ebp, %edi
        jae 3f
        cmpl $1, %edi           # a space before every argument but the first
        je 2f
        movl $space, %ecx
        movl $1, %edx
        call write
2:      movl (%esi), %ecx       # the argument string
        movl %ecx, %edx         # strlen: scan for the NUL
4:      cmpb $0, (%edx)
        je 5f
        incl %edx
        jmp 4b
5:      subl %ecx, %edx
        call write
        addl $4, %esi
        incl %edi
        jmp 1b
3:      movl $newline, %ecx
        movl $1, %edx
        call write
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int $0x80

# write(1, %ecx, %edx)
write:  movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .section .rodata
space:   .ascii " "
newline: .ascii "\n"
