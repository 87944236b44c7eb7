# divzero.s - Adams & Agesen's (ASPLOS 2006) "divzero" nanobenchmark as a vsim guest program.
#
# Teaches: a fault that needs no MMU work: hardware delivers it inside the guest, BT must trap and reflect it.
# How: in kernel mode, install a #DE handler (vector 0), then a loop of `divl %ebx` with %ebx = 0; the handler skips the 2-byte divide and IRETs. The old gate is put back.
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native 889; software VMM 3,223; hardware VMM 1,014.
# Prints: "nanobench divzero: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/divzero.s -- 1000
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
bench:  movl %edx, %edi                 # the kernel's IDT
        movl (%edi), %eax               # save gate 0
        movl %eax, saved
        movl 4(%edi), %eax
        movl %eax, saved+4
        movl $handler, %eax             # gate 0 -> handler (interrupt gate, DPL 0)
        movw %ax, (%edi)
        movw $0x08, 2(%edi)
        movw $0x8E00, 4(%edi)
        shrl $16, %eax
        movw %ax, 6(%edi)
        movl iters, %ecx
        xorl %ebx, %ebx
1:      xorl %edx, %edx
        movl $1, %eax
        divl %ebx                       # #DE
        decl %ecx
        jnz 1b
        movl saved, %eax                # restore gate 0
        movl %eax, (%edi)
        movl saved+4, %eax
        movl %eax, 4(%edi)
        ret
handler:
        addl $2, (%esp)                 # skip `divl %ebx` (f7 f3)
        iret
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
msg:    .ascii "nanobench divzero: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
