# fork.s - processes under the guest kernel, for KernelProcessTests: fork, vfork and clone with
# glibc's flags, wait4 and waitpid with Linux's status word, copy-on-write, a child killed by
# an exception, -ECHILD and -EFAULT. The same output natively (the oracle) and under the guest
# kernel: pids differ, so only relations between them are printed. The parent prints nothing
# between a fork and its wait, so the order of the lines does not depend on the scheduler.
        .text
        .globl _start
_start:
        movl $20, %eax                  # getpid
        int $0x80
        movl %eax, mypid
        # 1. fork: the child sees getppid() == the parent's pid and its own copy of `shared`.
        movl $2, %eax
        int $0x80
        testl %eax, %eax
        jnz 1f
        movl $64, %eax                  # getppid
        int $0x80
        cmpl mypid, %eax
        movl $m_ppid_ok, %esi
        je 0f
        movl $m_ppid_bad, %esi
0:      call puts
        movl $42, shared                # copy-on-write: the parent keeps 7
        movl shared, %eax
        movl $m_child_shared, %esi
        call say_number
        movl $1, %eax                   # exit(3)
        movl $3, %ebx
        int $0x80
1:      movl %eax, child
        movl $114, %eax                 # wait4(child, &status, 0, NULL)
        movl child, %ebx
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        cmpl child, %eax
        movl $m_wait_child, %esi
        je 0f
        movl $m_wait_other, %esi
0:      call puts
        movl status, %eax
        movl $m_status, %esi
        call say_hex                    # 0x00000300: exited, code 3
        movl shared, %eax
        movl $m_parent_shared, %esi
        call say_number                 # 7
        # 2. no child left: -ECHILD, with and without WNOHANG.
        movl $114, %eax
        movl $-1, %ebx
        movl $status, %ecx
        movl $1, %edx                   # WNOHANG
        xorl %esi, %esi
        int $0x80
        movl $m_echild, %esi
        call say_number
        movl $7, %eax                   # waitpid(-1, &status, 0)
        movl $-1, %ebx
        movl $status, %ecx
        xorl %edx, %edx
        int $0x80
        movl $m_echild, %esi
        call say_number
        # 3. two children, exit codes 5 and 6: waitpid(-1) twice, the codes summed (any order).
        movl $5, %ebx
        call spawn_exit
        movl $6, %ebx
        call spawn_exit
        movl $0, sum
        call wait_any
        call wait_any
        movl sum, %eax
        movl $m_sum, %esi
        call say_number                 # 11
        # 4. a child killed by #GP (HLT at ring 3): SIGSEGV, wait status 11 (WTERMSIG).
        movl $2, %eax
        int $0x80
        testl %eax, %eax
        jnz 1f
        hlt
1:      movl $114, %eax
        movl $-1, %ebx
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        movl status, %eax
        movl $m_killed, %esi
        call say_hex                    # 0x0000000b
        # 5. vfork (190): the child exits 9 at once.
        movl $190, %eax
        int $0x80
        testl %eax, %eax
        jnz 1f
        movl $1, %eax
        movl $9, %ebx
        int $0x80
1:      call wait_status
        movl $m_vfork, %esi
        call say_hex                    # 0x00000900
        # 6. clone as glibc's fork calls it: SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
        # child_tidptr = &tid. The child finds its tid there; the parent's tid stays 0.
        movl $0, tid
        movl $120, %eax
        movl $0x01200011, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        movl $tid, %edi
        int $0x80
        testl %eax, %eax
        jnz 1f
        movl $224, %eax                 # gettid
        int $0x80
        cmpl tid, %eax
        movl $m_settid_ok, %esi
        je 0f
        movl $m_settid_bad, %esi
0:      call puts
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
1:      movl %eax, child
        call wait_status
        movl tid, %eax
        movl $m_parent_tid, %esi
        call say_number                 # 0
        # 7. wait4 with a bad status pointer: -EFAULT, the child reaped all the same (Linux's
        # kernel_wait4 copies the status out after reaping): the next wait4 is -ECHILD.
        movl $2, %eax
        int $0x80
        testl %eax, %eax
        jnz 1f
        movl $1, %eax
        movl $4, %ebx
        int $0x80
1:      movl %eax, child
        movl $114, %eax
        movl child, %ebx
        movl $16, %ecx                  # page 0: never mapped
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        movl $m_efault, %esi
        call say_number                 # -14
        movl $114, %eax
        movl $-1, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        movl $m_after_efault, %esi
        call say_number                 # -10
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# spawn_exit: fork a child that exits with code %ebx.
spawn_exit:
        pushl %ebx
        movl $2, %eax
        int $0x80
        popl %ebx
        testl %eax, %eax
        jnz 1f
        movl $1, %eax
        int $0x80
1:      ret

# wait_any: waitpid(-1, &status, 0); adds WEXITSTATUS to sum.
wait_any:
        movl $7, %eax
        movl $-1, %ebx
        movl $status, %ecx
        xorl %edx, %edx
        int $0x80
        movl status, %eax
        shrl $8, %eax
        andl $0xFF, %eax
        addl %eax, sum
        ret

# wait_status: %eax = the status word of wait4(-1, &status, 0, NULL).
wait_status:
        movl $114, %eax
        movl $-1, %ebx
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        movl status, %eax
        ret

# puts: the NUL-terminated string %esi to stdout.
puts:   movl %esi, %ecx
        xorl %edx, %edx
1:      cmpb $0, (%ecx,%edx)
        je 2f
        incl %edx
        jmp 1b
2:      movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

# say_number: the string %esi, %eax in signed decimal, a newline.
say_number:
        pushl %eax
        call puts
        popl %eax
        movl $numbuf + 15, %edi
        movb $'\n', (%edi)
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
3:      movl %edi, %esi
        movb $0, numbuf + 16
        jmp puts

# say_hex: the string %esi, %eax as 0x and 8 hex digits, a newline.
say_hex:
        pushl %eax
        call puts
        popl %eax
        movl $numbuf, %edi
        movw $0x7830, (%edi)            # "0x"
        movl $8, %ecx
1:      roll $4, %eax
        movl %eax, %edx
        andl $15, %edx
        movb hexdigits(%edx), %dl
        movb %dl, 2(%edi)
        incl %edi
        loop 1b
        movw $0x000a, 2(%edi)           # "\n", NUL
        movl $numbuf, %esi
        jmp puts

        .data
m_ppid_ok:      .asciz "child: getppid() is the parent's getpid()\n"
m_ppid_bad:     .asciz "child: getppid() is NOT the parent's getpid()\n"
m_child_shared: .asciz "child: shared = "
m_wait_child:   .asciz "parent: wait4 returned the child's pid\n"
m_wait_other:   .asciz "parent: wait4 returned something else\n"
m_status:       .asciz "parent: status "
m_parent_shared: .asciz "parent: shared = "
m_echild:       .asciz "no child left: "
m_sum:          .asciz "two children, exit codes summed: "
m_killed:       .asciz "child killed by #GP: status "
m_vfork:        .asciz "vfork child: status "
m_settid_ok:    .asciz "clone child: its tid is at child_tidptr\n"
m_settid_bad:   .asciz "clone child: child_tidptr does NOT hold its tid\n"
m_parent_tid:   .asciz "clone parent: its own tid variable = "
m_efault:       .asciz "wait4 with a bad status pointer: "
m_after_efault: .asciz "and then wait4: "
hexdigits:      .ascii "0123456789abcdef"
shared: .long 7
mypid:  .long 0
child:  .long 0
status: .long 0
sum:    .long 0
tid:    .long 0
numbuf: .space 20
