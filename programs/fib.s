# fib.s - recursive Fibonacci: call/ret, the stack, and a decimal printer.
#
# Teaches: CALL pushes the return address and RET pops it; arguments and
#   saved registers live on the stack (cdecl-like: argument at 4(%esp) on
#   entry, result in %eax, %ebx preserved by the callee). fib(n) makes about
#   2*fib(n+1) calls, so the default n = 25 runs a quarter of a million calls.
# Usage: fib [n]  (0 <= n <= 47; default 25)
# Prints: "fib(n) = <value>" in decimal, e.g. "fib(25) = 75025".
# Exit status: 0; 2 if n is not a number from 0 to 47.
# Build natively: as --32 fib.s -o fib.o && ld -m elf_i386 fib.o -o fib

        .text
        .globl _start
_start:
        movl $25, %eax          # default n
        cmpl $2, (%esp)         # argc >= 2: n = atoi(argv[1])
        jb 1f
        movl 8(%esp), %esi
        call atoi
        jc usage
        cmpl $47, %eax          # fib(48) does not fit in 32 bits
        ja usage
1:      movl %eax, %ebp         # keep n
        pushl %eax
        call fib
        addl $4, %esp
        movl %eax, %ebx         # the result
        movl $outbuf, %edi
        movl $s_fib, %esi
        call put_str
        movl %ebp, %eax
        call put_dec
        movl $s_eq, %esi
        call put_str
        movl %ebx, %eax
        call put_dec
        movb $10, (%edi)
        incl %edi
        call flush
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int $0x80
usage:  movl $s_usage, %esi
        movl $outbuf, %edi
        call put_str
        call flush
        movl $1, %eax           # exit(2)
        movl $2, %ebx
        int $0x80

# unsigned fib(unsigned n): n < 2 ? n : fib(n-1) + fib(n-2)
fib:    movl 4(%esp), %eax
        cmpl $2, %eax
        jb 1f
        pushl %ebx
        leal -1(%eax), %ebx     # n-1
        pushl %ebx
        call fib                # fib(n-1)
        decl %ebx
        movl %ebx, (%esp)       # reuse the argument slot: n-2
        movl %eax, %ebx         # fib(n-1) survives in %ebx
        call fib                # fib(n-2)
        addl $4, %esp
        addl %ebx, %eax
        popl %ebx
1:      ret

# atoi: %esi -> decimal string; returns %eax, CF=1 if not a non-empty number
# below 2^32 (only digits allowed). Clobbers %ecx %edx %esi.
atoi:   xorl %eax, %eax
        movzbl (%esi), %ecx
        testl %ecx, %ecx
        jz 3f                   # empty
1:      movzbl (%esi), %ecx
        testl %ecx, %ecx
        jz 2f                   # end: CF=0 from TEST
        subl $'0', %ecx
        cmpl $9, %ecx
        ja 3f
        movl $10, %edx
        mull %edx
        jc 3f                   # overflow
        addl %ecx, %eax
        jc 3f
        incl %esi
        jmp 1b
2:      ret
3:      stc
        ret

# put_str: copy the NUL-terminated string at %esi to %edi (advances both).
put_str:
1:      movb (%esi), %al
        testb %al, %al
        jz 2f
        movb %al, (%edi)
        incl %esi
        incl %edi
        jmp 1b
2:      ret

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

# flush: write(1, outbuf, %edi - outbuf), then reset %edi. Clobbers %eax %ecx %edx.
flush:  pushl %ebx
        movl $4, %eax
        movl $1, %ebx
        movl $outbuf, %ecx
        movl %edi, %edx
        subl %ecx, %edx
        int $0x80
        movl $outbuf, %edi
        popl %ebx
        ret

        .section .rodata
s_fib:   .asciz "fib("
s_eq:    .asciz ") = "
s_usage: .asciz "usage: fib [n]   (0 <= n <= 47)\n"

        .bss
outbuf:   .space 64
dtmp:     .space 12
dtmp_end:
