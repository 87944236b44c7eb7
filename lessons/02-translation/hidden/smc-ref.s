# smc.s - the sum 1 + 2 + ... + N, computed by code that rewrites itself.
#
# Teaches: self-modifying code (SMC) under a binary translator. The loop executes `addl $k, %ebx`
#   and then rewrites that instruction's immediate to k + 1 in the code itself. A translator that
#   kept running its cached translation would add 1 every time; vsim (like QEMU) notices the
#   write to a page holding translated code and invalidates the stale blocks.
# Usage: smc N   (1 <= N <= 100)
# Prints: sum(N) = S   e.g. `smc 10` prints `sum(10) = 55`
# Exit status: 0.
# Run: vsim run smc.s --mode translate --stats -- 10   (see "invalidations")

        .section .smc, "awx"            # writable and executable: code we may patch
        .balign 4096                    # on a page of its own: writing data invalidates no code
        .globl _start
_start: movl 8(%esp), %esi              # argv[1]
        xorl %ecx, %ecx                 # N (decimal)
1:      movzbl (%esi), %eax
        incl %esi
        subl $'0', %eax
        jb 2f
        cmpl $9, %eax
        ja 2f
        imull $10, %ecx
        addl %eax, %ecx
        jmp 1b
2:      movl %ecx, n
        xorl %ebx, %ebx                 # the sum
        movb $1, add+2                  # start from k = 1 (the code may have been patched before)
3:
add:    addl $1, %ebx                   # 83 C3 ib: the immediate (k) is the byte at add+2
        incb add+2                      # k + 1 for the next round: self-modifying code
        loop 3b
        movl %ebx, sum

        movl $m_sum, %ecx               # "sum("
        movl $4, %edx
        call write
        movl n, %eax
        call putdec
        movl $m_eq, %ecx                # ") = "
        movl $4, %edx
        call write
        movl sum, %eax
        call putdec
        movl $m_nl, %ecx
        movl $1, %edx
        call write
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# putdec: write %eax in decimal.
putdec: movl $digits + 12, %edi
        movl $10, %ecx
1:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 1b
        movl %edi, %ecx
        movl $digits + 12, %edx
        subl %edi, %edx
# write: write(1, %ecx, %edx).
write:  movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
m_sum:  .ascii "sum("
m_eq:   .ascii ") = "
m_nl:   .ascii "\n"
n:      .long 0
sum:    .long 0
digits: .space 12
