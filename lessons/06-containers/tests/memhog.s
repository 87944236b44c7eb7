# memhog.s - grow the heap STEP pages at a time until brk(2) refuses (lab 06).
#
# Teaches: a memory cgroup limits what a container's processes may allocate; the kernel refuses
#   (brk leaves the break where it was; mmap returns ENOMEM; in the end the OOM killer). Here the
#   program counts how much heap it got, touching every page it was given.
# Usage: memhog [STEP]   (pages per brk call, default 1; stops at 1024 pages)
# Prints: got N pages
# Exit status: 0.
# Run: VSIM_KERNEL_SOURCE=kernel.s vsim run memhog.s --mode hvm -- 1

        .text
        .globl _start
_start: movl $1, %ebp                   # STEP
        cmpl $2, (%esp)
        jb 1f
        movl 8(%esp), %esi
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
1:      movl $45, %eax                  # brk(0)
        xorl %ebx, %ebx
        int $0x80
        movl %eax, %edi                 # the next page to touch
        movl %eax, %esi                 # the start
        shll $12, %ebp                  # STEP in bytes
3:      movl %edi, %eax
        subl %esi, %eax
        cmpl $1024 * 4096, %eax
        jae 5f                          # enough
        leal (%edi,%ebp), %ebx          # brk(break + STEP pages)
        movl %ebx, %edx
        movl $45, %eax
        int $0x80
        cmpl %edx, %eax
        jne 5f                          # refused
4:      movb $1, (%edi)                 # touch what we got
        addl $4096, %edi
        cmpl %edx, %edi
        jb 4b
        jmp 3b
5:      movl %edi, %eax                 # pages = (break - start) / 4096
        subl %esi, %eax
        shrl $12, %eax
        movl $num + 12, %ecx            # decimal, backwards, ending at num + 12
        movl $10, %ebx
6:      xorl %edx, %edx
        divl %ebx
        addb $'0', %dl
        decl %ecx
        movb %dl, (%ecx)
        testl %eax, %eax
        jnz 6b
        subl $4, %ecx
        movl $0x20746f67, (%ecx)        # "got " (little-endian)
        movl $num + 12, %edx
        subl %ecx, %edx
        movl $4, %eax                   # write(1, "got N", ...)
        movl $1, %ebx
        int $0x80
        movl $4, %eax                   # write(1, " pages\n", 7)
        movl $1, %ebx
        movl $m_pages, %ecx
        movl $7, %edx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .data
m_pages: .ascii " pages\n"
        .bss
num:    .space 13
