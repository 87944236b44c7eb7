# Writes "again\n" for ever to a second descriptor on its stdout, dup(1), with SIGPIPE ignored
# and every error its writes return ignored. Under the guest kernel fd 1 is the console (the
# UART), but the dup is a host descriptor whose writes the kernel forwards to the host-call
# device: once the pipe of the run's stdout has no reader, the machine stops with 141
# (128 + SIGPIPE), as it does when its console finds the reader gone (OutputReaderGoneTests).
# Natively it would write for ever (SIGPIPE ignored, EPIPE ignored).
.globl _start
_start:
    movl $174, %eax         # rt_sigaction(SIGPIPE, &act, NULL, 8)
    movl $13, %ebx
    movl $act, %ecx
    xorl %edx, %edx
    movl $8, %esi
    int $0x80
    movl $41, %eax          # dup(1)
    movl $1, %ebx
    int $0x80
    movl %eax, %edi
1:  movl $4, %eax           # write(fd, line, 6), whatever it returns
    movl %edi, %ebx
    movl $line, %ecx
    movl $6, %edx
    int $0x80
    jmp 1b
.data
line: .ascii "again\n"
act:  .long 1, 0, 0, 0, 0   # struct kernel_sigaction: SIG_IGN, flags, restorer, 8-byte mask
