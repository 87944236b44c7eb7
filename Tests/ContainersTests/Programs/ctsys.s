# ctsys.s - raw system calls from inside a container: what capabilities, seccomp and an init
# change about them.
#
# Teaches: a container's protections act on system calls. The same call (mount, unshare, keyctl)
#   succeeds or fails with EPERM depending on the capabilities the process kept and the seccomp
#   filter above it; a PID 1 that never calls wait leaves orphans as zombies. Static, no libc,
#   i386 `int $0x80` (so the seccomp filter must cover the x86 architecture too).
# Usage: ctsys call NR [ARG...] | orphan | oomchild
#   call NR ARG...  system call NR (i386 numbers) with up to 5 arguments; an argument that is a
#                   number (decimal, 0x hex, or negative) is passed as that number, anything else
#                   as the address of the string
#   orphan          a child forks a grandchild that exits at once, and exits itself, so the
#                   grandchild is re-parented to PID 1; 300 ms later prints "zombie" when it is
#                   still there unreaped (kill(pid, 0) succeeds), else "reaped"
#   oomchild        a child maps and touches memory 1 MiB at a time until it is killed; prints
#                   "child status S" (S: the raw wait4 status, 9 = killed by SIGKILL)
# Prints: "ok N" (N unsigned) or "error E" (E = errno).
# Exit status: 0; 1 after "error E"; 2 on bad usage.
# Build: as --32 ctsys.s -o ctsys.o && ld -m elf_i386 ctsys.o -o ctsys

        .equ SYS_EXIT, 1
        .equ SYS_FORK, 2
        .equ SYS_WRITE, 4
        .equ SYS_KILL, 37
        .equ SYS_WAIT4, 114
        .equ SYS_NANOSLEEP, 162
        .equ SYS_MMAP2, 192

        .text
        .globl _start
_start:
        movl (%esp), %eax               # argc
        movl %eax, argc
        leal 4(%esp), %ebp              # argv
        movl %ebp, argv
        cmpl $2, %eax
        jb usage
        movl 4(%ebp), %esi              # argv[1]
        movl $s_call, %ebx
        call streq
        je do_call
        movl $s_orphan, %ebx
        call streq
        je do_orphan
        movl $s_oomchild, %ebx
        call streq
        je do_oomchild
usage:  movl $SYS_EXIT, %eax
        movl $2, %ebx
        int $0x80

do_call:
        cmpl $3, argc
        jb usage
        movl argv, %ebp
        movl 8(%ebp), %esi              # NR
        call parse
        testl %edx, %edx
        jz usage
        movl %eax, nr
        movl $0, %edi                   # argument index
1:      leal 3(%edi), %ecx              # argv index of argument %edi
        cmpl argc, %ecx
        jae 2f
        cmpl $5, %edi
        jae 2f
        movl argv, %ebp
        movl (%ebp,%ecx,4), %esi
        call parse
        testl %edx, %edx
        jnz 3f
        movl %esi, %eax                 # not a number: the string's address
3:      movl %eax, args(,%edi,4)
        incl %edi
        jmp 1b
2:      movl nr, %eax
        movl args, %ebx
        movl args+4, %ecx
        movl args+8, %edx
        movl args+12, %esi
        movl args+16, %edi
        int $0x80
        cmpl $-4095, %eax
        jae error_exit
        pushl %eax
        movl $s_ok, %ecx
        call print_str
        popl %eax
        call print_num
        jmp newline_exit0

do_orphan:
        movl $SYS_FORK, %eax
        int $0x80
        testl %eax, %eax
        js error_exit
        jnz 2f
        movl $SYS_FORK, %eax            # the child
        int $0x80
        testl %eax, %eax
        js error_exit
        jnz 1f
        movl $SYS_EXIT, %eax            # the grandchild: exits at once
        xorl %ebx, %ebx
        int $0x80
1:      movl %eax, %ebx                 # the child: exits with the grandchild's pid as status
        andl $0xff, %ebx
        movl $SYS_EXIT, %eax
        int $0x80
2:      movl %eax, %ebx                 # the parent: wait for the child
        movl $SYS_WAIT4, %eax
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        testl %eax, %eax
        js error_exit
        movl $SYS_NANOSLEEP, %eax       # give PID 1 time to reap the orphan
        movl $sleep300, %ebx
        xorl %ecx, %ecx
        int $0x80
        movl status, %ebx
        shrl $8, %ebx
        andl $0xff, %ebx                # the grandchild's pid
        movl $SYS_KILL, %eax
        xorl %ecx, %ecx                 # signal 0: does it still exist?
        int $0x80
        movl $s_zombie, %ecx
        testl %eax, %eax
        jz 3f
        movl $s_reaped, %ecx
3:      call print_str
        jmp newline_exit0

do_oomchild:
        movl $SYS_FORK, %eax
        int $0x80
        testl %eax, %eax
        js error_exit
        jnz 3f
