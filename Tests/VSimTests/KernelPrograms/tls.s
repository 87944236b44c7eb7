# tls.s - set_thread_area and get_thread_area as a libc uses them, for KernelMemoryTests: the
# same output natively (the oracle) and under the guest kernel, except the slot number: a 32-bit
# program on an x86-64 kernel gets GDT entries 12-14, on an i386 kernel (vsim's guest kernel,
# like i386 Linux) 6-8 (GDT_ENTRY_TLS_MIN in arch/x86/include/asm/segment.h). The line
# "first entry N" says which; every later line is relative to it.
        .text
        .globl _start
_start:
        # 1. entry_number -1: the kernel picks a free slot and writes its number back.
        movl $-1, desc
        movl $block, desc + 4           # base_addr
        movl $0xfffff, desc + 8         # limit (in pages: 4 GiB)
        movl $0x51, desc + 12           # seg_32bit, limit_in_pages, useable
        movl $243, %eax                 # set_thread_area
        movl $desc, %ebx
        int $0x80
        call say_result                 # "= 0"
        movl desc, %eax
        movl %eax, first
        movl $m_first, %esi
        call say_number
        # 2. %gs = that slot: %gs:0 reads what was stored through %ds at block, and the other way.
        movl first, %eax
        leal 3(,%eax,8), %eax
        movw %ax, %gs
        movl $0x11223344, block
        movl %gs:0, %eax
        movl $m_gs_read, %esi
        call say_hex
        movl $0x55667788, %gs:4
        movl block + 4, %eax
        movl $m_ds_read, %esi
        call say_hex
        movl $block + 8, %ebx           # an address through %gs with an index register
        movl $3, %ecx
        movb $0x99, %gs:8(,%ecx,1)
        movzbl 3(%ebx), %eax
        movl $m_index, %esi
        call say_hex
        # 3. get_thread_area of that slot: the fields as set.
        movl first, %eax
        movl %eax, back
        movl $244, %eax
        movl $back, %ebx
        int $0x80
        call say_result
        movl back, %eax
        subl first, %eax
        movl $m_back_entry, %esi
        call say_number
        movl back + 4, %eax
        subl $block, %eax
        movl $m_back_base, %esi
        call say_number
        movl back + 8, %eax
        movl $m_back_limit, %esi
        call say_hex
        movl back + 12, %eax
        andl $0x7f, %eax
        movl $m_back_flags, %esi
        call say_hex
        # 4. The other two slots, then none left: -ESRCH (-3).
        movl $3, count
1:      movl $-1, desc
        movl $243, %eax
        movl $desc, %ebx
        int $0x80
        pushl %eax
        call say_result
        popl %eax
        testl %eax, %eax                # (no slot: entry_number stays -1)
        js 2f
        movl desc, %eax
        subl first, %eax
        movl $m_entry, %esi
        call say_number
2:      decl count
        jnz 1b
        # 5. Refused: a code segment (contents 2), a 16-bit segment, not present, slot out of
        # range: -EINVAL (-22); a bad pointer: -EFAULT (-14).
        movl first, %eax
        movl %eax, desc
        movl $0x55, desc + 12           # contents 2
        call set_desc
        movl $0x50, desc + 12           # seg_32bit 0
        call set_desc
        movl $0x71, desc + 12           # seg_not_present
        call set_desc
        movl $0x51, desc + 12
        movl first, %eax
        addl $3, %eax
        movl %eax, desc                 # one past the last slot
        call set_desc
        movl $243, %eax
        movl $8, %ebx                   # unmapped
        int $0x80
        call say_result
        movl $244, %eax
        movl $8, %ebx
        int $0x80
        call say_result
        # 6. Clearing the slot %gs holds (LDT_empty): the kernel reloads %gs, now null.
        movl first, %eax
        movl %eax, desc
        movl $0, desc + 4
        movl $0, desc + 8
        movl $0x28, desc + 12           # read_exec_only, seg_not_present
        call set_desc
        movw %gs, %ax
        movzwl %ax, %eax
        movl $m_gs_after, %esi
        call say_hex
        movl first, %eax                # and reads back as empty
        movl %eax, back
        movl $244, %eax
        movl $back, %ebx
        int $0x80
        call say_result
        movl back + 12, %eax
        andl $0x7f, %eax
        movl $m_back_flags, %esi
        call say_hex
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80

set_desc:
        movl $243, %eax
        movl $desc, %ebx
        int $0x80
# say_result: "= N" for the result in %eax.
say_result:
        movl $m_result, %esi
# say_number: the text at %esi, then %eax in signed decimal, then a newline.
say_number:
        pushl %eax
        call puts
        popl %eax
        movl $numbuf + 15, %edi
        movb $10, (%edi)
        movl %eax, %ebx                 # remember the sign
        testl %eax, %eax
        jns 1f
        negl %eax
1:      movl $10, %ecx
2:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decl %edi
        movb %dl, (%edi)
        testl %eax, %eax
        jnz 2b
        testl %ebx, %ebx
        jns 3f
        decl %edi
        movb $'-', (%edi)
3:      movl %edi, %ecx
        movl $numbuf + 16, %edx
        subl %edi, %edx
        movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret
# say_hex: the text at %esi, then %eax as 0x and 8 hex digits, then a newline.
say_hex:
        pushl %eax
        call puts
        popl %eax
        movl $numbuf, %edi
        movw $0x7830, (%edi)            # "0x"
        movl $8, %ecx
1:      roll $4, %eax
        movl %eax, %edx
        andl $15, %edx
        movb hex(%edx), %dl
        movb %dl, 2(%edi)
        incl %edi
        loop 1b
        movb $10, 2(%edi)
        movl $4, %eax
        movl $1, %ebx
        movl $numbuf, %ecx
        movl $11, %edx
        int $0x80
        ret
# puts: the NUL-terminated text at %esi.
puts:
        movl %esi, %ecx
        xorl %edx, %edx
1:      cmpb $0, (%esi,%edx)
        je 2f
        incl %edx
        jmp 1b
2:      movl $4, %eax
        movl $1, %ebx
        int $0x80
        ret

        .data
hex:            .ascii "0123456789abcdef"
m_result:       .asciz "= "
m_first:        .asciz "first entry "
m_gs_read:      .asciz "%gs:0 after a store through %ds: "
m_ds_read:      .asciz "%ds after a store to %gs:4: "
m_index:        .asciz "%gs:8(,%ecx) byte through %ds: "
m_back_entry:   .asciz "get_thread_area entry - first: "
m_back_base:    .asciz "base - block: "
m_back_limit:   .asciz "limit: "
m_back_flags:   .asciz "flags: "
m_entry:        .asciz "entry - first: "
m_gs_after:     .asciz "%gs after clearing its slot: "
        .align 4
desc:   .space 16
back:   .space 16
first:  .long 0
count:  .long 0
block:  .space 64
numbuf: .space 16
