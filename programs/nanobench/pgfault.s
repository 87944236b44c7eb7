# pgfault.s - Adams & Agesen's (ASPLOS 2006) "pgfault" nanobenchmark as a vsim guest program.
#
# Teaches: a true guest page fault, taken and returned from by the guest kernel: shadow paging makes every #PF exit.
# How: in kernel mode, install a #PF handler in the kernel's IDT (vector 14), then a loop of `movl 0x0, %eax` (page 0 is never mapped); the handler skips the 5-byte load and IRETs. The old gate is put back.
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native 1,093; software VMM 3,927; hardware VMM 11,242.
# Prints: "nanobench pgfault: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/pgfault.s -- 1000
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
        movl 14*8(%edi), %eax           # save gate 14
        movl %eax, saved
        movl 14*8+4(%edi), %eax
        movl %eax, saved+4
        movl $handler, %eax             # gate 14 -> handler (interrupt gate, DPL 0)
        movw %ax, 14*8(%edi)
        movw $0x08, 14*8+2(%edi)
        movw $0x8E00, 14*8+4(%edi)
        shrl $16, %eax
        movw %ax, 14*8+6(%edi)
        movl iters, %ecx
1:      movl 0x0, %eax                  # #PF: page 0 is not present
        decl %ecx
        jnz 1b
        movl saved, %eax                # restore gate 14
        movl %eax, 14*8(%edi)
        movl saved+4, %eax
        movl %eax, 14*8+4(%edi)
        ret
handler:
        addl $4, %esp                   # the error code
        addl $5, (%esp)                 # skip `movl 0x0, %eax` (a1 00 00 00 00)
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
msg:    .ascii "nanobench pgfault: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
