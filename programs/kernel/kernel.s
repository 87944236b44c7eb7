# kernel.s - vsim's guest kernel: just enough of an i386 operating system to run one
# programs/*.s user program at ring 3, the way Linux would.
#
# Teaches: what a kernel does before and around a user program. It is entered by vsim's boot
#   protocol (docs/boot-protocol.md) in 32-bit protected mode with paging off, then:
#     1. loads its own GDT (flat ring 0 and ring 3 segments, one TSS) and reloads the segment
#        registers with a far jump;
#     2. fills the IDT: CPU exceptions 0-19, the timer (vector 0x20) and the system call gate
#        int $0x80 (DPL 3, so ring 3 may use it; also int3/into, as Linux allows);
#     3. builds the page tables: RAM identity-mapped for the kernel only (U/S = 0, page 0 left
#        out so a kernel NULL dereference faults), and the user program's pages, stack
#        included, as the boot-information block lists them (U/S = 1, R/W from the ELF flags);
#     4. loads CR3, sets CR0.PG and CR0.WP, starts the timer, and IRETs to the program at ring 3.
#   Then it serves int $0x80 (exit/exit_group, read and write on fds 0-2, brk, and vsim_kcall =
#   500 for the probes in programs/holes/) and forwards every other call to the host through
#   vsim's paravirtual host-call device (sys_forward: a request block and one OUT to port 0x505,
#   or hypercall 48 under PV; docs/boot-protocol.md, "Host calls"), and serves
#   the timer, and turns a fault in the program into exit status 128+signal as Linux does.
#   I/O: write(1) goes to the 16550 UART at 0x3F8 (COM1) and write(2) to COM2 at 0x2F8, one
#   OUT per byte (vsim's UART never needs waiting for); read(0) polls COM1's line status (DR for
#   a byte, BI for end of input); exit writes the status to the exit device at port 0x501.
# Build: vsim builds it (as --32, ld -m elf_i386 -Ttext 0x100000); see docs/boot-protocol.md.
#   --defsym PV=1 builds the Xen-style paravirtual kernel (--mode pv); --defsym UNIKERNEL=1 the
#   library OS of --mode unikernel: the program runs at ring 0 beside it, no IRET to ring 3.

        .equ BOOT_MAGIC, 0x4D495376     # "vSIM" in EAX at entry
        .ifdef PV
        # The paravirtual kernel uses the flat segments the hypervisor provides (Xen's
        # xen-x86_32.h: FLAT_RING1_CS/DS, FLAT_RING3_CS/DS) and runs at ring 1.
        .equ KERNEL_CS, 0xe019
        .equ KERNEL_DS, 0xe021
        .equ USER_CS, 0xe02b
        .equ USER_DS, 0xe033
        # Hypercall numbers (xen/include/public/xen.h) and sub-operations.
        .equ HYPERVISOR_set_trap_table, 0
        .equ HYPERVISOR_mmu_update, 1
        .equ HYPERVISOR_stack_switch, 3
        .equ HYPERVISOR_set_callbacks, 4
        .equ HYPERVISOR_multicall, 13
        .equ HYPERVISOR_console_io, 18
        .equ HYPERVISOR_mmuext_op, 26
        .equ HYPERVISOR_sched_op, 29
        .equ HYPERVISOR_event_channel_op, 32
        .equ HYPERVISOR_arch_0, 48      # vsim's host call (Xen reserves 48-55 for arch use)
        .equ CONSOLEIO_write, 0
        .equ CONSOLEIO_read, 1
        .equ SCHEDOP_shutdown, 2
        .equ SCHEDOP_shutdown_code, 5
        .equ SHUTDOWN_poweroff, 0
        .equ SHUTDOWN_crash, 3
        .equ MMUEXT_NEW_BASEPTR, 5
        .equ EVTCHNOP_bind_virq, 1
        .equ VIRQ_TIMER, 0
        .equ DOMID_SELF, 0x7FF0
        .equ MMU_BATCH, 256             # page-table updates per mmu_update hypercall
        .macro HYPERCALL name
        call hypercall_page + HYPERVISOR_\name * 32
        .endm
        .else
        .equ KERNEL_CS, 0x08
        .equ KERNEL_DS, 0x10
        .equ USER_CS, 0x1B              # GDT index 3, RPL 3
        .equ USER_DS, 0x23              # GDT index 4, RPL 3
        .endif
        .equ TSS_SEL, 0x28              # GDT index 5
        .equ COM1, 0x3F8
        .equ COM2, 0x2F8
        .equ LSR, 5                     # line status register offset
        .equ EXIT_PORT, 0x501
        .equ HOSTCALL_PORT, 0x505       # vsim's host-call device: OUT the request's address
        .equ TIMER_PORT, 0x40
        .equ USER_TOP, 0xC0000000
        .equ STACK_MAX, 0x00800000      # 8 MiB: Linux's default RLIMIT_STACK

        # boot-information block (docs/boot-protocol.md)
        .equ BI_RAM, 8
        .equ BI_FREE, 12
        .equ BI_ENTRY, 16
        .equ BI_ESP, 20
        .equ BI_BRK, 24
        .equ BI_TIMER, 28
        .equ BI_NREGIONS, 32
        .equ BI_REGIONS, 36

        # Linux errno values
        .equ EBADF, 9
        .equ EFAULT, 14
        .equ ENOSYS, 38

        # STOP: end the machine when nothing else can (after the exit port, a panic, a bad boot).
        .macro STOP
        .ifdef PV
        movl $SCHEDOP_shutdown, %ebx
        movl $shutdown_crash, %ecx
        HYPERCALL sched_op
        .else
        cli
        hlt
        .endif
        .endm

        .text
        .globl _start
