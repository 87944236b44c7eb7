# stack.s - a recursion that runs far past the 128 KiB of stack the boot protocol maps, for
# KernelMemoryTests: under the guest kernel every page below is grown on a page fault
# (kernel.s exc_common), and the faulting instruction is run again. The program checks that
# nothing it had live at the fault was lost: every general register and CF, each frame's saved
# registers and its local array.
#
# rec(n), n = 0 .. LEVELS: the registers hold f(n): %eax = n, %ebx = n + 0x10000000, ...,
# %ebp = n + 0x60000000, CF = bit 0 of n. A frame is 288 bytes (the return address, the seven
# registers pushed, 64 local words = n; like /tmp/qa/stack.c's), so the first touch of a new page
# lands on a different instruction from frame to frame: a push, a store into the locals, a call.
# 2001 frames are 576,288 bytes.
#
# Counted: entry 7 registers + CF, the 64 locals, the 7 registers after the pops, and at the
# 2000 levels that recurse the 7 registers after the call: 2001 * 79 + 2000 * 7 = 172,079 words.
# Output "levels: 2001", "words checked: 172079", "corrupted: 0"; exit status 0, or 1 when a
# word was corrupted.
        .equ LEVELS, 2000
        .equ LOCALS, 64

        # The registers := f(%eax) (LEA leaves the flags alone).
        .macro SET_REGS
        leal 0x10000000(%eax), %ebx
        leal 0x20000000(%eax), %ecx
        leal 0x30000000(%eax), %edx
        leal 0x40000000(%eax), %esi
        leal 0x50000000(%eax), %edi
        leal 0x60000000(%eax), %ebp
        .endm
        .macro EACH_REG op
        \op %eax
        \op %ebx
        \op %ecx
        \op %edx
        \op %esi
        \op %edi
        \op %ebp
        .endm
        # One register against f(depth): corrupted += it differs, checked += 1.
        .macro CHECK reg, k
        pushl %\reg
        subl $\k, %\reg
        cmpl depth, %\reg
        popl %\reg                      # (POP leaves the flags alone)
        je 1f
        incl corrupted
1:      incl checked
        .endm

        .text
        .globl _start
_start:
        xorl %eax, %eax
        SET_REGS
        call rec
        movl $m_levels, %esi
        movl levels, %eax
        call say_number
        movl $m_checked, %esi
        movl checked, %eax
        call say_number
        movl $m_corrupted, %esi
        movl corrupted, %eax
        call say_number
        xorl %ebx, %ebx
        cmpl $0, corrupted
        setne %bl
        movl $1, %eax                   # exit(corrupted != 0)
        int $0x80

rec:
        incl depth
        incl levels
        btl $0, %eax                    # CF = bit 0 of n
        EACH_REG pushl                  # each push may be the first touch of a new page
        setc cf_seen
        call check_regs
        pushl %ecx                      # CF survived the pushes?
        movl depth, %ecx
        andl $1, %ecx
        cmpb %cl, cf_seen
        popl %ecx
        je 1f
        incl corrupted
1:      incl checked
        subl $4*LOCALS, %esp
        .set off, 4*(LOCALS-1)          # the locals := n, from the top down, so a page
        .rept LOCALS                    # boundary inside them faults on a store in the middle
        movl %eax, off(%esp)
        .set off, off-4
        .endr
        cmpl $LEVELS, %eax
        jae 2f
        EACH_REG incl                   # f(n + 1)
        call rec
        EACH_REG decl                   # the callee gave back f(n + 1): f(n)
        call check_regs
2:      .set off, 0
        .rept LOCALS
        cmpl %eax, off(%esp)
        je 1f
        incl corrupted
1:      incl checked
        .set off, off+4
        .endr
        addl $4*LOCALS, %esp
        popl %ebp
        popl %edi
        popl %esi
        popl %edx
        popl %ecx
        popl %ebx
        popl %eax
        call check_regs                 # the saved registers came back as f(n)
        decl depth
        ret

# check_regs: counts the registers that are not f(depth). Preserves the registers.
check_regs:
        CHECK eax, 0
        CHECK ebx, 0x10000000
        CHECK ecx, 0x20000000
        CHECK edx, 0x30000000
        CHECK esi, 0x40000000
        CHECK edi, 0x50000000
        CHECK ebp, 0x60000000
        ret

# say_number: the text at %esi, then %eax in decimal (unsigned), then a newline.
say_number:
        pushl %eax
        movl %esi, %ecx
        xorl %edx, %edx
1:      cmpb $0, (%esi,%edx)
        je 2f
        incl %edx
        jmp 1b
2:      movl $4, %eax                   # write(1, text, length)
        movl $1, %ebx
        int $0x80
        popl %eax
        movl $numbuf + 15, %edi
        movb $10, (%edi)
        movl $10, %ecx
3:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 3b
        movl %edi, %ecx
        movl $numbuf + 16, %edx
        subl %edi, %edx
        movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
m_levels:       .asciz "levels: "
m_checked:      .asciz "words checked: "
m_corrupted:    .asciz "corrupted: "
        .align 4
depth:          .long -1                # n of the frame running
levels:         .long 0
checked:        .long 0
corrupted:      .long 0
cf_seen:        .byte 0
numbuf:         .space 16
