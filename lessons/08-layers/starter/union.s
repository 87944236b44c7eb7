# union.s - (starter) the merged view of an image's layers, as a union file system (overlayfs) shows it.
#
# Teaches: a container's root is a stack of layers. A file in a higher layer hides the same path
#   in every lower layer (branch priority), and a whiteout `.wh.NAME` in a layer deletes NAME from
#   every layer below it, without touching those layers (they are read-only and shared).
# Input (stdin): the layers from the TOP (highest priority) down, one path per line, the layers
#   separated by a line `--`. A line `.wh.PATH` is a whiteout for PATH.
# Prints: the merged view, one line `PATH LAYER` per visible file, where LAYER is the number of the
#   layer it comes from (1 = top); in order: the top layer's files first, in input order, then the
#   next layer's, and so on. Whiteouts are not files: they are never printed.
# Exit status: 0.
# Run: printf 'a\n.wh.b\n--\nb\nc\n' | vsim run union.s      # prints "a 1" and "c 2"

        .text
        .globl _start
_start: xorl %esi, %esi                 # read all of stdin into buf
1:      movl $3, %eax                   # read(0, buf + n, size - n)
        xorl %ebx, %ebx
        leal buf(%esi), %ecx
        movl $BUFSIZE - 1, %edx
        subl %esi, %edx
        jz 2f
        int $0x80
        testl %eax, %eax
        jle 2f
        addl %eax, %esi
        jmp 1b
2:      movb $'\n', buf(%esi)           # a final newline, in case the input has none
        leal buf + 1(%esi), %eax
        movl %eax, end
        movl $1, layer
        movl $buf, %esi                 # %esi: the current line
line:   cmpl end, %esi
        jae done
        movl %esi, %edi                 # find the end of the line, make it a C string
3:      cmpb $'\n', (%edi)
        je 4f
        incl %edi
        jmp 3b
4:      movb $0, (%edi)
        incl %edi
        pushl %edi                      # the next line
        cmpb $0, (%esi)                 # an empty line: nothing
        je next
        cmpw $0x2d2d, (%esi)            # "--": the next layer down
        jne 5f
        cmpb $0, 2(%esi)
        jne 5f
        incl layer
        jmp next
5:      # TODO: decide whether this entry is visible. Priority: a path seen in a higher layer
        #       hides this one. Whiteouts: `.wh.PATH` hides PATH in every lower layer and is not
        #       a file itself. lookup and insert below keep a table of paths.
        call show                       # "PATH LAYER\n"
next:   popl %esi
        jmp line
done:   movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# lookup: ZF=1 when the string at %esi is in the table of paths seen. Preserves %esi %ebp.
lookup: xorl %ecx, %ecx
1:      cmpl count, %ecx
        jae 3f
        movl table(,%ecx,4), %edi
        call streq
        je 2f
        incl %ecx
        jmp 1b
2:      ret                             # ZF=1
3:      orl $1, %ecx                    # ZF=0
        ret

# insert: add the string at %esi to the table (the string stays in buf).
insert: movl count, %ecx
        cmpl $MAXPATHS, %ecx
        jae 1f
        movl %esi, table(,%ecx,4)
        incl count
1:      ret

# streq: ZF=1 when the C strings at %esi and %edi are equal. Preserves %esi %ecx.
streq:  pushl %esi
        pushl %ecx
1:      movb (%esi), %al
        cmpb (%edi), %al
        jne 2f
        testb %al, %al
        je 2f                           # equal to the end: ZF=1
        incl %esi
        incl %edi
        jmp 1b
2:      popl %ecx
        popl %esi
        ret

# show: write "PATH LAYER\n" for the string at %esi.
show:   movl %esi, %edx                 # the length of the path
1:      cmpb $0, (%edx)
        je 2f
        incl %edx
        jmp 1b
2:      subl %esi, %edx
        movl $4, %eax                   # write(1, path, len)
        movl $1, %ebx
        movl %esi, %ecx
        int $0x80
        movl layer, %eax                # " LAYER\n", the number in decimal
        movl $out + 15, %edi
        movb $'\n', (%edi)
        movl $10, %ecx
3:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 3b
        decl %edi
        movb $' ', (%edi)
        movl $out + 16, %edx
        subl %edi, %edx
        movl $4, %eax
        movl $1, %ebx
        movl %edi, %ecx
        int $0x80
        ret

        .equ BUFSIZE, 65536
        .equ MAXPATHS, 4096
        .bss
buf:    .space BUFSIZE
table:  .space 4 * MAXPATHS
count:  .space 4
layer:  .space 4
end:    .space 4
out:    .space 16
