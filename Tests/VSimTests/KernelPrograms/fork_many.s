# fork_many.s - the guest kernel's process table full, for KernelProcessTests: fork until it
# fails (children exit at once, nobody reaps them yet: zombies keep their slots), then reap every
# child with wait4(-1) until -ECHILD. Exit status: 4 * children made + the errno of the fork that
# failed. The kernel has 16 slots, the first process holds one: 15 children, then -EAGAIN (11):
# 71. (Natively all 40 forks succeed and the status means nothing: this one is vsim's only.)
        .text
        .globl _start
_start: xorl %edi, %edi
1:      movl $2, %eax
        int $0x80
        testl %eax, %eax
        js 2f
        jz child
        incl %edi
        cmpl $40, %edi
        jb 1b
2:      movl %eax, err
        movl %edi, made
3:      movl $114, %eax                 # reap all
        movl $-1, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        testl %eax, %eax
        jg 3b
        movl made, %ebx                 # exit(made*4 + (-err))  
        shll $2, %ebx
        subl err, %ebx
        movl $1, %eax
        int $0x80
child:  movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
        .data
err:    .long 0
made:   .long 0
