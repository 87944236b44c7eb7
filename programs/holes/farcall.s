# farcall.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: Far CALL, JMP and RET and INT n check CPL against descriptor and gate DPLs and push the
#   caller's CS, whose RPL is the CPL: a deprivileged kernel's far call pushes CS with RPL 1,
#   a far jump to its own selector 0x08 lands with CS = 0x09, and an INT from the kernel
#   pushes CS with RPL 1 for the handler to see.
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: the CS a far call pushes, CS after a far jump to 0x08, and the CS an INT pushes.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: lcall pushed cs: 0008, ljmp 0x08 -> cs 0008, int pushed cs: 0008
#     trap:                    lcall pushed cs: 0009, ljmp 0x08 -> cs 0009, int pushed cs: 0009
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/farcall.s   (also: --mode hvm, --mode interpret --system)

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

probe:  movl %edx, %edi                 # the kernel's IDT: install gate 0x81 -> int_handler
        movl $int_handler, %eax
        movw %ax, 0x81*8(%edi)
        movw $0x08, 0x81*8+2(%edi)
        movw $0x8E00, 0x81*8+4(%edi)
        shrl $16, %eax
        movw %ax, 0x81*8+6(%edi)
        lcall $0x08, $far_target
        ljmp $0x08, $1f
1:      movl %cs, %eax
        movl %eax, cs_after_jmp
        int $0x81
        movl $0, 0x81*8+4(%edi)          # remove the gate again
        ret
far_target:
        movl 4(%esp), %eax              # the CS the far call pushed
        movl %eax, cs_pushed
        lret
int_handler:
        movl 4(%esp), %eax              # the CS the INT pushed
        movl %eax, cs_int
        iret

report: SAY "lcall pushed cs: "
        HEX cs_pushed, 4
        SAY "\nljmp 0x08 -> cs "
        HEX cs_after_jmp, 4
        SAY "\nint pushed cs: "
        HEX cs_int, 4
        SAY "\n"
        ret

        .data
cs_pushed:    .long 0
cs_after_jmp: .long 0
cs_int:       .long 0

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
