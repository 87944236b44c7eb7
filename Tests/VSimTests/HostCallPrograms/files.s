# files.s - file calls under --root, for HostCallTests (vsim's guest kernel forwards them to
# its host-call device; user-mode emulation serves them itself; natively the program runs in a
# chroot of the same directory). Every result is printed as "name: value"; the output must be
# the same everywhere. Host calls made (all but write(1) and exit): 42.
        .equ SYS_exit, 1
        .equ SYS_read, 3
        .equ SYS_write, 4
        .equ SYS_open, 5
        .equ SYS_close, 6
        .equ SYS_unlink, 10
        .equ SYS_chdir, 12
        .equ SYS_lseek, 19
        .equ SYS_access, 33
        .equ SYS_mkdir, 39
        .equ SYS_rmdir, 40
        .equ SYS_getcwd, 183
        .equ SYS_stat64, 195
        .equ SYS_fstat64, 197

        # CALL3 nr, a, b, c: a system call with up to three arguments (immediates or memory)
        .macro CALL3 nr, a=$0, b=$0, c=$0
        movl \c, %edx
        movl \b, %ecx
        movl \a, %ebx
        movl $\nr, %eax
        int $0x80
        .endm
        # SHOW label: print "label: %eax\n"
        .macro SHOW label
        pushl %eax
        movl $\label, %esi
        call print_str
        popl %eax
        pushl %eax
        call print_num
        popl %eax
        .endm

        .text
        .globl _start
_start:
        CALL3 SYS_open, $hello, $0                      # 1
        movl %eax, fd
        SHOW s_open
        CALL3 SYS_read, fd, $buf, $100                  # 2
        SHOW s_read
        CALL3 SYS_write, $1, $buf, %eax
        CALL3 SYS_lseek, fd, $6, $0                     # 3
        SHOW s_lseek
        CALL3 SYS_read, fd, $buf, $4                    # 4
        CALL3 SYS_write, $1, $buf, $4
        call newline
        CALL3 SYS_fstat64, fd, $st                      # 5
        SHOW s_fstat
        movl st + 44, %eax
        SHOW s_size
        CALL3 SYS_close, fd                             # 6
        SHOW s_close
        CALL3 SYS_close, fd                             # 7: already closed
        SHOW s_close

        CALL3 SYS_open, $newfile, $0x241, $0644         # 8: O_WRONLY|O_CREAT|O_TRUNC
        movl %eax, fd
        SHOW s_open
        CALL3 SYS_write, fd, $text, $text_len           # 9
        SHOW s_write
        CALL3 SYS_close, fd                             # 10
        CALL3 SYS_stat64, $newfile, $st                 # 11
        SHOW s_stat
        movl st + 44, %eax
        SHOW s_size

        CALL3 SYS_mkdir, $sub, $0755                    # 12
        SHOW s_mkdir
        CALL3 SYS_chdir, $sub                           # 13
        SHOW s_chdir
        call cwd                                        # 14
        CALL3 SYS_open, $upnew, $0                      # 15
        movl %eax, fd
        SHOW s_open
        call cat                                        # 16, 17
        CALL3 SYS_chdir, $dotdot                        # 18
        SHOW s_chdir
        call cwd                                        # 19

        CALL3 SYS_open, $escape1, $0                    # 20: ../../secret.txt
        SHOW s_escape
        CALL3 SYS_open, $escape2, $0                    # 21: /secret.txt
        SHOW s_escape
        CALL3 SYS_open, $escape3, $0                    # 22: a link to ../../secret.txt
        SHOW s_escape
        CALL3 SYS_open, $passwd, $0                     # 23: the root's /etc/passwd
        movl %eax, fd
        SHOW s_open
        call cat                                        # 24, 25
        CALL3 SYS_open, $abslink, $0                    # 26: a link to /etc/passwd
        movl %eax, fd
        SHOW s_open
        call cat                                        # 27, 28
        CALL3 SYS_chdir, $uplink                        # 29: a link to ../../../../..
        SHOW s_chdir
        call cwd                                        # 30
        CALL3 SYS_chdir, $slash                         # 31
        CALL3 SYS_access, $hello, $4                    # 32: R_OK
        SHOW s_access
        CALL3 SYS_access, $missing, $4                  # 33
        SHOW s_access
        CALL3 SYS_unlink, $newfile                      # 34
        SHOW s_unlink
        CALL3 SYS_unlink, $newfile                      # 35
        SHOW s_unlink
        CALL3 SYS_rmdir, $sub                           # 36
        SHOW s_rmdir
        CALL3 SYS_stat64, $sub, $st                     # 37
        SHOW s_stat
        CALL3 SYS_getcwd, $buf, $1                      # 38: too small, -ERANGE
        SHOW s_getcwd
        CALL3 SYS_read, $77, $buf, $1                   # 39: not open, -EBADF
        SHOW s_read
        CALL3 SYS_open, $hello, $0                      # 40
        SHOW s_open
        CALL3 SYS_stat64, $hello, $0x00100000           # 41: no user page there: -EFAULT
        SHOW s_stat
        CALL3 SYS_open, $0x00001000, $0                 # 42: nor there
        SHOW s_open
        CALL3 SYS_exit, $0

