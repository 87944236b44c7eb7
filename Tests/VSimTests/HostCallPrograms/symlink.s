# symlink.s - symlink and symlinkat under --root, for HostCallTests: natively the program runs in
# a chroot of the directory (the host kernel's confinement, the oracle), under vsim with --root
# (user mode serves the calls itself, the guest kernel forwards them to its host-call device).
# A link's target is stored as the text given, however far out it points; following it stays
# inside the root: /data/l_out -> ../../../secret.txt reads as a missing /secret.txt, not the
# file beside the root. Every result is printed as "name: value".
        .equ SYS_exit, 1
        .equ SYS_read, 3
        .equ SYS_write, 4
        .equ SYS_open, 5
        .equ SYS_close, 6
        .equ SYS_unlink, 10
        .equ SYS_symlink, 83
        .equ SYS_readlink, 85
        .equ SYS_symlinkat, 304
        .equ O_DIRECTORY, 0x10000

        .macro CALL3 nr, a=$0, b=$0, c=$0
        movl \c, %edx
        movl \b, %ecx
        movl \a, %ebx
        movl $\nr, %eax
        int $0x80
        .endm
        .macro SHOW label
        pushl %eax
        movl $\label, %esi
        call print_str
        popl %eax
        call print_num
        .endm

        .text
        .globl _start
_start:
        CALL3 SYS_symlink, $t_abs, $p_abs               # an absolute target: the root's /etc/passwd
        SHOW s_abs
        CALL3 SYS_symlink, $t_out, $p_out               # a target far outside, stored as text
        SHOW s_out
        CALL3 SYS_symlink, $t_out, $p_abs               # the name exists: -EEXIST
        SHOW s_exist
        CALL3 SYS_symlink, $t_empty, $p_empty           # an empty target: -ENOENT
        SHOW s_empty
        CALL3 SYS_open, $p_data, $O_DIRECTORY           # symlinkat relative to a directory fd
        movl %eax, dirfd
        CALL3 SYS_symlinkat, $t_rel, dirfd, $n_rel
        SHOW s_at
        CALL3 SYS_readlink, $p_out, $buf, $128          # the text as stored
        movl %eax, length
        SHOW s_readlink
        CALL3 SYS_write, $1, $buf, length
        call newline
        movl $p_abs, %esi                               # through the links
        call cat
        movl $p_rel, %esi
        call cat
        movl $p_out, %esi
        call cat
        CALL3 SYS_close, dirfd
        CALL3 SYS_unlink, $p_abs
        SHOW s_unlink
        CALL3 SYS_unlink, $p_out
        SHOW s_unlink
        CALL3 SYS_unlink, $p_rel
        SHOW s_unlink
        CALL3 SYS_exit, $0

# cat: open the path at %esi and print what one read gives, or the open's error.
cat:
        pushl %esi
        call print_str
        movl $colon, %esi
        call print_str
        popl %esi
        CALL3 SYS_open, %esi, $0
        testl %eax, %eax
        jns 1f
        call print_num
        ret
1:      movl %eax, fd
        CALL3 SYS_read, fd, $buf, $128
        movl %eax, %edx
        CALL3 SYS_write, $1, $buf, %edx
        CALL3 SYS_close, fd
        ret

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
t_abs:  .asciz "/etc/passwd"
t_out:  .asciz "../../../secret.txt"
t_rel:  .asciz "hello.txt"
t_empty: .asciz ""
p_abs:  .asciz "/data/l_abs"
p_out:  .asciz "/data/l_out"
p_rel:  .asciz "/data/l_rel"
p_empty: .asciz "/data/l_empty"
p_data: .asciz "/data"
n_rel:  .asciz "l_rel"
s_abs:  .asciz "symlink /etc/passwd: "
s_out:  .asciz "symlink ../../../secret.txt: "
s_exist: .asciz "symlink over an existing name: "
s_empty: .asciz "symlink of an empty target: "
s_at:   .asciz "symlinkat hello.txt in /data: "
s_readlink: .asciz "readlink /data/l_out: "
s_unlink: .asciz "unlink: "
colon:  .asciz ": "
nl:     .ascii "\n"
        .bss
dirfd:  .space 4
length: .space 4
fd:     .space 4
buf:    .space 128
numbuf: .space 16
