# A fault in the middle of REP MOVSL (reading into a PROT_NONE page; argc 1), REP STOSB
# (writing into a read-only page; argc 2) or REP STOSL with DF = 1 (writing down into a
# read-only page; argc 3): the SIGSEGV handler writes ECX, ESI and EDI (those in
# the mapping relative to it), EIP, the trap number, the error code and CR2 (relative) from the signal
# context, and the destination's first 64 bytes, then exits 0.
        .data
base:   .long 0
out:    .space 32
dst:    .space 4096
act:    .long handler, 0x04000004, restorer, 0, 0     # SA_SIGINFO | SA_RESTORER
        .text
        .globl _start
_start:
        movl (%esp), %esi               # argc
        movl $174, %eax                 # rt_sigaction(SIGSEGV, &act, 0, 8)
        movl $11, %ebx
        leal act, %ecx
        xorl %edx, %edx
        pushl %esi
        movl $8, %esi
        int $0x80
        popl %esi
        movl $192, %eax                 # mmap2(0, 8192, RW, PRIVATE|ANONYMOUS, -1, 0)
        xorl %ebx, %ebx
        movl $8192, %ecx
        movl $3, %edx
        pushl %esi
        movl $0x22, %esi
        movl $-1, %edi
        pushl %ebp
        xorl %ebp, %ebp
        int $0x80
        popl %ebp
        popl %esi
        movl %eax, base
        movl %eax, %edi                 # fill both pages with a pattern (both present)
        movl $2048, %ecx
        movl $0x01020304, %eax
        rep stosl
        movl $125, %eax                 # mprotect(base + 4096, 4096, argc 1: NONE, else READ)
        movl base, %ebx
        addl $4096, %ebx
        movl $4096, %ecx
        xorl %edx, %edx
        cmpl $1, %esi
        je 1f
        movl $1, %edx
1:      cmpl $3, %esi                   # argc 3: the first page read-only instead
        jne 3f
        subl $4096, %ebx
3:      int $0x80
        cmpl $3, %esi
        je 4f
        cmpl $1, %esi
        jne 2f
        movl base, %esi
        addl $4096 - 40, %esi
        leal dst, %edi
        movl $100, %ecx
        cld
        rep movsl                       # 10 dwords, then #PF reading base + 4096
        hlt
2:      movl base, %edi
        addl $4096 - 7, %edi
        movl $50, %ecx
        movl $0xabababab, %eax
        rep stosb                       # 7 bytes, then #PF writing base + 4096
        hlt
4:      movl base, %edi
        addl $4096 + 8, %edi
        movl $30, %ecx
        movl $0xcdcdcdcd, %eax
        std
        rep stosl                       # DF = 1: 3 dwords down, then #PF writing base + 4092
        hlt

handler:
        movl 12(%esp), %eax             # ucontext; sigcontext at +20
        leal 20(%eax), %eax
        movl 40(%eax), %ecx             # ECX
        movl %ecx, out
        movl 20(%eax), %ecx             # ESI
        call relative
        movl %ecx, out+4
        movl 16(%eax), %ecx             # EDI
        call relative
        movl %ecx, out+8
        movl 56(%eax), %ecx             # EIP
        movl %ecx, out+12
        movl 48(%eax), %ecx             # trap number
        movl %ecx, out+16
        movl 52(%eax), %ecx             # error code
        movl %ecx, out+20
        movl 84(%eax), %ecx             # CR2
        subl base, %ecx
        movl %ecx, out+24
        movl $4, %eax
        movl $1, %ebx
        leal out, %ecx
        movl $28 + 64, %edx
        int $0x80
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
relative:                               # ecx - base if inside the mapping, else ecx
        movl %ecx, %edx
        subl base, %edx
        cmpl $8192, %edx
        jae 1f
        movl %edx, %ecx
1:      ret
restorer:
        movl $1, %eax
        movl $9, %ebx
        int $0x80