_start:
        cmpl $BOOT_MAGIC, %eax
        jne bad_boot
        movl $kstack_top, %esp
        movl %ebx, bootinfo

        .ifdef PV
        # 1-2. PV: no GDT, TSS or IDT of our own. Exceptions and int $0x80 go to the handlers
        # of the trap table; traps from ring 3 switch to the ring-1 stack given here.
        movl $trap_table, %ebx
        HYPERCALL set_trap_table
        movl $KERNEL_DS, %ebx
        movl $kstack_top, %ecx
        HYPERCALL stack_switch
        .else
        # 1. GDT: patch the TSS base into descriptor 5, load, reload every segment register.
        movl $tss, %eax
        movw %ax, gdt + 5*8 + 2
        shrl $16, %eax
        movb %al, gdt + 5*8 + 4
        movb %ah, gdt + 5*8 + 7
        lgdt gdt_desc
        ljmp $KERNEL_CS, $1f
1:      movw $KERNEL_DS, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $kstack_top, tss + 4       # ESP0: the kernel stack for traps from ring 3
        movw $KERNEL_DS, tss + 8        # SS0
        movw $TSS_SEL, %ax
        ltr %ax

        # 2. IDT: exceptions 0-19 (interrupt gates, DPL 0; 3 and 4 DPL 3), timer, int $0x80.
        xorl %ecx, %ecx
2:      movl isr_table(,%ecx,4), %eax
        movl $0x8E00, %edx
        cmpl $3, %ecx
        je 3f
        cmpl $4, %ecx
        jne 4f
