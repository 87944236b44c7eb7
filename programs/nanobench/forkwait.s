# forkwait.s - Adams & Agesen's (ASPLOS 2006) "forkwait" macrobenchmark as a vsim guest program.
#
# Teaches: what process creation costs a VMM: fork's page-table work (the parent's writable
#   entries write-protected for copy-on-write, a new address space built), the address-space
#   switches (CR3 loads), the copy-on-write faults after them, and the first touch of every page
#   in the child's new address space. A shadow-paging VMM traces every one of those page-table
#   writes, takes an exit for each CR3 load and fault, and builds the child's shadow page table
#   one hidden page fault at a time; a binary translator turns the writes into callouts and its
#   hidden faults are traps in its own world; EPT leaves them all to the guest.
# How: N times: fork (clone with glibc's flags); the child runs what a glibc child runs before
#   _exit and exits with its number; the parent waits for it with wait4 and checks the status
#   word (WIFEXITED, WEXITSTATUS = the child's number & 0xff).
# The footprint is a static glibc i386 process's, measured on this host (gcc -m32 -static, a
#   fork/waitpid loop; docs/strategies.md, "forkwait"):
#   - before the first fork the parent has 8 writable pages dirty (/proc/PID/smaps
#     Private_Dirty of its writable mappings: .data 2, .bss 2, the heap 1 (static glibc's TCB,
#     where fork's CLONE_CHILD_SETTID stores the tid), the stack 3): all written below;
#   - each round the parent touches .data 1, .bss 1, heap 1, stack 1 (smaps Referenced after
#     clear_refs 1, one fork and waitpid; Referenced does not tell reads from writes): here the
#     fork wrapper writes a lock word on one .data page and a counter on one .bss page before
#     clone and again after it (glibc's fork takes and drops its atfork handlers' lock; the
#     child resets locks and bumps its fork generation), reads the TCB, calls (the stack), and
#     wait4 stores the status on the stack;
#   - the child writes 4 pages (its smaps Private_Dirty at _exit: .data 1, .bss 1, heap 1, stack 1:
#     the lock reset, the tid the kernel stores, a call) and reads a second .data page (the
#     fork handler list; Referenced: .data 2); it runs on 4 text pages (gdb stepi from fork's
#     return to _exit: 152 instructions in main, __x86.get_pc_thunk.ax, fork/_Fork/_exit and
#     __run_postfork_handlers, at 4 distinct pages): main, thunk, fork and postfork below, each
#     on a page of its own;
#   - strace: clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD,
#     child_tidptr=<in the heap>), the call used here.
# Paper (../../../shared/references/virtualization.md §2): 40,000 processes on their Pentium 4:
#   native 6.0 s, software VMM 36.9 s, hardware VMM 106.4 s (150, 922.5 and 2,660 us a process).
# Prints: "nanobench forkwait: done". Exit status 0; 1 when fork or brk fails (under --mode
#   unikernel fork is -ENOSYS: one address space has nothing to copy a process into), 2 when
#   wait4 does not return the child's pid and status.
# Run: vsim nanobench (the forkwait table, every strategy, beside the paper's), or
#   vsim run --mode hvm --ept off --timer 0 --trace traps programs/nanobench/forkwait.s -- 100
# Argument: iterations (default 1000). Runs natively too (a static i386 ELF: the native row).
        .equ CLONE_FLAGS, 0x1200000 | 17   # CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD

        .text
        .globl _start
_start: movl $1000, %esi                # iterations: argv[1], default 1000
        cmpl $2, (%esp)
        jb 2f
        movl 8(%esp), %ecx              # argv[1]: decimal digits
        xorl %esi, %esi
1:      movzbl (%ecx), %eax
        subl $'0', %eax
        cmpl $9, %eax
        ja 2f
        imull $10, %esi
        addl %eax, %esi
        incl %ecx
        jmp 1b
