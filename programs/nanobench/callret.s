# callret.s - Adams & Agesen's (ASPLOS 2006) "callret" nanobenchmark as a vsim guest program.
#
# Teaches: a call/ret pair in kernel code: BT translates RET into a lookup of the return address in its translation cache.
# How: in kernel mode, a loop of `call f` with `f: ret`.
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native 11, software VMM 51, hardware VMM 11.
# Prints: "nanobench callret: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/callret.s -- 1000
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
bench:  movl iters, %ecx
1:      call f
        decl %ecx
        jnz 1b
        ret
f:      ret
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
msg:    .ascii "nanobench callret: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
