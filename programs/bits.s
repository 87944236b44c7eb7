# bits.s - shifts, rotates (including RCL/RCR through CF), SHLD/SHRD, BSF/BSR, BT/BTS/BTR/BTC.
#
# Teaches: the count of a shift or rotate is masked to 5 bits first (so 32
#   means 0 and 33 means 1, in every width); a masked count of 0 changes no
#   flag at all; 8- and 16-bit RCL/RCR rotate through 9 and 17 bits; OF is
#   defined only for 1-bit shifts; SHLD/SHRD shift bits in from a second
#   register; BSF/BSR with a zero source set ZF and leave the destination
#   alone; BT* with a register bit offset on memory addresses a bit string
#   that reaches far beyond the operand (negative offsets too).
# Prints: one line per case: registers and flags after it. Flags that the
#   Intel SDM leaves undefined for that case are shown as '-' (e.g. AF after
#   any shift, OF after shifts by more than 1, CF after an 8/16-bit SHL/SHR by
#   the width or more, SF/PF/AF/OF/CF after BSF/BSR).
# Exit status: 0.
# Build natively: as --32 bits.s -o bits.o && ld -m elf_i386 bits.o -o bits

# ---------------------------------------------------------------------------
# Output helpers (the same block is copied into each program that prints
# registers, so every program stays one self-contained file).
#
#   SHOW "label", mask   prints one line:
#       label  eax=........ ebx=........ ecx=........ edx=........ esi=........ edi=........ ebp=........ fl=ODSZAPC
#   with the registers and flags as they were *before* the macro; every
#   register and every flag is preserved. In the fl= field a letter means the
#   flag is set, '.' clear, '-' not shown (undefined after the instruction under
#   test, per the Intel SDM, so a real CPU and vsim may legitimately differ).
# ---------------------------------------------------------------------------
        .equ F_C, 0x001
        .equ F_P, 0x004
        .equ F_A, 0x010
        .equ F_Z, 0x040
        .equ F_S, 0x080
        .equ F_D, 0x400
        .equ F_O, 0x800
        .equ F_ALL, F_C|F_P|F_A|F_Z|F_S|F_D|F_O  # every status flag and DF
        .equ F_LOGIC, F_ALL & ~F_A                # AND OR XOR TEST: AF undefined
        .equ F_MUL, F_C|F_O|F_D                   # MUL IMUL: SF ZF AF PF undefined
        .equ F_DIV, F_D                           # DIV IDIV: all six undefined
        .equ F_SHIFT1, F_ALL & ~F_A               # shift by 1: AF undefined
        .equ F_SHIFTN, F_ALL & ~(F_A|F_O)         # shift by n>1: AF, OF undefined
        .equ F_NONE, 0

        .macro SHOW label, mask
        pushf
        pushl $\mask
        pushl $9f
        call show
        .section .rodata
9:      .asciz "\label"
        .text
        .endm


# MEM "label", addr, n   prints "label  xx xx xx ..." (n bytes at addr, n <= 64).
# Preserves every register and flag.
        .macro MEM label, addr, n
        pushf
        pushl $\n
        pushl $\addr
        pushl $9f
        call showmem
        .section .rodata
9:      .asciz "\label"
        .text
        .endm


        .macro SETFL val        # EFLAGS := val (status flags and DF)
        pushl $\val
        popf
        .endm

        .data
m8:     .byte 0
m16:    .word 0
m32:    .long 0
        .long 0xffffffff        # bitstr-4: reached by a bit offset of -1
bitstr: .long 0x01234567, 0x89abcdef, 0x0000ffff, 0xffff0000, 0x5555aaaa

        .text
        .globl _start