3:      movl $0xEE00, %edx
4:      call set_gate
        incl %ecx
        cmpl $20, %ecx
        jb 2b
        movl $0x20, %ecx
        movl $timer_entry, %eax
        movl $0x8E00, %edx
        call set_gate
        movl $0x80, %ecx
        movl $syscall_entry, %eax
        movl $0xEE00, %edx
        call set_gate
        lidt idt_desc
        .endif

        # 3. Page tables.
        movl bootinfo, %ebx
        movl BI_RAM(%ebx), %eax
        movl %eax, ram_size
        movl BI_FREE(%ebx), %eax
        movl %eax, next_free
        movl BI_BRK(%ebx), %eax
        movl %eax, brk_start
        movl %eax, brk_cur
        movl %eax, brk_mapped
        call map_ram
        .ifdef PV
        call mmu_flush                  # map_page reads the directory: make it current
        .endif
        call map_user
        .ifdef PV
        call mmu_flush
        movl $page_dir, %eax            # MMUEXT_NEW_BASEPTR: the hypervisor loads CR3 (and,
        shrl $12, %eax                  # the first time, turns paging on)
        movl %eax, mmuext + 4
        movl $mmuext, %ebx
        movl $1, %ecx
        xorl %edx, %edx
        movl $DOMID_SELF, %esi
        HYPERCALL mmuext_op
        .else
        movl $page_dir, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $0x80010000, %eax           # PG | WP
        movl %eax, %cr0
        .endif

        # 4. Timer, then the program at ring 3 with every register 0, as Linux starts it.
        .ifdef PV
        # The virtual timer is an event channel bound to VIRQ_TIMER; events arrive through an
        # upcall to event_callback unless the mask flag in shared info is set (a store).
        movl $EVTCHNOP_bind_virq, %ebx
        movl $bind_virq, %ecx
        HYPERCALL event_channel_op
        movl $KERNEL_CS, %ebx
        movl $event_callback, %ecx
        movl $KERNEL_CS, %edx
        movl $failsafe_callback, %esi
        HYPERCALL set_callbacks
        movl bind_virq + 8, %eax        # the port: unmask it
        btrl %eax, shared_info + 0x880
        movb $0, shared_info + 1        # evtchn_upcall_mask = 0: events on
        movl bootinfo, %ebx
        .else
        movl bootinfo, %ebx
        movl BI_TIMER(%ebx), %eax
        testl %eax, %eax
        jz 5f
        outl %eax, $TIMER_PORT
        .endif
5:
        .ifdef UNIKERNEL
        # Unikernel build (--defsym UNIKERNEL=1, vsim --mode unikernel): the program runs at
        # ring 0 in the library OS's address space. No IRET, no ring change: its int $0x80 is a
        # same-privilege interrupt served on its own stack.
        movl BI_ENTRY(%ebx), %eax
        movl %eax, app_entry
        movl BI_ESP(%ebx), %esp
        xorl %eax, %eax
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
        sti                             # (the STI shadow covers the jump)
        jmp *app_entry
        .endif
        pushl $USER_DS                  # SS
        pushl BI_ESP(%ebx)              # ESP
        pushl $0x202                    # EFLAGS: IF
        pushl $USER_CS                  # CS
        pushl BI_ENTRY(%ebx)            # EIP
        movw $USER_DS, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        xorl %eax, %eax
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
        iret

bad_boot:                               # not started by vsim's boot protocol
        movl $255, %eax
        movw $EXIT_PORT, %dx
        outb %al, %dx
        STOP

# set_gate: IDT entry %ecx -> handler %eax, type/DPL word %edx (0x8E00 or 0xEE00).
set_gate:
        movw %ax, idt(,%ecx,8)
        movw $KERNEL_CS, idt + 2(,%ecx,8)
        movw %dx, idt + 4(,%ecx,8)
        shrl $16, %eax
        movw %ax, idt + 6(,%ecx,8)
        ret

# alloc_frame: %eax = a fresh 4 KiB frame (vsim hands over RAM zeroed); 0 when RAM is full.
alloc_frame:
        movl next_free, %eax
        cmpl ram_size, %eax
        jae 1f
        addl $4096, next_free
        ret
1:      xorl %eax, %eax
        ret

# map_ram: identity-map all RAM for the kernel (present, writable, supervisor), page 0 excluded.
map_ram:
        movl ram_size, %esi
        shrl $12, %esi                  # pages of RAM
        xorl %edi, %edi                 # page number
1:      testl $1023, %edi               # a new page table every 1024 pages
        jnz 2f
        call alloc_frame
        movl %edi, %ecx
        shrl $10, %ecx
        movl %eax, %ebp                 # current page table
        orl $3, %eax
        .ifdef PV
        pushl %ebx
        leal page_dir(,%ecx,4), %ebx
        call mmu_queue
        popl %ebx
        .else
        movl %eax, page_dir(,%ecx,4)
        .endif
2:      movl %edi, %eax
        shll $12, %eax
        orl $3, %eax
        testl %edi, %edi
        jnz 3f
        xorl %eax, %eax                 # page 0: not present
