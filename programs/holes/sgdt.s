# sgdt.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: SGDT, SIDT and SLDT store GDTR, IDTR and LDTR at any privilege level. There is only one
#   of each register, so under trap-and-emulate it holds the VMM's tables, and the guest
#   kernel reads the VMM's base and limit instead of what it loaded with LGDT/LIDT (which trap).
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: the GDTR, IDTR and LDTR the kernel reads.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: the kernel's own gdt and idt (limits 0047: 9 entries, the last three for TLS; 07ff), LDTR 0000
#     trap:                    base ffc00000 limit 0047, base ffc01000 limit 07ff (the VMM's)
#     trap --umip:             the kernel's own values again (SGDT/SIDT/SLDT now trap)
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/sgdt.s   (also: --mode hvm, --mode interpret --system)

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

probe:  sgdt gdtr
        sidt idtr
        sldt ldtr
        ret

report: SAY "sgdt: base="
        HEX gdtr+2, 8
        SAY " limit="
        HEX gdtr, 4
        SAY "\nsidt: base="
        HEX idtr+2, 8
        SAY " limit="
        HEX idtr, 4
        SAY "\nsldt: "
        HEX ldtr, 4
        SAY "\n"
        ret

        .data
gdtr:   .space 6
idtr:   .space 6
ldtr:   .space 4

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