_start:
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
# --- shifts and rotates by 1 (D0/D1), by CL (D2/D3) and by imm8 (C0/C1) ---
        # shlb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        shlb %al
        SHOW "shlb 1", F_ALL & ~F_A
        # shlb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        shlb %cl, %al
        SHOW "shlb cl=0", F_ALL
        # shlb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        shlb %cl, %al
        SHOW "shlb cl=2", F_ALL & ~(F_A|F_O)
        # shlb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        shlb $7, %al
        SHOW "shlb $7", F_ALL & ~(F_A|F_O)
        # shlb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        shlb %cl, %al
        SHOW "shlb cl=8", F_ALL & ~(F_A|F_O|F_C)
        # shlb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        shlb %cl, %al
        SHOW "shlb cl=9", F_ALL & ~(F_A|F_O|F_C)
        # shlb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        shlb %cl, %al
        SHOW "shlb cl=31", F_ALL & ~(F_A|F_O|F_C)
        # shlb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        shlb %cl, %al
        SHOW "shlb cl=32", F_ALL
        # shlb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        shlb %cl, %al
        SHOW "shlb cl=33", F_ALL & ~F_A
        # shlw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        shlw %cl, %ax
        SHOW "shlw cl=1", F_ALL & ~F_A
        # shlw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        shlw %cl, %ax
        SHOW "shlw cl=0", F_ALL
        # shlw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        shlw $2, %ax
        SHOW "shlw $2", F_ALL & ~(F_A|F_O)
        # shlw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        shlw %cl, %ax
        SHOW "shlw cl=15", F_ALL & ~(F_A|F_O)
        # shlw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        shlw %cl, %ax
        SHOW "shlw cl=16", F_ALL & ~(F_A|F_O|F_C)
        # shlw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        shlw %cl, %ax
        SHOW "shlw cl=17", F_ALL & ~(F_A|F_O|F_C)
        # shlw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        shlw %cl, %ax
        SHOW "shlw cl=31", F_ALL & ~(F_A|F_O|F_C)
        # shlw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        shlw %cl, %ax
        SHOW "shlw cl=32", F_ALL
        # shlw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        shlw $33, %ax
        SHOW "shlw $33", F_ALL & ~F_A
        # shll 1
        movl $0x80000001, %eax
        SETFL 0x001
        shll %eax
        SHOW "shll 1", F_ALL & ~F_A
        # shll cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        shll %cl, %eax
        SHOW "shll cl=0", F_ALL
        # shll cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        shll %cl, %eax
        SHOW "shll cl=2", F_ALL & ~(F_A|F_O)
        # shll $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        shll $31, %eax
        SHOW "shll $31", F_ALL & ~(F_A|F_O)
        # shll cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        shll %cl, %eax
        SHOW "shll cl=32", F_ALL
        # shll $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        shll $33, %eax
        SHOW "shll $33", F_ALL & ~F_A
        # shrb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        shrb %al
        SHOW "shrb 1", F_ALL & ~F_A
        # shrb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        shrb %cl, %al
        SHOW "shrb cl=0", F_ALL
        # shrb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        shrb %cl, %al
        SHOW "shrb cl=2", F_ALL & ~(F_A|F_O)
        # shrb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        shrb $7, %al
        SHOW "shrb $7", F_ALL & ~(F_A|F_O)
        # shrb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        shrb %cl, %al
        SHOW "shrb cl=8", F_ALL & ~(F_A|F_O|F_C)
        # shrb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        shrb %cl, %al
        SHOW "shrb cl=9", F_ALL & ~(F_A|F_O|F_C)
        # shrb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        shrb %cl, %al
        SHOW "shrb cl=31", F_ALL & ~(F_A|F_O|F_C)
        # shrb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        shrb %cl, %al
        SHOW "shrb cl=32", F_ALL
        # shrb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        shrb %cl, %al
        SHOW "shrb cl=33", F_ALL & ~F_A
        # shrw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        shrw %cl, %ax
        SHOW "shrw cl=1", F_ALL & ~F_A
        # shrw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        shrw %cl, %ax
        SHOW "shrw cl=0", F_ALL
        # shrw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        shrw $2, %ax
        SHOW "shrw $2", F_ALL & ~(F_A|F_O)
        # shrw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        shrw %cl, %ax
        SHOW "shrw cl=15", F_ALL & ~(F_A|F_O)
        # shrw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        shrw %cl, %ax
        SHOW "shrw cl=16", F_ALL & ~(F_A|F_O|F_C)
        # shrw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        shrw %cl, %ax
        SHOW "shrw cl=17", F_ALL & ~(F_A|F_O|F_C)
        # shrw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        shrw %cl, %ax
        SHOW "shrw cl=31", F_ALL & ~(F_A|F_O|F_C)
        # shrw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        shrw %cl, %ax
        SHOW "shrw cl=32", F_ALL
        # shrw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        shrw $33, %ax
        SHOW "shrw $33", F_ALL & ~F_A
        # shrl 1
        movl $0x80000001, %eax
        SETFL 0x001
        shrl %eax
        SHOW "shrl 1", F_ALL & ~F_A
        # shrl cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        shrl %cl, %eax
        SHOW "shrl cl=0", F_ALL
        # shrl cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        shrl %cl, %eax
        SHOW "shrl cl=2", F_ALL & ~(F_A|F_O)
        # shrl $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        shrl $31, %eax
        SHOW "shrl $31", F_ALL & ~(F_A|F_O)
        # shrl cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        shrl %cl, %eax
        SHOW "shrl cl=32", F_ALL
        # shrl $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        shrl $33, %eax
        SHOW "shrl $33", F_ALL & ~F_A
        # sarb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        sarb %al
        SHOW "sarb 1", F_ALL & ~F_A
        # sarb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        sarb %cl, %al
        SHOW "sarb cl=0", F_ALL
        # sarb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        sarb %cl, %al
        SHOW "sarb cl=2", F_ALL & ~(F_A|F_O)
        # sarb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        sarb $7, %al
        SHOW "sarb $7", F_ALL & ~(F_A|F_O)
        # sarb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        sarb %cl, %al
        SHOW "sarb cl=8", F_ALL & ~(F_A|F_O|F_C)
        # sarb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        sarb %cl, %al
        SHOW "sarb cl=9", F_ALL & ~(F_A|F_O|F_C)
        # sarb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        sarb %cl, %al
        SHOW "sarb cl=31", F_ALL & ~(F_A|F_O|F_C)
        # sarb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        sarb %cl, %al
        SHOW "sarb cl=32", F_ALL
        # sarb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        sarb %cl, %al
        SHOW "sarb cl=33", F_ALL & ~F_A
        # sarw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        sarw %cl, %ax
        SHOW "sarw cl=1", F_ALL & ~F_A
        # sarw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        sarw %cl, %ax
        SHOW "sarw cl=0", F_ALL
        # sarw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        sarw $2, %ax
        SHOW "sarw $2", F_ALL & ~(F_A|F_O)
        # sarw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        sarw %cl, %ax
        SHOW "sarw cl=15", F_ALL & ~(F_A|F_O)
        # sarw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        sarw %cl, %ax
        SHOW "sarw cl=16", F_ALL & ~(F_A|F_O|F_C)
        # sarw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        sarw %cl, %ax
        SHOW "sarw cl=17", F_ALL & ~(F_A|F_O|F_C)
        # sarw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        sarw %cl, %ax
        SHOW "sarw cl=31", F_ALL & ~(F_A|F_O|F_C)
        # sarw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        sarw %cl, %ax
        SHOW "sarw cl=32", F_ALL
        # sarw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        sarw $33, %ax
        SHOW "sarw $33", F_ALL & ~F_A
        # sarl 1
        movl $0x80000001, %eax
        SETFL 0x001
        sarl %eax
        SHOW "sarl 1", F_ALL & ~F_A
        # sarl cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        sarl %cl, %eax
        SHOW "sarl cl=0", F_ALL
        # sarl cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        sarl %cl, %eax
        SHOW "sarl cl=2", F_ALL & ~(F_A|F_O)
        # sarl $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        sarl $31, %eax
        SHOW "sarl $31", F_ALL & ~(F_A|F_O)
        # sarl cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        sarl %cl, %eax
        SHOW "sarl cl=32", F_ALL
        # sarl $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        sarl $33, %eax
        SHOW "sarl $33", F_ALL & ~F_A
        # rolb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        rolb %al
        SHOW "rolb 1", F_ALL
        # rolb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        rolb %cl, %al
        SHOW "rolb cl=0", F_ALL
        # rolb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        rolb %cl, %al
        SHOW "rolb cl=2", F_ALL & ~F_O
        # rolb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        rolb $7, %al
        SHOW "rolb $7", F_ALL & ~F_O
        # rolb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        rolb %cl, %al
        SHOW "rolb cl=8", F_ALL & ~F_O
        # rolb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        rolb %cl, %al
        SHOW "rolb cl=9", F_ALL & ~F_O
        # rolb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        rolb %cl, %al
        SHOW "rolb cl=31", F_ALL & ~F_O
        # rolb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        rolb %cl, %al
        SHOW "rolb cl=32", F_ALL
        # rolb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        rolb %cl, %al
        SHOW "rolb cl=33", F_ALL
        # rolw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        rolw %cl, %ax
        SHOW "rolw cl=1", F_ALL
        # rolw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        rolw %cl, %ax
        SHOW "rolw cl=0", F_ALL
        # rolw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        rolw $2, %ax
        SHOW "rolw $2", F_ALL & ~F_O
        # rolw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        rolw %cl, %ax
        SHOW "rolw cl=15", F_ALL & ~F_O
        # rolw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        rolw %cl, %ax
        SHOW "rolw cl=16", F_ALL & ~F_O
        # rolw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        rolw %cl, %ax
        SHOW "rolw cl=17", F_ALL & ~F_O
        # rolw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        rolw %cl, %ax
        SHOW "rolw cl=31", F_ALL & ~F_O
        # rolw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        rolw %cl, %ax
        SHOW "rolw cl=32", F_ALL
        # rolw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        rolw $33, %ax
        SHOW "rolw $33", F_ALL
        # roll 1
        movl $0x80000001, %eax
        SETFL 0x001
        roll %eax
        SHOW "roll 1", F_ALL
        # roll cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        roll %cl, %eax
        SHOW "roll cl=0", F_ALL
        # roll cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        roll %cl, %eax
        SHOW "roll cl=2", F_ALL & ~F_O
        # roll $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        roll $31, %eax
        SHOW "roll $31", F_ALL & ~F_O
        # roll cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        roll %cl, %eax
        SHOW "roll cl=32", F_ALL
        # roll $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        roll $33, %eax
        SHOW "roll $33", F_ALL
        # rorb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        rorb %al
        SHOW "rorb 1", F_ALL
        # rorb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        rorb %cl, %al
        SHOW "rorb cl=0", F_ALL
        # rorb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        rorb %cl, %al
        SHOW "rorb cl=2", F_ALL & ~F_O
        # rorb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        rorb $7, %al
        SHOW "rorb $7", F_ALL & ~F_O
        # rorb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        rorb %cl, %al
        SHOW "rorb cl=8", F_ALL & ~F_O
        # rorb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        rorb %cl, %al
        SHOW "rorb cl=9", F_ALL & ~F_O
        # rorb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        rorb %cl, %al
        SHOW "rorb cl=31", F_ALL & ~F_O
        # rorb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        rorb %cl, %al
        SHOW "rorb cl=32", F_ALL
        # rorb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        rorb %cl, %al
        SHOW "rorb cl=33", F_ALL
        # rorw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        rorw %cl, %ax
        SHOW "rorw cl=1", F_ALL
        # rorw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        rorw %cl, %ax
        SHOW "rorw cl=0", F_ALL
        # rorw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        rorw $2, %ax
        SHOW "rorw $2", F_ALL & ~F_O
        # rorw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        rorw %cl, %ax
        SHOW "rorw cl=15", F_ALL & ~F_O
        # rorw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        rorw %cl, %ax
        SHOW "rorw cl=16", F_ALL & ~F_O
        # rorw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        rorw %cl, %ax
        SHOW "rorw cl=17", F_ALL & ~F_O
        # rorw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        rorw %cl, %ax
        SHOW "rorw cl=31", F_ALL & ~F_O
        # rorw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        rorw %cl, %ax
        SHOW "rorw cl=32", F_ALL
        # rorw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        rorw $33, %ax
        SHOW "rorw $33", F_ALL
        # rorl 1
        movl $0x80000001, %eax
        SETFL 0x001
        rorl %eax
        SHOW "rorl 1", F_ALL
        # rorl cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        rorl %cl, %eax
        SHOW "rorl cl=0", F_ALL
        # rorl cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        rorl %cl, %eax
        SHOW "rorl cl=2", F_ALL & ~F_O
        # rorl $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        rorl $31, %eax
        SHOW "rorl $31", F_ALL & ~F_O
        # rorl cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        rorl %cl, %eax
        SHOW "rorl cl=32", F_ALL
        # rorl $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        rorl $33, %eax
        SHOW "rorl $33", F_ALL
        # rclb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        rclb %al
        SHOW "rclb 1", F_ALL
        # rclb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        rclb %cl, %al
        SHOW "rclb cl=0", F_ALL
        # rclb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        rclb %cl, %al
        SHOW "rclb cl=2", F_ALL & ~F_O
        # rclb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        rclb $7, %al
        SHOW "rclb $7", F_ALL & ~F_O
        # rclb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        rclb %cl, %al
        SHOW "rclb cl=8", F_ALL & ~F_O
        # rclb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        rclb %cl, %al
        SHOW "rclb cl=9", F_ALL & ~F_O
        # rclb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        rclb %cl, %al
        SHOW "rclb cl=31", F_ALL & ~F_O
        # rclb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        rclb %cl, %al
        SHOW "rclb cl=32", F_ALL
        # rclb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        rclb %cl, %al
        SHOW "rclb cl=33", F_ALL
        # rclw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        rclw %cl, %ax
        SHOW "rclw cl=1", F_ALL
        # rclw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        rclw %cl, %ax
        SHOW "rclw cl=0", F_ALL
        # rclw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        rclw $2, %ax
        SHOW "rclw $2", F_ALL & ~F_O
        # rclw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        rclw %cl, %ax
        SHOW "rclw cl=15", F_ALL & ~F_O
        # rclw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        rclw %cl, %ax
        SHOW "rclw cl=16", F_ALL & ~F_O
        # rclw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        rclw %cl, %ax
        SHOW "rclw cl=17", F_ALL & ~F_O
        # rclw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        rclw %cl, %ax
        SHOW "rclw cl=31", F_ALL & ~F_O
        # rclw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        rclw %cl, %ax
        SHOW "rclw cl=32", F_ALL
        # rclw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        rclw $33, %ax
        SHOW "rclw $33", F_ALL
        # rcll 1
        movl $0x80000001, %eax
        SETFL 0x001
        rcll %eax
        SHOW "rcll 1", F_ALL
        # rcll cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        rcll %cl, %eax
        SHOW "rcll cl=0", F_ALL
        # rcll cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        rcll %cl, %eax
        SHOW "rcll cl=2", F_ALL & ~F_O
        # rcll $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        rcll $31, %eax
        SHOW "rcll $31", F_ALL & ~F_O
        # rcll cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        rcll %cl, %eax
        SHOW "rcll cl=32", F_ALL
        # rcll $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        rcll $33, %eax
        SHOW "rcll $33", F_ALL
        # rcrb 1
        movl $0xdead0081, %eax
        SETFL 0x000
        rcrb %al
        SHOW "rcrb 1", F_ALL
        # rcrb cl=0
        movl $0xdead0081, %eax
        movl $0xff00, %ecx
        SETFL 0x8d5
        rcrb %cl, %al
        SHOW "rcrb cl=0", F_ALL
        # rcrb cl=2
        movl $0xdead003c, %eax
        movl $0xff02, %ecx
        SETFL 0x001
        rcrb %cl, %al
        SHOW "rcrb cl=2", F_ALL & ~F_O
        # rcrb $7
        movl $0xdead0081, %eax
        SETFL 0x8c4
        rcrb $7, %al
        SHOW "rcrb $7", F_ALL & ~F_O
        # rcrb cl=8
        movl $0xdead0081, %eax
        movl $0xff08, %ecx
        SETFL 0x000
        rcrb %cl, %al
        SHOW "rcrb cl=8", F_ALL & ~F_O
        # rcrb cl=9
        movl $0xdead003c, %eax
        movl $0xff09, %ecx
        SETFL 0x8d5
        rcrb %cl, %al
        SHOW "rcrb cl=9", F_ALL & ~F_O
        # rcrb cl=31
        movl $0xdead0081, %eax
        movl $0xff1f, %ecx
        SETFL 0x001
        rcrb %cl, %al
        SHOW "rcrb cl=31", F_ALL & ~F_O
        # rcrb cl=32
        movl $0xdead0081, %eax
        movl $0xff20, %ecx
        SETFL 0x8c4
        rcrb %cl, %al
        SHOW "rcrb cl=32", F_ALL
        # rcrb cl=33
        movl $0xdead003c, %eax
        movl $0xff21, %ecx
        SETFL 0x000
        rcrb %cl, %al
        SHOW "rcrb cl=33", F_ALL
        # rcrw cl=1
        movl $0xdead8001, %eax
        movl $0xff01, %ecx
        SETFL 0x8d5
        rcrw %cl, %ax
        SHOW "rcrw cl=1", F_ALL
        # rcrw cl=0
        movl $0xdead8001, %eax
        movl $0xff00, %ecx
        SETFL 0x001
        rcrw %cl, %ax
        SHOW "rcrw cl=0", F_ALL
        # rcrw $2
        movl $0xdead5a3c, %eax
        SETFL 0x8c4
        rcrw $2, %ax
        SHOW "rcrw $2", F_ALL & ~F_O
        # rcrw cl=15
        movl $0xdead8001, %eax
        movl $0xff0f, %ecx
        SETFL 0x000
        rcrw %cl, %ax
        SHOW "rcrw cl=15", F_ALL & ~F_O
        # rcrw cl=16
        movl $0xdead8001, %eax
        movl $0xff10, %ecx
        SETFL 0x8d5
        rcrw %cl, %ax
        SHOW "rcrw cl=16", F_ALL & ~F_O
        # rcrw cl=17
        movl $0xdead5a3c, %eax
        movl $0xff11, %ecx
        SETFL 0x001
        rcrw %cl, %ax
        SHOW "rcrw cl=17", F_ALL & ~F_O
        # rcrw cl=31
        movl $0xdead8001, %eax
        movl $0xff1f, %ecx
        SETFL 0x8c4
        rcrw %cl, %ax
        SHOW "rcrw cl=31", F_ALL & ~F_O
        # rcrw cl=32
        movl $0xdead8001, %eax
        movl $0xff20, %ecx
        SETFL 0x000
        rcrw %cl, %ax
        SHOW "rcrw cl=32", F_ALL
        # rcrw $33
        movl $0xdead5a3c, %eax
        SETFL 0x8d5
        rcrw $33, %ax
        SHOW "rcrw $33", F_ALL
        # rcrl 1
        movl $0x80000001, %eax
        SETFL 0x001
        rcrl %eax
        SHOW "rcrl 1", F_ALL
        # rcrl cl=0
        movl $0x80000001, %eax
        movl $0xff00, %ecx
        SETFL 0x8c4
        rcrl %cl, %eax
        SHOW "rcrl cl=0", F_ALL
        # rcrl cl=2
        movl $0x12345a3c, %eax
        movl $0xff02, %ecx
        SETFL 0x000
        rcrl %cl, %eax
        SHOW "rcrl cl=2", F_ALL & ~F_O
        # rcrl $31
        movl $0x80000001, %eax
        SETFL 0x8d5
        rcrl $31, %eax
        SHOW "rcrl $31", F_ALL & ~F_O
        # rcrl cl=32
        movl $0x80000001, %eax
        movl $0xff20, %ecx
        SETFL 0x001
        rcrl %cl, %eax
        SHOW "rcrl cl=32", F_ALL
        # rcrl $33
        movl $0x12345a3c, %eax
        SETFL 0x8c4
        rcrl $33, %eax
        SHOW "rcrl $33", F_ALL
