# REP MOVS / STOS and single MOVS / STOS / LODS cases; writes the registers and flags after
# each case and the buffer they worked on to stdout. The data lie on pages without code (the
# translator's fast case); the last cases store into the code's own page.
        .equ FLAGMASK, 0xCD5            # OF DF SF ZF AF PF CF
        .macro REC
        movl %ecx, 0(%ebp)
        movl %esi, 4(%ebp)
        movl %edi, 8(%ebp)
        pushfl
        popl %edx
        andl $FLAGMASK, %edx
        movl %edx, 12(%ebp)
        movl %eax, 16(%ebp)
        addl $20, %ebp
        .endm
        # CASE insn, count, src offset, dst offset: flags set to a known pattern first
        .macro CASE insn, count, src, dst
        leal P+\src, %esi
        leal P+\dst, %edi
        movl $\count, %ecx
        cmpl $0x7fffffff, %ecx          # some flags set (not all clear), kept by the string op
        \insn
        REC
        .endm

        .data
        .align 4096                     # P and R on pages of their own: the fast case
P:
        .set i, 0
        .rept 2048
        .byte (i * 7 + 1) & 0xff
        .set i, i + 1
        .endr
R:      .space 20 * 100
        .bss
        .align 4096
B:      .space 4 * 4096

        .section .smc, "awx"
        .p2align 12                     # the code on pages of its own
        .globl _start
_start:
        leal R, %ebp
        cld
        movl $0x123456ab, %eax
        CASE "rep movsb", 0, 0, 1024
        CASE "rep movsb", 1, 0, 1024
        CASE "rep movsb", 37, 3, 1041
        CASE "rep movsl", 0, 0, 1100
        CASE "rep movsl", 1, 4, 1100
        CASE "rep movsl", 13, 1, 1107
        CASE "rep movsw", 9, 2, 1170
        CASE "rep stosb", 0, 0, 1200
        CASE "rep stosb", 1, 0, 1200
        CASE "rep stosb", 45, 0, 1203
        CASE "rep stosl", 0, 0, 1260
        CASE "rep stosl", 1, 0, 1260
        CASE "rep stosl", 11, 0, 1265
        CASE "rep stosw", 7, 0, 1313
        movl $0x5a5a5a5a, %eax
        CASE "rep stosl", 5, 0, 1330
        xorl %eax, %eax
        CASE "rep stosl", 3, 0, 1352
        # overlapping ranges: destination above the source by 1 (pattern repeats), by less
        # than an element, by two elements; below the source
        CASE "rep movsb", 20, 100, 101
        CASE "rep movsl", 8, 140, 141
        CASE "rep movsl", 8, 180, 188
        CASE "rep movsw", 9, 221, 222
        CASE "rep movsb", 20, 260, 257
        CASE "rep movsl", 6, 300, 298
        # REPNE (F2) acts as REP on MOVS and STOS
        CASE ".byte 0xf2; movsb", 5, 330, 340
        CASE ".byte 0xf2; stosb", 5, 330, 350
        # DF = 1
        std
        CASE "rep movsb", 10, 420, 450
        CASE "rep movsl", 4, 470, 500
        movl $0x11223344, %eax
        CASE "rep stosl", 3, 0, 530
        CASE "rep stosb", 0, 0, 530
        # DF = 1, overlapping: destination below the source by 1 (ahead in this order: the
        # pattern repeats), by less than an element; above it
        CASE "rep movsb", 20, 700, 699
        CASE "rep movsl", 8, 760, 758
        CASE "rep movsw", 9, 800, 803
        CASE "rep movsl", 6, 860, 868
        movw $0x1234, %ax
        CASE "rep stosw", 5, 0, 900
        CASE "movsb", 0, 540, 560
        CASE "movsw", 0, 540, 560
        CASE "movsl", 0, 540, 560
        CASE "stosb", 0, 540, 570
        CASE "stosw", 0, 540, 572
        CASE "stosl", 0, 540, 576
        CASE "lodsb", 0, 541, 0
        CASE "lodsw", 0, 543, 0
        CASE "lodsl", 0, 547, 0
        cld
        CASE "movsb", 0, 600, 620
        CASE "movsw", 0, 601, 622
        CASE "movsl", 0, 603, 625
        CASE "stosb", 0, 0, 630
        CASE "stosw", 0, 0, 632
        CASE "stosl", 0, 0, 635
        CASE "lodsb", 0, 641, 0
        CASE "lodsw", 0, 643, 0
        CASE "lodsl", 0, 645, 0
        # large: 12 KiB across pages, then an overlapping 10,000-byte copy upwards
        leal B, %edi
        movl $3072, %ecx
        movl $0x04030201, %eax
        rep stosl
        REC
        leal B, %esi
        leal B+16, %edi
        movl $1000, %ecx
        rep movsl
        REC
        leal B+2, %esi
        leal B+5000, %edi
        movl $10000, %ecx
        rep movsb
        REC
        # a checksum of B (16 KiB) with LODSB
        leal B, %esi
        movl $16384, %ecx
        xorl %edx, %edx
1:      lodsb
        roll $5, %edx
        movzbl %al, %eax
        addl %eax, %edx
        decl %ecx
        jnz 1b
        movl %edx, (%ebp)
        addl $4, %ebp
        # self-modifying: REP MOVSB over the immediate of an instruction later in this block
        leal newimm, %esi
        leal patch+1, %edi
        movl $4, %ecx
        rep movsb
patch:  movl $1, %eax
        movl %eax, (%ebp)
        addl $4, %ebp
        # and REP STOSB over it again, in a loop (the block runs twice)
        movl $2, %ebx
2:      leal patch2+1, %edi
        movl %ebx, %eax
        movl $1, %ecx
        rep stosb
patch2: movl $7, %eax
        movl %eax, (%ebp)
        addl $4, %ebp
        decl %ebx
        jnz 2b
        # write P and the records
        movl $4, %eax
        movl $1, %ebx
        leal P, %ecx
        movl %ebp, %edx
        subl %ecx, %edx
        int $0x80
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
newimm: .long 42
