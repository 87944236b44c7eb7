# sumsq.s - benchmark: the sum of i*i (mod 2^32) for 0 <= i < N.
#
# Teaches: nothing new on purpose. Its inner loop is six plain integer
#   instructions (MOV, IMUL, ADD, INC, CMP, JB), executed N times, so the run
#   time is dominated by how fast a strategy executes ordinary user code:
#   native runs them on the CPU, the interpreter fetches, decodes and executes
#   each one in software. Instructions executed: 6*N + about 100.
#   It is the default benchmark of `vsim compare`.
# Usage: sumsq [N]  (default N = 10000000)
# Prints: "sumsq(N) = S" with S in decimal, e.g. "sumsq(10) = 285" and
#   "sumsq(10000000) = 3255935936".
# Exit status: 0; 2 if N is not a decimal number below 2^32.
# Build natively: as --32 sumsq.s -o sumsq.o && ld -m elf_i386 sumsq.o -o sumsq

        .text
        .globl _start
_start:
        movl $10000000, %edx    # default N
        cmpl $2, (%esp)         # argc >= 2: N = atoi(argv[1])
        jb 1f
        movl 8(%esp), %esi
        call atoi
        jc usage
        movl %eax, %edx
1:      movl %edx, %ebp         # keep N for the message
        xorl %ebx, %ebx         # sum
        xorl %ecx, %ecx         # i
        testl %edx, %edx
        jz 3f
2:      movl %ecx, %eax         # the inner loop
        imull %eax, %eax
        addl %eax, %ebx
        incl %ecx
        cmpl %edx, %ecx
        jb 2b
3:      movl %ebx, %eax
        call print_result
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .section .rodata
s_name:  .asciz "sumsq("
s_eq:    .asciz ") = "
s_usage: .asciz "usage: sumsq [N]   (N a decimal number below 2^32; default 10000000)\n"

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