# --- the worked cases of references/emulation.md 4.3 and 4.4 ---
        # shrb cl=0
        movl $0x80, %eax
        movl $0, %ecx
        SETFL 0x8d5
        shrb %cl, %al
        SHOW "shrb cl=0", F_ALL
        # shrb cl=0'
        movl $0x80, %eax
        movl $0, %ecx
        SETFL 0x000
        shrb %cl, %al
        SHOW "shrb cl=0'", F_ALL
        # shl 3c,2
        movl $0x3c, %eax
        movl $2, %ecx
        SETFL 0x000
        shll %cl, %eax
        SHOW "shl 3c,2", F_ALL & ~(F_A|F_O)
# --- memory operands ---
        # shlw mem
        movw $0xc001, m16
        SETFL 0x000
        shlw m16
        movzwl m16, %eax
        SHOW "shlw mem", F_ALL & ~F_A
        # rcrl mem
        movl $0x00000003, m32
        movl $3, %ecx
        SETFL 0x001
        rcrl %cl, m32
        movl m32, %eax
        SHOW "rcrl mem", F_ALL & ~F_O
        # sarb mem
        movb $0x90, m8
        SETFL 0x000
        sarb $4, m8
        movzbl m8, %eax
        SHOW "sarb mem", F_ALL & ~(F_A|F_O)
