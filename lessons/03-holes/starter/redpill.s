# redpill.s - (starter) a user program that knows when it runs under a trap-and-emulate VMM.
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
_start:
        # TODO: find out, with an instruction that does not trap, whether a trap-and-emulate VMM
        #       is underneath, and print "VMM\n" or "bare\n" (write(1, ...)).
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .data
m_vmm:  .ascii "VMM\n"
m_bare: .ascii "bare\n"
