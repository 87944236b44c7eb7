# strings.s - every string instruction, with and without REP prefixes, both directions.
#
# Teaches: MOVS, STOS, LODS, CMPS and SCAS in byte/word/dword sizes (the b/w/l
#   suffixes in AT&T syntax); REP (repeat ECX times), REPE/REPZ (also stop when
#   ZF=0) and REPNE/REPNZ (also stop when ZF=1); DF=0 walks up (CLD), DF=1
#   walks down (STD); ESI/EDI advance by the element size; ECX=0 runs no
#   iteration and leaves every flag alone; under an 0x67 prefix the counter is
#   CX, not ECX (so ECX=0x00010000 means zero iterations).
# Prints: one line per case with the registers and flags after it (SHOW), and
#   the bytes of the destination buffer (MEM) where memory changed.
#   Addresses in ESI/EDI are static (.data), so the output is the same every run.
# Exit status: 0.
# Build natively: as --32 strings.s -o strings.o && ld -m elf_i386 strings.o -o strings

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
src:    .ascii "ABCDEFGHIJKLMNOP"           # 16 bytes
        .equ SRC_END, src + 16
cmpa:   .ascii "same-prefix/1xyz"           # compared with cmpb: equal for 12 bytes
cmpb:   .ascii "same-prefix/2xyz"
words:  .word 0x1111, 0x2222, 0x3333, 0x4444
dwords: .long 0x11111111, 0x22222222, 0x33333333, 0x44444444
dst:    .space 32
        .equ DST_END, dst + 32

        .text
        .globl _start
# clear: fill dst with 0x2e ('.') without string instructions. Preserves registers and flags.
clear:  pushf
        pushl %eax
        movl $dst, %eax
1:      movb $0x2e, (%eax)
        incl %eax
        cmpl $DST_END, %eax
        jne 1b
        popl %eax
        popf
        ret

_start:
        xorl %ebp, %ebp
        movl $0x0badf00d, %ebx
        movl $0x12345678, %edx

# --- MOVS: copy forward (DF=0) ---------------------------------------------
        call clear
        SETFL 0x0d5             # CF PF AF ZF SF set: MOVS must keep them
        movl $src, %esi
        movl $dst, %edi
        movl $7, %ecx
        rep movsb
        SHOW "rep movsb", F_ALL
        MEM "  dst", dst, 16

        call clear
        SETFL 0x000
        movl $src, %esi
        movl $dst, %edi
        movl $3, %ecx
        rep movsw
        SHOW "rep movsw", F_ALL
        MEM "  dst", dst, 16

        call clear
        movl $src, %esi
        movl $dst, %edi
        movl $3, %ecx
        rep movsl
        SHOW "rep movsl", F_ALL
        MEM "  dst", dst, 16

        call clear              # single MOVS, no prefix: ECX not used
        movl $src, %esi
        movl $dst, %edi
        movl $99, %ecx
        movsb
        movsw
        movsl
        SHOW "movs b/w/l", F_ALL
        MEM "  dst", dst, 16

# --- MOVS backwards (DF=1): last element first -------------------------------
        call clear
        SETFL 0x4c4             # DF ZF SF PF
        movl $SRC_END-1, %esi
        movl $dst+15, %edi
        movl $5, %ecx
        rep movsb
        SHOW "std movsb", F_ALL
        MEM "  dst", dst, 16

        call clear
        std
        movl $SRC_END-2, %esi
        movl $dst+14, %edi
        movl $3, %ecx
        rep movsw
        SHOW "std movsw", F_ALL
        MEM "  dst", dst, 16

        call clear
        std
        movl $SRC_END-4, %esi
        movl $dst+12, %edi
        movl $2, %ecx
        rep movsl
        cld
        SHOW "std movsl", F_ALL
        MEM "  dst", dst, 16

# --- STOS ---------------------------------------------------------------------
        call clear
        movl $0x41424344, %eax
        movl $dst, %edi
        movl $5, %ecx
        rep stosb
        SHOW "rep stosb", F_ALL
        movl $4, %ecx
        rep stosw
        SHOW "rep stosw", F_ALL
        movl $2, %ecx
        rep stosl
        SHOW "rep stosl", F_ALL
        stosb
        MEM "  dst", dst, 24

        call clear
        std
        movl $0x61626364, %eax
        movl $dst+31, %edi
        movl $3, %ecx
        rep stosb
        decl %edi               # now dst+28-1: word at dst+27
        movl $2, %ecx
        rep stosw
        subl $2, %edi           # dword at dst+20
        movl $2, %ecx
        rep stosl
        SHOW "std stos", F_ALL
        cld
        MEM "  dst", dst, 32

