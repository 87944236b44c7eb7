# sieve.s - benchmark: count the primes up to N with the sieve of Eratosthenes.
#
# Teaches: a memory-bound loop next to sumsq's register-bound one. The sieve
#   is an N+1 byte array on the heap, obtained with brk(2); crossing out the
#   multiples of each prime p from p*p upward writes bytes all over it, then
#   one pass counts what is left. Instructions executed: roughly
#   4*N*ln(ln N) + 6*N.
#   With ROUNDS (scripts/bench's steady-state row), the whole sieve runs ROUNDS
#   times over the same array: round k crosses out with the byte k, so nothing
#   needs clearing between rounds.
# Usage: sieve [N [ROUNDS]]  (2 <= N < 2^31; 1 <= ROUNDS <= 255; defaults 1000000, 1)
# Prints: "primes(N) = C", the number of primes <= N, e.g. "primes(100) = 25"
#   and "primes(1000000) = 78498".
# Exit status: 0; 2 if N or ROUNDS is not a number in range; 1 if brk(2) fails.
# Build natively: as --32 sieve.s -o sieve.o && ld -m elf_i386 sieve.o -o sieve

        .text
        .globl _start
_start:
        movl $1000000, %eax     # default N
        cmpl $2, (%esp)         # argc >= 2: N = atoi(argv[1])
        jb 1f
        movl 8(%esp), %esi
        call atoi
        jc usage
        cmpl $2, %eax
        jb usage
        cmpl $0x7fffffff, %eax
        jae usage
1:      movl %eax, %ebp         # %ebp = N
        movl $1, %eax           # default ROUNDS
        cmpl $3, (%esp)         # argc >= 3: ROUNDS = atoi(argv[2])
        jb 1f
        movl 12(%esp), %esi
        call atoi
        jc usage
        cmpl $1, %eax
        jb usage
        cmpl $255, %eax
        ja usage
1:      movl %eax, %esi         # %esi = ROUNDS

        movl $45, %eax          # brk(0): the start of the heap
        xorl %ebx, %ebx
        int $0x80
        movl %eax, %edi         # %edi = sieve: composite[i] = k when i is crossed out in round k
        leal 1(%eax,%ebp), %ebx # brk(sieve + N + 1); fresh heap pages are zero
        movl $45, %eax
        int $0x80
        cmpl %ebx, %eax
        jne nomem
        xorl %ebx, %ebx         # %bl = k, the round (1, 2, ..., ROUNDS)

round:  incl %ebx
        movl $2, %ecx           # p
outer:  movl %ecx, %eax         # while p*p <= N
        mull %ecx
        jc count                # p*p overflowed: past N for sure
        cmpl %ebp, %eax
        ja count
        cmpb %bl, (%edi,%ecx)   # p crossed out already: not a prime
        je 3f
2:      movb %bl, (%edi,%eax)   # cross out p*p, p*p+p, ... <= N
        addl %ecx, %eax
        cmpl %ebp, %eax
        jbe 2b
3:      incl %ecx
        jmp outer

count:  xorl %eax, %eax         # count the numbers in 2..N not crossed out in this round
        movl $2, %ecx
4:      cmpb %bl, (%edi,%ecx)
        je 5f
        incl %eax
5:      incl %ecx
        cmpl %ebp, %ecx
        jbe 4b
        cmpl %esi, %ebx         # another round?
        jb round
        call print_result
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int $0x80

nomem:  movl $1, %eax           # exit(1)
        movl $1, %ebx
        int $0x80

        .section .rodata
s_name:  .asciz "primes("
s_eq:    .asciz ") = "
s_usage: .asciz "usage: sieve [N [ROUNDS]]   (2 <= N < 2^31, 1 <= ROUNDS <= 255; default 1000000 1)\n"

        .text

# ---------------------------------------------------------------------------
# atoi: %esi -> decimal string; returns %eax, CF=1 if it is not a non-empty
# string of digits below 2^32. Clobbers %ecx %edx %esi.
atoi:   xorl %eax, %eax
        cmpb $0, (%esi)
        je 3f                   # empty
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

# print_result: print "<s_name>(<%ebp>) = <%eax>\n". Clobbers everything but %esp.
print_result:
        movl %eax, %ebx
        movl $outbuf, %edi
        movl $s_name, %esi
        call put_str
        movl %ebp, %eax
        call put_dec
        movl $s_eq, %esi
        call put_str
        movl %ebx, %eax
        call put_dec
        movb $10, (%edi)
        incl %edi
        jmp flush

# put_str: copy the NUL-terminated string at %esi to %edi (advances both). Clobbers %al.
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

# flush: write(1, outbuf, %edi - outbuf). Clobbers %eax %ebx %ecx %edx.
flush:  movl $4, %eax
        movl $1, %ebx
        movl $outbuf, %ecx
        movl %edi, %edx
        subl %ecx, %edx
        int $0x80
        ret

# usage: print s_usage and exit(2).
usage:  movl $outbuf, %edi
        movl $s_usage, %esi
        call put_str
        call flush
        movl $1, %eax
        movl $2, %ebx
        int $0x80

        .bss
outbuf:   .space 128
dtmp:     .space 12
dtmp_end:
