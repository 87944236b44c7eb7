/// Assembly for the disassembly tests of CorpusTests: every form of isa-subset.md that the
/// instruction corpus cannot execute in a user process (system instructions, I/O, far transfers,
/// INT n, CPUID, RDTSC, 16-bit addressing, prefixes), and some encodings outside the subset that
/// must be recognised as such, with their length. Never run: only assembled and disassembled.
enum CorpusSubsetRemainder {
    static let inSubset = """
        .text
        .globl _start
_start:
        cli
        sti
        hlt
        inb $0x60, %al
        inw $0x60, %ax
        inl $0x60, %eax
        outb %al, $0x80
        outw %ax, $0x80
        outl %eax, $0x80
        inb %dx, %al
        inw %dx, %ax
        inl %dx, %eax
        outb %al, %dx
        outw %ax, %dx
        outl %eax, %dx
        insb
        insw
        insl
        outsb
        outsw
        outsl
        rep insb
        rep outsl
        lgdt 0x1000
        lidt (%eax)
        lldt %ax
        ltr %bx
        lmsw %cx
        clts
        movl %cr0, %eax
        movl %cr2, %ebx
        movl %cr3, %ecx
        movl %cr4, %edx
        movl %eax, %cr0
        movl %ebx, %cr3
        movl %ecx, %cr4
        movl %db0, %eax
        movl %db7, %ebx
        movl %eax, %db1
        invlpg (%eax)
        wbinvd
        invd
        rdmsr
        wrmsr
        iret
        iretw
        sgdt 0x2000
        sidt (%ebx)
        sldt %ax
        sldt (%ecx)
        str %ax
        smsw %eax
        smsw (%edx)
        lar %ax, %bx
        lsl %eax, %ecx
        verr %ax
        verw (%esi)
        pushl %cs
        pushl %ss
        pushl %ds
        pushl %es
        pushl %fs
        pushl %gs
        popl %ds
        popl %es
        popl %ss
        popl %fs
        popl %gs
        ljmp $0x23, $0x8049000
        lcall $0x23, $0x8049000
        ljmp *(%eax)
        lcall *0x10(%ebx)
        lret
        lret $8
        int $0x80
        int $0x82
        int3
        into
        ud2
        cpuid
        rdtsc
        vmcall
        enter $0x10, $0
        enter $8, $3
        leave
        ret $4
        xlat
        pusha
        popa
        pushw $0x1234
        pushl $0x12345678
        pushl $-1
        movb 0x1234, %al
        movw 0x1234, %ax
        addr16 movl 0x1234, %eax
        addr16 movl %eax, 0x1234
        movw %ax, (%bx,%si)
        addw 0x10(%bp,%di), %cx
        movl -2(%bp), %eax
        incb (%si)
        lock addl %eax, (%ebx)
        lock btsl $3, (%ecx)
        lock cmpxchgl %ecx, (%edx)
        lock xchgl %eax, (%ebx)
        lock incl 4(%esi)
        lock notb (%edi)
        lock negw (%edi)
        rep stosb
        repne scasb
        es movsb
        fs movl (%eax), %ebx
        gs movl %eax, 4(%ebx)
        cs nop
        ss movl (%eax), %eax
        ds lodsl
        nopw 0(%eax,%eax,1)
        nopl 0x12345678(%eax,%ebx,4)
        xchgw %ax, %ax
        .byte 0x82, 0xc0, 0x05
        .byte 0x82, 0x38, 0x7f
        .byte 0x0f, 0x0b
        bswap %ebp
        cmovaw %ax, %bx
        setnbe (%eax)
        movsbw (%eax), %ax
        movzwl (%eax), %eax
        movw %ds, (%eax)
        movw (%eax), %es
        movl %ss, %eax
        aam $16
        aad $7
        callw *%ax
        jmp *%ebx
        jmp *(%ebx,%ecx,4)
        call *4(%esp)
        loopw .
        jcxz .
        jecxz .
"""

    static let outsideSubset = """
        .text
        .globl _start
_start:
        .byte 0xd6
        fxsave (%eax)
        addps %xmm0, %xmm1
        emms
        syscall
        sysenter
"""
}
