# vsyscall.s - system calls as function calls: `call *AT_SYSINFO` instead of `int $0x80`.
#
# Teaches: the auxiliary vector's AT_SYSINFO (32), where i386 Linux says where its vDSO's
#   __kernel_vsyscall is: glibc makes every system call with `call *%gs:0x10`, a CALL into that
#   page, which enters the kernel the fastest way the CPU has (SYSENTER, else int $0x80). Under
#   `vsim run --mode unikernel` the library OS puts its own entry there, so the same CALL is a plain
#   function call into the library OS at ring 0: no interrupt is delivered at all (compare the
#   trace of hello.s, whose int $0x80 is one delivery through the IDT per call). Where AT_SYSINFO
#   is absent (vsim's user-mode emulation, trap, hvm and pv) the program uses int $0x80.
# How: walks past argv and envp to the auxiliary vector, takes AT_SYSINFO if there is one, and
#   makes its write and exit through it.
# Prints: "Hello from a system call as a function call!" and a newline (the same in every mode).
# Exit status: 0.
# Run: vsim run --mode unikernel --trace traps programs/vsyscall.s (and the same with hello.s)

        .text
        .globl _start
_start: movl (%esp), %eax               # argc
        leal 8(%esp,%eax,4), %esi       # envp: past argv[0..argc-1] and its NULL
1:      lodsl                           # skip envp up to its NULL
        testl %eax, %eax
        jnz 1b
2:      lodsl                           # auxv: (key, value) pairs up to AT_NULL
        testl %eax, %eax
        jz 3f
        movl %eax, %edx
        lodsl
        cmpl $32, %edx                  # AT_SYSINFO
        jne 2b
        movl %eax, entry
3:      movl $4, %eax                   # write(
        movl $1, %ebx                   #   fd 1,
        movl $msg, %ecx                 #   buffer,
        movl $len, %edx                 #   length)
        call syscall
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        call syscall

# syscall: the system call in %eax with arguments in %ebx, %ecx, %edx, through AT_SYSINFO when the
# auxiliary vector has it, else int $0x80. Returns the result in %eax.
syscall:
        cmpl $0, entry
        je 1f
        jmp *entry                      # a tail call: its RET returns to our caller
1:      int $0x80
        ret

        .section .rodata
msg:    .ascii "Hello from a system call as a function call!\n"
        .equ len, . - msg

        .bss
        .align 4
entry:  .space 4
