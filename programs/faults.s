# faults.s - trigger one CPU exception on purpose, so that each ends the way Linux ends it.
#
# Teaches: what a fault is and what the kernel makes of it. The CPU raises an
#   exception, the kernel turns it into a signal, and the process dies:
#     de    DIV by zero              #DE  -> SIGFPE   (exit status 128+8  = 136)
#     ud    UD2                      #UD  -> SIGILL   (128+4  = 132)
#     segv  read from address 0      #PF  -> SIGSEGV  (128+11 = 139)
#     wrro  write into its own code  #PF  -> SIGSEGV  (139): .text is mapped read-only
#     int3  INT3 breakpoint          #BP  -> SIGTRAP  (128+5  = 133)
#   Under `vsim run` the interpreter raises the same exception and vsim ends
#   with the same status and a one-line diagnostic on stderr.
# Usage: faults de|ud|segv|wrro|int3
# Prints: "faults: <what it is about to do>" before the fault (so the output
#   shows that everything up to the faulting instruction ran).
# Exit status: as above; 2 (and a usage line) for a missing or unknown argument.
# Build natively: as --32 faults.s -o faults.o && ld -m elf_i386 faults.o -o faults

        .text
        .globl _start
_start:
        cmpl $2, (%esp)         # argc < 2: usage
        jb usage
        movl 8(%esp), %esi      # argv[1]
        movl $table, %ebx
next:   movl (%ebx), %edi       # name of this entry (0 ends the table)
        testl %edi, %edi
        jz usage
        movl %esi, %eax         # strcmp(argv[1], name)
1:      movb (%eax), %cl
        cmpb (%edi), %cl
        jne 2f
        testb %cl, %cl
        jz found
        incl %eax
        incl %edi
        jmp 1b
2:      addl $12, %ebx
        jmp next

found:  movl 4(%ebx), %ecx      # say what is about to happen
        movl $4, %eax
        movl %ebx, %ebp
        movl $1, %ebx
        movl (%ecx), %edx       # length-prefixed message
        addl $4, %ecx
        int $0x80
        jmp *8(%ebp)            # and do it

do_de:  movl $1234, %eax
        xorl %edx, %edx
        xorl %ecx, %ecx
        divl %ecx               # #DE: divide by zero
        jmp survived
do_ud:  ud2                     # #UD: the one opcode defined to be invalid
        jmp survived
do_segv:
        xorl %eax, %eax
        movl (%eax), %eax       # #PF: nothing is mapped at address 0
        jmp survived
do_wrro:
        movl $0x90909090, do_wrro   # #PF: .text is mapped read and execute only
        jmp survived
do_int3:
        int3                    # #BP: a trap; Linux sends SIGTRAP
        jmp survived

survived:                       # not reached on Linux or under vsim
        movl $4, %eax
        movl $1, %ebx
        movl $m_survived, %ecx
        movl $l_survived, %edx
        int $0x80
        movl $1, %eax
        movl $1, %ebx
        int $0x80

usage:  movl $4, %eax
        movl $1, %ebx
        movl $m_usage, %ecx
        movl $l_usage, %edx
        int $0x80
        movl $1, %eax
        movl $2, %ebx
        int $0x80

        .section .rodata
        .macro MSG text
        .long 8f - 7f
7:      .ascii "\text"
8:
        .endm
table:  .long n_de, m_de, do_de
        .long n_ud, m_ud, do_ud
        .long n_segv, m_segv, do_segv
        .long n_wrro, m_wrro, do_wrro
        .long n_int3, m_int3, do_int3
        .long 0
n_de:   .asciz "de"
n_ud:   .asciz "ud"
n_segv: .asciz "segv"
n_wrro: .asciz "wrro"
n_int3: .asciz "int3"
m_de:   MSG "faults: dividing by zero (#DE, SIGFPE)\n"
m_ud:   MSG "faults: executing ud2 (#UD, SIGILL)\n"
m_segv: MSG "faults: reading address 0 (#PF, SIGSEGV)\n"
m_wrro: MSG "faults: writing to read-only code (#PF, SIGSEGV)\n"
m_int3: MSG "faults: executing int3 (#BP, SIGTRAP)\n"
m_survived: .ascii "faults: the fault did not happen\n"
        .equ l_survived, . - m_survived
m_usage: .ascii "usage: faults de|ud|segv|wrro|int3\n"
        .equ l_usage, . - m_usage
