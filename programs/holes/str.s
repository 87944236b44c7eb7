# str.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: STR stores the task register's selector at any privilege level: a deprivileged kernel reads
#   the VMM's TR, not the TSS selector it loaded with LTR (which traps).
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: the TR selector the kernel reads.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: 0018 (the kernel's TSS)
#     trap: 00e0 (the VMM's); trap --umip: 0018 (STR traps)
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/str.s   (also: --mode hvm, --mode interpret --system)

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

probe:  str %ax
        movw %ax, tr
        ret

report: SAY "str: "
        HEX tr, 4
        SAY "\n"
        ret

        .data
tr:     .long 0

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
