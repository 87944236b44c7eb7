# bars.s - a bar chart in the terminal: one line of '#' per argument.
#
# Teaches: LOOP and JECXZ, the counted-loop instructions the article names as hard to emulate.
#   LOOP decrements ECX and jumps while it is not zero, so a LOOP entered with ECX = 0 wraps to
#   0xFFFFFFFF and runs four billion times; JECXZ ("jump if ECX is zero") is the guard in front.
# Usage: bars N1 N2 ...   (each N a decimal number, 0 <= N <= 1000)
# Prints: for each argument, a line of N '#' characters (an empty line for 0).
# Exit status: 0.
# Run: vsim run bars.s -- 3 0 2     (also --mode translate)

        .text
        .globl _start
_start: movl (%esp), %ebp               # argc
        leal 8(%esp), %esi              # &argv[1]
        decl %ebp                       # arguments left
next:   testl %ebp, %ebp
        jz done
        movl (%esi), %edx               # argv[i]
        addl $4, %esi
        decl %ebp
        xorl %ecx, %ecx                 # ECX = the number (decimal)
1:      movzbl (%edx), %eax
        incl %edx
        subl $'0', %eax
        jb 2f                           # the terminating NUL (or anything below '0')
        cmpl $9, %eax
        ja 2f
        imull $10, %ecx
        addl %eax, %ecx
        jmp 1b
2:      movl $line, %edi                # build the line in `line`
        jecxz 4f                        # N = 0: no '#' at all (LOOP would run 2^32 times)
3:      movb $'#', (%edi)
        incl %edi
        loop 3b                         # ECX-- ; jump while ECX != 0
4:      movb $'\n', (%edi)
        incl %edi
        movl $4, %eax                   # write(1, line, edi - line)
        movl $1, %ebx
        movl $line, %ecx
        movl %edi, %edx
        subl %ecx, %edx
        int $0x80
        jmp next
done:   movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .bss
line:   .space 1024
