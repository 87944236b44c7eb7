# muldiv.s - MUL, IMUL (one, two and three operands), DIV and IDIV in every width.
#
# Teaches: one-operand MUL/IMUL write a double-width product (AX, DX:AX or
#   EDX:EAX) and set CF=OF=1 when the upper half is significant (for IMUL: not
#   just the sign extension of the lower half); two- and three-operand IMUL
#   keep only the lower half. DIV/IDIV divide AX, DX:AX or EDX:EAX and leave
#   quotient and remainder in AL/AH, AX/DX or EAX/EDX; the remainder takes the
#   dividend's sign. IDIV's most negative quotient (-128, -32768, -2^31) fits
#   and must not fault. After MUL/IMUL the SDM leaves SF ZF AF PF undefined,
#   after DIV/IDIV all six status flags, so those are shown as '-'.
# Prints: one line per case: registers and the defined flags after it.
# Exit status: 0.
# Build natively: as --32 muldiv.s -o muldiv.o && ld -m elf_i386 muldiv.o -o muldiv

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


        .macro R a, b, d        # EAX EBX EDX := a b d
        movl $\a, %eax
        movl $\b, %ebx
        movl $\d, %edx
        .endm

        .data
m8:     .byte 0xfd              # -3
m16:    .word 0x8001
m32:    .long 0x10001

        .text
        .globl _start
_start:
        xorl %ecx, %ecx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp

# --- MUL (unsigned) -------------------------------------------------------------
        R 0xaaaaaa80, 2, 0x55555555
        mulb %bl                # 0x80 * 2 = 0x100: AH significant, CF=OF=1
        SHOW "mulb", F_MUL
        R 5, 3, 0
        mulb %bl                # 15: CF=OF=0
        SHOW "mulb small", F_MUL
        R 0x1234ffff, 0xffff, 0x99999999
        mulw %bx                # FFFF*FFFF = FFFE0001: DX=FFFE (EDX high half kept)
        SHOW "mulw", F_MUL
        R 0xffffffff, 0xffffffff, 0
        mull %ebx               # EDX:EAX = FFFFFFFE:00000001
        SHOW "mull", F_MUL
        R 0x10000, 0, 0
        mull m32                # 0x10000 * 0x10001 = 0x1_0001_0000: EDX=1
        SHOW "mull m32", F_MUL
        R 7, 0, 0
        mulb m8                 # 7 * 0xFD = 0x6EB
        SHOW "mulb m8", F_MUL

# --- IMUL, one operand (signed, double width) ------------------------------------
        R 0x80, 0xff, 0         # -128 * -1 = 128: does not fit in AL, CF=OF=1
        imulb %bl
        SHOW "imulb", F_MUL
        R 0xfe, 3, 0            # -2 * 3 = -6 = 0xFFFA: fits, CF=OF=0
        imulb %bl
        SHOW "imulb neg", F_MUL
        R 0x7fff, 0x7fff, 0     # 0x3FFF0001
        imulw %bx
        SHOW "imulw", F_MUL
        R 2, 0x7fffffff, 0      # worked case 5: EDX:EAX = 0:FFFFFFFE, CF=OF=1
        imull %ebx
        SHOW "imull", F_MUL
        R 0xffffffff, 0x80000000, 0   # -1 * -2^31 = 2^31: CF=OF=1
        imull %ebx
        SHOW "imull min", F_MUL
        R 0x00000010, 0, 0      # 16 * 0x8001 (as -32767) = -524272
        imulw m16
        SHOW "imulw m16", F_MUL

# --- IMUL, two operands (0F AF) and three operands (6B ib, 69 iw/id) --------------
        R 0x10000, 0x10000, 0x55
        imull %ebx, %eax        # 2^32 truncated to 0: CF=OF=1
        SHOW "imul r,r", F_MUL
        R 0x1234, 0xfffe, 0x55
        imulw %bx, %ax          # 0x1234 * -2 = -0x2468 = 0xDB98, fits
        SHOW "imulw r,r", F_MUL
        R 0x40000000, 0, 0
        imull m32, %eax
        SHOW "imul m,r", F_MUL
        R 0, 1000, 0
        imull $-3, %ebx, %eax   # 6B: imm8 sign-extended
        SHOW "imul ib", F_MUL
        R 0, 100000, 0
        imull $100000, %ebx, %eax   # 69: 10^10 overflows
        SHOW "imul id", F_MUL
        R 0xdeadbeef, 0x4000, 0
        imulw $7, %bx, %ax      # 0x1C000 truncated: CF=OF=1
        SHOW "imulw ib", F_MUL
        R 0xdeadbeef, 3, 0
        imulw $-1000, %bx, %ax
        SHOW "imulw iw", F_MUL
        R 0, 0, 0
        imull $0x7fffffff, m32, %eax   # 69 with a memory source
        SHOW "imul m,id", F_MUL

# --- DIV (unsigned) ----------------------------------------------------------------
        R 1000, 7, 0xffff
        divb %bl                # AL=142 AH=6
        SHOW "divb", F_DIV
        R 0xfeff, 0xff, 0       # 65279 / 255 = 255 r 254 (65535 / 255 = 257 would be #DE)
        divb %bl
        SHOW "divb max", F_DIV
        R 0x12345678, 0x1000, 0x0fff
        divw %bx                # DX:AX = 0FFF:5678 / 1000 = FFF5 r 678
        SHOW "divw", F_DIV
        R 0xffffffff, 0xffffffff, 0xfffffffe
        divl %ebx               # FFFFFFFE:FFFFFFFF / FFFFFFFF = FFFFFFFF r FFFFFFFE: just fits
        SHOW "divl", F_DIV
        R 123456789, 0, 0
        divl m32                # by 65537
        SHOW "divl m32", F_DIV

# --- IDIV (signed: quotient toward zero, remainder has the dividend's sign) ---------
        R 0xff9c, 7, 0          # AX = -100: -14 r -2
        idivb %bl
        SHOW "idivb", F_DIV
        R 100, 0xf9, 0          # 100 / -7 = -14 r 2
        idivb %bl
        SHOW "idivb -d", F_DIV
        R 0xff00, 2, 0          # -256 / 2 = -128: the most negative quotient, no #DE
        idivb %bl
        SHOW "idivb min", F_DIV
        R 0x0000, 2, 0xffff     # DX:AX = -65536; / 2 = -32768
        idivw %bx
        SHOW "idivw min", F_DIV
        R 0x00000000, 2, 0xffffffff   # EDX:EAX = -2^32; / 2 = -2^31
        idivl %ebx
        SHOW "idivl min", F_DIV
        R 0x80000001, 0xffffffff, 0xffffffff   # -(2^31-1) / -1 = 2^31-1
        idivl %ebx
        SHOW "idivl -1", F_DIV
        R 0xfffffff9, 0, 0xffffffff   # -7 / 0xFD (-3) = 2 r -1
        idivb m8
        SHOW "idivb m8", F_DIV
        R 0xfffe7960, 0, 0xffffffff   # DX:AX = FFFF:7960 = -34464; / -32767 = 1 r -1697
        idivw m16
        SHOW "idivw m16", F_DIV

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
