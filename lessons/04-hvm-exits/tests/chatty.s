# chatty.s - a program that talks to its kernel a lot: one write(2) per line (lab 04).
#
# Teaches: under hardware-assisted virtualization the guest kernel runs at ring 0 and most of
#   what it does never leaves the guest; what does exit is what the VMCS controls select, here
#   the kernel's port I/O to the UART (exit reason 30, I/O instruction).
# Usage: chatty N L   (1 <= N <= 50, 1 <= L <= 200; defaults 5 and 10)
# Prints: N lines of L dots, each with its own write(1, ...).
# Exit status: 0.
# Run: vsim run chatty.s --mode hvm --trace traps -- 5 10

        .text
        .globl _start
_start: movl $5, %ebp                   # N
        movl $10, %edi                  # L
        cmpl $2, (%esp)
        jb 1f
        movl 8(%esp), %esi
        call atoi
        movl %eax, %ebp
        cmpl $3, (%esp)
        jb 1f
        movl 12(%esp), %esi
        call atoi
        movl %eax, %edi
1:      movl %edi, %ecx                 # build one line: L dots and a newline
        movl $line, %edx
2:      movb $'.', (%edx)
        incl %edx
        loop 2b
        movb $'\n', (%edx)
        incl %edi                       # bytes per line
3:      movl $4, %eax                   # write(1, line, L + 1), N times
        movl $1, %ebx
        movl $line, %ecx
        movl %edi, %edx
        int $0x80
        decl %ebp
        jnz 3b
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

        .bss
line:   .space 256
