# SHL, SHR, SAR, ROL, ROR by CL, by an immediate and by 1 on 8-bit (AL, AH), 16-bit and 32-bit
# registers and on memory, counts 0 to 33 (masked to 5 bits; 0 changes nothing, flags included),
# from two flag states; writes the result and the status flags after each case to stdout.
        .equ FLAGMASK, 0x8D5            # OF SF ZF AF PF CF
        .macro REC src
        pushfl
        popl %edx
        andl $FLAGMASK, %edx
        movl \src, %edi
        movl %edi, 0(%ebp)
        movl %edx, 4(%ebp)
        addl $8, %ebp
        .endm
        .macro FLAGS1                   # CF ZF PF OF set
        movl $0x80000000, %edx
        addl %edx, %edx
        .endm
        .macro FLAGS0                   # all clear but PF... (1 + 1 = 2: PF clear too)
        movl $1, %edx
        addl %edx, %edx
        .endm
        .macro ONE insn, cnt, val, fl
        movl $\val, %eax
        movl $\cnt, %ecx
        \fl
        \insn\()l %cl, %eax
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()w %cl, %ax
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()b %cl, %al
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()b %cl, %ah
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()l $\cnt, %eax
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()w $\cnt, %ax
        REC %eax
        movl $\val, %eax
        \fl
        \insn\()b $\cnt, %al
        REC %eax
        movl $\val, M
        \fl
        \insn\()l %cl, M
        REC M
        movl $\val, M
        \fl
        \insn\()w %cl, M+1
        REC M
        movl $\val, M
        \fl
        \insn\()b $\cnt, M+3
        REC M
        .endm

        .data
M:      .long 0
        .align 4096
R:      .space 8 * 10 * 5 * 12 * 3 * 2 + 8 * 30
        .text
        .globl _start
_start:
        leal R, %ebp
        .irp insn, shl, shr, sar, rol, ror
        .irp cnt, 0, 1, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33
        .irp val, 0x80000001, 0x12345678, 0xff7f
        ONE \insn, \cnt, \val, FLAGS1
        ONE \insn, \cnt, \val, FLAGS0
        .endr
        .endr
        .endr
        # by 1 (D0/D1)
        .irp insn, shl, shr, sar, rol, ror
        movl $0xC0000081, %eax
        FLAGS0
        \insn\()l %eax
        REC %eax
        movl $0x4081, %eax
        FLAGS1
        \insn\()w %ax
        REC %eax
        movl $0x81, %eax
        FLAGS0
        \insn\()b %al
        REC %eax
        .endr
        # a loop whose count comes from memory (the block runs many times with changing counts)
        xorl %ebx, %ebx
        movl $40, %esi
1:      movl %esi, %ecx
        movl $0x9abcdef1, %eax
        roll %cl, %eax
        addl %eax, %ebx
        shrl %cl, %eax
        xorl %eax, %ebx
        sarb %cl, %bl
        decl %esi
        jns 1b
        REC %ebx
        movl $4, %eax
        movl $1, %ebx
        leal R, %ecx
        movl %ebp, %edx
        subl %ecx, %edx
        int $0x80
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