# cwd: getcwd into buf, print "getcwd: n" and the path.
cwd:    CALL3 SYS_getcwd, $buf, $100
        SHOW s_getcwd
        movl $buf, %esi
        call print_str
        call newline
        ret

# cat: read fd into buf (up to 100 bytes), write it, close fd.
cat:    CALL3 SYS_read, fd, $buf, $100
        CALL3 SYS_write, $1, $buf, %eax
        CALL3 SYS_close, fd
        ret

# print_str: the NUL-terminated string at %esi to stdout.
print_str:
        movl %esi, %edi
1:      cmpb $0, (%edi)
        je 2f
        incl %edi
        jmp 1b
2:      subl %esi, %edi
        CALL3 SYS_write, $1, %esi, %edi
        ret

newline:
        CALL3 SYS_write, $1, $nl, $1
        ret

# print_num: %eax as a signed decimal and a newline.
print_num:
        movl $numbuf + 15, %edi
        movb $'\n', (%edi)
        movl %eax, %ecx
        testl %eax, %eax
        jns 1f
        negl %eax
1:      movl $10, %ebx
2:      xorl %edx, %edx
        divl %ebx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 2b
        testl %ecx, %ecx
        jns 3f
        decl %edi
        movb $'-', (%edi)
3:      movl $numbuf + 16, %edx
        subl %edi, %edx
        CALL3 SYS_write, $1, %edi, %edx
        ret

        .data
hello:   .asciz "data/hello.txt"
newfile: .asciz "new.txt"
sub:     .asciz "sub"
upnew:   .asciz "../new.txt"
dotdot:  .asciz ".."
slash:   .asciz "/"
escape1: .asciz "../../secret.txt"
escape2: .asciz "/secret.txt"
escape3: .asciz "data/out"
passwd:  .asciz "/etc/passwd"
abslink: .asciz "data/abs"
uplink:  .asciz "data/up"
missing: .asciz "data/missing"
text:    .ascii "written by the guest\n"
        .equ text_len, . - text
nl:      .ascii "\n"
s_open:   .asciz "open: "
s_read:   .asciz "read: "
s_lseek:  .asciz "lseek: "
s_fstat:  .asciz "fstat64: "
s_size:   .asciz "st_size: "
s_close:  .asciz "close: "
s_write:  .asciz "write: "
s_stat:   .asciz "stat64: "
s_mkdir:  .asciz "mkdir: "
s_chdir:  .asciz "chdir: "
s_getcwd: .asciz "getcwd: "
s_escape: .asciz "escape: "
s_access: .asciz "access: "
s_unlink: .asciz "unlink: "
s_rmdir:  .asciz "rmdir: "
        .bss
fd:     .space 4
buf:    .space 128
st:     .space 96
numbuf: .space 16
