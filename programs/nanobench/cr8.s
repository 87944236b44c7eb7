# cr8.s - Adams & Agesen's (ASPLOS 2006) "cr8" nanobenchmark as a vsim guest program.
#
# Teaches: a control-register write that VT-x does not make exit. The paper writes %cr8 (the x86-64 task-priority register); i386 has no %cr8, so this writes CR0 toggling only CR0.TS (the FPU-ownership bit a kernel flips on context switches): like a TPR write it is a serializing control-register write that the CR0 guest/host mask leaves to the guest, and that BT emulates inside its translation cache.
# How: in kernel mode, CR0 read once, then a loop of `xorl $8, %ebx; movl %ebx, %cr0`.
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native ≈ 140 (implied: BT about 4x faster), software VMM 35, hardware VMM ≈ native.
# Prints: "nanobench cr8: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/cr8.s -- 1000
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
        movl %cr0, %ebx
1:      xorl $8, %ebx                   # CR0.TS
        movl %ebx, %cr0
        decl %ecx
        jnz 1b
        andl $~8, %ebx                  # leave TS clear
        movl %ebx, %cr0
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
msg:    .ascii "nanobench cr8: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
