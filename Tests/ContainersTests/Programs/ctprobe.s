# ctprobe.s - what a program sees from inside a container, and loops that hit cgroup limits.
#
# Teaches: the view a process gets through namespaces (its pid, its hostname, the files it can
#   reach) and how cgroup limits stop it (mmap until the memory limit's OOM kill, fork until
#   pids.max, a busy loop throttled by the CPU quota). Static, no libc, i386 `int $0x80`.
# Usage: ctprobe pid | host | cat PATH | write PATH TEXT | rm PATH | alloc MIB | fork N | spin MS
#   pid    prints getpid()                      host   prints the nodename from uname()
#   cat    prints the file                      write  creates/truncates PATH with TEXT
#   rm     unlinks PATH                         alloc  maps and touches MIB MiB, 1 MiB at a time
#   fork   forks up to N children that pause    spin   burns CPU for MS ms of wall time
# Prints: the result; "error E" (E = errno) when a call fails; "fork failed after K: error E".
# Exit status: 0; 1 after "error E" or a failed mmap; 2 on an unknown command.
# Build: as --32 ctprobe.s -o ctprobe.o && ld -m elf_i386 ctprobe.o -o ctprobe

        .equ SYS_EXIT, 1
        .equ SYS_FORK, 2
        .equ SYS_READ, 3
        .equ SYS_WRITE, 4
        .equ SYS_OPEN, 5
        .equ SYS_UNLINK, 10
        .equ SYS_GETPID, 20
        .equ SYS_PAUSE, 29
        .equ SYS_UNAME, 122
        .equ SYS_MMAP2, 192
        .equ SYS_CLOCK_GETTIME, 265

        .text
        .globl _start
_start:
        movl (%esp), %eax               # argc
        cmpl $2, %eax
        jb exit0
        movl %eax, argc
        movl 8(%esp), %esi              # argv[1]: the command
        movl 12(%esp), %eax
        movl %eax, arg2
        movl 16(%esp), %eax
        movl %eax, arg3
        movl $s_pid, %ebx
        call streq
        je do_pid
        movl $s_host, %ebx
        call streq
        je do_host
        movl $s_cat, %ebx
        call streq
        je do_cat
        movl $s_write, %ebx
        call streq
        je do_write
        movl $s_rm, %ebx
        call streq
        je do_rm
        movl $s_alloc, %ebx
        call streq
        je do_alloc
        movl $s_fork, %ebx
        call streq
        je do_fork
        movl $s_spin, %ebx
        call streq
        je do_spin
        movl $SYS_EXIT, %eax
        movl $2, %ebx
        int $0x80

do_pid: movl $SYS_GETPID, %eax
        int $0x80
        call print_num
        jmp newline_exit0

do_host:
        movl $SYS_UNAME, %eax
        movl $utsname, %ebx
        int $0x80
        testl %eax, %eax
        js error_exit
        movl $utsname+65, %ecx          # struct new_utsname: sysname[65], nodename[65], ...
        call print_str
        jmp newline_exit0

do_cat: movl $SYS_OPEN, %eax
        movl arg2, %ebx
        xorl %ecx, %ecx                 # O_RDONLY
        int $0x80
        testl %eax, %eax
        js error_exit
        movl %eax, %esi                 # fd
1:      movl $SYS_READ, %eax
        movl %esi, %ebx
        movl $buffer, %ecx
        movl $4096, %edx
        int $0x80
        testl %eax, %eax
        js error_exit
        jz exit0
        movl %eax, %edx
        movl $SYS_WRITE, %eax
        movl $1, %ebx
        movl $buffer, %ecx
        int $0x80
        jmp 1b

do_write:
        movl $SYS_OPEN, %eax
        movl arg2, %ebx
        movl $0x241, %ecx               # O_WRONLY|O_CREAT|O_TRUNC
        movl $0644, %edx
        int $0x80
        testl %eax, %eax
        js error_exit
        movl %eax, %ebx                 # fd
        movl arg3, %ecx
        call strlen
        movl $SYS_WRITE, %eax
        int $0x80
        testl %eax, %eax
        js error_exit
        jmp exit0

do_rm:  movl $SYS_UNLINK, %eax
        movl arg2, %ebx
        int $0x80
        testl %eax, %eax
        js error_exit
        jmp exit0

