# patch.s - predict how many translated blocks self-modifying code invalidates (lab 02, question 4).
#
# Teaches: a translator caches code by address; when the guest writes to a page that holds
#   translated code, the blocks of that page are stale and must be thrown away (QEMU's
#   tb_invalidate_phys_page). Here the loop rewrites the immediate of its own ADD each time round.
# Prints: nothing. Exit status: 1 + 2 + 3 = 6.
# Check: vsim run patch.s --mode translate --stats

        .section .smc, "awx"            # writable and executable: code that may be patched
        .globl _start
_start: xorl %ebx, %ebx
        movl $3, %ecx
1:
add:    addl $1, %ebx                   # 83 C3 ib: the immediate is the byte at add+2
        incb add+2                      # next time round, add one more
        loop 1b
        movl $1, %eax                   # exit(EBX)
        int $0x80