# --- LODS ---------------------------------------------------------------------
        movl $0xffffffff, %eax
        movl $src, %esi
        lodsb
        SHOW "lodsb", F_ALL
        lodsw
        SHOW "lodsw", F_ALL
        lodsl
        SHOW "lodsl", F_ALL
        movl $4, %ecx           # REP LODS is legal and useless: keeps the last one
        rep lodsb
        SHOW "rep lodsb", F_ALL
        std
        movl $SRC_END-4, %esi
        lodsl
        lodsw
        lodsb
        cld
        SHOW "std lods", F_ALL

# --- CMPS ---------------------------------------------------------------------
        SETFL 0
        movl $cmpa, %esi
        movl $cmpb, %edi
        movl $16, %ecx
        repe cmpsb              # stops after the first difference ('1' vs '2')
        SHOW "repe cmpsb", F_ALL
        movl $cmpa, %esi
        movl $cmpb, %edi
        movl $8, %ecx
        repe cmpsb              # runs out of ECX while still equal
        SHOW "repe cmpsb8", F_ALL
        movl $cmpa, %esi
        movl $src, %edi
        movl $16, %ecx
        repne cmpsb             # no equal byte anywhere: ECX reaches 0
        SHOW "repne cmpsb", F_ALL
        movl $cmpa, %esi
        movl $cmpb, %edi
        movl $8, %ecx
        repe cmpsw
        SHOW "repe cmpsw", F_ALL
        movl $cmpa, %esi
        movl $cmpb, %edi
        movl $4, %ecx
        repe cmpsl
        SHOW "repe cmpsl", F_ALL
        movl $words, %esi       # single CMPS: 0x1111 - 0x11111111's low word
        movl $dwords, %edi
        cmpsw
        SHOW "cmpsw", F_ALL
        cmpsb
        SHOW "cmpsb", F_ALL
        cmpsl
        SHOW "cmpsl", F_ALL
        std                     # backwards from the ends: differ at once ('z' = 'z'?)
        movl $cmpa+15, %esi
        movl $cmpb+15, %edi
        movl $16, %ecx
        repe cmpsb              # equal from the end down to '1' vs '2'
        cld
        SHOW "std repe cmpsb", F_ALL

# --- SCAS ---------------------------------------------------------------------
        movl $'/', %eax         # strchr idiom: REPNE SCASB finds the '/'
        movl $cmpa, %edi
        movl $16, %ecx
        repne scasb
        SHOW "repne scasb", F_ALL
        movl $'s', %eax         # REPE SCASB skips leading 's'
        movl $cmpa, %edi
        movl $16, %ecx
        repe scasb
        SHOW "repe scasb", F_ALL
        movl $'#', %eax         # not found: ECX=0, ZF=0
        movl $src, %edi
        movl $16, %ecx
        repne scasb
        SHOW "repne miss", F_ALL
        movl $0x3333, %eax
        movl $words, %edi
        movl $4, %ecx
        repne scasw
        SHOW "repne scasw", F_ALL
        movl $0x44444444, %eax
        movl $dwords, %edi
        movl $4, %ecx
        repne scasl
        SHOW "repne scasl", F_ALL
        movl $0x11111111, %eax
        movl $dwords, %edi
        movl $4, %ecx
        repe scasl
        SHOW "repe scasl", F_ALL
        movl $0x1111, %eax
        movl $words+6, %edi
        movl $4, %ecx
        std
        repne scasw             # backwards: finds words[0] last
        cld
        SHOW "std scasw", F_ALL
        movl $0x80, %eax        # single SCASB: 0x80 - 'A' sets OF
        movl $src, %edi
        scasb
        SHOW "scasb", F_ALL

# --- ECX = 0: no iteration, no flag change, no register change ------------------
        call clear
        SETFL 0x8d5             # all six status flags set
        movl $src, %esi
        movl $dst, %edi
        xorl %ecx, %ecx
        SETFL 0x8d5             # (XOR changed them)
        rep movsb
        SHOW "ecx0 movsb", F_ALL
        SETFL 0x8d5
        repe cmpsb
        SHOW "ecx0 cmpsb", F_ALL
        SETFL 0x000
        repne scasl
        SHOW "ecx0 scasl", F_ALL
        SETFL 0x8d5
        rep stosw
        SHOW "ecx0 stosw", F_ALL
        MEM "  dst", dst, 8

# --- 0x67: the counter is CX, and ECX=0x00010000 has CX = 0 -------------------
        movl $0x00010000, %ecx
        SETFL 0x0c5
        addr16 rep movsb        # 67 f3 a4: zero iterations (SI/DI are never used)
        SHOW "a16 ecx1:0", F_ALL
        addr16 repe cmpsl       # 67 f3 a7: zero iterations, flags kept
        SHOW "a16 cmpsl", F_ALL
        MEM "  dst", dst, 8

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