2:      movl %esi, iters
        movl $45, %eax                  # brk(0): the heap's start
        xorl %ebx, %ebx
        int $0x80
        movl %eax, tcb
        leal 4096(%eax), %ebx           # brk(+4096): one heap page, the TCB
        movl $45, %eax
        int $0x80
        subl tcb, %eax
        cmpl $4096, %eax
        jne fail
        movl tcb, %eax                  # the 8 writable pages dirty before the first fork
        movl %eax, (%eax)               #   heap (the TCB points at itself, as glibc's does)
        movl $1, data0
        movl $1, data1
        movl $1, bss0
        movl $1, bss1
        subl $8192, %esp                #   stack: this page and the 2 below it
        movl $0, (%esp)
        movl $0, 4096(%esp)
        addl $8192, %esp
        pushl $0                        # the status word (wait4 stores it here: the stack)
        xorl %edi, %edi                 # children made
3:      cmpl iters, %edi
        jae done
        incl %edi
        call fork
        testl %eax, %eax
        js fail
        jz child
        movl %eax, %ebx                 # the parent: wait4(pid, &status, 0, NULL)
        pushl %eax
        movl $114, %eax
        leal 4(%esp), %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        popl %ebx
        cmpl %ebx, %eax
        jne bad
        movl %edi, %eax                 # status: exited, code = the child's number & 0xff
        andl $0xFF, %eax
        shll $8, %eax
        cmpl (%esp), %eax
        jne bad
        jmp 3b
child:  movl %edi, %ebx                 # the child: _exit(number)
        jmp _exit

done:   movl $4, %eax                   # write(1, msg, len)
        movl $1, %ebx
        movl $msg, %ecx
        movl $msglen, %edx
        int $0x80
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80
fail:   movl $4, %eax                   # write(2, ...): fork failed
        movl $2, %ebx
        movl $failmsg, %ecx
        movl $failmsglen, %edx
        int $0x80
        movl $1, %eax
        movl $1, %ebx
        int $0x80
bad:    movl $1, %eax                   # exit(2): wait4 did not return the child
        movl $2, %ebx
        int $0x80

        .balign 4096                    # a page of its own: __x86.get_pc_thunk.ax's
thunk:  movl (%esp), %eax
        ret

        .balign 4096                    # a page of its own: fork, _Fork, _exit
# fork: take the lock, store the counter, clone with glibc's flags (the tid stored in the
# child's TCB), then the postfork handlers in both; %eax = the child's pid in the parent, 0 in
# the child.
fork:   call thunk                      # (position-independent code's first step)
        movl tcb, %eax                  # the TCB (read: the tid cache)
        movl (%eax), %eax
        movl $1, lock                   # a lock word (.data)
        movl %edi, counter              # a counter (.bss): the round
        movl $120, %eax                 # clone(flags, NULL, NULL, NULL, &tcb->tid)
        movl $CLONE_FLAGS, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        pushl %edi
        movl tcb, %edi
        addl $4, %edi
        int $0x80
        popl %edi
        pushl %eax
        call postfork
        popl %eax
        ret
_exit:  movl $252, %eax                 # exit_group(%ebx)
        int $0x80

        .balign 4096                    # a page of its own: __run_postfork_handlers
# postfork: the atfork handlers' list is read (a second .data page), the lock released and
# the counter stored again (a copy-on-write fault on each page, in the parent and in the child).
postfork:
        call thunk
        movl handlers, %eax
        movl $0, lock
        movl %edi, counter
        ret

        .section .rodata
msg:    .ascii "nanobench forkwait: done\n"
        .equ msglen, . - msg
failmsg: .ascii "nanobench forkwait: fork failed\n"
        .equ failmsglen, . - failmsg

        .data                           # 2 pages, as static glibc's .data
        .balign 4096
data0:  .long 0
lock:   .long 0
iters:  .long 0
tcb:    .long 0
        .balign 4096
data1:  .long 0
handlers: .long 0
        .balign 4096

        .bss                            # 2 pages, as static glibc's .bss
        .balign 4096
bss0:   .skip 4
counter: .skip 4092
bss1:   .skip 4096
