# ptemod.s - Adams & Agesen's (ASPLOS 2006) "ptemod" nanobenchmark as a vsim guest program.
#
# Teaches: a guest page-table write: a shadow-paging VMM traces (write-protects) the tables, so each write faults; BT adaptively rewrites the faulting store into a callout; EPT needs no tracing.
# How: in kernel mode, CR3 read once, then a loop of `movl %ebx, (%edi)` writing 0 to the page-table entry of page 0 (never present, so no mapping changes).
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native 1 (a store), software VMM 391, hardware VMM 12,733.
# Prints: "nanobench ptemod: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/ptemod.s -- 1000
# Argument: iterations (default 1000).
        .text
        .globl _start
_start: movl $1000, %esi                # iterations: argv[1], default 1000
        cmpl $2, (%esp)
        jb 2f
        movl 8(%esp), %ecx              # argv[1]: decimal digits
        xorl %esi, %esi
1:      movzbl (%ecx), %eax
        subl $'0', %eax
        cmpl $9, %eax
        ja 2f
        imull $10, %esi
        addl %eax, %esi
        incl %ecx
        jmp 1b
2:      movl %esi, iters
        movl $500, %eax                 # vsim_kcall(bench): run `bench` in kernel mode
        movl $bench, %ebx
        int $0x80
        cmpl $-38, %eax                 # -ENOSYS: not vsim's guest kernel
        je fail
        jmp done
bench:  movl %cr3, %edi                 # the page directory (identity-mapped RAM)
        movl (%edi), %edi               # PDE 0: the first page table
        andl $0xFFFFF000, %edi          # &PTE[0] (page 0: not present, stays 0)
        xorl %ebx, %ebx
        movl iters, %ecx
1:      movl %ebx, (%edi)
        decl %ecx
        jnz 1b
        ret
done:   movl $4, %eax                   # write(1, msg, len)
        movl $1, %ebx
        movl $msg, %ecx
        movl $msglen, %edx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
fail:   movl $1, %eax                   # exit(1): not under vsim's guest kernel
        movl $1, %ebx
        int $0x80

        .data
msg:    .ascii "nanobench ptemod: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
