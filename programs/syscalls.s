# syscalls.s - benchmark: N system calls that do nothing, close(-1) each (EBADF).
#
# Teaches: what a system call costs under each strategy. Natively a close(-1) is one trip
#   into the host kernel and back (about 100 ns); vsim's interpreter serves it itself; a
#   container runs it natively too (seccomp adds a filter run); under `--mode ptrace` every
#   call stops the program twice (entry and exit) and wakes the tracer each time, which is
#   PRoot's (and udocker's P modes') price for faking a root without privileges. Every call
#   fails (-EBADF from Linux, -ENOSYS from vsim's guest kernel, which has no close), so the
#   output is the same under every mode and `vsim compare` can check it.
# Usage: syscalls [N]  (default N = 100000)
# Prints: "syscalls(N) = K", K the calls that failed (all of them), e.g. "syscalls(10) = 10".
# Exit status: 0; 2 if N is not a decimal number below 2^32.
# Build natively: as --32 syscalls.s -o syscalls.o && ld -m elf_i386 syscalls.o -o syscalls

        .text
        .globl _start
_start:
        movl $100000, %edx      # default N
        cmpl $2, (%esp)         # argc >= 2: N = atoi(argv[1])
        jb 1f
        movl 8(%esp), %esi
        call atoi
        jc usage
        movl %eax, %edx
1:      movl %edx, %ebp         # keep N for the message
        xorl %edi, %edi         # calls that failed
        movl %edx, %esi         # calls left
        testl %esi, %esi
        jz 3f
2:      movl $6, %eax           # close(-1)
        movl $-1, %ebx
        int $0x80
        testl %eax, %eax        # failed (-EBADF; -ENOSYS under vsim's guest kernel)?
        jns 4f
        incl %edi
4:      decl %esi
        jnz 2b
3:      movl %edi, %eax
        call print_result
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int $0x80

        .section .rodata
s_name:  .asciz "syscalls("
s_eq:    .asciz ") = "
s_usage: .asciz "usage: syscalls [N]   (N a decimal number below 2^32; default 100000)\n"

        .text

# ---------------------------------------------------------------------------
# atoi: %esi -> decimal string; returns %eax, CF=1 if it is not a non-empty
# string of digits below 2^32. Clobbers %ecx %edx %esi.
atoi:   xorl %eax, %eax
        cmpb $0, (%esi)
        je 3f                   # empty
1:      movzbl (%esi), %ecx
        testl %ecx, %ecx
        jz 2f                   # end: CF=0 from TEST
        subl $'0', %ecx
        cmpl $9, %ecx
        ja 3f
        movl $10, %edx
        mull %edx
        jc 3f                   # overflow
        addl %ecx, %eax
        jc 3f
        incl %esi
        jmp 1b
2:      ret
3:      stc
        ret

# print_result: print "<s_name>(<%ebp>) = <%eax>\n". Clobbers everything but %esp.
print_result:
        movl %eax, %ebx
        movl $outbuf, %edi
        movl $s_name, %esi
        call put_str
        movl %ebp, %eax
        call put_dec
        movl $s_eq, %esi
        call put_str
        movl %ebx, %eax
        call put_dec
        movb $10, (%edi)
        incl %edi
        jmp flush

# put_str: copy the NUL-terminated string at %esi to %edi (advances both). Clobbers %al.
put_str:
1:      movb (%esi), %al
        testb %al, %al
        jz 2f
        movb %al, (%edi)
        incl %esi
        incl %edi
        jmp 1b
2:      ret

# put_dec: write %eax as unsigned decimal at %edi. Clobbers %eax %ecx %edx %esi.
put_dec:
        movl $dtmp_end, %esi
        movl $10, %ecx
1:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %esi
        movb %dl, (%esi)
        testl %eax, %eax
        jnz 1b
2:      movb (%esi), %al
        movb %al, (%edi)
        incl %edi
        incl %esi
        cmpl $dtmp_end, %esi
        jne 2b
        ret

# flush: write(1, outbuf, %edi - outbuf). Clobbers %eax %ebx %ecx %edx.
flush:  movl $4, %eax
        movl $1, %ebx
        movl $outbuf, %ecx
        movl %edi, %edx
        subl %ecx, %edx
        int $0x80
        ret

# usage: print s_usage and exit(2).
usage:  movl $outbuf, %edi
        movl $s_usage, %esi
        call put_str
        call flush
        movl $1, %eax
        movl $2, %ebx
        int $0x80

        .bss
outbuf:   .space 128
dtmp:     .space 12
dtmp_end:
