# probe2.s - predict how many instructions this program executes (lab 01, question 2).
#
# Teaches: the 0x67 address-size prefix turns JECXZ into JCXZ and makes LOOP count in CX, the
#   low 16 bits of ECX, leaving the upper half alone. This is the article's JCXZ: a translator
#   for another ISA must reproduce exactly these 16-bit semantics.
# Prints: nothing. Exit status: 0.
# Check: vsim run --trace insns probe2.s 2>&1 | grep -c '^[0-9a-f]*:'

        .text
        .globl _start
_start: movl $0x00010000, %ecx          # CX = 0, ECX != 0
        .byte 0x67, 0xe3, 0x01          # jcxz +1: taken or not?
        nop
        .byte 0xe3, 0x01                # jecxz +1: taken or not?
        nop
        movl $0x00010001, %ecx          # CX = 1
1:      .byte 0x67, 0xe2, 0xfd          # loop with CX: the article's `67 E2 FD`; how many times?
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
