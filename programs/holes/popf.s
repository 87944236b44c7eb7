# popf.s - a probe for one row of Robin and Irvine's table of x86 instructions that are
# sensitive but not privileged (USENIX Security 2000; ../../../shared/references/virtualization.md).
#
# Teaches: POPF at CPL > IOPL silently keeps IF: no fault, so the VMM never learns that the kernel
#   re-enabled interrupts. A kernel's `pushf; cli; ...; popf` critical section ends with
#   interrupts still off under trap-and-emulate, and a timer interrupt that arrived inside it
#   is not delivered after the POPF. The section below runs longer than one timer period.
# How: the probe asks vsim's guest kernel to run `probe` in kernel mode (system call 500,
#   vsim_kcall), where the kernel believes it is at ring 0, then prints what it saw.
# Prints: whether timer interrupts came inside the CLI section and after the POPF.
#   Expected (Intel SDM semantics; checked by Tests/HypervisorTests/HoleProbeTests.swift):
#     interpret --system, hvm: inside: no, after popf: yes
#     trap:                    inside: no, after popf: no (the interrupt is held: lost IF)
# Exit status: 0; 1 (and a message) when not run under vsim's guest kernel.
# Run: vsim run --mode trap programs/holes/popf.s   (also: --mode hvm, --mode interpret --system)

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

probe:  movl %eax, %esi                 # the kernel's tick counter
        sti                             # interrupts on (CLI/STI trap: the VMM sees these)
        pushf                           # saved flags: IF=1
        cli
        movl (%esi), %ebx
        movl $300000, %ecx              # 600,000 instructions: more than a timer period
1:      decl %ecx
        jnz 1b
        movl (%esi), %eax
        subl %ebx, %eax
        movl %eax, inside
        popf                            # IF back to 1 ... unless deprivileged
        movl (%esi), %ebx
        movl $300000, %ecx
2:      decl %ecx
        jnz 2b
        movl (%esi), %eax
        subl %ebx, %eax
        movl %eax, after
        cli
        ret

report: SAY "timer interrupts inside pushf;cli...popf: "
        call yesno_inside
        SAY "\ntimer interrupts after popf: "
        call yesno_after
        SAY "\n"
        ret
yesno_inside:
        cmpl $0, inside
        jmp 1f
yesno_after:
        cmpl $0, after
1:      je 2f
        SAY "yes"
        ret
2:      SAY "no"
        ret

        .data
inside: .long 0
after:  .long 0

        .section .rodata
digits: .ascii "0123456789abcdef"
m_nokcall:
        .asciz "this probe needs vsim's guest kernel (vsim run --mode interpret --system, trap or hvm)\n"
        .data
hexbuf: .space 8
