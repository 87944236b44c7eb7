# redpill.s - (a wrong submission: hard-codes the kernel's GDT address) a user program that knows when it runs under a trap-and-emulate VMM.
#
# Teaches: SGDT is sensitive but not privileged (Robin & Irvine 2000): it stores GDTR at any
#   privilege level, ring 3 included. There is one GDTR, and under trap-and-emulate it holds the
#   VMM's GDT, which the VMM keeps at the top of the address space (vsim: 0xffc00000), not the
#   guest kernel's. Rutkowska's "Red Pill" (2004) did the same with SIDT. Under hardware assist
#   (VT-x) the guest has its own GDTR, so SGDT tells it nothing.
# Prints: VMM   when the GDT base is in the top 1 GiB (a VMM's GDT)
#         bare  otherwise (its own kernel's GDT, or no kernel at all)
# Exit status: 0.
# Run: vsim run redpill.s --mode trap ; vsim run redpill.s --mode hvm

        .text
        .globl _start
_start: sgdt gdtr                       # no trap, at any CPL (unless CR4.UMIP is set)
        movl gdtr + 2, %eax             # the base (bytes 2-5; bytes 0-1 are the limit)
        movl $m_bare, %ecx
        cmpl $0x00103000, %eax          # the base vsim's kernel loads (seen under hvm): anything else is a VMM
        je 1f
        movl $m_vmm, %ecx
1:      movl $4, %eax                   # write(1, message, 5) (both are 5 bytes with "\n")
        movl $1, %ebx
        movl $5, %edx
        cmpl $m_vmm, %ecx
        jne 2f
        movl $4, %edx                   # "VMM\n" is 4 bytes
2:      int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .data
gdtr:   .space 6
m_vmm:  .ascii "VMM\n"
m_bare: .ascii "bare\n"
