# grow.s - a program that grows its heap twice with brk(2) and touches every new page (lab 05).
#
# Teaches: every page brk maps is a page-table write in the guest kernel. Under trap-and-emulate
#   the VMM must trace each write to the (write-protected) page tables: one hidden #PF each.
#   A paravirtual kernel instead asks the hypervisor in a hypercall (mmu_update) and can batch
#   many updates in one call (Xen, SOSP 2003).
# Usage: grow [P]   (1 <= P <= 512, default 64): two brk calls of P pages each
# Prints: ok   (or "brk failed"). Exit status: 0; 1 when brk failed.
# Run: vsim run grow.s --mode pv --trace traps -- 64

        .text
        .globl _start
_start: movl $64, %ebp                  # P
        cmpl $2, (%esp)
        jb 1f
        movl 8(%esp), %esi              # atoi(argv[1])
        xorl %ebp, %ebp
2:      movzbl (%esi), %eax
        incl %esi
        subl $'0', %eax
        jb 1f
        cmpl $9, %eax
        ja 1f
        imull $10, %ebp
        addl %eax, %ebp
        jmp 2b
1:      shll $12, %ebp                  # P pages in bytes
        movl $45, %eax                  # brk(0): the current break
        xorl %ebx, %ebx
        int $0x80
        movl %eax, %edi                 # start of the new memory
        movl $2, %esi                   # two rounds
3:      leal (%eax,%ebp), %ebx          # brk(break + P pages)
        movl %ebx, %edx
        movl $45, %eax
        int $0x80
        cmpl %edx, %eax
        jne fail
4:      movb $1, (%edi)                 # touch every new page
        addl $4096, %edi
        cmpl %eax, %edi
        jb 4b
        decl %esi
        jnz 3b
        movl $4, %eax                   # write(1, "ok\n", 3)
        movl $1, %ebx
        movl $m_ok, %ecx
        movl $3, %edx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
fail:   movl $4, %eax
        movl $1, %ebx
        movl $m_fail, %ecx
        movl $11, %edx
        int $0x80
        movl $1, %eax                   # exit(1)
        movl $1, %ebx
        int $0x80

        .data
m_ok:   .ascii "ok\n"
m_fail: .ascii "brk failed\n"
