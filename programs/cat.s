# cat.s - copy standard input to standard output, like cat(1) with no arguments.
#
# Teaches: brk(2), the oldest way a Unix process grows its heap. brk(0)
#   returns the current end of the data segment; brk(addr) moves it and
#   returns the new end (or the old one when the kernel refuses). The program
#   reads all of stdin into a buffer that it grows 64 KiB at a time, then
#   writes the buffer out with as many write(2) calls as it takes.
# Prints: exactly the bytes read from stdin.
# Exit status: 0; 1 if read(2) or write(2) fails or brk(2) cannot grow the heap.
# Build natively: as --32 cat.s -o cat.o && ld -m elf_i386 cat.o -o cat

        .equ SYS_EXIT, 1
        .equ SYS_READ, 3
        .equ SYS_WRITE, 4
        .equ SYS_BRK, 45
        .equ CHUNK, 65536

        .text
        .globl _start
_start:
        movl $SYS_BRK, %eax     # brk(0): where the heap starts
        xorl %ebx, %ebx
        int $0x80
        movl %eax, %esi         # %esi = start of the buffer
        movl %eax, %edi         # %edi = end of the data read so far
        movl %eax, %ebp         # %ebp = end of the buffer (current break)

read_more:
        movl %ebp, %eax         # room left < 4 KiB? grow the heap
        subl %edi, %eax
        cmpl $4096, %eax
        jae 1f
        leal CHUNK(%ebp), %ebx  # brk(end + 64 KiB)
        movl $SYS_BRK, %eax
        int $0x80
        cmpl %ebx, %eax         # the kernel returns the new break on success
        jne fail
        movl %eax, %ebp
1:      movl $SYS_READ, %eax    # read(0, end, room)
        xorl %ebx, %ebx
        movl %edi, %ecx
        movl %ebp, %edx
        subl %edi, %edx
        int $0x80
        testl %eax, %eax
        js fail                 # -errno
        jz write_all            # end of file
        addl %eax, %edi
        jmp read_more

write_all:
        cmpl %esi, %edi         # anything left to write?
        je done
        movl $SYS_WRITE, %eax   # write(1, start, end - start)
        movl $1, %ebx
        movl %esi, %ecx
        movl %edi, %edx
        subl %esi, %edx
        int $0x80
        testl %eax, %eax
        jle fail
        addl %eax, %esi         # a short write: continue after what was written
        jmp write_all

done:   movl $SYS_EXIT, %eax
        xorl %ebx, %ebx
        int $0x80
fail:   movl $SYS_EXIT, %eax
        movl $1, %ebx
        int $0x80