3:      movl %edi, %ecx
        andl $1023, %ecx
        .ifdef PV
        pushl %ebx
        leal (%ebp,%ecx,4), %ebx
        call mmu_queue
        popl %ebx
        .else
        movl %eax, (%ebp,%ecx,4)
        .endif
        incl %edi
        cmpl %esi, %edi
        jb 1b
        ret

# map_user: map every region of the boot-information block at ring 3.
map_user:
        movl bootinfo, %ebx
        movl BI_NREGIONS(%ebx), %esi
        movl BI_REGIONS(%ebx), %ebx     # 16-byte entries: vaddr, paddr, size, flags (bit 0 W)
1:      testl %esi, %esi
        jz 4f
        movl 8(%ebx), %edi              # bytes left in this region
        movl (%ebx), %eax
        movl 4(%ebx), %edx
        orl $5, %edx                    # present, user
        testl $1, 12(%ebx)
        jz 2f
        orl $2, %edx                    # writable
2:      testl %edi, %edi
        jz 3f
        pushl %ebx
        pushl %eax
        pushl %edx
        call map_page
        popl %edx
        popl %eax
        popl %ebx
        addl $4096, %eax
        addl $4096, %edx
        subl $4096, %edi
        jmp 2b
3:      addl $16, %ebx
        decl %esi
        jmp 1b
4:      ret

# map_page: linear page %eax -> page-table entry value %edx (a page table is allocated for a new
# 4 MiB region, with U/S and R/W set in the directory entry so the PTE decides). CF=1 when out
# of RAM. Clobbers %eax %ebx %ecx.
map_page:
        movl %eax, %ecx
        shrl $22, %ecx
        movl page_dir(,%ecx,4), %ebx
        testl $1, %ebx
        jnz 1f
        pushl %eax
        call alloc_frame
        movl %eax, %ebx
        popl %eax
        testl %ebx, %ebx
        jz 2f
        orl $7, %ebx
        .ifdef PV
        pushl %eax
        movl %ebx, %eax
        leal page_dir(,%ecx,4), %ebx
        call mmu_queue
        call mmu_flush                  # the directory entry must be visible at once
        movl %eax, %ebx
        popl %eax
        .else
        movl %ebx, page_dir(,%ecx,4)
        .endif
1:      andl $0xFFFFF000, %ebx
        shrl $12, %eax
        andl $1023, %eax
        .ifdef PV
        pushl %eax
        leal (%ebx,%eax,4), %ebx
        movl %edx, %eax
        call mmu_queue
        popl %eax
        .else
        movl %edx, (%ebx,%eax,4)
        .endif
        clc
        ret
2:      stc
        ret

# ---- system calls: int $0x80, number in %eax, arguments in %ebx %ecx %edx ----------------------
syscall_entry:
        pushl %ebp
        pushl %edi
        pushl %esi
        pushl %edx
        pushl %ecx
        pushl %ebx
        movl %esp, sys_esp              # for the -EFAULT fixup
        cmpl $NSYSCALLS, %eax
        jae 1f
        call *syscall_table(,%eax,4)
        jmp sys_return
1:      call sys_forward                # past the table: the host answers (-ENOSYS)
sys_return:
        popl %ebx
        popl %ecx
        popl %edx
        popl %esi
        popl %edi
        popl %ebp
        iret

# sys_enosys: getpid (20) only, the null call of programs/nanobench/syscall.s, which must stay
# the shortest round trip through the kernel (no host call) until the kernel serves it itself.
sys_enosys:
        movl $-ENOSYS, %eax
        ret

