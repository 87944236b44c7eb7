# forkwait.s - Adams & Agesen's (ASPLOS 2006) "forkwait" macrobenchmark as a vsim guest program.
#
# Teaches: what process creation costs a VMM: fork's page-table work (the parent's writable
#   entries write-protected for copy-on-write, a new address space built), two address-space
#   switches (CR3 loads) and the copy-on-write faults after them, per child. A shadow-paging VMM
#   traces every one of those page-table writes and takes an exit for each CR3 load and fault;
#   a binary translator turns the writes into callouts; EPT leaves them all to the guest.
# How: N times: fork; the child exits at once (exit(0) straight from its first instruction
#   after fork, which still writes its stack: one copy-on-write fault); the parent waits for it
#   with wait4 and checks the status word (WIFEXITED, WEXITSTATUS = the child's number & 0xff).
# Paper (../../../shared/references/virtualization.md §2): 40,000 processes on their Pentium 4:
#   native 6.0 s, software VMM 36.9 s, hardware VMM 106.4 s (150, 922.5 and 2,660 us a process).
# Prints: "nanobench forkwait: done". Exit status 0; 1 when fork fails (under --mode unikernel
#   fork is -ENOSYS: one address space has nothing to copy a process into), 2 when wait4 does
#   not return the child's pid and status.
# Run: vsim nanobench (the forkwait table, every strategy, beside the paper's), or
#   vsim run --mode hvm --ept off --timer 0 --trace traps programs/nanobench/forkwait.s -- 100
# Argument: iterations (default 1000). Runs natively too (a static i386 ELF: the native row).
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
        xorl %edi, %edi                 # children made
3:      cmpl iters, %edi
        jae done
        incl %edi
        movl $2, %eax                   # fork()
        int $0x80
        testl %eax, %eax
        js fail
        jz child
        pushl %eax                      # the parent: wait4(pid, &status, 0, NULL)
        movl %eax, %ebx
        movl $114, %eax
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        popl %ebx
        cmpl %ebx, %eax
        jne bad
        movl %edi, %eax                 # status: exited, code = the child's number & 0xff
        andl $0xFF, %eax
        shll $8, %eax
        cmpl status, %eax
        jne bad
        jmp 3b
child:  pushl %edi                      # a write to the stack: copy-on-write
        movl $1, %eax                   # exit(number)
        movl %edi, %ebx
        int $0x80

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

        .data
msg:    .ascii "nanobench forkwait: done\n"
        .equ msglen, . - msg
failmsg: .ascii "nanobench forkwait: fork failed\n"
        .equ failmsglen, . - failmsg
iters:  .long 0
status: .long 0
