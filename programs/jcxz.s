# jcxz.s - JCXZ/JECXZ and the LOOP family, with and without the 0x67 prefix.
#
# Teaches: the instruction the article names as an example of what an
#   emulator must translate: JCXZ, "jump if CX is zero". On i386 in 32-bit
#   mode, E3 is JECXZ (tests ECX) and 67 E3 is JCXZ (tests only CX, the low 16
#   bits). LOOP (E2) decrements the counter and jumps if it is not zero; LOOPE
#   (E1) also needs ZF=1, LOOPNE (E0) ZF=0. Under 0x67 the counter is CX: the
#   upper half of ECX is never touched. None of them changes any flag; JCXZ
#   and JECXZ decrement nothing. The article's case: `67 E2 FD` (a LOOP to
#   itself) with ECX=0x00010001 runs once and stops at ECX=0x00010000.
# Prints: one line per case: the registers and flags after it. EAX is 1 when
#   a jump was taken and 0 when not; EBP counts loop iterations.
# Exit status: 0.
# Build natively: as --32 jcxz.s -o jcxz.o && ld -m elf_i386 jcxz.o -o jcxz

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

        .text
        .globl _start
_start:
        xorl %ebx, %ebx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi

# --- JECXZ (E3): tests all of ECX ------------------------------------------------
        movl $0, %ecx
        xorl %eax, %eax
        SETFL 0x8d5             # all status flags set: no jump changes them
        jecxz 1f
        jmp 2f
1:      movl $1, %eax           # MOV changes no flags
2:      SHOW "jecxz 0", F_ALL

        movl $0x00010000, %ecx  # CX = 0 but ECX != 0: not taken
        xorl %eax, %eax
        SETFL 0x000
        jecxz 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "jecxz 1:0", F_ALL

# --- JCXZ (67 E3): tests only CX --------------------------------------------------
        movl $0x00010000, %ecx
        xorl %eax, %eax
        SETFL 0x0c5
        jcxz 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "jcxz 1:0", F_ALL

        movl $0xffff0001, %ecx  # CX = 1: not taken
        xorl %eax, %eax
        SETFL 0x810
        jcxz 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "jcxz ffff:1", F_ALL

# --- LOOP (E2): decrement ECX, then jump if ECX != 0 ------------------------------
        movl $5, %ecx
        xorl %ebp, %ebp
        SETFL 0x044             # ZF PF: LOOP must not touch them (INC below does,
1:      incl %ebp               #   so the loop body saves nothing: see the next case)
        loop 1b
        SHOW "loop 5", F_ALL & ~(F_O|F_S|F_Z|F_A|F_P)

        movl $3, %ecx           # the loop body is just LOOP: flags survive
        SETFL 0x8c1
1:      loop 1b
        SHOW "loop 3 fl", F_ALL

        movl $1, %ecx           # ECX=1: decrement to 0, fall through at once
        xorl %eax, %eax
        loop 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "loop 1", F_ALL

# --- LOOP under 0x67 (67 E2): only CX counts ---------------------------------------
        movl $0x00010001, %ecx  # the article's example
        SETFL 0x0d5
        .byte 0x67, 0xe2, 0xfd  # 67 E2 FD: loopw to itself
        SHOW "67 e2 fd", F_ALL

        movl $0x00010005, %ecx
        xorl %ebp, %ebp
1:      incl %ebp
        addr16 loop 1b          # five iterations; ECX ends at 0x00010000
        SHOW "loopw 5", F_C|F_D

        movl $0x00020000, %ecx  # CX = 0: decrement wraps to 0xFFFF, 65536 iterations
        xorl %ebp, %ebp
1:      incl %ebp
        addr16 loop 1b
        SHOW "loopw 0", F_C|F_D

# --- LOOPE (E1) / LOOPNE (E0): stop on ECX = 0 or on the flag ----------------------
        movl $table, %esi       # count leading 7s: stops at the first non-7
        movl $10, %ecx
        xorl %ebp, %ebp
1:      incl %ebp
        cmpb $7, -1(%esi,%ebp)
        loope 1b
        SHOW "loope", F_ALL

        movl $10, %ecx          # find the first 9
        xorl %ebp, %ebp
1:      incl %ebp
        cmpb $9, -1(%esi,%ebp)
        loopne 1b
        SHOW "loopne", F_ALL

        movl $3, %ecx           # LOOPE that runs out of ECX with ZF=1
        xorl %ebp, %ebp
1:      incl %ebp
        cmpb $7, -1(%esi,%ebp)
        loope 1b
        SHOW "loope ecx", F_ALL

        movl $0x7fff0003, %ecx  # 67 E1: CX counts, the high half stays
        xorl %ebp, %ebp
1:      incl %ebp
        cmpb $7, -1(%esi,%ebp)
        addr16 loope 1b
        SHOW "loopew", F_ALL

        movl $0x12340000, %ecx  # 67 E0 with CX=0: wraps to 0xFFFF, stops at the 9
        xorl %ebp, %ebp
1:      incl %ebp
        cmpb $9, -1(%esi,%ebp)
        addr16 loopne 1b
        SHOW "loopnew", F_ALL

        movl $2, %ecx           # LOOPNE with ZF=1 already: one pass, not taken
        xorl %eax, %eax
        SETFL 0x040
        loopne 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "loopne zf", F_ALL

        movl $2, %ecx           # LOOPE with ZF=0: not taken, ECX still decremented
        xorl %eax, %eax
        SETFL 0x000
        loope 1f
        jmp 2f
1:      movl $1, %eax
2:      SHOW "loope nz", F_ALL

        call exit0

        .section .rodata
table:  .byte 7, 7, 7, 7, 3, 7, 9, 7, 7, 7
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