# --- SHLD / SHRD: shift in bits from a second register ---
        # shldw $1
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x000
        shldw $1, %bx, %ax
        SHOW "shldw $1", F_ALL & ~F_A
        # shldw cl=4
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x4, %ecx
        SETFL 0x8d5
        shldw %cl, %bx, %ax
        SHOW "shldw cl=4", F_ALL & ~(F_A|F_O)
        # shldw cl=0
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x0, %ecx
        SETFL 0x001
        shldw %cl, %bx, %ax
        SHOW "shldw cl=0", F_ALL
        # shldw $15
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x8c4
        shldw $15, %bx, %ax
        SHOW "shldw $15", F_ALL & ~(F_A|F_O)
        # shldw $8
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x000
        shldw $8, %bx, %ax
        SHOW "shldw $8", F_ALL & ~(F_A|F_O)
        # shldw cl=33
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x21, %ecx
        SETFL 0x8d5
        shldw %cl, %bx, %ax
        SHOW "shldw cl=33", F_ALL & ~F_A
        # shrdw $1
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x001
        shrdw $1, %bx, %ax
        SHOW "shrdw $1", F_ALL & ~F_A
        # shrdw cl=4
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x4, %ecx
        SETFL 0x8c4
        shrdw %cl, %bx, %ax
        SHOW "shrdw cl=4", F_ALL & ~(F_A|F_O)
        # shrdw cl=0
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x0, %ecx
        SETFL 0x000
        shrdw %cl, %bx, %ax
        SHOW "shrdw cl=0", F_ALL
        # shrdw $15
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x8d5
        shrdw $15, %bx, %ax
        SHOW "shrdw $15", F_ALL & ~(F_A|F_O)
        # shrdw $8
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x001
        shrdw $8, %bx, %ax
        SHOW "shrdw $8", F_ALL & ~(F_A|F_O)
        # shrdw cl=33
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x21, %ecx
        SETFL 0x8c4
        shrdw %cl, %bx, %ax
        SHOW "shrdw cl=33", F_ALL & ~F_A
        # shldl $1
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x000
        shldl $1, %ebx, %eax
        SHOW "shldl $1", F_ALL & ~F_A
        # shldl cl=4
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x4, %ecx
        SETFL 0x8d5
        shldl %cl, %ebx, %eax
        SHOW "shldl cl=4", F_ALL & ~(F_A|F_O)
        # shldl cl=0
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x0, %ecx
        SETFL 0x001
        shldl %cl, %ebx, %eax
        SHOW "shldl cl=0", F_ALL
        # shldl $31
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x8c4
        shldl $31, %ebx, %eax
        SHOW "shldl $31", F_ALL & ~(F_A|F_O)
        # shldl cl=32
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x20, %ecx
        SETFL 0x000
        shldl %cl, %ebx, %eax
        SHOW "shldl cl=32", F_ALL
        # shldl cl=33
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x21, %ecx
        SETFL 0x8d5
        shldl %cl, %ebx, %eax
        SHOW "shldl cl=33", F_ALL & ~F_A
        # shrdl $1
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x001
        shrdl $1, %ebx, %eax
        SHOW "shrdl $1", F_ALL & ~F_A
        # shrdl cl=4
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x4, %ecx
        SETFL 0x8c4
        shrdl %cl, %ebx, %eax
        SHOW "shrdl cl=4", F_ALL & ~(F_A|F_O)
        # shrdl cl=0
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x0, %ecx
        SETFL 0x000
        shrdl %cl, %ebx, %eax
        SHOW "shrdl cl=0", F_ALL
        # shrdl $31
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        SETFL 0x8d5
        shrdl $31, %ebx, %eax
        SHOW "shrdl $31", F_ALL & ~(F_A|F_O)
        # shrdl cl=32
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x20, %ecx
        SETFL 0x001
        shrdl %cl, %ebx, %eax
        SHOW "shrdl cl=32", F_ALL
        # shrdl cl=33
        movl $0x8765c321, %eax
        movl $0x5a0ff0a5, %ebx
        movl $0x21, %ecx
        SETFL 0x8c4
        shrdl %cl, %ebx, %eax
        SHOW "shrdl cl=33", F_ALL & ~F_A
        # shldl mem
        movl $0x12345678, m32
        movl $0x9abcdef0, %ebx
        SETFL 0x000
        shldl $8, %ebx, m32
        movl m32, %eax
        SHOW "shldl mem", F_ALL & ~(F_A|F_O)
