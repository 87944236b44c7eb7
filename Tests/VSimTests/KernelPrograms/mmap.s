# mmap.s - mmap2, munmap and mprotect with Linux's semantics, for KernelMemoryTests: the output
# and exit status natively (the oracle) and under the guest kernel are the same. It ends with a
# write to a PROT_READ page: SIGSEGV, exit status 139.
        .equ PAGE, 4096
        .equ PROT_READ, 1
        .equ PROT_WRITE, 2
        .equ MAP_PRIVATE, 2
        .equ MAP_FIXED, 0x10
        .equ MAP_ANONYMOUS, 0x20
        .equ MAP_FIXED_NOREPLACE, 0x100000

        # mmap2(addr, length, prot, flags, fd, pgoffset) -> %eax (an address in a register: %ebx)
        .macro MMAP addr, len, prot, flags, fd=$-1
        movl $192, %eax
        movl \addr, %ebx
        movl \len, %ecx
        movl \prot, %edx
        movl \flags, %esi
        movl \fd, %edi
        xorl %ebp, %ebp
        int $0x80
        .endm
        .macro CALL3 nr, a, b, c
        movl $\nr, %eax
        movl \a, %ebx
        movl \b, %ecx
        movl \c, %edx
        int $0x80
        .endm

        .text
        .globl _start
_start:
        # 8 pages, read-write: zeroed, writable to the last byte.
        MMAP $0, $8*PAGE, $PROT_READ|PROT_WRITE, $MAP_PRIVATE|MAP_ANONYMOUS
        movl %eax, p
        testl $4095, %eax
        jnz fail
        movl %eax, %edi
        movl $8*PAGE/4, %ecx
        call sum_words                  # 0: fresh pages read as zeros
        movl $m_zero, %esi
        call say_number
        movl p, %edi                    # fill with 0xab
        movl $8*PAGE, %ecx
        movb $0xab, %al
        rep stosb
        # MAP_FIXED over pages 2-3: the same address, zeroed; pages 1 and 4 keep 0xab.
        movl p, %ebx
        addl $2*PAGE, %ebx
        MMAP %ebx, $2*PAGE, $PROT_READ|PROT_WRITE, $MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
        subl p, %eax
        movl $m_fixed_at, %esi
        call say_number
        movl p, %ebx
        movzbl 2*PAGE(%ebx), %eax
        movl $m_fixed_zero, %esi
        call say_number
        movl p, %ebx
        movzbl PAGE+4095(%ebx), %eax
        addb 4*PAGE(%ebx), %al
        movl $m_kept, %esi
        call say_number
        # MAP_FIXED_NOREPLACE over it: -EEXIST (-17); a hint over it: placed elsewhere.
        MMAP p, $PAGE, $PROT_READ, $MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE
        call say_result
        MMAP p, $PAGE, $PROT_READ|PROT_WRITE, $MAP_PRIVATE|MAP_ANONYMOUS
        cmpl p, %eax
        setne %al
        movzbl %al, %eax
        movl $m_hint, %esi
        call say_number
        # munmap of the middle page; then mprotect over the hole: -ENOMEM (-12).
        movl p, %ebx
        addl $5*PAGE, %ebx
        CALL3 91, %ebx, $PAGE, $0
        call say_result
        movl p, %ebx
        addl $4*PAGE, %ebx
        CALL3 125, %ebx, $3*PAGE, $PROT_READ
        call say_result
        # Errors: munmap unaligned, munmap length 0, mprotect unaligned, unknown prot bits:
        # -EINVAL (-22); mmap2 length 0, MAP_FIXED unaligned, no map type: -EINVAL; not anonymous
        # with fd -1: -EBADF (-9); length rounding past 4 GiB: -ENOMEM.
        movl p, %ebx
        incl %ebx
        CALL3 91, %ebx, $PAGE, $0
        call say_result
        CALL3 91, p, $0, $0
        call say_result
        movl p, %ebx
        incl %ebx
        CALL3 125, %ebx, $PAGE, $PROT_READ
        call say_result
        CALL3 125, p, $PAGE, $0x10
        call say_result
        MMAP $0, $0, $PROT_READ, $MAP_PRIVATE|MAP_ANONYMOUS
        call say_result
        movl p, %ebx
        incl %ebx
        MMAP %ebx, $PAGE, $PROT_READ, $MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
        call say_result
        MMAP $0, $PAGE, $PROT_READ, $MAP_ANONYMOUS
        call say_result
        MMAP $0, $PAGE, $PROT_READ, $MAP_PRIVATE
        call say_result
        MMAP $0, $-100, $PROT_READ, $MAP_PRIVATE|MAP_ANONYMOUS
        call say_result
        # mprotect length 0: 0. A PROT_NONE page made writable again keeps its contents.
        CALL3 125, p, $0, $PROT_READ
        call say_result
        CALL3 125, p, $PAGE, $0
        call say_result
        CALL3 125, p, $PAGE, $PROT_READ|PROT_WRITE
        call say_result
        movl p, %ebx
        movzbl 100(%ebx), %eax
        movl $m_after_none, %esi
        call say_number
        # Unmap everything, map again: the frames given back come back zeroed.
        CALL3 91, p, $8*PAGE, $0
        call say_result
        MMAP $0, $8*PAGE, $PROT_READ|PROT_WRITE, $MAP_PRIVATE|MAP_ANONYMOUS
        movl %eax, p
        movl %eax, %edi
        movl $8*PAGE/4, %ecx
        call sum_words
        movl $m_zero, %esi
        call say_number
        # Read-only: reading works, writing is SIGSEGV.
        CALL3 125, p, $PAGE, $PROT_READ
        call say_result
        movl p, %ebx
        movzbl 7(%ebx), %eax
        movl $m_read, %esi
        call say_number
        movl p, %ebx
        movb $1, 7(%ebx)                # SIGSEGV
fail:   movl $1, %eax
        movl $3, %ebx
        int $0x80

# sum_words: %eax = the sum of %ecx words from %edi.
sum_words:
        xorl %eax, %eax
1:      addl (%edi), %eax
        addl $4, %edi
        loop 1b
        ret

say_result:
        movl $m_result, %esi
# say_number: the text at %esi, then %eax in signed decimal, then a newline.
say_number:
        pushl %eax
        movl %esi, %ecx
        xorl %edx, %edx
1:      cmpb $0, (%esi,%edx)
        je 2f
        incl %edx
        jmp 1b
2:      movl $4, %eax
        movl $1, %ebx
        int $0x80
        popl %eax
        movl $numbuf + 15, %edi
        movb $10, (%edi)
        movl %eax, %ebx
        testl %eax, %eax
        jns 1f
        negl %eax
1:      movl $10, %ecx
2:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 2b
        testl %ebx, %ebx
        jns 3f
        decl %edi
        movb $'-', (%edi)
3:      movl %edi, %ecx
        movl $numbuf + 16, %edx
        subl %edi, %edx
        movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
m_result:       .asciz "= "
m_zero:         .asciz "sum of a new mapping: "
m_fixed_at:     .asciz "MAP_FIXED at p+2 pages, minus p: "
m_fixed_zero:   .asciz "replaced page byte: "
m_kept:         .asciz "pages 1 and 4 bytes added: "
m_hint:         .asciz "hint over a mapping moved: "
m_after_none:   .asciz "byte after PROT_NONE and back: "
m_read:         .asciz "read of a PROT_READ page: "
        .align 4
p:      .long 0
numbuf: .space 16
