# A pipe of its own whose reader it closed: pipe(fds), close(fds[0]), write(fds[1], "x", 1)
# with SIGPIPE ignored, then exit(-result): 32 (EPIPE) natively. The machine must not stop for
# it: only a pipe of the run's own stdout or stderr losing its reader stops the machine
# (OutputReaderGoneTests).
.globl _start
_start:
    movl $174, %eax         # rt_sigaction(SIGPIPE, &act, NULL, 8)
    movl $13, %ebx
    movl $act, %ecx
    xorl %edx, %edx
    movl $8, %esi
    int $0x80
    movl $42, %eax          # pipe(fds)
    movl $fds, %ebx
    int $0x80
    movl $6, %eax           # close(fds[0])
    movl fds, %ebx
    int $0x80
    movl $4, %eax           # write(fds[1], line, 1)
    movl fds+4, %ebx
    movl $line, %ecx
    movl $1, %edx
    int $0x80
    negl %eax
    movl %eax, %ebx
    movl $1, %eax           # exit(-result)
    int $0x80
.data
line: .ascii "x"
fds:  .long 0, 0
act:  .long 1, 0, 0, 0, 0   # struct kernel_sigaction: SIG_IGN, flags, restorer, 8-byte mask