# --- BSF / BSR: a zero source sets ZF and leaves the destination alone ---
        # bsfw 100100
        movl $0xdeadbeef, %eax
        movl $0x100100, %ebx
        SETFL 0x8d5
        bsfw %bx, %ax
        SHOW "bsfw 100100", F_Z|F_D
        # bsfw 80000001
        movl $0xdeadbeef, %eax
        movl $0x80000001, %ebx
        SETFL 0x8d5
        bsfw %bx, %ax
        SHOW "bsfw 80000001", F_Z|F_D
        # bsfw 1
        movl $0xdeadbeef, %eax
        movl $0x1, %ebx
        SETFL 0x8d5
        bsfw %bx, %ax
        SHOW "bsfw 1", F_Z|F_D
        # bsfw 0
        movl $0xdeadbeef, %eax
        movl $0x0, %ebx
        SETFL 0x000
        bsfw %bx, %ax
        SHOW "bsfw 0", F_Z|F_D
        # bsfl 100100
        movl $0xdeadbeef, %eax
        movl $0x100100, %ebx
        SETFL 0x8d5
        bsfl %ebx, %eax
        SHOW "bsfl 100100", F_Z|F_D
        # bsfl 80000001
        movl $0xdeadbeef, %eax
        movl $0x80000001, %ebx
        SETFL 0x8d5
        bsfl %ebx, %eax
        SHOW "bsfl 80000001", F_Z|F_D
        # bsfl 1
        movl $0xdeadbeef, %eax
        movl $0x1, %ebx
        SETFL 0x8d5
        bsfl %ebx, %eax
        SHOW "bsfl 1", F_Z|F_D
        # bsfl 0
        movl $0xdeadbeef, %eax
        movl $0x0, %ebx
        SETFL 0x000
        bsfl %ebx, %eax
        SHOW "bsfl 0", F_Z|F_D
        # bsrw 100100
        movl $0xdeadbeef, %eax
        movl $0x100100, %ebx
        SETFL 0x8d5
        bsrw %bx, %ax
        SHOW "bsrw 100100", F_Z|F_D
        # bsrw 80000001
        movl $0xdeadbeef, %eax
        movl $0x80000001, %ebx
        SETFL 0x8d5
        bsrw %bx, %ax
        SHOW "bsrw 80000001", F_Z|F_D
        # bsrw 1
        movl $0xdeadbeef, %eax
        movl $0x1, %ebx
        SETFL 0x8d5
        bsrw %bx, %ax
        SHOW "bsrw 1", F_Z|F_D
        # bsrw 0
        movl $0xdeadbeef, %eax
        movl $0x0, %ebx
        SETFL 0x000
        bsrw %bx, %ax
        SHOW "bsrw 0", F_Z|F_D
        # bsrl 100100
        movl $0xdeadbeef, %eax
        movl $0x100100, %ebx
        SETFL 0x8d5
        bsrl %ebx, %eax
        SHOW "bsrl 100100", F_Z|F_D
        # bsrl 80000001
        movl $0xdeadbeef, %eax
        movl $0x80000001, %ebx
        SETFL 0x8d5
        bsrl %ebx, %eax
        SHOW "bsrl 80000001", F_Z|F_D
        # bsrl 1
        movl $0xdeadbeef, %eax
        movl $0x1, %ebx
        SETFL 0x8d5
        bsrl %ebx, %eax
        SHOW "bsrl 1", F_Z|F_D
        # bsrl 0
        movl $0xdeadbeef, %eax
        movl $0x0, %ebx
        SETFL 0x000
        bsrl %ebx, %eax
        SHOW "bsrl 0", F_Z|F_D
        # bsfl mem
        movl $0x00040000, m32
        movl $0xdeadbeef, %eax
        SETFL 0x040
        bsfl m32, %eax
        SHOW "bsfl mem", F_Z|F_D
