# workload.s - the program whose `vsim compare` report you predict (lab 07).
#
# Teaches: the same work costs different events under each strategy: nothing but instructions
#   under interpret and translate; the kernel's boot, its port I/O and traced page-table writes
#   under trap; far fewer VM exits under hvm; hypercalls, batched, under pv.
# What it does: 3 writes of one line each; brk(2) for 32 pages, touching each; then 50,000 rounds
#   of a 4-instruction loop; then exits 0.
# Prints: three lines: "start", "heap ok", "done".
# Run: vsim compare lessons/07-compare/tests/workload.s --modes interpret,translate,trap,hvm,pv --runs 1

        .text
        .globl _start
_start: movl $m_start, %ecx             # write(1, "start\n", 6)
        movl $6, %edx
        call say
        movl $45, %eax                  # brk(0)
        xorl %ebx, %ebx
        int $0x80
        movl %eax, %edi
        leal 32 * 4096(%eax), %ebx      # brk(break + 32 pages)
        movl $45, %eax
        int $0x80
1:      movb $1, (%edi)                 # touch each page
        addl $4096, %edi
        cmpl %eax, %edi
        jb 1b
        movl $m_heap, %ecx              # write(1, "heap ok\n", 8)
        movl $8, %edx
        call say
        movl $50000, %ecx               # 50,000 rounds of 4 instructions
        xorl %eax, %eax
2:      addl %ecx, %eax
        xorl $0x55, %eax
        decl %ecx
        jnz 2b
        movl $m_done, %ecx              # write(1, "done\n", 5)
        movl $5, %edx
        call say
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

say:    movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
m_start: .ascii "start\n"
m_heap:  .ascii "heap ok\n"
m_done:  .ascii "done\n"
