# lar.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: LAR, LSL, VERR and VERW answer from the descriptor tables and compare DPL with CPL and RPL.
#   Under trap-and-emulate they read the VMM's shadow GDT, where the kernel's descriptors
#   have DPL 1 (ring compression), so the access rights the kernel reads differ.
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: LAR (access rights), LSL (limit), VERR and VERW (ZF) for the kernel's code and data selectors.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: lar 0x08: 00cf9a00, lar 0x10: 00cf9200 (DPL 0)
#     trap:                    lar 0x08: 00cfba00, lar 0x10: 00cfb200 (DPL 1, the shadow)
#     every mode: lsl 0x08: ffffffff, verr 0x08: 1, verw 0x10: 1
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/lar.s   (also: --mode hvm, --mode interpret --system)

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

probe:  movl $0x08, %eax
        larl %eax, %ebx
        movl %ebx, lar8
        movl $0x10, %eax
        larl %eax, %ebx
        movl %ebx, lar10
        movl $0x08, %eax
        lsll %eax, %ebx
        movl %ebx, lsl8
        movl $0x08, %eax
        verr %ax
        setz verr8
        movl $0x10, %eax
        verw %ax
        setz verw10
        ret

report: SAY "lar 0x08: "
        HEX lar8, 8
        SAY "\nlar 0x10: "
        HEX lar10, 8
        SAY "\nlsl 0x08: "
        HEX lsl8, 8
        SAY "\nverr 0x08: "
        movzbl verr8, %eax
        HEX %eax, 1
        SAY "\nverw 0x10: "
        movzbl verw10, %eax
        HEX %eax, 1
        SAY "\n"
        ret

        .data
lar8:   .long 0
lar10:  .long 0
lsl8:   .long 0
verr8:  .byte 0
verw10: .byte 0

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