# sys_forward: every call the kernel does not serve itself goes to the host, as a paravirtual
# device forwards work: {number, the six arguments} into the request block, its physical
# address (the kernel's memory is identity-mapped) handed over with one OUT to the host-call
# device (one hypercall under PV), and the host's answer, a value or -errno, returned. Pointer
# arguments stay the program's virtual addresses: the host walks our page tables to reach them.
sys_forward:
        movl %eax, hostcall_req         # number
        movl %ebx, hostcall_req + 4     # the six arguments, still in their registers
        movl %ecx, hostcall_req + 8
        movl %edx, hostcall_req + 12
        movl %esi, hostcall_req + 16
        movl %edi, hostcall_req + 20
        movl %ebp, hostcall_req + 24
        .ifdef PV
        movl $hostcall_req, %ebx
        HYPERCALL arch_0                # the result in %eax
        .else
        movl $hostcall_req, %eax
        movw $HOSTCALL_PORT, %dx
        outl %eax, %dx
        movl hostcall_req + 28, %eax    # the result the host stored
        .endif
        ret

        .ifdef UNIKERNEL
# ---- system calls as function calls (unikernel): `call *AT_SYSINFO` -----------------------------
# The boot protocol puts this entry in the program's auxiliary vector as AT_SYSINFO, where i386
# Linux puts the vDSO's __kernel_vsyscall: a program that calls through it (as glibc does) enters
# the library OS with a CALL instead of an interrupt. Same registers as int $0x80. The frame an
# interrupt would have pushed is built by hand, so that every return path (IRET from sys_return,
# the -EFAULT fixup) works unchanged, and IRET at the same privilege comes back to the RET.
        .globl sysinfo_entry
sysinfo_entry:
        pushfl                          # EFLAGS
        cli                             # as the interrupt gate would
        pushl %cs                       # CS
        pushl $1f                       # EIP: back to the RET below
        jmp syscall_entry
1:      ret
        .endif

# exit(status): the status goes to the exit device; the machine stops there.
sys_exit:
        movl %ebx, %eax
do_exit:
        .ifdef PV
        # One multicall: sched_op(SCHEDOP_shutdown_code, {status}) then
        # sched_op(SCHEDOP_shutdown, {SHUTDOWN_poweroff}).
        andl $0xFF, %eax
        movl %eax, shutdown_code
        movl $exit_calls, %ebx
        movl $2, %ecx
        HYPERCALL multicall
        .else
        movw $EXIT_PORT, %dx
        outb %al, %dx
        .endif
        STOP

# check_user: is [%ecx, %ecx+%edx) inside user space (at or above the RAM identity map, below
# USER_TOP, no wrap-around)? ZF=0 (jnz) when it is not.
check_user:
        cmpl ram_size, %ecx
        jb 1f
        movl %ecx, %eax
        addl %edx, %eax
        jc 1f
        cmpl $USER_TOP, %eax
        ja 1f
        xorl %eax, %eax                 # ZF=1: fine
        ret
1:      orl $1, %eax                    # ZF=0
        ret

# write(fd, buf, count): fd 1 -> COM1, fd 2 -> COM2, one OUT per byte; other fds: the host.
sys_write:
        movw $COM1, %di
        cmpl $1, %ebx
        je 1f
        movw $COM2, %di
        cmpl $2, %ebx
        je 1f
        jmp sys_forward
1:      call check_user
        jnz efault
        .ifdef PV
        cmpl $1, %ebx                   # stdout: one console_io hypercall for the whole buffer
        jne 4f
        movl $CONSOLEIO_write, %ebx
        xchgl %ecx, %edx                # ecx = count, edx = buffer
        HYPERCALL console_io
        ret
4:
        .endif
        movl %ecx, %esi
        movl %edx, %ecx
        movw %di, %dx
        jecxz 3f
2:
user_read_insn:
        movb (%esi), %al                # may fault on an unmapped user page: see exc_common
        outb %al, %dx
        incl %esi
        loop 2b
3:      movl 12(%esp), %eax             # count (the caller's saved %edx)
        ret

# read(fd, buf, count): fd 0 <- COM1, byte by byte until count or end of input. A framing error
# with no byte (LSR FE) means no input is connected (vsim's stdin is closed): -EBADF, as Linux
# gives a native process whose fd 0 is closed. Other fds: the host.
sys_read:
        testl %ebx, %ebx
        jnz sys_forward
