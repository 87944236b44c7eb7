# blocks.s - predict the translator's counters for this program (lab 02, questions 1-3).
#
# Teaches: where translation blocks end (at every jump, call, return and system call), which block
#   exits can be chained (direct jumps and branches: the target is known) and which cannot (RET,
#   indirect jumps: looked up at run time), and that a block is translated once, however often
#   it runs.
# Prints: nothing. Exit status: 6 (the sum 1 + 2 + 3).
# Check: vsim run blocks.s --mode translate --stats ; vsim translate blocks.s --count 8

        .text
        .globl _start
_start: movl $3, %ecx
        xorl %eax, %eax
1:      call add                        # EAX += ECX
        loop 1b
        movl %eax, %ebx                 # exit(EAX)
        movl $1, %eax
        int $0x80

add:    addl %ecx, %eax
        ret
