# probe1.s - predict how many instructions this program executes (lab 01, question 1).
#
# Teaches: LOOP decrements ECX and jumps while ECX != 0; JECXZ jumps when ECX == 0 and changes
#   nothing; LOOPE also needs ZF = 1. Count every instruction the CPU executes, the two of the
#   exit system call included, up to and including the final `int $0x80`.
# Prints: nothing. Exit status: 0.
# Check: vsim run --trace insns probe1.s 2>&1 | grep -c '^[0-9a-f]*:'

        .text
        .globl _start
_start: movl $4, %ecx
1:      loop 1b                         # how many times does this LOOP execute?
        jecxz 2f                        # ECX is now ...?
        nop
2:      movl $3, %ecx
        xorl %eax, %eax                 # ZF = 1
3:      loope 3b                        # ZF stays 1: LOOPE behaves like LOOP here
        movl $5, %ecx
4:      cmpl $3, %ecx                   # ZF = (ECX == 3)
        loopne 4b                       # stops when ECX reaches 0 or ZF = 1 ... which first?
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