# --- BT / BTS / BTR / BTC: CF = the selected bit; ZF unaffected ---
        # btw r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btw %bx, %ax
        SHOW "btw r=3", F_C|F_Z|F_D
        # btw r=19
        movl $0x8000a00b, %eax
        movl $19, %ebx
        SETFL 0x8d5
        btw %bx, %ax
        SHOW "btw r=19", F_C|F_Z|F_D
        # btw $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btw $0, %ax
        SHOW "btw $0", F_C|F_Z|F_D
        # btw $15
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btw $15, %ax
        SHOW "btw $15", F_C|F_Z|F_D
        # btl r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btl %ebx, %eax
        SHOW "btl r=3", F_C|F_Z|F_D
        # btl r=35
        movl $0x8000a00b, %eax
        movl $35, %ebx
        SETFL 0x8d5
        btl %ebx, %eax
        SHOW "btl r=35", F_C|F_Z|F_D
        # btl $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btl $0, %eax
        SHOW "btl $0", F_C|F_Z|F_D
        # btl $31
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btl $31, %eax
        SHOW "btl $31", F_C|F_Z|F_D
        # btsw r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btsw %bx, %ax
        SHOW "btsw r=3", F_C|F_Z|F_D
        # btsw r=19
        movl $0x8000a00b, %eax
        movl $19, %ebx
        SETFL 0x8d5
        btsw %bx, %ax
        SHOW "btsw r=19", F_C|F_Z|F_D
        # btsw $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btsw $0, %ax
        SHOW "btsw $0", F_C|F_Z|F_D
        # btsw $15
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btsw $15, %ax
        SHOW "btsw $15", F_C|F_Z|F_D
        # btsl r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btsl %ebx, %eax
        SHOW "btsl r=3", F_C|F_Z|F_D
        # btsl r=35
        movl $0x8000a00b, %eax
        movl $35, %ebx
        SETFL 0x8d5
        btsl %ebx, %eax
        SHOW "btsl r=35", F_C|F_Z|F_D
        # btsl $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btsl $0, %eax
        SHOW "btsl $0", F_C|F_Z|F_D
        # btsl $31
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btsl $31, %eax
        SHOW "btsl $31", F_C|F_Z|F_D
        # btrw r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btrw %bx, %ax
        SHOW "btrw r=3", F_C|F_Z|F_D
        # btrw r=19
        movl $0x8000a00b, %eax
        movl $19, %ebx
        SETFL 0x8d5
        btrw %bx, %ax
        SHOW "btrw r=19", F_C|F_Z|F_D
        # btrw $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btrw $0, %ax
        SHOW "btrw $0", F_C|F_Z|F_D
        # btrw $15
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btrw $15, %ax
        SHOW "btrw $15", F_C|F_Z|F_D
        # btrl r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btrl %ebx, %eax
        SHOW "btrl r=3", F_C|F_Z|F_D
        # btrl r=35
        movl $0x8000a00b, %eax
        movl $35, %ebx
        SETFL 0x8d5
        btrl %ebx, %eax
        SHOW "btrl r=35", F_C|F_Z|F_D
        # btrl $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btrl $0, %eax
        SHOW "btrl $0", F_C|F_Z|F_D
        # btrl $31
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btrl $31, %eax
        SHOW "btrl $31", F_C|F_Z|F_D
        # btcw r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btcw %bx, %ax
        SHOW "btcw r=3", F_C|F_Z|F_D
        # btcw r=19
        movl $0x8000a00b, %eax
        movl $19, %ebx
        SETFL 0x8d5
        btcw %bx, %ax
        SHOW "btcw r=19", F_C|F_Z|F_D
        # btcw $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btcw $0, %ax
        SHOW "btcw $0", F_C|F_Z|F_D
        # btcw $15
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btcw $15, %ax
        SHOW "btcw $15", F_C|F_Z|F_D
        # btcl r=3
        movl $0x8000a00b, %eax
        movl $3, %ebx
        SETFL 0x000
        btcl %ebx, %eax
        SHOW "btcl r=3", F_C|F_Z|F_D
        # btcl r=35
        movl $0x8000a00b, %eax
        movl $35, %ebx
        SETFL 0x8d5
        btcl %ebx, %eax
        SHOW "btcl r=35", F_C|F_Z|F_D
        # btcl $0
        movl $0x8000a00b, %eax
        SETFL 0x001
        btcl $0, %eax
        SHOW "btcl $0", F_C|F_Z|F_D
        # btcl $31
        movl $0x8000a00b, %eax
        SETFL 0x8c4
        btcl $31, %eax
        SHOW "btcl $31", F_C|F_Z|F_D