1:      movl $SYS_MMAP2, %eax           # the child: 1 MiB more, touched, until the OOM killer
        xorl %ebx, %ebx
        movl $0x100000, %ecx
        movl $3, %edx                   # PROT_READ|PROT_WRITE
        movl $0x22, %esi                # MAP_PRIVATE|MAP_ANONYMOUS
        movl $-1, %edi
        xorl %ebp, %ebp
        int $0x80
        cmpl $0xfffff000, %eax
        ja error_exit
        xorl %ecx, %ecx
2:      movb $1, (%eax,%ecx)
        addl $4096, %ecx
        cmpl $0x100000, %ecx
        jb 2b
        jmp 1b
3:      movl %eax, %ebx
        movl $SYS_WAIT4, %eax
        movl $status, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        int $0x80
        testl %eax, %eax
        js error_exit
        movl $s_child_status, %ecx
        call print_str
        movl status, %eax
        call print_num
        jmp newline_exit0

error_exit:                             # %eax = -errno
        negl %eax
        pushl %eax
        movl $s_error, %ecx
        call print_str
        popl %eax
        call print_num
        movl $nl, %ecx
        call print_str
        movl $SYS_EXIT, %eax
        movl $1, %ebx
        int $0x80
newline_exit0:
        movl $nl, %ecx
        call print_str
        movl $SYS_EXIT, %eax
        xorl %ebx, %ebx
        int $0x80

# %eax = the number in the string at %esi, %edx = 1 when the whole string is one
# (decimal, 0x hex, optional leading '-'), else %edx = 0
parse:  pushl %esi
        pushl %ebx
        pushl %ecx
        xorl %eax, %eax
        xorl %ecx, %ecx                 # negative?
        cmpb $'-', (%esi)
        jne 1f
        movl $1, %ecx
        incl %esi
1:      cmpb $0, (%esi)
        je 9f                           # empty: not a number
        cmpb $'0', (%esi)
        jne 5f
        cmpb $'x', 1(%esi)
        jne 5f
        addl $2, %esi
        cmpb $0, (%esi)
        je 9f
2:      movzbl (%esi), %ebx             # hex digits
        testl %ebx, %ebx
        jz 7f
        shll $4, %eax
        subl $'0', %ebx
        cmpl $9, %ebx
        jbe 3f
        orl $0x20, %ebx                 # fold case ('A'-'0' | 0x20 = 'a'-'0')
        subl $('a'-'0'), %ebx
        cmpl $5, %ebx
        ja 9f
        addl $10, %ebx
3:      addl %ebx, %eax
        incl %esi
        jmp 2b
5:      movzbl (%esi), %ebx             # decimal digits
        testl %ebx, %ebx
        jz 7f
        subl $'0', %ebx
        cmpl $9, %ebx
        ja 9f
        imull $10, %eax
        addl %ebx, %eax
        incl %esi
        jmp 5b
7:      testl %ecx, %ecx
        jz 8f
        negl %eax
8:      movl $1, %edx
        jmp 10f
9:      xorl %edx, %edx
10:     popl %ecx
        popl %ebx
        popl %esi
        ret
# ZF=1 when the strings at %esi and %ebx are equal
streq:  pushl %esi
        pushl %ebx
1:      movb (%esi), %al
        cmpb (%ebx), %al
        jne 2f
        testb %al, %al
        je 2f
        incl %esi
        incl %ebx
        jmp 1b
2:      popl %ebx
        popl %esi
        ret
# %edx = strlen(%ecx)
strlen: movl %ecx, %edx
1:      cmpb $0, (%edx)
        je 2f
        incl %edx
        jmp 1b
2:      subl %ecx, %edx
        ret
# write the NUL-terminated string at %ecx to stdout
print_str:
        call strlen
        movl $SYS_WRITE, %eax
        movl $1, %ebx
        int $0x80
        ret
# write %eax (unsigned) in decimal to stdout
print_num:
        movl $digits+11, %ecx
        movl $10, %ebx
1:      xorl %edx, %edx
        divl %ebx
        addb $'0', %dl
        decl %ecx
        movb %dl, (%ecx)
        testl %eax, %eax
        jnz 1b
        call print_str                  # digits+11 holds the NUL
        ret

        .section .rodata
s_call:         .asciz "call"
s_orphan:       .asciz "orphan"
s_oomchild:     .asciz "oomchild"
s_ok:           .asciz "ok "
s_error:        .asciz "error "
s_zombie:       .asciz "zombie"
s_reaped:       .asciz "reaped"
s_child_status: .asciz "child status "
nl:             .asciz "\n"
sleep300:       .long 0, 300000000
        .data
digits: .byte 0,0,0,0,0,0,0,0,0,0,0,0
        .bss
        .lcomm argc, 4
        .lcomm argv, 4
        .lcomm nr, 4
        .lcomm args, 20
        .lcomm status, 4
