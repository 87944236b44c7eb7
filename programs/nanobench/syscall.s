# syscall.s - Adams & Agesen's (ASPLOS 2006) "syscall" nanobenchmark as a vsim guest program.
#
# Teaches: the cost of a system call round trip from user mode (int $0x80 and iret).
# How: a user-mode loop of `movl $20, %eax; int $0x80` (getpid, which vsim's kernel answers itself: the null call).
# Paper (cycles per iteration on their Pentium 4; ../../../shared/references/virtualization.md §2):
#   native ≈ (not in the quoted text), software VMM ≈ native + 2,000, hardware VMM ≈ native.
# Prints: "nanobench syscall: done". Exit status 0; 1 when not run under vsim's guest kernel.
# Run: vsim nanobench (every strategy, modeled cycles per iteration beside the paper's), or
#   vsim run --mode bt --timer 0 --trace traps programs/nanobench/syscall.s -- 1000
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
1:      movl $20, %eax
        int $0x80
        decl %esi
        jnz 1b
        jmp done
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
msg:    .ascii "nanobench syscall: done\n"
        .equ msglen, . - msg
iters:  .long 0
saved:  .long 0, 0