# bit strings in memory: a register offset may reach far beyond the operand
        # btl mem,35
        movl $35, %ebx
        SETFL 0x000
        btl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btl mem,35", F_C|F_Z|F_D
        # btl mem,-1
        movl $-1, %ebx
        SETFL 0x8d5
        btl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btl mem,-1", F_C|F_Z|F_D
        # btl mem,70
        movl $70, %ebx
        SETFL 0x001
        btl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btl mem,70", F_C|F_Z|F_D
        # btw mem,$9
        SETFL 0x8c4
        btw $9, bitstr+8
        movl bitstr+8, %esi
        SHOW "btw mem,$9", F_C|F_Z|F_D
        # btsl mem,35
        movl $35, %ebx
        SETFL 0x000
        btsl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btsl mem,35", F_C|F_Z|F_D
        # btsl mem,-1
        movl $-1, %ebx
        SETFL 0x8d5
        btsl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btsl mem,-1", F_C|F_Z|F_D
        # btsl mem,70
        movl $70, %ebx
        SETFL 0x001
        btsl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btsl mem,70", F_C|F_Z|F_D
        # btsw mem,$9
        SETFL 0x8c4
        btsw $9, bitstr+8
        movl bitstr+8, %esi
        SHOW "btsw mem,$9", F_C|F_Z|F_D
        # btrl mem,35
        movl $35, %ebx
        SETFL 0x000
        btrl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btrl mem,35", F_C|F_Z|F_D
        # btrl mem,-1
        movl $-1, %ebx
        SETFL 0x8d5
        btrl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btrl mem,-1", F_C|F_Z|F_D
        # btrl mem,70
        movl $70, %ebx
        SETFL 0x001
        btrl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btrl mem,70", F_C|F_Z|F_D
        # btrw mem,$9
        SETFL 0x8c4
        btrw $9, bitstr+8
        movl bitstr+8, %esi
        SHOW "btrw mem,$9", F_C|F_Z|F_D
        # btcl mem,35
        movl $35, %ebx
        SETFL 0x000
        btcl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btcl mem,35", F_C|F_Z|F_D
        # btcl mem,-1
        movl $-1, %ebx
        SETFL 0x8d5
        btcl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btcl mem,-1", F_C|F_Z|F_D
        # btcl mem,70
        movl $70, %ebx
        SETFL 0x001
        btcl %ebx, bitstr+8
        movl bitstr, %eax
        movl bitstr+4, %edx
        movl bitstr+8, %esi
        movl bitstr+16, %edi
        SHOW "btcl mem,70", F_C|F_Z|F_D
        # btcw mem,$9
        SETFL 0x8c4
        btcw $9, bitstr+8
        movl bitstr+8, %esi
        SHOW "btcw mem,$9", F_C|F_Z|F_D

        call exit0
        .section .rodata
