# pushseg.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: PUSH CS and PUSH SS store the selectors, whose low two bits are the CPL: a deprivileged
#   kernel sees RPL 1. POP SS (and MOV to SS) with RPL 0 is checked against CPL: at ring 1 it
#   faults, and the VMM loads the selector with RPL 1 instead.
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: the CS and SS selectors PUSH shows, and SS after `pop %ss` of 0x10.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: push cs: 0008, push ss: 0010, pop ss 0x10 -> 0010
#     trap:                    push cs: 0009, push ss: 0011, pop ss 0x10 -> 0011
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/pushseg.s   (also: --mode hvm, --mode interpret --system)

        .text
        .globl _start
_start:
        movl $500, %eax                 # vsim_kcall(probe): run `probe` in kernel mode
        movl $probe, %ebx
        int $0x80
        cmpl $-38, %eax                 # -ENOSYS: not vsim's guest kernel
        je 1f
        call report
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
1:      movl $m_nokcall, %esi
        call puts
        movl $1, %eax                   # exit(1)
        movl $1, %ebx
        int $0x80

# puts: write the NUL-terminated string at %esi to stdout.
puts:   movl %esi, %edx
1:      cmpb $0, (%edx)
        je 2f
        incl %edx
        jmp 1b
2:      subl %esi, %edx
        movl $4, %eax
        movl $1, %ebx
        movl %esi, %ecx
        int $0x80
        ret

# puthex: write the low %ecx hex digits of %eax to stdout.
puthex: movl $hexbuf + 8, %edi
        movl %ecx, %edx
1:      movl %eax, %ebx
        andl $15, %ebx
        movb digits(%ebx), %bl
        decl %edi
        movb %bl, (%edi)
        shrl $4, %eax
        loop 1b
        movl $4, %eax
        movl $1, %ebx
        movl %edi, %ecx
        int $0x80
        ret

        .macro SAY text
        movl $9f, %esi
        call puts
        .section .rodata
9:      .asciz "\text"
        .text
        .endm
        .macro HEX value, digits
        movl \value, %eax
        movl $\digits, %ecx
        call puthex
        .endm

probe:  pushl %cs
        popl cs_seen
        pushl %ss
        popl ss_seen
        pushl $0x10
        popl %ss
        movl %ss, %eax
        movl %eax, ss_after
        ret

report: SAY "push cs: "
        HEX cs_seen, 4
        SAY "\npush ss: "
        HEX ss_seen, 4
        SAY "\npop ss 0x10 -> "
        HEX ss_after, 4
        SAY "\n"
        ret

        .data
cs_seen:  .long 0
ss_seen:  .long 0
ss_after: .long 0

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