1:      call check_user
        jnz efault
        .ifdef PV
        movl $CONSOLEIO_read, %ebx      # one console_io hypercall: count bytes or end of input
        xchgl %ecx, %edx
        HYPERCALL console_io
        ret
        .endif
        movl %ecx, %edi
        movl %edx, %ecx                 # bytes wanted
        xorl %esi, %esi                 # bytes read
        movw $COM1 + LSR, %dx
2:      cmpl %ecx, %esi
        jae 4f
        inb %dx, %al                    # line status
        testb $1, %al                   # DR: a byte is waiting
        jnz 3f
        testb $8, %al                   # no: FE, nothing connected, or BI, the input has ended
        jz 4f
        testl %esi, %esi
        jnz 4f
        movl $-EBADF, %eax
        ret
3:      subw $LSR, %dx
        inb %dx, %al                    # receiver buffer
        addw $LSR, %dx
user_write_insn:
        movb %al, (%edi,%esi)           # may fault on an unmapped user page
        incl %esi
        jmp 2b
4:      movl %esi, %eax
        ret

efault:
        movl $-EFAULT, %eax
        ret

# vsim_kcall(fn), system call 500: calls fn at the kernel's privilege, with %eax = the address of
# the timer tick counter and %edx = the address of the kernel's IDT, and returns what fn returns
# in %eax. A teaching backdoor (like loading a kernel module) for the probes in programs/holes/,
# which must run instructions in kernel mode to show what a deprivileged kernel observes.
sys_kcall:
        movl $ticks, %eax
        movl $idt, %edx
        call *%ebx
        ret

# brk(addr): grow the heap up to addr (pages mapped on demand, never given back); returns the
# new break, or the old one when addr is 0, below the start, too high, or RAM runs out.
sys_brk:
        movl brk_cur, %eax
        cmpl brk_start, %ebx
        jb 4f
        cmpl $USER_TOP - 0x01000000, %ebx   # stay 16 MiB below the stack
        jae 4f
1:      cmpl brk_mapped, %ebx
        jbe 3f
        call alloc_frame
        testl %eax, %eax
        jz 5f
        movl %eax, %edx
        orl $7, %edx                    # present, writable, user
        movl brk_mapped, %eax
        pushl %ebx
        call map_page
        popl %ebx
        jc 5f
        addl $4096, brk_mapped
        jmp 1b
3:      movl %ebx, brk_cur
        .ifdef PV
        call mmu_flush                  # the new pages, in one mmu_update
        .endif
        movl %ebx, %eax
4:      ret
5:
        .ifdef PV
        call mmu_flush
        .endif
        movl brk_cur, %eax
        ret

# ---- exceptions and interrupts ---------------------------------------------------------------
timer_entry:
        incl ticks
        iret

        .ifdef PV
# event_callback: the upcall, entered like an interrupt with events masked (upcall_mask = 1).
event_callback:
        pushl %eax
1:      movb $0, shared_info            # evtchn_upcall_pending = 0
        movl $0, shared_info + 4        # evtchn_pending_sel = 0 (one port in use)
        movl bind_virq + 8, %eax
        btrl %eax, shared_info + 0x800  # this port's pending bit
        jnc 2f
        incl ticks
2:      movb $0, shared_info + 1        # unmask: a store, not a hypercall
        cmpb $0, shared_info            # did an event come meanwhile?
        je 3f
        movb $1, shared_info + 1
        jmp 1b
3:      popl %eax
        iret

failsafe_callback:                      # a bad segment on return to the guest: give up
        STOP

# mmu_queue: queue the page-table update "entry at physical %ebx := %eax"; flush a full batch.
mmu_queue:
        pushl %ecx
        movl mmu_count, %ecx
        shll $4, %ecx
        movl %ebx, mmu_reqs(%ecx)       # ptr (MMU_NORMAL_PT_UPDATE = 0 in bits 1:0)
        movl $0, mmu_reqs + 4(%ecx)
        movl %eax, mmu_reqs + 8(%ecx)   # val
        movl $0, mmu_reqs + 12(%ecx)
        incl mmu_count
        popl %ecx
        cmpl $MMU_BATCH, mmu_count
        jae mmu_flush
        ret