hexdigits:  .ascii "0123456789abcdef"
flagnames:  .ascii "ODSZAPC"
flagbits:   .long F_O, F_D, F_S, F_Z, F_A, F_P, F_C
regnames:   .ascii " eax= ebx= ecx= edx= esi= edi= ebp="
regslots:   .long 28, 16, 24, 20, 4, 0, 8       # offsets of eax..ebp in the PUSHA frame

        .bss
outbuf:     .space 512
dtmp:       .space 12
dtmp_end:

        .text
# show: stack on entry: ret, label, mask, saved EFLAGS. Pops all three (ret $12).
show:   pusha                       # 0 edi 4 esi 8 ebp 12 esp 16 ebx 20 edx 24 ecx 28 eax
        movl %esp, %ebp             # 32 ret 36 label 40 mask 44 eflags
        cld
        movl $outbuf, %edi
        movl 36(%ebp), %esi
        call put_str
1:      cmpl $outbuf+10, %edi       # pad the label to 10 columns
        jae 2f
        movb $' ', (%edi)
        incl %edi
        jmp 1b
2:      xorl %ebx, %ebx             # register index 0..6
3:      leal regnames(,%ebx,4), %esi
        addl %ebx, %esi             # 5 characters per name
        movsl
        movsb
        movl regslots(,%ebx,4), %eax
        movl (%ebp,%eax), %eax
        call put_hex32
        incl %ebx
        cmpl $7, %ebx
        jb 3b
        movl $0x3d6c6620, (%edi)    # " fl="
        addl $4, %edi
        xorl %ebx, %ebx
4:      movl flagbits(,%ebx,4), %eax
        movb $'-', %dl
        testl %eax, 40(%ebp)        # shown?
        jz 5f
        movb $'.', %dl
        testl %eax, 44(%ebp)        # set?
        jz 5f
        movb flagnames(%ebx), %dl
5:      movb %dl, (%edi)
        incl %edi
        incl %ebx
        cmpl $7, %ebx
        jb 4b
        movb $10, (%edi)
        incl %edi
        call flush
        popa
        pushl 12(%esp)              # the caller's EFLAGS (address computed before the push)
        popf
        ret $12

# put_str: copy the NUL-terminated string at %esi to %edi (advances both). Clobbers %al.
put_str:
1:      lodsb
        testb %al, %al
        jz 2f
        stosb
        jmp 1b
2:      ret

# put_hex32: write %eax as 8 hex digits at %edi. Clobbers %eax %ecx %edx.
put_hex32:
        movl $8, %ecx
1:      roll $4, %eax
        movl %eax, %edx
        andl $15, %edx
        movb hexdigits(%edx), %dl
        movb %dl, (%edi)
        incl %edi
        decl %ecx
        jnz 1b
        ret

# put_dec: write %eax as unsigned decimal at %edi. Clobbers %eax %ecx %edx %esi.
put_dec:
        movl $dtmp_end, %esi
        movl $10, %ecx
1:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %esi
        movb %dl, (%esi)
        testl %eax, %eax
        jnz 1b
2:      movb (%esi), %al
        movb %al, (%edi)
        incl %edi
        incl %esi
        cmpl $dtmp_end, %esi
        jne 2b
        ret

# flush: write(1, outbuf, %edi - outbuf). Clobbers %eax %ebx %ecx %edx.
flush:  movl $4, %eax
        movl $1, %ebx
        movl $outbuf, %ecx
        movl %edi, %edx
        subl %ecx, %edx
        int $0x80
        movl $outbuf, %edi
        ret

# say: print the NUL-terminated string at %esi. Preserves all registers and flags.
say:    pushf
        pusha
        cld
        movl $outbuf, %edi
        call put_str
        call flush
        popa
        popf
        ret

# exit0: exit(0)
exit0:  movl $1, %eax
        xorl %ebx, %ebx
        int $0x80

# showmem: stack on entry: ret, label, addr, n, saved EFLAGS. Pops all four.
showmem:
        pusha
        movl %esp, %ebp             # 32 ret 36 label 40 addr 44 n 48 eflags
        cld
        movl $outbuf, %edi
        movl 36(%ebp), %esi
        call put_str
1:      cmpl $outbuf+10, %edi
        jae 2f
        movb $' ', (%edi)
        incl %edi
        jmp 1b
2:      movl 40(%ebp), %esi
        movl 44(%ebp), %ebx
3:      testl %ebx, %ebx
        jz 4f
        movb $' ', (%edi)
        movzbl (%esi), %eax
        movl %eax, %edx
        shrl $4, %eax
        movb hexdigits(%eax), %al
        movb %al, 1(%edi)
        andl $15, %edx
        movb hexdigits(%edx), %dl
        movb %dl, 2(%edi)
        addl $3, %edi
        incl %esi
        decl %ebx
        jmp 3b
4:      movb $10, (%edi)
        incl %edi
        call flush
        popa
        pushl 16(%esp)
        popf
        ret $16
