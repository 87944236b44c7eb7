# sensitive.s - which of these kernel-mode instructions trap under trap-and-emulate? (lab 03)
#
# Teaches: Popek and Goldberg: a VMM can trap-and-emulate only if every *sensitive* instruction
#   (one that reads or changes the machine's privileged state) is also *privileged* (faults
#   outside ring 0). Robin and Irvine (2000) listed the x86 instructions that are sensitive but
#   not privileged. This probe runs, once each, in the guest kernel (system call 500, vsim_kcall):
#   CLI, STI, SGDT, SIDT, SMSW, STR, PUSHF, POPF, CLTS, MOV from CR0.
#   Under `--mode trap` the kernel runs at ring 1: the privileged ones fault (#GP) into the VMM,
#   which emulates them; the others execute directly and see the real, not the virtual, state.
# Prints: nothing. Exit status: 0.
# Check: vsim run sensitive.s --mode trap --trace traps 2>&1 | grep 0x0804

        .text
        .globl _start
_start: movl $500, %eax                 # vsim_kcall(probe)
        movl $probe, %ebx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

probe:  cli
        sti
        sgdt gdtr
        clts
        sidt idtr
        smsw %ax
        str %ax
        pushf
        popf
        movl %cr0, %eax
        ret

        .data
gdtr:   .space 6
idtr:   .space 6
