# chatty.s - a program that talks to its kernel a lot: one write(2) per line (lab 04).
#
# Teaches: under hardware-assisted virtualization the guest kernel runs at ring 0 and most of
#   what it does never leaves the guest; what does exit is what the VMCS controls select, here
#   the kernel's port I/O to the UART (exit reason 30, I/O instruction).
# Usage: chatty [N] [TEXT]   (1 <= N <= 50, TEXT at most 200 bytes; defaults 5 and "..........")
# Prints: N lines of TEXT, each with its own write(1, ...).
# Exit status: 0.
# Run: vsim run chatty.s --mode hvm --trace traps -- 5 ..........

        .text
        .globl _start
_start: movl $5, %ebp                   # N
        movl $dots, %esi                # TEXT
        cmpl $2, (%esp)
        jb 1f
        pushl %esi
        movl 12(%esp), %esi             # argv[1]
        call atoi
        popl %esi
        movl %eax, %ebp
        cmpl $3, (%esp)
        jb 1f
        movl 12(%esp), %esi             # argv[2]
1:      movl $line, %edi                # the line: TEXT (at most 200 bytes) and a newline
        movl $200, %ecx
2:      movb (%esi), %al
        testb %al, %al
        jz 3f
        movb %al, (%edi)
        incl %esi
        incl %edi
        loop 2b
3:      movb $'\n', (%edi)
        incl %edi
        subl $line, %edi                # bytes per line
4:      movl $4, %eax                   # write(1, line, length), N times
        movl $1, %ebx
        movl $line, %ecx
        movl %edi, %edx
        int $0x80
        decl %ebp
        jnz 4b
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# atoi: %esi -> %eax (decimal digits up to the first non-digit).
atoi:   xorl %eax, %eax
1:      movzbl (%esi), %edx
        incl %esi
        subl $'0', %edx
        jb 2f
        cmpl $9, %edx
        ja 2f
        imull $10, %eax
        addl %edx, %eax
        jmp 1b
2:      ret

        .data
dots:   .asciz ".........."
        .bss
line:   .space 256