# mmu_flush: send the queued updates in one mmu_update hypercall. Preserves registers.
mmu_flush:
        cmpl $0, mmu_count
        je 1f
        pushal
        movl $mmu_reqs, %ebx
        movl mmu_count, %ecx
        xorl %edx, %edx
        movl $DOMID_SELF, %esi
        HYPERCALL mmu_update
        movl $0, mmu_count
        popal
1:      ret
        .endif

        .macro EXC n, has_error
exc_\n:
        .if \has_error == 0
        pushl $0
        .endif
        pushl $\n
        jmp exc_common
        .endm
        EXC 0, 0
        EXC 1, 0
        EXC 2, 0
        EXC 3, 0
        EXC 4, 0
        EXC 5, 0
        EXC 6, 0
        EXC 7, 0
        EXC 8, 1
        EXC 9, 0
        EXC 10, 1
        EXC 11, 1
        EXC 12, 1
        EXC 13, 1
        EXC 14, 1
        EXC 15, 0
        EXC 16, 0
        EXC 17, 1
        EXC 18, 0
        EXC 19, 0

# Stack: vector, error code, EIP, CS, EFLAGS (+ ESP, SS from ring 3).
exc_common:
        .ifdef UNIKERNEL
        movl 8(%esp), %eax              # the faulting EIP: the program lives above RAM's
        cmpl ram_size, %eax             # identity map, the library OS inside it
        jb kernel_fault
        .else
        testl $3, 12(%esp)              # from ring 3?
        jz kernel_fault
        .endif
        .ifndef UNIKERNEL
        .ifndef PV
        # A not-present fault in the 8 MiB below USER_TOP grows the stack by that page, as
        # Linux's expand_stack does (the boot protocol maps its top 128 KiB).
        cmpl $14, (%esp)
        jne 6f
        testl $1, 4(%esp)               # P = 0: not present
        jnz 6f
        pushal
        movl %cr2, %eax
        cmpl $USER_TOP - STACK_MAX, %eax
        jb 7f
        cmpl $USER_TOP, %eax
        jae 7f
        call alloc_frame
        testl %eax, %eax
        jz 7f
        movl %eax, %edx
        orl $7, %edx                    # present, writable, user
        movl %cr2, %eax
        andl $0xFFFFF000, %eax
        call map_page
        jc 7f
        popal
        addl $8, %esp                   # vector, error code
        iret                            # the faulting instruction again
7:      popal
6:
        .endif
        .endif
        movl (%esp), %ebx
        movzbl signal_of(%ebx), %eax    # the signal Linux sends for this exception
        addl $128, %eax
        jmp do_exit

kernel_fault:
        cmpl $14, (%esp)                # a page fault on a user buffer: the call returns -EFAULT
        jne panic
        movl 8(%esp), %eax
        cmpl $user_read_insn, %eax
        je 1f
        cmpl $user_write_insn, %eax
        jne panic
1:      movl sys_esp, %esp
        movl $-EFAULT, %eax
        jmp sys_return

panic:                                  # "kernel panic: exception V at EIP" on COM1, then stop
        movl $panic_msg, %esi
        call puts
        movl (%esp), %eax
        call puthex
        movl $panic_at, %esi
        call puts
        movl 8(%esp), %eax
        call puthex
        movb $'\n', %al
        movw $COM1, %dx
        outb %al, %dx
        STOP

# puts: NUL-terminated %esi to COM1.
puts:   movw $COM1, %dx
1:      movb (%esi), %al
        testb %al, %al
        jz 2f
        outb %al, %dx
        incl %esi
        jmp 1b
2:      ret

# puthex: %eax as 8 hex digits to COM1.
puthex: movl %eax, %ebx
        movl $8, %ecx
        movw $COM1, %dx
1:      roll $4, %ebx
        movl %ebx, %eax
        andl $15, %eax
        movb hexdigits(%eax), %al
        outb %al, %dx
        loop 1b
        ret

        .data
        .ifdef PV
# The trap table for set_trap_table: vector, flags (DPL in bits 1:0), code selector, handler.
        .align 4