do_alloc:
        movl arg2, %ecx
        call atoi
        movl %eax, target
1:      movl count, %eax
        cmpl target, %eax
        jae 3f
        movl $SYS_MMAP2, %eax
        xorl %ebx, %ebx                 # anywhere
        movl $0x100000, %ecx            # 1 MiB
        movl $3, %edx                   # PROT_READ|PROT_WRITE
        movl $0x22, %esi                # MAP_PRIVATE|MAP_ANONYMOUS
        movl $-1, %edi
        xorl %ebp, %ebp
        int $0x80
        cmpl $0xfffff000, %eax
        ja mmap_failed
        xorl %ecx, %ecx                 # touch every page, so it is really charged
2:      movb $1, (%eax,%ecx)
        addl $4096, %ecx
        cmpl $0x100000, %ecx
        jb 2b
        incl count
        jmp 1b
3:      movl $s_allocated, %ecx
        call print_str
        movl count, %eax
        call print_num
        movl $s_mib, %ecx
        call print_str
        jmp newline_exit0
mmap_failed:
        movl $s_mmap_failed, %ecx
        call print_str
        movl $SYS_EXIT, %eax
        movl $1, %ebx
        int $0x80

do_fork:
        movl arg2, %ecx
        call atoi
        movl %eax, target
1:      movl count, %eax
        cmpl target, %eax
        jae 3f
        movl $SYS_FORK, %eax
        int $0x80
        testl %eax, %eax
        js 4f
        jz 2f
        incl count
        jmp 1b
2:      movl $SYS_PAUSE, %eax           # a child: wait to be killed with the container
        int $0x80
        jmp 2b
3:      movl $s_forked, %ecx
        call print_str
        movl count, %eax
        call print_num
        jmp newline_exit0
4:      negl %eax
        movl %eax, target               # errno
        movl $s_fork_failed, %ecx
        call print_str
        movl count, %eax
        call print_num
        movl $s_colon_error, %ecx
        call print_str
        movl target, %eax
        call print_num
        jmp newline_exit0

do_spin:
        movl arg2, %ecx
        call atoi
        movl %eax, target
        call now_ms
        addl %eax, target               # the end, in ms
1:      call now_ms
        cmpl target, %eax
        jb 1b
        jmp exit0

# %eax = CLOCK_MONOTONIC in ms (wraps after 49 days of uptime)
now_ms: movl $SYS_CLOCK_GETTIME, %eax
        movl $1, %ebx                   # CLOCK_MONOTONIC
        movl $timespec, %ecx
        int $0x80
        movl timespec+4, %eax           # tv_nsec
        xorl %edx, %edx
        movl $1000000, %ecx
        divl %ecx
        movl %eax, %ecx
        imull $1000, timespec, %eax     # tv_sec * 1000
        addl %ecx, %eax
        ret

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
exit0:  movl $SYS_EXIT, %eax
        xorl %ebx, %ebx
        int $0x80

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

# %eax = the unsigned decimal at %ecx
atoi:   xorl %eax, %eax
1:      movzbl (%ecx), %edx
        subl $'0', %edx
        cmpl $9, %edx
        ja 2f
        imull $10, %eax
        addl %edx, %eax
        incl %ecx
        jmp 1b
2:      ret

        .section .rodata
s_pid:          .asciz "pid"
s_host:         .asciz "host"
s_cat:          .asciz "cat"
s_write:        .asciz "write"
s_rm:           .asciz "rm"
s_alloc:        .asciz "alloc"
s_fork:         .asciz "fork"
s_spin:         .asciz "spin"
s_error:        .asciz "error "
s_allocated:    .asciz "allocated "
s_mib:          .asciz " MiB"
s_mmap_failed:  .asciz "mmap failed\n"
s_forked:       .asciz "forked "
s_fork_failed:  .asciz "fork failed after "
s_colon_error:  .asciz ": error "
nl:             .asciz "\n"

        .data
digits: .byte 0,0,0,0,0,0,0,0,0,0,0,0

        .bss
        .lcomm argc, 4
        .lcomm arg2, 4
        .lcomm arg3, 4
        .lcomm count, 4
        .lcomm target, 4
        .lcomm timespec, 8
        .lcomm utsname, 390
        .lcomm buffer, 4096