trap_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
        .byte \n
        .if \n == 3 || \n == 4
        .byte 3
        .else
        .byte 0
        .endif
        .word KERNEL_CS
        .long exc_\n
        .endr
        .byte 0x80, 3
        .word KERNEL_CS
        .long syscall_entry
        .long 0, 0                      # end of the table
bind_virq:  .long VIRQ_TIMER, 0, 0      # virq, vcpu, port (out)
mmuext:     .long MMUEXT_NEW_BASEPTR, 0, 0
shutdown_crash: .long SHUTDOWN_crash
shutdown_code:  .long 0
shutdown_poweroff: .long SHUTDOWN_poweroff
# multicall entries (op, result, args[6]) for the exit
exit_calls:
        .long HYPERVISOR_sched_op, 0, SCHEDOP_shutdown_code, shutdown_code, 0, 0, 0, 0
        .long HYPERVISOR_sched_op, 0, SCHEDOP_shutdown, shutdown_poweroff, 0, 0, 0, 0
        .endif
        .align 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        # 0x08 kernel code: base 0, 4 GiB, DPL 0
        .quad 0x00CF92000000FFFF        # 0x10 kernel data
        .quad 0x00CFFA000000FFFF        # 0x1B user code: DPL 3
        .quad 0x00CFF2000000FFFF        # 0x23 user data
        .quad 0x0000890000000067        # 0x28 TSS (base patched at boot), 104 bytes
gdt_end:
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt
        .align 4
idt_desc:
        .word 256*8 - 1
        .long idt

isr_table:
        .long exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7, exc_8, exc_9
        .long exc_10, exc_11, exc_12, exc_13, exc_14, exc_15, exc_16, exc_17, exc_18, exc_19

syscall_table:
        .long sys_forward, sys_exit, sys_forward, sys_read, sys_write        # 0-4
        .rept 15
        .long sys_forward                                                 # 5-19
        .endr
        .long sys_enosys                                                 # 20 getpid (below)
        .rept 24
        .long sys_forward                                                 # 21-44
        .endr
        .long sys_brk                                                    # 45
        .rept 252 - 46
        .long sys_forward                                                 # 46-251
        .endr
        .long sys_exit                                                   # 252 exit_group
        .rept 500 - 253
        .long sys_forward                                                 # 253-499
        .endr
        .long sys_kcall                                                  # 500 vsim_kcall
        .equ NSYSCALLS, (. - syscall_table) / 4

# Linux's signal for each exception (arch/x86/kernel/traps.c): #DE SIGFPE, #DB #BP SIGTRAP,
# #UD SIGILL, #MF SIGFPE, #AC SIGBUS, the rest SIGSEGV.
signal_of:
        .byte 8, 5, 11, 5, 11, 11, 4, 11, 11, 11, 11, 11, 11, 11, 11, 11, 8, 7, 11, 11

hexdigits:
        .ascii "0123456789abcdef"
panic_msg:
        .asciz "kernel panic: exception 0x"
panic_at:
        .asciz " at eip 0x"

        .ifdef PV
# The hypercall page: the hypervisor writes one 32-byte stub per hypercall here at boot
# (`mov $nr, %eax; int $0x82; ret`), found through this symbol as Xen finds it through an ELF note.
        .text
        .align 4096
        .globl hypercall_page
hypercall_page:
        .fill 4096, 1, 0xcc
        .bss
        .align 4096
        .globl shared_info
shared_info:                            # vcpu_info[0] at 0; evtchn_pending at 0x800, mask at 0x880
        .space 4096
mmu_count:  .space 4
        .align 16
mmu_reqs:   .space 16 * MMU_BATCH
        .endif
        .bss
        .ifdef UNIKERNEL
app_entry:  .space 4
        .endif
        .align 4096
page_dir:
        .space 4096
idt:    .space 256*8
tss:    .space 104
bootinfo:   .space 4
ram_size:   .space 4
next_free:  .space 4
brk_start:  .space 4
brk_cur:    .space 4
brk_mapped: .space 4
sys_esp:    .space 4
        .align 16
hostcall_req: .space 32                 # number, six arguments, result (the host writes it)
ticks:      .space 4
        .align 16
kstack: .space 8192
kstack_top:
