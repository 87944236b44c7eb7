# kernel.s - vsim's guest kernel: just enough of an i386 operating system to run one
# programs/*.s user program at ring 3, and the processes it forks, the way Linux would.
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
#   Then it serves int $0x80 itself for what a kernel must do (exit/exit_group, read and write
#   on fds 0-2, writev, brk; the address space: mmap2 (files paged in through the host-call
#   device), mremap, munmap, mprotect, madvise; thread-local
#   storage: set_thread_area, get_thread_area; what a libc's start-up asks: set_tid_address,
#   getpid, gettid, getppid, uname, ugetrlimit, prlimit64; signals: rt_sigaction,
#   rt_sigprocmask, rt_sigpending, sigaltstack, kill, tkill, tgkill, rt_sigreturn, sigreturn,
#   pause, rt_sigsuspend, alarm, setitimer, getitimer, nanosleep, clock_nanosleep; processes:
#   fork, vfork, clone (copy-on-write), wait4, waitpid; and
#   vsim_kcall = 500 for the probes in programs/holes/), forwards every other call to the host
#   through vsim's paravirtual host-call device (sys_forward: a request block and one OUT to port
#   0x505, or hypercall 48 under PV; docs/boot-protocol.md, "Host calls"), grows the user stack on
#   demand up to 8 MiB, serves the timer, and delivers signals on every return to the program
#   (handlers entered through Linux's i386 frames, a fault in the program turned into the signal
#   Linux sends; see "signals" below). Every process has a u-area (see "processes"): its
#   page directory, kernel stack, heap, TLS slots and its whole signal state, switched by copy,
#   so a context switch and fork carry the signals too; a child's exit sends its parent SIGCHLD,
#   kill reaches any process, and wait4 is interrupted by a signal (-EINTR, or restarted under
#   SA_RESTART). The timer's return to ring 3 first lets another process run (preempt), then
#   delivers the signals of the process that returns (one return path, timer_entry and the pv
#   upcall alike).
#   I/O: write(1) goes to the 16550 UART at 0x3F8 (COM1) and write(2) to COM2 at 0x2F8, one
#   OUT per byte (vsim's UART never needs waiting for); read(0) polls COM1's line status (DR for
#   a byte, BI for end of input); exit writes the status to the exit device at port 0x501.
# Build: vsim builds it (as --32, ld -m elf_i386 -Ttext 0x100000); see docs/boot-protocol.md.
#   --defsym PV=1 builds the Xen-style paravirtual kernel (--mode pv); --defsym UNIKERNEL=1 the
#   library OS of --mode unikernel: the program runs at ring 0 beside it, no IRET to ring 3.

        .equ BOOT_MAGIC, 0x4D495376     # "vSIM" in EAX at entry
        .ifdef PV
        # The paravirtual kernel uses the flat ring-1 segments the hypervisor provides (Xen's
        # xen-x86_32.h: FLAT_RING1_CS/DS) and runs at ring 1.
        # The program's segments are the kernel's own GDT entries 4 and 5 (0x23, 0x2B), as
        # without PV: the selectors x86-64 Linux gives 32-bit processes, which signal frames show.
        .equ KERNEL_CS, 0xe019
        .equ KERNEL_DS, 0xe021
        .equ USER_CS, 0x23
        .equ USER_DS, 0x2B
        # Hypercall numbers (xen/include/public/xen.h) and sub-operations.
        .equ HYPERVISOR_set_trap_table, 0
        .equ HYPERVISOR_mmu_update, 1
        .equ HYPERVISOR_set_gdt, 2
        .equ HYPERVISOR_stack_switch, 3
        .equ HYPERVISOR_set_callbacks, 4
        .equ HYPERVISOR_update_descriptor, 10
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
        .equ MMUEXT_PIN_L2_TABLE, 1
        .equ MMUEXT_UNPIN_TABLE, 4
        .equ MMUEXT_NEW_BASEPTR, 5
        .equ MMUEXT_TLB_FLUSH_LOCAL, 6
        .equ MMUEXT_INVLPG_LOCAL, 7
        .equ INVLPG_BATCH, 32           # more pages than this: one full TLB flush (as Linux's
                                        # tlb_single_page_flush_ceiling of 33)
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
        .equ USER_CS, 0x23              # GDT index 4, RPL 3, and
        .equ USER_DS, 0x2B              # index 5: the selectors of x86-64 Linux's 32-bit
        .endif                          # processes (__USER32_CS, __USER_DS), which the
        .equ TSS_SEL, 0x18              # host's signal frames show; GDT index 3
        .equ COM1, 0x3F8
        .equ COM2, 0x2F8
        .equ LSR, 5                     # line status register offset
        .equ EXIT_PORT, 0x501
        .equ HOSTCALL_PORT, 0x505       # vsim's host-call device: OUT the request's address
        .equ TIMER_PORT, 0x40
        .equ USER_TOP, 0xC0000000
        .equ STACK_MAX, 0x00800000      # 8 MiB: Linux's default RLIMIT_STACK
        .equ MMAP_TOP, USER_TOP - 0x08000000  # mmap2 places mappings top-down from here: 128 MiB
                                        # below the stack top, as Linux's mmap_base (MIN_GAP,
                                        # arch/x86/mm/mmap.c) without randomization
        .equ PTE_USER, 7                # present, writable, user
        .equ PTE_NONE, 0x200            # AVL bit 9: a PROT_NONE page (P = 0, frame kept)
        .equ TLS_FIRST, 6               # GDT entries 6-8: i386 Linux's GDT_ENTRY_TLS_MIN..MAX
        .equ TLS_COUNT, 3               #   (arch/x86/include/asm/segment.h, 32-bit kernel)
        .equ GUEST_PID, 1000            # the program's pid, tid (and 999 its parent's), as
                                        # vsim's user mode gives them: runs are deterministic
        # processes (see "processes" below)
        .equ NPROC, 16                  # process-table slots
        .equ KSTACK_SIZE, 8192          # each process's kernel stack
        .equ P_FREE, 0                  # process states
        .equ P_RUN, 1
        .equ P_WAIT, 2
        .equ P_ZOMBIE, 3
        .equ P_STATE, 0                 # a process-table entry: state, pid, ppid, wait status,
        .equ P_PID, 4                   #   then its saved u-area
        .equ P_PPID, 8
        .equ P_XSTAT, 12
        .equ P_UAREA, 16
        .equ PROC_SIZE, P_UAREA + (uarea_end - uarea_begin)
        .equ PTE_COW, 0x400             # AVL bit 10: a copy-on-write page (R/W cleared, frame shared)
        .equ SIGCHLD, 17
        .equ CSIGNAL, 0xff              # clone's flags (uapi/linux/sched.h)
        .equ CLONE_VM, 0x100
        .equ CLONE_VFORK, 0x4000
        .equ CLONE_PARENT_SETTID, 0x100000
        .equ CLONE_CHILD_CLEARTID, 0x200000
        .equ CLONE_CHILD_SETTID, 0x1000000
        .equ NR_waitpid, 7
        .equ NR_wait4, 114
        .equ WNOHANG, 1                 # wait4's options (uapi/linux/wait.h)
        .equ WUNTRACED, 2
        .equ WCONTINUED, 8
        .equ __WNOTHREAD, 0x20000000
        .equ __WALL, 0x40000000
        .equ __WCLONE, 0x80000000
        # mmap2's prot and flags (asm-generic/mman-common.h)
        .equ PROT_WRITE, 2
        .equ PROT_MASK, 7               # PROT_READ | PROT_WRITE | PROT_EXEC
        .equ MAP_TYPE, 0x0f
        .equ MAP_FIXED, 0x10
        .equ MAP_ANONYMOUS, 0x20
        .equ MAP_FIXED_NOREPLACE, 0x100000
        .equ MADV_DONTNEED, 4
        .equ MREMAP_MAYMOVE, 1          # mremap's flags (uapi/linux/mman.h)
        .equ MREMAP_FIXED, 2
        .equ PTE_KIND, 0x207            # P, R/W, U/S and PTE_NONE: what the pages of one mapping share
        .equ O_ACCMODE, 3               # fcntl64(F_GETFL): 0 O_RDONLY, 1 O_WRONLY, 2 O_RDWR
        .equ F_GETFL, 3
        .equ S_IFMT, 0xF000             # struct stat64's st_mode (at offset 16, asm/stat.h)
        .equ S_IFREG, 0x8000
        .equ NR_fcntl64, 221            # the host calls the kernel makes for itself
        .equ NR_pread64, 180
        .equ NR_fstat64, 197
        .equ RLIMIT_STACK, 3

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
        .equ ESRCH, 3
        .equ EBADF, 9
        .equ ECHILD, 10
        .equ EAGAIN, 11
        .equ ENOMEM, 12
        .equ EACCES, 13
        .equ EFAULT, 14
        .equ EEXIST, 17
        .equ ENODEV, 19
        .equ EINVAL, 22
        .equ EPIPE, 32
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

# SAVE_REGS / RESTORE_REGS: the program's registers in signal delivery's order (R_EAX first,
# see the signals section).
        .macro SAVE_REGS
        pushl %ebp
        pushl %edi
        pushl %esi
        pushl %edx
        pushl %ecx
        pushl %ebx
        pushl %eax
        .endm
        .macro RESTORE_REGS
        popl %eax
        popl %ebx
        popl %ecx
        popl %edx
        popl %esi
        popl %edi
        popl %ebp
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
        # The GDT: the program's flat code and data segments at DPL 3 in entries 4 and 5 (the TLS
        # slots 6-8 stay empty until set_thread_area), registered with HYPERVISOR_set_gdt, which
        # validates every descriptor; from then on only HYPERVISOR_update_descriptor changes it.
        movl $0x0000FFFF, pv_gdt + 4*8
        movl $0x00CFFA00, pv_gdt + 4*8 + 4
        movl $0x0000FFFF, pv_gdt + 5*8
        movl $0x00CFF200, pv_gdt + 5*8 + 4
        movl $pv_gdt, %eax
        shrl $12, %eax
        movl %eax, pv_gdt_frames
        movl $pv_gdt_frames, %ebx
        movl $TLS_FIRST + TLS_COUNT, %ecx
        HYPERCALL set_gdt
        .else
        # 1. GDT: patch the TSS base into descriptor 3, load, reload every segment register.
        movl $tss, %eax
        movw %ax, gdt + 3*8 + 2
        shrl $16, %eax
        movb %al, gdt + 3*8 + 4
        movb %ah, gdt + 3*8 + 7
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
        movl BI_TIMER(%ebx), %eax       # the timer's period: instructions, so nanoseconds
        movl %eax, tick_ns
        movl BI_BRK(%ebx), %eax
        movl %eax, brk_start
        movl %eax, brk_cur
        movl %eax, brk_mapped
        call proc_init
        call map_ram
        .ifdef PV
        call mmu_flush                  # map_page reads the directory: make it current
        .endif
        call map_user
        .ifdef UNIKERNEL
        call map_stack
        .endif
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
        xorl %eax, %eax                 # FS and GS null, as Linux's start_thread leaves them
        movw %ax, %fs                   # (a libc loads a TLS selector into one)
        movw %ax, %gs
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

# alloc_frame: %eax = a zeroed 4 KiB frame, 0 when RAM is full. A frame munmap gave back (the
# free list, linked through each frame's first word) is zeroed here; a never-used one is zero
# already (vsim hands over RAM zeroed). Frames are reached through the identity map of RAM.
alloc_frame:
        movl free_list, %eax
        testl %eax, %eax
        jz 2f
        pushl %ecx
        pushl %edi
        movl (%eax), %ecx
        movl %ecx, free_list
        movl %eax, %edi
        movl $1024, %ecx
        pushl %eax
        xorl %eax, %eax
        cld
        rep stosl
        popl %eax
        popl %edi
        popl %ecx
        ret
2:      movl next_free, %eax
        cmpl ram_size, %eax
        jae 1f
        addl $4096, next_free
        ret
1:      xorl %eax, %eax
        ret

# free_frame: give frame %eax back to the free list.
free_frame:
        pushl %ecx
        movl free_list, %ecx
        movl %ecx, (%eax)
        movl %eax, free_list
        popl %ecx
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

        .ifdef UNIKERNEL
# map_stack (unikernel): map the whole 8 MiB stack below USER_TOP at boot. At ring 0 a fault
# pushes its frame on the faulting stack itself, so a stack that ran into an unmapped page
# cannot be grown on the page fault (the push faults again: a double fault, then a triple
# fault); like Unikraft, the library OS gives the program its whole stack up front.
map_stack:
        movl $USER_TOP - STACK_MAX, %edi
1:      movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 2f
        cmpl $0, (%ebx)
        jne 3f                          # mapped already (the boot protocol's 128 KiB)
2:      call alloc_frame
        testl %eax, %eax
        jz 4f
        movl %eax, %edx
        orl $PTE_USER, %edx
        movl %edi, %eax
        call map_page
3:      addl $4096, %edi
        cmpl $USER_TOP, %edi
        jb 1b
4:      ret
        .endif

# map_page: linear page %eax -> page-table entry value %edx (a page table is allocated for a new
# 4 MiB region, with U/S and R/W set in the directory entry so the PTE decides). CF=1 when out
# of RAM. Clobbers %eax %ebx %ecx.
map_page:
        movl %eax, %ecx
        shrl $22, %ecx
        shll $2, %ecx
        addl u_pgdir, %ecx              # the directory entry: this process's directory
        movl (%ecx), %ebx
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
        movl %ecx, %ebx
        call mmu_queue
        call mmu_flush                  # the directory entry must be visible at once
        movl %eax, %ebx
        popl %eax
        .else
        movl %ebx, (%ecx)
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

# pte_ptr: %ebx = the address of the page-table entry of linear page %eax (page tables live in
# the identity-mapped RAM), or 0 when its 4 MiB region has no page table yet. Preserves the rest.
pte_ptr:
        movl %eax, %ebx
        shrl $22, %ebx
        shll $2, %ebx
        addl u_pgdir, %ebx              # this process's directory
        movl (%ebx), %ebx
        testl $1, %ebx
        jz 1f
        andl $0xFFFFF000, %ebx
        pushl %eax
        shrl $12, %eax
        andl $1023, %eax
        leal (%ebx,%eax,4), %ebx
        popl %eax
        ret
1:      xorl %ebx, %ebx
        ret

# set_pte: the page-table entry at %ebx (that of linear page %eax) := %edx. When the old entry
# was present the TLB may hold it: INVLPG; under pv the write is an mmu_update request and the
# invalidation an mmuext_op INVLPG_LOCAL, both queued until mm_done. Preserves registers.
set_pte:
        testl $1, (%ebx)                # ZF=0: the old entry is present
        .ifdef PV
        pushfl
        pushl %eax
        movl %edx, %eax
        call mmu_queue
        popl %eax
        popfl
        jz 1f
        call invlpg_queue
        .else
        movl %edx, (%ebx)               # (MOV leaves the flags alone)
        jz 1f
        invlpg (%eax)
        .endif
1:      ret

# mm_done: under pv, send what set_pte and map_page queued: the page-table writes in mmu_update
# hypercalls, then the TLB invalidations in one mmuext_op (INVLPG_LOCAL per page, or one
# TLB_FLUSH_LOCAL past INVLPG_BATCH pages). Without pv everything is done already.
mm_done:
        .ifdef PV
        call mmu_flush
        pushal
        movl invlpg_count, %ecx
        jecxz 2f
        cmpl $INVLPG_BATCH, %ecx
        jbe 1f
        movl $MMUEXT_TLB_FLUSH_LOCAL, mmuext_ops
        movl $1, %ecx
1:      movl $mmuext_ops, %ebx
        xorl %edx, %edx
        movl $DOMID_SELF, %esi
        HYPERCALL mmuext_op
        movl $0, invlpg_count
2:      popal
        .endif
        ret

# copy_user: %ecx bytes from %esi to %edi, one side in user space (checked with check_user by the
# caller). A page fault on the user side ends the system call with -EFAULT: kernel_fault knows
# user_copy_insn, as Linux's exception table knows its uaccess instructions.
copy_user:
        cld
user_copy_insn:
        rep movsb
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
        cmpl $0, sig_work               # a signal pending or a timer armed: ret_to_user
        jne 2f
1:      popl %ebx
        popl %ecx
        popl %edx
        popl %esi
        popl %edi
        popl %ebp
        iret
2:      pushl %eax                      # the registers in ret_to_user's order (R_EAX first)
        movl %esp, sig_regs
        call ret_to_user
        popl %eax
        jmp 1b

# sys_forward: every call the kernel does not serve itself goes to the host, as a paravirtual
# device forwards work: {number, the six arguments} into the request block, its physical
# address (the kernel's memory is identity-mapped) handed over with one OUT to the host-call
# device (one hypercall under PV), and the host's answer, a value or -errno, returned. Pointer
# arguments stay the program's virtual addresses: the host walks our page tables to reach them.
sys_forward:
        call cow_resolve                # the host writes through the page tables: no shared pages
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

# host_call: the kernel's own request to the host (number %eax, arguments %ebx %ecx %edx %esi
# %edi %ebp), made as sys_forward makes the program's; %eax = the result (a value or -errno).
# Preserves the other registers. The program's registers are safe on the kernel stack meanwhile,
# and the request block is free: a program's forwarded call is over before it enters again.
host_call:
        pushal
        call sys_forward
        movl %eax, 28(%esp)             # pushal's slot for %eax
        popal
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

# exit(status), exit_group(status): the process ends with wait status (status & 0xff) << 8
# (proc_exit). do_exit: the run ends with exit status %eax: the exit device; the machine stops there.
sys_exit:
        movl %ebx, %eax
        andl $0xFF, %eax
        shll $8, %eax
        jmp proc_exit
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

# write(fd, buf, count): fd 1 -> COM1, fd 2 -> COM2, one OUT per byte; other fds: the host
# (write_forward).
sys_write:
        movw $COM1, %di
        cmpl $1, %ebx
        je 1f
        movw $COM2, %di
        cmpl $2, %ebx
        je 1f
        jmp write_forward
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
        movl %edx, %ebp                 # the count, returned
        movw %di, %dx
        jecxz 3f
2:
user_read_insn:
        movb (%esi), %al                # may fault on an unmapped user page: see exc_common
        outb %al, %dx
        incl %esi
        loop 2b
3:      movl %ebp, %eax
        ret

# write_forward: write or writev (%eax) on a descriptor the host serves. An -EPIPE answer (a
# pipe of the program's own whose readers are all gone) also sends SIGPIPE to the writer, as
# Linux's pipe_write does (send_sig(SIGPIPE, current, 0): si_code SI_USER, from itself, posted
# before the call returns): its default action ends the program (128 + 13 = 141); a handler runs
# and SIG_IGN discards it, and the call returns -EPIPE. (A pipe of vsim's own stdout or stderr
# losing its reader stops the machine in the host-call device before an answer comes.)
write_forward:
        call sys_forward
        cmpl $-EPIPE, %eax
        je 1f
        ret
1:      movl $SIGPIPE, %ecx
        movl $SI_USER, %edx
        call send_self                  # %eax = 0
        movl $-EPIPE, %eax
        ret

# writev(fd, iov, iovcnt): each 8-byte {base, len} of the vector written as write writes it,
# the total returned; after an error with bytes already written, the count so far (Linux's
# rule for a short write). iovcnt above UIO_MAXIOV (1024) is -EINVAL. Other fds: the host
# writes the whole vector.
sys_writev:
        cmpl $1, %ebx
        je 0f
        cmpl $2, %ebx
        jne write_forward               # %eax is still 146, writev
0:      cmpl $1024, %edx
        ja einval
        movl %ebx, wv_fd
        movl %ecx, wv_iov
        movl %edx, wv_left
        movl $0, wv_total
1:      cmpl $0, wv_left
        je 3f
        movl wv_iov, %ecx               # copy the next {base, len} in
        movl $8, %edx
        call check_user
        jnz efault
        movl wv_iov, %esi
        movl $wv_vec, %edi
        movl $8, %ecx
        call copy_user
        movl wv_fd, %ebx
        movl wv_vec, %ecx
        movl wv_vec + 4, %edx
        call sys_write
        testl %eax, %eax
        js 2f
        addl %eax, wv_total
        addl $8, wv_iov
        decl wv_left
        jmp 1b
2:      cmpl $0, wv_total
        jne 3f
        ret                             # the error itself
3:      movl wv_total, %eax
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
        movl brk_mapped, %eax           # a mapping in the way: brk fails, as Linux's
        pushl %ebx
        call pte_ptr
        testl %ebx, %ebx
        jz 2f
        cmpl $0, (%ebx)
2:      popl %ebx
        jne 5f
        call alloc_frame
        testl %eax, %eax
        jz 5f
        movl %eax, %edx
        orl $PTE_USER, %edx
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

# ---- the address space: mmap2, mremap, munmap, mprotect, madvise ---------------------------------
# A page of user space is in use when its page-table entry is not 0: present (frame | U | P, and
# R/W with PROT_WRITE), or a PROT_NONE page (frame | PTE_NONE, P = 0: the frame is kept for a
# later mprotect). The page tables are the only record; there is no list of regions. A mapping
# gets its zeroed frames when it is made (Linux waits for the first touch of each page), munmap
# gives them back to the free list. User space is [RAM size, USER_TOP): below lies the kernel's
# identity map of RAM, which these calls never touch (a MAP_FIXED mapping there is -ENOMEM, where
# Linux, with nothing mapped there, would make it). mmap2 places mappings top-down below
# MMAP_TOP, above the heap; brk stops at a mapping.

# page_span: %ecx rounded up to whole pages; CF=1 when that wraps around (%ecx 0 stays 0).
page_span:
        addl $4095, %ecx
        jc 1f
        andl $0xFFFFF000, %ecx          # (clears CF)
1:      ret

# range_in_use: CF=0 when every page of [%ebx, %esi) is user space in use, CF=1 at the first
# that is not. Preserves registers.
range_in_use:
        pushal
        movl %ebx, %edi
1:      cmpl %esi, %edi
        jae 2f
        cmpl ram_size, %edi
        jb 3f
        cmpl $USER_TOP, %edi
        jae 3f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 3f
        cmpl $0, (%ebx)
        je 3f
        addl $4096, %edi
        jmp 1b
2:      popal
        clc
        ret
3:      popal
        stc
        ret

# range_free: CF=0 when no page of [%ebx, %esi) is in use, CF=1 otherwise. Preserves registers.
range_free:
        pushal
        movl %ebx, %edi
1:      cmpl %esi, %edi
        jae 2f
        movl %edi, %eax
        call pte_ptr
        addl $4096, %edi
        testl %ebx, %ebx
        jz 1b
        cmpl $0, (%ebx)
        je 1b
        popal
        stc
        ret
2:      popal
        clc
        ret

# find_free: %ebx = the start of the highest run of %ecx bytes (whole pages) of unused pages
# below MMAP_TOP and above the heap (brk_mapped), as Linux's top-down allocator places
# mappings; CF=1 when there is none. Clobbers %eax %edx %esi %edi.
find_free:
        movl $MMAP_TOP, %edi            # the page below it is checked next
        xorl %esi, %esi                 # bytes of free pages found right above %edi
1:      cmpl %ecx, %esi
        jae 3f
        subl $4096, %edi
        cmpl brk_mapped, %edi
        jb 4f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 2f
        cmpl $0, (%ebx)
        je 2f
        xorl %esi, %esi                 # in use: start counting again below it
        jmp 1b
2:      addl $4096, %esi
        jmp 1b
3:      movl %edi, %ebx
        clc
        ret
4:      stc
        ret

# prot_bits: %edx = the page-table bits for prot %edx. PROT_NONE: PTE_NONE, not present. Any
# other: present and user, plus R/W with PROT_WRITE. i386 paging without PAE has no NX bit, so
# every readable page is executable (PROT_EXEC cannot be withheld), and a writable page is
# readable: x86 has no write-only pages. Linux/i386 without PAE gives the same.
prot_bits:
        testl $PROT_MASK, %edx
        jnz 1f
        movl $PTE_NONE, %edx
        ret
1:      testl $PROT_WRITE, %edx
        movl $5, %edx                   # present, user
        jz 2f
        movl $PTE_USER, %edx            # present, writable, user
2:      ret

# unmap_range: unmap the pages of [%ebx, %ebx + %ecx) (page aligned, ending at or below
# USER_TOP), giving their frames back; pages below user space or not in use are skipped.
# Clobbers %eax %ebx %edx %esi %edi.
unmap_range:
        movl %ebx, %edi
        leal (%ebx,%ecx), %esi
1:      cmpl %esi, %edi
        jae 3f
        cmpl ram_size, %edi
        jb 2f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 2f
        movl (%ebx), %eax
        testl %eax, %eax
        jz 2f
        andl $0xFFFFF000, %eax
        call put_frame
        movl %edi, %eax
        xorl %edx, %edx
        call set_pte
2:      addl $4096, %edi
        jmp 1b
3:      ret

# map_zeroed: map the unused pages [%ebx, %ebx + %ecx) with zeroed frames and page-table bits
# %edx (new entries: nothing to invalidate), then mm_done. CF=1 when RAM runs out, with none of
# the range left mapped. Clobbers all but %ebp.
map_zeroed:
        pushl %ebx
        pushl %edx
        movl %ebx, %edi
        leal (%ebx,%ecx), %esi
1:      cmpl %esi, %edi
        jae 2f
        call alloc_frame
        testl %eax, %eax
        jz 3f
        orl (%esp), %eax
        movl %eax, %edx
        movl %edi, %eax
        call map_page
        jc 4f
        addl $4096, %edi
        jmp 1b
2:      addl $8, %esp
        call mm_done
        clc
        ret
4:      movl %edx, %eax                 # no page table for it: the frame goes back
        andl $0xFFFFF000, %eax
        call free_frame
3:      popl %edx
        popl %ebx
        movl %edi, %ecx
        subl %ebx, %ecx
        call unmap_range
        call mm_done
        stc
        ret

# mmap2(addr, length, prot, flags, fd, pgoffset): a mapping at addr with MAP_FIXED (replacing
# what was there) or MAP_FIXED_NOREPLACE (-EEXIST over a mapping), else at the hint addr
# rounded down to a page if that range is free, else top-down below MMAP_TOP. Returns the
# address. Anonymous (MAP_ANONYMOUS): zeroed frames, pgoffset ignored; private or shared, the
# same thing for a process that never forks. File-backed: the file is the host-call device's
# (fd as the program knows it), so the kernel pages it in through the device: zeroed frames
# mapped writable, the file's type checked with a forwarded fstat64 into the first of them, then
# filled with forwarded pread64(fd, addr, length, pgoffset * 4096) calls (the bytes past the end
# of the file stay zero), then given the requested protection. A MAP_SHARED mapping is a private
# snapshot too: one process, and nobody else writes the file while it runs, so nothing could
# tell; a write to it does not reach the file. Errors in Linux's order (mm/mmap.c
# ksys_mmap_pgoff, do_mmap, get_unmapped_area): a bad fd -EBADF (fcntl64 F_GETFL, forwarded);
# length 0 -EINVAL, length rounding past 4 GiB or above TASK_SIZE -ENOMEM, a fixed range past
# TASK_SIZE -ENOMEM, a fixed address not page aligned -EINVAL, overlap with
# MAP_FIXED_NOREPLACE -EEXIST, a map type other than shared or private -EINVAL; a file not open
# for reading, or PROT_WRITE with MAP_SHARED on one not open for writing, -EACCES; RAM exhausted
# -ENOMEM; a file that is not a regular file -ENODEV (checked once its frames are mapped: with
# MAP_FIXED what was there is gone by then, where Linux checks first); an error of the host's
# pread64 is returned as it is. Nothing is left mapped on an error.
sys_mmap2:
        movl $-1, mm_fd                 # anonymous
        testl $MAP_ANONYMOUS, %esi
        jnz 1f
        pushl %ebx                      # a file: does the program have fd open, and how?
        pushl %ecx
        movl $NR_fcntl64, %eax
        movl %edi, %ebx
        movl $F_GETFL, %ecx
        call host_call
        popl %ecx
        popl %ebx
        testl %eax, %eax
        js 12f                          # -EBADF
        andl $O_ACCMODE, %eax
        movl %eax, mm_acc
        movl %edi, mm_fd
        movl %ebp, mm_pgoff
1:      testl %ecx, %ecx
        jz einval
        call page_span
        jc enomem
        testl %ecx, %ecx
        jz enomem
        cmpl $USER_TOP, %ecx
        ja enomem
        testl $MAP_FIXED_NOREPLACE, %esi
        jz 2f
        orl $MAP_FIXED, %esi
2:      movl %ecx, mm_len
        movl %edx, mm_prot
        movl %esi, mm_flags
        testl $MAP_FIXED, %esi
        jz 3f
        movl $USER_TOP, %eax            # MAP_FIXED: exactly there
        subl %ecx, %eax
        cmpl %eax, %ebx
        ja enomem
        testl $4095, %ebx
        jnz einval
        cmpl ram_size, %ebx
        jb enomem
        jmp 5f
3:      andl $0xFFFFF000, %ebx          # the hint, when the whole range is free user space
        cmpl ram_size, %ebx
        jb 4f
        movl %ebx, %esi
        addl %ecx, %esi
        jc 4f
        cmpl $USER_TOP, %esi
        ja 4f
        call range_free
        jnc 5f
4:      call find_free
        jc enomem
5:      movl %ebx, mm_addr
        movl mm_flags, %eax
        testl $MAP_FIXED_NOREPLACE, %eax
        jz 6f
        movl %ebx, %esi
        addl mm_len, %esi
        call range_free
        jc eexist
6:      andl $MAP_TYPE, %eax
        cmpl $1, %eax                   # MAP_SHARED
        je 7f
        cmpl $3, %eax                   # MAP_SHARED_VALIDATE
        je 7f
        cmpl $2, %eax                   # MAP_PRIVATE
        jne einval
7:      cmpl $-1, mm_fd
        je 8f
        cmpl $1, mm_acc                 # O_WRONLY: no FMODE_READ
        je eacces
        cmpl $2, %eax                   # a shared writable mapping needs O_RDWR
        je 8f
        testl $PROT_WRITE, mm_prot
        jz 8f
        cmpl $2, mm_acc
        jne eacces
8:      testl $MAP_FIXED, mm_flags
        jz 9f
        movl mm_addr, %ebx              # MAP_FIXED replaces: unmap first
        movl mm_len, %ecx
        call unmap_range
        call mm_done
9:      movl mm_prot, %edx
        call prot_bits
        cmpl $-1, mm_fd
        je 10f
        movl $PTE_USER, %edx            # a file's pages: writable while they are filled
10:     movl mm_addr, %ebx
        movl mm_len, %ecx
        call map_zeroed
        jc enomem
        cmpl $-1, mm_fd
        jne file_fill
        movl mm_addr, %eax
        ret
12:     ret

# file_fill (the end of a file-backed mmap2): the frames of [mm_addr, mm_addr + mm_len) are
# mapped writable and zeroed; check the file's type, read it in, give the pages their protection.
file_fill:
        movl $NR_fstat64, %eax          # fstat64(fd, the mapping's first page)
        movl mm_fd, %ebx
        movl mm_addr, %ecx
        call host_call
        testl %eax, %eax
        js 5f
        movl mm_addr, %edi
        movl 16(%edi), %eax             # st_mode
        andl $S_IFMT, %eax
        cmpl $S_IFREG, %eax
        movl $-ENODEV, %eax
        jne 5f
        xorl %eax, %eax                 # the struct stat64 (96 bytes) zeroed again
        movl $24, %ecx
        cld
        rep stosl
        movl mm_addr, %ecx              # pread64(fd, buffer, count, offset low, offset high)
        movl mm_len, %edx
        movl mm_pgoff, %esi
        movl %esi, %edi
        shll $12, %esi
        shrl $20, %edi
1:      movl $NR_pread64, %eax
        movl mm_fd, %ebx
        call host_call
        testl %eax, %eax
        js 5f
        jz 2f                           # the end of the file: the rest stays zero
        addl %eax, %ecx
        addl %eax, %esi
        adcl $0, %edi
        subl %eax, %edx
        jnz 1b
2:      movl mm_prot, %edx              # now the protection asked for
        call prot_bits
        cmpl $PTE_USER, %edx
        je 4f
        movl %edx, mm_bits
        movl mm_addr, %edi
        movl %edi, %esi
        addl mm_len, %esi
3:      movl %edi, %eax
        call pte_ptr
        movl (%ebx), %edx
        andl $0xFFFFF000, %edx
        orl mm_bits, %edx
        call set_pte
        addl $4096, %edi
        cmpl %esi, %edi
        jb 3b
        call mm_done
4:      movl mm_addr, %eax
        ret
5:      pushl %eax                      # an error: nothing stays mapped
        movl mm_addr, %ebx
        movl mm_len, %ecx
        call unmap_range
        call mm_done
        popl %eax
        ret

# make_tables: a page table for every 4 MiB region of [%ebx, %ebx + %ecx) that has none yet, so
# that entries can be written there without failing; CF=1 when RAM runs out. Clobbers all but %ebp.
make_tables:
        movl %ebx, %edi
        leal (%ebx,%ecx), %esi
1:      cmpl %esi, %edi
        jae 2f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jnz 3f
        movl %edi, %eax                 # the entry stays 0: only its page table is made
        xorl %edx, %edx
        call map_page
        jc 4f
3:      addl $4096, %edi
        jmp 1b
2:      clc
4:      ret

# mremap(old_address, old_size, new_size, flags, new_address), as mm/mremap.c does it for a
# private mapping (and as vsim's user mode does, Sources/Guest/LinuxSyscalls+Remap.swift):
#   - sizes are rounded up to pages; old_address not page aligned, a size of 0 (or rounding past
#     4 GiB), flags other than MREMAP_MAYMOVE and MREMAP_FIXED, or MREMAP_FIXED without
#     MREMAP_MAYMOVE: -EINVAL (MREMAP_DONTUNMAP is not served: -EINVAL, as before Linux 5.7);
#   - the old range must be one mapping: every page in use, all with the first page's
#     protection; else -EFAULT. There is no list of mappings, only the page tables, so two
#     adjacent mappings with the same protection count as one (Linux merges such anonymous
#     mappings too);
#   - shrinking unmaps the tail and returns old_address;
#   - growing extends in place (zeroed frames, the same protection) when the pages after the
#     mapping are free user space, else moves it with MREMAP_MAYMOVE (-ENOMEM without) to a
#     range found as mmap2 finds one: the page-table entries move, the frames and their
#     contents stay, the grown part gets zeroed frames;
#   - MREMAP_FIXED moves it to new_address (page aligned, inside user space and not overlapping
#     the old range: -EINVAL), replacing what was mapped there.
# RAM exhausted: -ENOMEM with nothing changed (the target of MREMAP_FIXED unmapped already).
# A file mapping's grown part is zeroed: its pages are a snapshot, no file stays behind them.
sys_mremap:
        call cow_resolve                # (no shared frames past this point)
        testl $4095, %ebx
        jnz einval
        testl $~(MREMAP_MAYMOVE | MREMAP_FIXED), %esi
        jnz einval
        testl $MREMAP_FIXED, %esi
        jz 1f
        testl $MREMAP_MAYMOVE, %esi
        jz einval
1:      call page_span                  # the old size
        jc einval
        testl %ecx, %ecx
        jz einval
        movl %ecx, mm_len
        movl %edx, %ecx
        call page_span                  # the new size
        jc einval
        testl %ecx, %ecx
        jz einval
        movl %ecx, mm_new
        movl %ebx, mm_addr
        movl %esi, mm_flags
        movl %edi, mm_target
        movl %ebx, %eax                 # the old range: in user space
        addl mm_len, %eax
        jc efault
        cmpl $USER_TOP, %eax
        ja efault
        cmpl ram_size, %ebx
        jb efault
        testl $MREMAP_FIXED, %esi
        jz 2f
        testl $4095, %edi               # the target: aligned, in user space, apart from the old
        jnz einval
        movl %edi, %eax
        addl %ecx, %eax
        jc einval
        cmpl $USER_TOP, %eax
        ja einval
        cmpl %eax, %ebx                 # overlap: old < target + new and target < old + old size
        jae 3f
        movl %ebx, %eax
        addl mm_len, %eax
        cmpl %eax, %edi
        jb einval
3:      cmpl ram_size, %edi
        jb enomem
2:      movl %ebx, %eax                 # one mapping: every page in use, with the first's bits
        call pte_ptr
        testl %ebx, %ebx
        jz efault
        movl (%ebx), %edx
        andl $PTE_KIND, %edx
        jz efault
        movl %edx, mm_bits
        movl mm_addr, %edi
        movl %edi, %esi
        addl mm_len, %esi
4:      addl $4096, %edi
        cmpl %esi, %edi
        jae 5f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz efault
        movl (%ebx), %edx
        andl $PTE_KIND, %edx
        cmpl mm_bits, %edx
        jne efault
        jmp 4b
5:      testl $MREMAP_FIXED, mm_flags
        jnz 8f
        movl mm_new, %ecx
        cmpl mm_len, %ecx
        ja 6f
        movl mm_addr, %ebx              # shrinking (or the same size): the tail goes
        addl %ecx, %ebx
        movl mm_len, %ecx
        subl mm_new, %ecx
        call unmap_range
        call mm_done
        movl mm_addr, %eax
        ret
6:      movl mm_addr, %esi              # growing in place: are the pages after it free?
        addl mm_new, %esi
        jc 7f
        cmpl $USER_TOP, %esi
        ja 7f
        movl mm_addr, %ebx
        addl mm_len, %ebx
        call range_free
        jc 7f
        movl mm_new, %ecx
        subl mm_len, %ecx
        movl mm_bits, %edx
        call map_zeroed
        jc enomem
        movl mm_addr, %eax
        ret
7:      testl $MREMAP_MAYMOVE, mm_flags
        jz enomem
        movl mm_new, %ecx               # moving: somewhere free, as mmap2 places a mapping
        call find_free
        jc enomem
        jmp 9f
8:      movl mm_target, %ebx            # MREMAP_FIXED: there, replacing what was there
        movl mm_new, %ecx
        call unmap_range
        call mm_done
        movl mm_target, %ebx
9:      movl %ebx, mm_dest
        movl mm_new, %ecx               # page tables first: moving entries then cannot fail
        call make_tables
        .ifdef PV
        pushfl
        call mmu_flush
        popfl
        .endif
        jc enomem
        movl mm_len, %ecx               # the bytes kept: min(old size, new size)
        cmpl mm_new, %ecx
        jbe 10f
        movl mm_new, %ecx
10:     movl %ecx, mm_kept
        movl mm_new, %ecx               # the grown part: zeroed frames
        subl mm_kept, %ecx
        jz 11f
        movl mm_dest, %ebx
        addl mm_kept, %ebx
        movl mm_bits, %edx
        call map_zeroed
        jc enomem
11:     xorl %edi, %edi                 # move the kept entries, frames and all
12:     cmpl mm_kept, %edi
        jae 13f
        movl mm_addr, %eax
        addl %edi, %eax
        call pte_ptr
        movl (%ebx), %ecx
        xorl %edx, %edx
        call set_pte                    # the old entry: gone (INVLPG if it was present)
        movl mm_dest, %eax
        addl %edi, %eax
        call pte_ptr
        movl %ecx, %edx
        call set_pte                    # the new one: was not in use, nothing to invalidate
        addl $4096, %edi
        jmp 12b
13:     movl mm_len, %ecx               # moving to a smaller size: the rest of the old range goes
        subl mm_kept, %ecx
        jz 14f
        movl mm_addr, %ebx
        addl mm_kept, %ebx
        call unmap_range
14:     call mm_done
        movl mm_dest, %eax
        ret

# munmap(addr, length): unmap every page of [addr, addr + length rounded up), mappings or parts
# of them alike; pages not mapped are no error. Linux's errors (mm/mmap.c do_vmi_munmap): addr
# not page aligned, above TASK_SIZE or length past it, or length 0: -EINVAL.
sys_munmap:
        testl $4095, %ebx
        jnz einval
        call page_span
        jc einval
        testl %ecx, %ecx
        jz einval
        movl $USER_TOP, %eax
        subl %ebx, %eax
        jb einval
        cmpl %eax, %ecx
        ja einval
        call unmap_range
        call mm_done
        xorl %eax, %eax
        ret

# mprotect(addr, length, prot): new protection for every page of [addr, addr + length rounded
# up) (see prot_bits). Linux's errors (mm/mprotect.c do_mprotect_pkey): PROT_GROWSDOWN and
# PROT_GROWSUP together or addr not page aligned -EINVAL; length 0 is 0; a range that wraps
# -ENOMEM; prot bits other than READ WRITE EXEC SEM -EINVAL; a page not mapped -ENOMEM (Linux
# has changed the mappings before the hole by then; this kernel checks first and changes
# nothing).
sys_mprotect:
        call cow_resolve                # (no shared frames past this point)
        movl %edx, %eax
        andl $0x03000000, %eax          # PROT_GROWSDOWN | PROT_GROWSUP
        cmpl $0x03000000, %eax
        je einval
        andl $~0x03000000, %edx
        testl $4095, %ebx
        jnz einval
        jecxz 3f
        call page_span
        jc enomem
        movl %ebx, %esi
        addl %ecx, %esi
        jc enomem
        jz enomem
        testl $~15, %edx
        jnz einval
        call range_in_use
        jc enomem
        call prot_bits
        movl %edx, mm_bits
        movl %ebx, %edi
1:      cmpl %esi, %edi
        jae 2f
        movl %edi, %eax
        call pte_ptr
        movl (%ebx), %edx
        andl $0xFFFFF000, %edx
        orl mm_bits, %edx
        call set_pte
        addl $4096, %edi
        jmp 1b
2:      call mm_done
3:      xorl %eax, %eax
        ret

# madvise(addr, length, advice): MADV_DONTNEED (4) empties the pages (a private anonymous page
# reads as zeros afterwards, as Linux gives it); the other advice Linux 6.1 knows (0-3, 8-23)
# is accepted and changes nothing here. Linux's errors (mm/madvise.c): unknown advice or addr
# not page aligned -EINVAL, length rounding past 4 GiB or a wrapping range -EINVAL; length 0 is
# 0; a page not mapped -ENOMEM (after the mapped pages were done).
sys_madvise:
        call cow_resolve                # (no shared frames past this point)
        cmpl $4, %edx
        jbe 1f
        cmpl $8, %edx
        jb einval
        cmpl $23, %edx
        ja einval
1:      testl $4095, %ebx
        jnz einval
        testl %ecx, %ecx
        jz 5f
        call page_span
        jc einval
        movl %ebx, %esi
        addl %ecx, %esi
        jc einval
        movl %edx, mm_prot              # (the advice)
        movl $0, mm_bits                # 0, or -ENOMEM once a hole is seen
        movl %ebx, %edi
2:      cmpl %esi, %edi
        jae 4f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 6f
        movl (%ebx), %eax
        testl %eax, %eax
        jz 6f
        cmpl ram_size, %edi
        jb 6f
        cmpl $MADV_DONTNEED, mm_prot
        jne 3f
        pushl %edi
        andl $0xFFFFF000, %eax          # zero the frame through the identity map
        movl %eax, %edi
        xorl %eax, %eax
        movl $1024, %ecx
        cld
        rep stosl
        popl %edi
3:      addl $4096, %edi
        jmp 2b
6:      movl $-ENOMEM, mm_bits
        jmp 3b
4:      movl mm_bits, %eax
        ret
5:      xorl %eax, %eax
        ret

ebadf:  movl $-EBADF, %eax
        ret
einval: movl $-EINVAL, %eax
        ret
enomem: movl $-ENOMEM, %eax
        ret
eexist: movl $-EEXIST, %eax
        ret
eacces: movl $-EACCES, %eax
        ret

# ---- thread-local storage: set_thread_area, get_thread_area ------------------------------------
# i386 Linux's (arch/x86/kernel/tls.c) with its struct user_desc:
#   0 entry_number  4 base_addr  8 limit
#   12 seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1 useable:1
# The slots are GDT entries 6-8 (selectors 0x33, 0x3b, 0x43); a program loads one into %gs and
# its accesses through %gs add the slot's base. Under pv the kernel's GDT is registered with
# HYPERVISOR_set_gdt at boot and written only through
# HYPERVISOR_update_descriptor, which validates each descriptor, as Xen requires.

# set_thread_area(u_info): entry_number -1 picks the first empty slot (-ESRCH when none) and
# writes its number back; another number must be 6-8 (-EINVAL). The descriptor is a 32-bit data
# segment at DPL 3 (fill_ldt: type from read_exec_only and contents, accessed bit set); an "empty"
# request (LDT_empty or all zero) clears the slot. -EINVAL for a 16-bit segment, contents > 1
# (code) or seg_not_present (tls_desc_okay); -EFAULT for a bad pointer. A segment register that
# holds the slot's selector is reloaded (i386 Linux reloads them on the return to user mode);
# with the slot cleared it gets the null selector.
sys_set_thread_area:
        movl %ebx, tls_user
        movl %ebx, %ecx
        movl $16, %edx
        call check_user
        jnz efault
        movl %ebx, %esi
        movl $tls_info, %edi
        movl $16, %ecx
        call copy_user
        xorl %eax, %eax                 # the descriptor, high word in %edx: 0 for an empty request
        xorl %edx, %edx
        movl tls_info + 4, %ecx         # base | limit: both 0 in an empty request
        orl tls_info + 8, %ecx
        movl tls_info + 12, %ebx
        andl $0x7F, %ebx                # the seven flag bits
        jnz 1f
        testl %ecx, %ecx
        jz 3f                           # LDT_zero
1:      cmpl $0x28, %ebx                # read_exec_only and seg_not_present alone: LDT_empty
        jne 2f
        testl %ecx, %ecx
        jz 3f
2:      testl $1, %ebx                  # tls_desc_okay: 32-bit,
        jz einval
        testl $4, %ebx                  # data (contents 0 or 1),
        jnz einval
        testl $0x20, %ebx               # present
        jnz einval
        call tls_descriptor
3:      movl %eax, tls_lo
        movl %edx, tls_hi
        movl tls_info, %eax             # entry_number
        cmpl $-1, %eax
        jne 5f
        movl $TLS_FIRST, %eax           # the first empty slot
4:      movl tls_gdt(,%eax,8), %ecx
        orl tls_gdt + 4(,%eax,8), %ecx
        jz 6f
        incl %eax
        cmpl $TLS_FIRST + TLS_COUNT, %eax
        jb 4b
        movl $-ESRCH, %eax
        ret
6:      movl %eax, tls_info             # its number, written back
        movl $tls_info, %esi
        movl tls_user, %edi
        movl $4, %ecx
        call copy_user
5:      cmpl $TLS_FIRST, %eax
        jb einval
        cmpl $TLS_FIRST + TLS_COUNT - 1, %eax
        ja einval
        call tls_write
        leal 3(,%eax,8), %ebx           # the selector, RPL 3
        movw %fs, %cx
        cmpw %bx, %cx
        jne 7f
        call tls_selector
        movw %cx, %fs
7:      movw %gs, %cx
        cmpw %bx, %cx
        jne 8f
        call tls_selector
        movw %cx, %gs
8:      xorl %eax, %eax
        ret

# tls_selector: %ecx = the selector %ebx again, or null when slot %eax is now empty.
tls_selector:
        movl tls_gdt(,%eax,8), %ecx
        orl tls_gdt + 4(,%eax,8), %ecx
        jz 1f
        movl %ebx, %ecx
1:      ret

# tls_descriptor: %edx:%eax = the GDT descriptor for tls_info (Linux's fill_ldt): limit 15:0 and
# base 15:0 low; base 23:16, type (accessed, writable unless read_exec_only, contents), S, DPL 3,
# P, limit 19:16, AVL (useable), D (seg_32bit), G (limit_in_pages), base 31:24 high.
tls_descriptor:
        movl tls_info + 4, %ecx         # base
        movl tls_info + 8, %eax         # limit
        andl $0xFFFF, %eax
        movl %ecx, %edx
        shll $16, %edx
        orl %edx, %eax                  # low word done
        movl %ecx, %edx
        andl $0xFF000000, %edx
        shrl $16, %ecx
        andl $0xFF, %ecx
        orl %ecx, %edx                  # base 31:24, 23:16
        movl tls_info + 8, %ecx
        andl $0xF0000, %ecx
        orl %ecx, %edx                  # limit 19:16
        orl $0x7100, %edx               # accessed, S, DPL 3
        movl tls_info + 12, %ecx
        testl $8, %ecx                  # read_exec_only: no W
        jnz 1f
        orl $0x200, %edx
1:      testl $0x20, %ecx               # seg_not_present: no P (only for an empty slot)
        jnz 2f
        orl $0x8000, %edx
2:      pushl %ecx
        andl $6, %ecx                   # contents -> type bits 3:2
        shll $9, %ecx
        orl %ecx, %edx
        movl (%esp), %ecx
        andl $0x40, %ecx                # useable -> AVL (bit 20)
        shll $14, %ecx
        orl %ecx, %edx
        movl (%esp), %ecx
        andl $1, %ecx                   # seg_32bit -> D (bit 22)
        shll $22, %ecx
        orl %ecx, %edx
        popl %ecx
        andl $0x10, %ecx                # limit_in_pages -> G (bit 23)
        shll $19, %ecx
        orl %ecx, %edx
        ret

# tls_write: GDT entry %eax := tls_hi:tls_lo. Preserves %eax.
tls_write:
        .ifdef PV
        pushl %eax                      # HYPERVISOR_update_descriptor(ma low, ma high, desc)
        leal tls_gdt(,%eax,8), %ebx
        xorl %ecx, %ecx
        movl tls_lo, %edx
        movl tls_hi, %esi
        HYPERCALL update_descriptor
        popl %eax
        .else
        movl tls_lo, %ecx
        movl %ecx, tls_gdt(,%eax,8)
        movl tls_hi, %ecx
        movl %ecx, tls_gdt + 4(,%eax,8)
        .endif
        ret

# get_thread_area(u_info): slot entry_number (6-8, else -EINVAL) as a user_desc (Linux's
# fill_user_desc; an empty slot reads as read_exec_only and seg_not_present).
sys_get_thread_area:
        movl %ebx, tls_user
        movl %ebx, %ecx
        movl $16, %edx
        call check_user
        jnz efault
        movl %ebx, %esi
        movl $tls_info, %edi
        movl $4, %ecx
        call copy_user
        movl tls_info, %eax
        cmpl $TLS_FIRST, %eax
        jb einval
        cmpl $TLS_FIRST + TLS_COUNT - 1, %eax
        ja einval
        movl tls_gdt(,%eax,8), %ebx     # low word
        movl tls_gdt + 4(,%eax,8), %edx # high word
        movl %ebx, %eax                 # base
        shrl $16, %eax
        movl %edx, %ecx
        andl $0xFF, %ecx
        shll $16, %ecx
        orl %ecx, %eax
        movl %edx, %ecx
        andl $0xFF000000, %ecx
        orl %ecx, %eax
        movl %eax, tls_info + 4
        andl $0xFFFF, %ebx              # limit
        movl %edx, %ecx
        andl $0xF0000, %ecx
        orl %ecx, %ebx
        movl %ebx, tls_info + 8
        movl %edx, %ebx                 # flags
        shrl $22, %ebx
        andl $1, %ebx                   # seg_32bit
        movl %edx, %ecx
        shrl $9, %ecx
        andl $6, %ecx                   # contents
        orl %ecx, %ebx
        testl $0x200, %edx
        jnz 1f
        orl $8, %ebx                    # read_exec_only
1:      movl %edx, %ecx
        shrl $19, %ecx
        andl $0x10, %ecx                # limit_in_pages
        orl %ecx, %ebx
        testl $0x8000, %edx
        jnz 2f
        orl $0x20, %ebx                 # seg_not_present
2:      movl %edx, %ecx
        shrl $14, %ecx
        andl $0x40, %ecx                # useable
        orl %ecx, %ebx
        movl %ebx, tls_info + 12
        movl $tls_info, %esi
        movl tls_user, %edi
        movl $16, %ecx
        call copy_user
        xorl %eax, %eax
        ret

# ---- what a libc's start-up asks -----------------------------------------------------------------
# getpid, gettid, set_tid_address (one process, one thread: nothing to clear at exit), getppid:
# the numbers vsim's user mode gives.
sys_getpid:
        movl u_pid, %eax
        ret
sys_getppid:
        movl u_ppid, %eax
        ret

# set_robust_list(head, len): the robust-futex list matters to threads, which this kernel does
# not run: accepted when len is sizeof(struct robust_list_head), 12, else -EINVAL
# (kernel/futex/syscalls.c). glibc's start-up registers one.
sys_set_robust_list:
        cmpl $12, %ecx
        jne einval
        xorl %eax, %eax
        ret

# rseq: -ENOSYS, as a kernel built without CONFIG_RSEQ answers; glibc then does without
# restartable sequences. Answered here, not forwarded: it is the kernel's business, not a file's.
sys_rseq:
        movl $-ENOSYS, %eax
        ret

# uname(buf): struct new_utsname, six 65-byte fields: "Linux" (the ABI served), "vsim",
# "6.1.0-vsim" (the i386 ABI of Linux 6.1, Debian 12's), the kernel's version line, "i686" (as
# vsim's user mode says) and "(none)". User mode gives the host's release and version instead:
# this kernel cannot see the host.
sys_uname:
        movl %ebx, %ecx
        movl $6 * 65, %edx
        call check_user
        jnz efault
        movl $utsname, %esi
        movl %ebx, %edi
        movl $6 * 65, %ecx
        call copy_user
        xorl %eax, %eax
        ret

# ugetrlimit(resource, rlim) and prlimit64(pid, resource, new, old) reading only: the limits this
# kernel keeps: RLIMIT_STACK 8 MiB soft, unlimited hard (Linux's defaults; the stack grows that
# far), every other resource unlimited (none is enforced). Resource 16 or above -EINVAL; prlimit64
# for another pid -ESRCH, and with a new limit -ENOSYS (changing limits is not served, as in
# vsim's user mode).
sys_ugetrlimit:
        cmpl $16, %ebx
        jae einval
        movl %ecx, %edi
        movl %ecx, tls_user
        movl $8, %edx
        call check_user
        jnz efault
        call rlimit_of
        movl %eax, rl_buf
        movl $-1, rl_buf + 4
        movl $rl_buf, %esi
        movl tls_user, %edi
        movl $8, %ecx
        call copy_user
        xorl %eax, %eax
        ret

sys_prlimit64:
        testl %ebx, %ebx
        jz 1f
        cmpl u_pid, %ebx
        jne esrch
1:      cmpl $16, %ecx
        jae einval
        testl %edx, %edx
        jnz enosys
        testl %esi, %esi
        jz 2f
        movl %ecx, %ebx
        movl %esi, %ecx
        movl %esi, tls_user
        movl $16, %edx
        call check_user
        jnz efault
        call rlimit_of
        movl %eax, rl_buf               # rlim_cur, 64 bits
        sarl $31, %eax
        movl %eax, rl_buf + 4
        movl $-1, rl_buf + 8            # rlim_max: RLIM64_INFINITY
        movl $-1, rl_buf + 12
        movl $rl_buf, %esi
        movl tls_user, %edi
        movl $16, %ecx
        call copy_user
2:      xorl %eax, %eax
        ret

# rlimit_of: %eax = the soft limit of resource %ebx (-1: RLIM_INFINITY).
rlimit_of:
        movl $-1, %eax
        cmpl $RLIMIT_STACK, %ebx
        jne 1f
        movl $STACK_MAX, %eax
1:      ret

esrch:  movl $-ESRCH, %eax
        ret
eagain: movl $-EAGAIN, %eax
        ret
enosys: movl $-ENOSYS, %eax
        ret

# ---- processes: the u-area, fork/clone/vfork, wait4/waitpid, exit, the scheduler ---------------
# Up to NPROC processes, in the classic Unix split (Lions' commentary on V6: proc and user):
#   - the process table (proc_table): what other processes must see of each, always in place:
#     P_STATE (P_FREE, P_RUN: runnable or running, P_WAIT: blocked in wait4, P_ZOMBIE: exited,
#     not yet reaped), P_PID, P_PPID, P_XSTAT (the wait status Linux gives: exit code << 8, or
#     the number of the signal that killed it), then P_UAREA, the saved u-area;
#   - the u-area: every per-process kernel variable, one contiguous block at a fixed address
#     between uarea_begin and uarea_end (.bss below). The running process's u-area is the live
#     one; a context switch (swtch) copies it out to the process's P_UAREA and the next one's
#     in, and fork copies it whole into the child's slot. So the code that reads brk_cur, the TLS
#     slots or the signal state keeps using fixed addresses, as V6's code did with its u-area at
#     a fixed virtual address; and whatever is placed between the two labels (the signal state,
#     say) is switched and inherited without a line of code here. Copying ~100 bytes per switch
#     is cheaper than the page-table or pointer plumbing it saves, and the switch is rare next
#     to what it costs the VMM (a CR3 load).
# Address spaces: every process has its own page directory (u_pgdir; CR3). The directory entries
# of the RAM identity map (the kernel's, below ram_size, which must be a multiple of 4 MiB)
# point to the same page tables in every process; user space gets its own page tables. fork is
# copy-on-write, as Linux's (mm/memory.c copy_pte_range): every user page of the parent is shared
# with the child, and a writable one loses R/W in both and gets PTE_COW; a write to it then
# faults (cow_fault) and the page is copied, or only made writable again when no other process
# shares its frame any more (frame_refs: one byte per frame of RAM, the number of other page
# tables that map it). Copying every page at fork would hide the page-table work that
# Adams & Agesen's forkwait measures: the parent's entries write-protected (traced writes under
# trap, bt and hvm without EPT; mmu_update under pv), and the copy-on-write faults after it.
# The host-call device writes the program's buffers through the page tables without faulting
# (as DMA would), so a process that still shares pages has them all made private first
# (cow_resolve, also before mprotect, mremap and madvise, which would otherwise have to know
# about shared frames). The zombie keeps its page directory and page tables until its parent
# reaps it (its user frames are given back at exit): they are freed in the parent's address
# space, where no shadow-paging VMM traces them.
# Scheduling: round-robin over the table (pick_next), at wait4 (a parent with no zombie child
# to reap sleeps), at exit, and at a timer tick that interrupts ring 3. swtch keeps each
# process's kernel context on its own kernel stack (u_kstack, the TSS's ESP0 while it runs).
# A process killed by an exception ends as if by its signal. The run ends when no process is
# left runnable or waiting, with the first process's status (GUEST_PID; 128+signal when a
# signal ended it), whatever order they ended in. A process whose parent has exited gets
# ppid 1 (Linux reparents it to init) and is reaped as it exits, as init reaps it; so is a
# child whose parent sets SIGCHLD to SIG_IGN or SA_NOCLDWAIT (chld_signal). Such a process
# ends as a zombie with pid and ppid 0, which nothing finds; sys_clone frees one when it needs
# its slot (its user frames went at exit; its page tables cannot go while it runs on them).
# Limits: no threads (CLONE_VM without CLONE_VFORK, CLONE_THREAD, CLONE_SETTLS and the
# namespace flags: -ENOSYS); vfork and clone(CLONE_VM | CLONE_VFORK) are fork; the files the
# host-call device opened are one table for the whole guest, shared as clone(CLONE_FILES)
# would share them; CLONE_CHILD_CLEARTID is accepted and has nothing to clear (no thread
# shares the memory of a process that exits).
# Signals are per process: their state (sigstate_begin..sigstate_end) is part of the u-area, so
# swtch carries it and fork copies it (the child then has nothing pending and no interval
# timer); exit sends the parent SIGCHLD (chld_signal), kill reaches another process's saved
# u-area (post_to), and a wait4 asleep wakes for a signal and is interrupted (-EINTR, or again
# under SA_RESTART). A process's interval timer is checked while it runs (run_timers): one
# asleep in wait4 sees its SIGALRM when something else wakes it.

# proc_init (boot, before map_ram): process 0 is the program: slot 0, pid GUEST_PID, parent
# GUEST_PID - 1 (outside the guest), the boot page directory and kernel stack. The frame
# reference counts get the first free frames (RAM is zeroed: every count 0).
proc_init:
        movl $proc_table, %eax
        movl $P_RUN, P_STATE(%eax)
        movl $GUEST_PID, P_PID(%eax)
        movl $GUEST_PID - 1, P_PPID(%eax)
        movl %eax, u_proc
        movl $GUEST_PID, u_pid
        movl $GUEST_PID - 1, u_ppid
        movl $page_dir, u_pgdir
        movl $kstack_top, u_kstack
        movl $GUEST_PID + 1, next_pid
        movl ram_size, %eax             # one byte per frame
        shrl $12, %eax
        addl $4095, %eax
        andl $0xFFFFF000, %eax
        movl next_free, %ecx
        movl %ecx, frame_refs
        addl %eax, next_free
        ret

# pt_store: the page-table entry at %ebx := %eax: a plain store (under trap, bt and hvm without
# EPT a traced write when the table belongs to the current directory), under pv an mmu_update
# request queued (sent by mmu_flush). Preserves registers.
pt_store:
        .ifdef PV
        jmp mmu_queue
        .else
        movl %eax, (%ebx)
        ret
        .endif

# put_frame: drop one reference to frame %eax: the last one gives it back to the free list.
# Preserves registers.
put_frame:
        pushl %ecx
        movl %eax, %ecx
        shrl $12, %ecx
        addl frame_refs, %ecx
        cmpb $0, (%ecx)
        je 1f
        decb (%ecx)
        popl %ecx
        ret
1:      popl %ecx
        jmp free_frame

# fork(), vfork(): clone with SIGCHLD and nothing else.
sys_fork:
        movl $SIGCHLD, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %edi, %edi
# clone(flags, newsp, parent_tidptr, tls, child_tidptr) (i386's argument order,
# CONFIG_CLONE_BACKWARDS): a new process, a copy-on-write copy of this one, returning 0 in the
# child and the child's pid in the parent. newsp (when not 0) becomes the child's user stack
# pointer; CLONE_CHILD_SETTID stores the child's tid at child_tidptr in the child's memory,
# CLONE_PARENT_SETTID at parent_tidptr in the parent's. -EAGAIN when the process table is
# full, -ENOMEM when RAM runs out (nothing of the child is left then).
sys_clone:
        .ifdef UNIKERNEL
        # One address space and no isolation inside it: a library OS has nothing to copy a
        # process into. Unikraft and HermiTux answer fork -ENOSYS too (docs/guest-kernel.md).
        jmp enosys
        .else
        testl $~(CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID), %ebx
        jnz enosys
        movl %ebx, %eax
        andl $CLONE_VM | CLONE_VFORK, %eax
        cmpl $CLONE_VM, %eax            # CLONE_VM alone: a thread
        je enosys
        movl %ebx, fk_flags
        movl %ecx, fk_sp
        movl %edx, fk_ptid
        movl %edi, fk_ctid
0:      movl $proc_table + PROC_SIZE, %esi  # a free slot (slot 0 is the first process's)
        movl $kstacks + KSTACK_SIZE, %ebp   #   and its kernel stack's top
1:      cmpl $P_FREE, P_STATE(%esi)
        je 2f
        addl $PROC_SIZE, %esi
        addl $KSTACK_SIZE, %ebp
        cmpl $proc_table_end, %esi
        jb 1b
        movl $proc_table, %ebx          # none: free a zombie nobody waits for (pid 0,
7:      addl $PROC_SIZE, %ebx           #   chld_signal) and look again
        cmpl $proc_table_end, %ebx
        jae eagain
        cmpl $0, P_PID(%ebx)
        jne 7b
        call reap
        jmp 0b
2:      movl %esi, fk_proc
        movl %ebp, fk_kstack
        call alloc_frame                # the child's page directory
        testl %eax, %eax
        jz enomem
        movl %eax, fk_pgdir
        call fork_copy_mm
        .ifdef PV
        pushfl
        call mmu_flush
        popfl
        .endif
        jnc 3f
        movl fk_pgdir, %esi             # out of RAM: the child's part goes again
        call free_user_frames
        call free_tables
        .ifdef PV
        call mm_tlb_flush
        .else
        movl u_pgdir, %eax
        movl %eax, %cr3
        .endif
        jmp enomem
3:
        # The parent's TLB may hold entries that had R/W: flush it (Linux: flush_tlb_mm). Under
        # pv that and pinning the child's directory are one mmuext_op.
        .ifdef PV
        movl fk_pgdir, %eax
        shrl $12, %eax
        movl %eax, fork_ext + 16        # MMUEXT_PIN_L2_TABLE's frame
        movl $fork_ext, %ebx
        movl $2, %ecx
        xorl %edx, %edx
        movl $DOMID_SELF, %esi
        HYPERCALL mmuext_op
        .else
        movl u_pgdir, %eax
        movl %eax, %cr3
        .endif
        movl $1, u_cow                  # both now share pages
        call tls_save                   # the u-area, current, into the child's slot
        movl fk_proc, %edi
        addl $P_UAREA, %edi
        movl $uarea_begin, %esi
        movl $uarea_end - uarea_begin, %ecx
        shrl $2, %ecx
        cld
        rep movsl
        movl fk_proc, %ebx
        movl next_pid, %eax
        incl next_pid
        movl %eax, P_PID(%ebx)
        movl %eax, P_UAREA + u_pid - uarea_begin(%ebx)
        movl u_pid, %eax
        movl %eax, P_PPID(%ebx)
        movl %eax, P_UAREA + u_ppid - uarea_begin(%ebx)
        movl $0, P_XSTAT(%ebx)
        movl %ebx, P_UAREA + u_proc - uarea_begin(%ebx)
        movl fk_pgdir, %eax
        movl %eax, P_UAREA + u_pgdir - uarea_begin(%ebx)
        xorl %eax, %eax                 # its signals (fork(2)): the actions, mask and alternate
        movl %eax, P_UAREA + sig_pending - uarea_begin(%ebx)      # stack inherited; nothing
        movl %eax, P_UAREA + sig_pending + 4 - uarea_begin(%ebx)  # pending, no interval
        movl %eax, P_UAREA + it_due - uarea_begin(%ebx)           # timer
        movl %eax, P_UAREA + it_due + 4 - uarea_begin(%ebx)
        movl %eax, P_UAREA + it_interval - uarea_begin(%ebx)
        movl %eax, P_UAREA + it_interval + 4 - uarea_begin(%ebx)
        movl %eax, P_UAREA + sig_work - uarea_begin(%ebx)
        movl fk_kstack, %eax
        movl %eax, P_UAREA + u_kstack - uarea_begin(%ebx)
        subl $44, %eax                  # where its system call frame will be
        movl %eax, P_UAREA + sys_esp - uarea_begin(%ebx)
        xorl %eax, %eax
        testl $CLONE_CHILD_SETTID, fk_flags
        jz 4f
        movl fk_ctid, %eax
4:      movl %eax, P_UAREA + u_settid - uarea_begin(%ebx)
        # The child's kernel stack: this call's frame (the 6 registers syscall_entry pushed and
        # the interrupt frame above them), then what swtch pops: fork_child_ret as the return
        # address, %fs, %gs and 8 registers for POPAL.
        movl u_kstack, %esi
        subl $44, %esi
        movl fk_kstack, %edi
        subl $44, %edi
        movl %edi, %edx
        movl $11, %ecx
        rep movsl
        movl fk_sp, %eax                # a new user stack pointer: into the frame's ESP
        testl %eax, %eax
        jz 5f
        movl %eax, 36(%edx)
5:      movl $fork_child_ret, -4(%edx)
        xorl %eax, %eax
        movw %fs, %ax
        movl %eax, -8(%edx)
        movw %gs, %ax
        movl %eax, -12(%edx)
        leal -44(%edx), %eax            # 8 registers below them (their values do not matter)
        movl %eax, P_UAREA + u_ksp - uarea_begin(%ebx)
        movl $P_RUN, P_STATE(%ebx)
        testl $CLONE_PARENT_SETTID, fk_flags
        jz 6f
        movl fk_ptid, %ecx              # the child's tid into the parent's memory
        movl $4, %edx
        call check_user
        jnz 6f
        movl $P_PID, %esi
        addl fk_proc, %esi
        movl fk_ptid, %edi
        movl $4, %ecx
        call copy_user
6:      movl fk_proc, %eax
        movl P_PID(%eax), %eax
        ret

# fork_child_ret: where a new process starts, in its first swtch: CLONE_CHILD_SETTID's store,
# then back to ring 3 from the copied system call frame with %eax = 0.
fork_child_ret:
        movl u_settid, %edi
        testl %edi, %edi
        jz 1f
        movl $0, u_settid
        movl %edi, %ecx
        movl $4, %edx
        call check_user
        jnz 1f
        movl $u_pid, %esi
        movl $4, %ecx
        call copy_user
1:      xorl %eax, %eax
        jmp sys_return
        .endif

# fork_copy_mm: the child's page directory fk_pgdir for the current address space: the kernel's
# entries copied (the same page tables), a new page table for each of the user's, whose entries
# map the same frames (one more reference each); a writable page loses R/W and gets PTE_COW in
# both. CF=1 when RAM runs out (the child's directory then holds what was made so far).
fork_copy_mm:
        movl u_pgdir, %esi
        movl fk_pgdir, %edi
        xorl %ecx, %ecx                 # directory index
        movl ram_size, %edx
        shrl $22, %edx                  # the first of user space
1:      cmpl %edx, %ecx
        jae 2f
        movl (%esi,%ecx,4), %eax        # the kernel's: the same page tables
        leal (%edi,%ecx,4), %ebx
        call pt_store
        incl %ecx
        jmp 1b
2:      cmpl $USER_TOP >> 22, %ecx
        jae 7f
        movl (%esi,%ecx,4), %eax
        testl $1, %eax
        jz 6f
        andl $0xFFFFF000, %eax
        movl %eax, fk_ppt               # the parent's page table
        call alloc_frame
        testl %eax, %eax
        jz 8f
        movl %eax, fk_cpt               # the child's
        orl $7, %eax
        leal (%edi,%ecx,4), %ebx
        call pt_store
        pushl %ecx
        xorl %ecx, %ecx                 # page-table index
3:      movl fk_ppt, %ebx
        leal (%ebx,%ecx,4), %ebx
        movl (%ebx), %eax
        testl %eax, %eax
        jz 5f
        movl %eax, %edx                 # present and writable: copy-on-write from now on
        andl $3, %edx
        cmpl $3, %edx
        jne 4f
        andl $~2, %eax
        orl $PTE_COW, %eax
        call pt_store
4:      movl %eax, %edx
        shrl $12, %edx
        addl frame_refs, %edx
        incb (%edx)
        movl fk_cpt, %ebx
        leal (%ebx,%ecx,4), %ebx
        call pt_store
5:      incl %ecx
        cmpl $1024, %ecx
        jb 3b
        popl %ecx
6:      incl %ecx
        jmp 2b
7:      clc
        ret
8:      stc
        ret

# free_user_frames: drop the reference of every user page of the directory at %esi (put_frame;
# the entries stay). Clobbers all but %esi and %ebp.
free_user_frames:
        movl ram_size, %ecx
        shrl $22, %ecx
1:      cmpl $USER_TOP >> 22, %ecx
        jae 5f
        movl (%esi,%ecx,4), %edi
        testl $1, %edi
        jz 4f
        andl $0xFFFFF000, %edi
        xorl %edx, %edx
2:      movl (%edi,%edx,4), %eax
        testl %eax, %eax
        jz 3f
        andl $0xFFFFF000, %eax
        call put_frame
3:      incl %edx
        cmpl $1024, %edx
        jb 2b
4:      incl %ecx
        jmp 1b
5:      ret

# free_tables: give back the user page tables of the directory at %esi and the directory
# itself (under pv unpinned first, when it was pinned). Clobbers all but %esi and %ebp.
free_tables:
        .ifdef PV
        movl %esi, %eax
        shrl $12, %eax
        movl %eax, unpin_ext + 4
        movl $unpin_ext, %ebx
        movl $1, %ecx
        xorl %edx, %edx
        pushl %esi
        movl $DOMID_SELF, %esi
        HYPERCALL mmuext_op             # (-EINVAL when it was never pinned: nothing to undo)
        popl %esi
        .endif
        movl ram_size, %ecx
        shrl $22, %ecx
1:      cmpl $USER_TOP >> 22, %ecx
        jae 3f
        movl (%esi,%ecx,4), %eax
        testl $1, %eax
        jz 2f
        andl $0xFFFFF000, %eax
        call free_frame
2:      incl %ecx
        jmp 1b
3:      movl %esi, %eax
        jmp free_frame

        .ifdef PV
# mm_tlb_flush (pv): the whole TLB, one mmuext_op.
mm_tlb_flush:
        pushal
        movl $fork_ext, %ebx
        movl $1, %ecx
        xorl %edx, %edx
        movl $DOMID_SELF, %esi
        HYPERCALL mmuext_op
        popal
        ret
        .endif

# cow_private: make the page of linear %eax, whose entry is at %ebx, private and, when it is
# copy-on-write, writable: its frame copied to a new one when another page table still maps it
# (the reference moves to the copy), R/W back in place of PTE_COW. Through set_pte (under pv
# queued: mm_done sends it). CF=1 when RAM runs out. Preserves registers.
cow_private:
        pushal
        movl (%ebx), %edx
        movl %edx, %ecx
        shrl $12, %ecx
        addl frame_refs, %ecx
        cmpb $0, (%ecx)
        je 2f
        movl %eax, %ebp
        call alloc_frame
        testl %eax, %eax
        jz 3f
        decb (%ecx)
        movl %edx, %esi
        andl $0xFFFFF000, %esi
        movl %eax, %edi
        movl $1024, %ecx
        cld
        rep movsl
        andl $0xFFF, %edx
        orl %eax, %edx
        movl %ebp, %eax
2:      testl $PTE_COW, %edx
        jz 1f
        andl $~PTE_COW, %edx
        orl $2, %edx
1:      call set_pte
        popal
        clc
        ret
3:      popal
        stc
        ret

# cow_fault: is the exception whose vector and error code are at 4(%esp) and 8(%esp) a write
# (P = 1, W/R = 1) to a present copy-on-write page of user space, from ring 3 or from the
# kernel's copy to a user buffer? Then the page is made private and writable (cow_private):
# CF=0, the faulting instruction may run again. CF=1 otherwise. Preserves registers.
cow_fault:
        cmpl $14, 4(%esp)
        jne 2f
        testl $1, 8(%esp)
        jz 2f
        testl $2, 8(%esp)
        jz 2f
        pushal
        .ifdef PV
        movl shared_info + 8, %eax
        .else
        movl %cr2, %eax
        .endif
        andl $0xFFFFF000, %eax
        cmpl ram_size, %eax
        jb 1f
        cmpl $USER_TOP, %eax
        jae 1f
        call pte_ptr
        testl %ebx, %ebx
        jz 1f
        testl $PTE_COW, (%ebx)
        jz 1f
        testl $1, (%ebx)
        jz 1f
        call cow_private
        jc 1f
        call mm_done
        popal
        clc
        ret
1:      popal
2:      stc
        ret

# exc_retry: a fault resolved (a copy-on-write page); the faulting instruction again.
exc_retry:
        addl $8, %esp                   # vector, error code
        iret

# cow_resolve: when the current process shares pages (u_cow), make every one of them private
# (cow_private): before the host-call device writes into them, and before mprotect, mremap and
# madvise change them. Preserves registers.
cow_resolve:
        cmpl $0, u_cow
        je 5f
        pushal
        movl ram_size, %ecx
        shrl $22, %ecx
1:      cmpl $USER_TOP >> 22, %ecx
        jae 4f
        movl u_pgdir, %esi
        movl (%esi,%ecx,4), %esi
        testl $1, %esi
        jz 3f
        andl $0xFFFFF000, %esi
        xorl %edx, %edx
2:      leal (%esi,%edx,4), %ebx
        movl (%ebx), %eax
        testl %eax, %eax
        jz 6f
        movl %eax, %edi
        shrl $12, %edi
        addl frame_refs, %edi
        cmpb $0, (%edi)
        jne 7f
        testl $PTE_COW, %eax
        jz 6f
7:      movl %ecx, %eax                 # the page's linear address
        shll $10, %eax
        orl %edx, %eax
        shll $12, %eax
        call cow_private
        jc 8f
6:      incl %edx
        cmpl $1024, %edx
        jb 2b
3:      incl %ecx
        jmp 1b
4:      movl $0, u_cow
8:      call mm_done
        popal
5:      ret

# pick_next: %eax = the next runnable process after the current one in table order (round
# robin), the current one last; 0 when none is. Clobbers %ecx.
pick_next:
        movl u_proc, %eax
        movl $NPROC, %ecx
1:      addl $PROC_SIZE, %eax
        cmpl $proc_table_end, %eax
        jb 2f
        movl $proc_table, %eax
2:      cmpl $P_RUN, P_STATE(%eax)
        je 3f
        loop 1b
        xorl %eax, %eax
3:      ret

# swtch: run the process whose table entry is %eax in place of the current one. The current
# one's kernel context stays on its kernel stack (the return address, %fs and %gs with their
# TLS selectors, the general registers; u_ksp points at it); its u-area goes to its P_UAREA,
# the next one's comes in; the machine is told: CR3 := its page directory, the kernel stack
# for traps from ring 3 := its own (TSS ESP0; under pv stack_switch and mmuext NEW_BASEPTR in
# one multicall, as Linux's Xen context switch batches them), GDT entries 6-8 := its TLS
# descriptors (only the ones that differ), and %fs/%gs reloaded from them. Returns when
# something switches back to this process.
swtch:
        pushl %fs
        pushl %gs
        pushal
        movl %esp, u_ksp
        call tls_save
        pushl %eax
        movl u_proc, %edi
        addl $P_UAREA, %edi
        movl $uarea_begin, %esi
        movl $uarea_end - uarea_begin, %ecx
        shrl $2, %ecx
        cld
        rep movsl
        popl %esi
        addl $P_UAREA, %esi
        movl $uarea_begin, %edi
        movl $uarea_end - uarea_begin, %ecx
        shrl $2, %ecx
        rep movsl
        .ifdef PV
        movl u_kstack, %eax
        movl %eax, switch_calls + 12    # stack_switch's esp
        movl u_pgdir, %eax
        shrl $12, %eax
        movl %eax, switch_ext + 4       # NEW_BASEPTR's frame
        movl $switch_calls, %ebx
        movl $2, %ecx
        HYPERCALL multicall
        .else
        movl u_kstack, %eax
        movl %eax, tss + 4              # ESP0
        movl u_pgdir, %eax
        movl %eax, %cr3
        .endif
        call tls_load
        movl u_ksp, %esp
        popal
        popl %gs
        popl %fs
        ret

# tls_save: GDT entries 6-8 (the running process's TLS slots) into u_tls. Preserves registers.
tls_save:
        pushal
        movl $tls_gdt + TLS_FIRST * 8, %esi
        movl $u_tls, %edi
        movl $TLS_COUNT * 2, %ecx
        cld
        rep movsl
        popal
        ret

# tls_load: u_tls into GDT entries 6-8, each through tls_write (under pv update_descriptor)
# where it differs from what the GDT holds. Preserves registers.
tls_load:
        pushal
        movl $TLS_FIRST, %eax
1:      movl u_tls - TLS_FIRST * 8(,%eax,8), %ecx
        movl u_tls - TLS_FIRST * 8 + 4(,%eax,8), %edx
        cmpl tls_gdt(,%eax,8), %ecx
        jne 2f
        cmpl tls_gdt + 4(,%eax,8), %edx
        je 3f
2:      movl %ecx, tls_lo
        movl %edx, tls_hi
        call tls_write
3:      incl %eax
        cmpl $TLS_FIRST + TLS_COUNT, %eax
        jb 1b
        popal
        ret

# proc_exit: end the current process with wait status %eax: its user frames given back, a
# zombie until its parent reaps it (its parent woken when it waits; or reaped at once when
# nobody waits for it: chld_signal), its children given to init (ppid 1; the zombies among
# them reaped now), then another process runs. With none left, the run ends with the first
# process's status.
proc_exit:
        movl u_proc, %ebx
        movl %eax, P_XSTAT(%ebx)
        cmpl $GUEST_PID, u_pid
        jne 2f
        movl %eax, %ecx                 # the first process: its exit status for the exit device
        andl $0x7F, %ecx
        jz 1f
        addl $128, %ecx                 # killed by a signal: 128 + its number, as a shell says
        movl %ecx, init_status
        jmp 2f
1:      shrl $8, %eax
        andl $0xFF, %eax
        movl %eax, init_status
2:      movl $proc_table, %ebx          # the last process? then the run ends here: nothing
9:      cmpl u_proc, %ebx               #   to give back, nobody to wake
        je 10f
        cmpl $P_RUN, P_STATE(%ebx)
        je 11f
        cmpl $P_WAIT, P_STATE(%ebx)
        je 11f
10:     addl $PROC_SIZE, %ebx
        cmpl $proc_table_end, %ebx
        jb 9b
        jmp 8f
11:     call chld_signal                # (before its memory goes: the host call may need it)
        movl u_pgdir, %esi
        call free_user_frames
        movl u_proc, %ebx
        movl $P_ZOMBIE, P_STATE(%ebx)
        movl $proc_table, %ebx          # its children
3:      cmpl $P_FREE, P_STATE(%ebx)
        je 5f
        movl u_pid, %eax
        cmpl %eax, P_PPID(%ebx)
        jne 5f
        cmpl $P_ZOMBIE, P_STATE(%ebx)
        jne 4f
        pushl %ebx
        call reap
        popl %ebx
        jmp 5f
4:      movl $1, P_PPID(%ebx)
        movl $1, P_UAREA + u_ppid - uarea_begin(%ebx)
5:      addl $PROC_SIZE, %ebx
        cmpl $proc_table_end, %ebx
        jb 3b
        movl $proc_table, %ebx          # its parent, if it waits
6:      movl u_ppid, %eax
        cmpl %eax, P_PID(%ebx)
        jne 7f
        cmpl $P_WAIT, P_STATE(%ebx)
        jne 7f
        movl $P_RUN, P_STATE(%ebx)
7:      addl $PROC_SIZE, %ebx
        cmpl $proc_table_end, %ebx
        jb 6b
        call pick_next
        testl %eax, %eax
        jz 8f
        call swtch                      # (a zombie is never switched back to)
8:      movl init_status, %eax
        jmp do_exit

# chld_signal: SIGCHLD to the parent of the process that ends (proc_exit, its wait status at
# its P_XSTAT), as Linux's do_notify_parent: si_code CLD_EXITED or CLD_KILLED, si_pid its pid,
# si_uid the host's uid (a forwarded getuid32, only when the parent would take it: a handler,
# or SIGCHLD blocked; its default action is to ignore it), si_status the exit code or the signal
# (kept in bits 8-15 of the pending signal's si_code word: setup_frame). A parent whose SIGCHLD
# is SIG_IGN (then nothing is sent, even when blocked) or has SA_NOCLDWAIT does not wait for it:
# it is reaped at once, and so is an orphan (ppid 1: init reaps it, as every init does). Here
# that makes it a zombie with pid and ppid 0, which no wait4, kill or exit finds, freed by the
# fork that next needs a slot (sys_clone). The first process's parent is outside: nothing.
# The common case, SIG_DFL without SA_NOCLDWAIT and not blocked, looks at sig_chld_acted only.
# Clobbers all but %ebp.
chld_signal:
        movl $proc_table, %edi
1:      cmpl $P_FREE, P_STATE(%edi)
        je 2f
        movl u_ppid, %eax
        cmpl %eax, P_PID(%edi)
        je 3f
2:      addl $PROC_SIZE, %edi
        cmpl $proc_table_end, %edi
        jb 1b
        cmpl $1, u_ppid                 # an orphan: init reaps it
        je 8f
        ret
3:      btl $SIGCHLD - 1, P_UAREA + sig_blocked - uarea_begin(%edi)
        jc 4f
        cmpl $0, P_UAREA + sig_chld_acted - uarea_begin(%edi)
        jne 4f
        ret
4:      movl P_UAREA + sig_action + (SIGCHLD - 1) * ACT_SIZE - uarea_begin(%edi), %eax
        cmpl $SIG_IGN, %eax
        je 8f
        testl %eax, %eax                # a handler, or SIGCHLD blocked: sent
        jnz 5f
        btl $SIGCHLD - 1, P_UAREA + sig_blocked - uarea_begin(%edi)
        jnc 7f
5:      movl $NR_getuid32, %eax
        call host_call
        movl %eax, %esi                 # si_uid
        movl u_proc, %ebx
        movl P_XSTAT(%ebx), %ecx        # exit code << 8, or the signal
        testb $0x7F, %cl
        jz 6f
        shll $8, %ecx
        incl %ecx                       # CLD_KILLED (2), si_status the signal
6:      incl %ecx                       # CLD_EXITED (1), si_status the exit code
        movl u_pid, %edx                # si_pid
        movl $SIGCHLD, %eax
        call post_to
7:      testl $SA_NOCLDWAIT, P_UAREA + sig_action + (SIGCHLD - 1) * ACT_SIZE + 4 - uarea_begin(%edi)
        jz 9f
8:      movl u_proc, %ebx               # nobody waits for it
        xorl %eax, %eax
        movl %eax, P_PID(%ebx)
        movl %eax, P_PPID(%ebx)
9:      ret

# reap: free the zombie whose entry is %ebx: its page tables and directory, its slot.
# Clobbers all but %ebp.
reap:
        pushl %ebx
        movl P_UAREA + u_pgdir - uarea_begin(%ebx), %esi
        call free_tables
        popl %ebx
        movl $P_FREE, P_STATE(%ebx)
        ret

# waitpid(pid, status, options): wait4 without rusage.
sys_waitpid:
        movl $NR_waitpid, u_wnr
        movl $0, u_wrusage
        jmp 0f
# wait4(pid, status, options, rusage): a child that has exited (pid -1: any child; pid > 0:
# that one; 0 and < -1, a process group: any child, all being in one group) is reaped: its wait
# status (exit code << 8, or the signal that killed it) stored at status, zeros at rusage
# (struct rusage, 72 bytes: no usage is counted), its pid returned. None has exited yet: 0 with
# WNOHANG, else the caller sleeps until one exits. -ECHILD without such a child, -EINVAL for
# unknown options (kernel/exit.c: WNOHANG WUNTRACED WCONTINUED __WNOTHREAD __WCLONE __WALL
# accepted; the stop and continue events never happen here), -EFAULT for a bad status or
# rusage pointer (the child is reaped all the same, as Linux's kernel_wait4 does).
sys_wait4:
        movl $NR_wait4, u_wnr
        movl %esi, u_wrusage
0:      testl $~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL), %edx
        jnz einval
        cmpl $0x80000000, %ebx          # INT_MIN: -EINVAL (-INT_MIN overflows)
        je einval
1:      movl sys_esp, %eax              # the arguments, again after a sleep
        movl (%eax), %ebx
        xorl %ecx, %ecx                 # children seen
        movl $proc_table, %edi
2:      cmpl $P_FREE, P_STATE(%edi)
        je 4f
        movl u_pid, %eax
        cmpl %eax, P_PPID(%edi)
        jne 4f
        testl %ebx, %ebx
        jle 3f
        cmpl %ebx, P_PID(%edi)
        jne 4f
3:      incl %ecx
        cmpl $P_ZOMBIE, P_STATE(%edi)
        je 6f
4:      addl $PROC_SIZE, %edi
        cmpl $proc_table_end, %edi
        jb 2b
        testl %ecx, %ecx
        jz echild
        movl sys_esp, %eax
        testl $WNOHANG, 8(%eax)
        jz 5f
        xorl %eax, %eax
        ret
5:      call sig_deliverable            # a signal to take: interrupted (do_wait's
        jnz 9f                          #   -ERESTARTSYS: ret_to_user makes it -EINTR or again)
        movl u_proc, %eax               # sleep until a child exits or a signal comes
        movl $P_WAIT, P_STATE(%eax)
        call pick_next
        testl %eax, %eax
        jz echild                       # (cannot be: a child lives, so something runs)
        call swtch
        jmp 1b
6:      movl P_PID(%edi), %eax          # reaped first, then the copies (kernel_wait4: a bad
        movl %eax, wt_pid               #   pointer is -EFAULT with the child gone all the same)
        movl P_XSTAT(%edi), %eax
        movl %eax, wt_status            # (globals are enough: nothing switches until the return)
        movl %edi, %ebx
        call reap
        movl sys_esp, %eax
        movl 4(%eax), %ecx              # status
        testl %ecx, %ecx
        jz 7f
        movl $4, %edx
        call check_user
        jnz efault
        movl $wt_status, %esi
        movl sys_esp, %eax
        movl 4(%eax), %edi
        movl $4, %ecx
        call copy_user
7:      movl u_wrusage, %ecx            # rusage
        testl %ecx, %ecx
        jz 8f
        movl $72, %edx
        call check_user
        jnz efault
        movl $rusage_zero, %esi
        movl u_wrusage, %edi
        movl $72, %ecx
        call copy_user
8:      movl wt_pid, %eax
        ret

9:      movl u_wnr, %eax
        movl %eax, sig_restart
        movl $-ERESTARTSYS, %eax
        ret

echild: movl $-ECHILD, %eax
        ret

# preempt (the timer, from ring 3): another runnable process, if any, runs; this one continues
# when its turn comes again. Preserves registers.
preempt:
        pushal
        call pick_next
        testl %eax, %eax
        jz 1f
        cmpl u_proc, %eax
        je 1f
        call swtch
1:      popal
        ret

# ---- exceptions and interrupts ---------------------------------------------------------------
timer_entry:
        incl ticks
        testb $2, 4(%esp)               # the program interrupted (RPL 3)?
        jnz 1f
        iret
1:      call preempt                    # another process may run first; then the signal work
        cmpl $0, sig_work               #   of the one now current, on its way back to ring 3
        jne 2f
        iret
2:      SAVE_REGS
        movl %esp, sig_regs
        call ret_to_user
        RESTORE_REGS
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
3:      testb $2, 8(%esp)               # the program interrupted (RPL 3, under the saved %eax)?
        jnz 4f
        popl %eax
        iret
4:      call preempt                    # another process may run first; then the signals of
        popl %eax                       #   the one now current, on its way back to ring 3.
        cmpl $0, sig_work               #   (Events stay unmasked: the process switched to may
        je 5f                           #   resume anywhere in the kernel, and an upcall that
        SAVE_REGS                       #   comes meanwhile finds ring 1 and only counts.)
        movl %esp, sig_regs
        call ret_to_user
        RESTORE_REGS
5:      iret

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

# invlpg_queue: queue an mmuext_op INVLPG_LOCAL of linear page %eax for mm_done (past
# INVLPG_BATCH only counted: mm_done then flushes the whole TLB). Preserves registers.
invlpg_queue:
        pushl %ecx
        movl invlpg_count, %ecx
        cmpl $INVLPG_BATCH, %ecx
        jae 1f
        leal (%ecx,%ecx,2), %ecx        # 12 bytes each
        movl $MMUEXT_INVLPG_LOCAL, mmuext_ops(,%ecx,4)
        movl %eax, mmuext_ops + 4(,%ecx,4)
1:      incl invlpg_count
        popl %ecx
        ret
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

# Stack: vector, error code, EIP, CS, EFLAGS (+ ESP, SS from ring 3). Every register the
# program had is still live until the fault is found fatal: a fault the kernel resolves (a stack
# page grown) goes back to the faulting instruction, so nothing here may change one (%eax is
# saved around the tests: POP leaves the flags alone).
exc_common:
        pushl %eax
        .ifdef UNIKERNEL
        movl 12(%esp), %eax             # the faulting EIP: the program lives above RAM's
        cmpl ram_size, %eax             # identity map, the library OS inside it
        popl %eax
        jb kernel_fault
        .else
        movl 16(%esp), %eax             # from ring 3? (the kernel's CS has RPL 0, or 1 when it
        andl $3, %eax                   # runs deprivileged under trap, bt and pv)
        cmpl $3, %eax
        popl %eax
        jne kernel_fault
        .endif
        .ifndef UNIKERNEL
        call cow_fault                  # a write to a copy-on-write page: now private, again
        jnc exc_retry
        # A not-present fault in the 8 MiB below USER_TOP, on a page no mapping holds, grows the
        # stack by that page, as Linux's expand_stack does (the boot protocol maps its top
        # 128 KiB). Under pv the fault address comes in vcpu_info.arch.cr2 of the shared-info
        # page, where Xen puts it: a PV kernel cannot read CR2.
        cmpl $14, (%esp)
        jne 6f
        testl $1, 4(%esp)               # P = 0: not present
        jnz 6f
        pushal
        .ifdef PV
        movl shared_info + 8, %edi
        .else
        movl %cr2, %edi
        .endif
        andl $0xFFFFF000, %edi
        cmpl $USER_TOP - STACK_MAX, %edi
        jb 7f
        cmpl $USER_TOP, %edi
        jae 7f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 8f
        cmpl $0, (%ebx)                 # a PROT_NONE page there: a real fault
        jne 7f
8:      call alloc_frame
        testl %eax, %eax
        jz 7f
        movl %eax, %edx
        orl $PTE_USER, %edx
        movl %edi, %eax
        call map_page
        jc 7f
        call mm_done
        popal
        addl $8, %esp                   # vector, error code
        iret                            # the faulting instruction again
7:      popal
6:
        .endif
        .ifdef UNIKERNEL
        movl (%esp), %ebx               # the library OS runs no handlers: the default action
        movzbl trap_signal(%ebx), %eax  # of the signal Linux sends for this exception ends
        jmp proc_exit                   # the process (wait status: its number)
        .else
        jmp fault_signal                # the signal Linux sends for it
        .endif

kernel_fault:
        call cow_fault                  # the kernel's write to a copy-on-write user page
        jnc exc_retry
        cmpl $14, (%esp)                # a page fault on a user buffer: the call returns -EFAULT
        jne panic
        movl 8(%esp), %eax
        cmpl $user_read_insn, %eax
        je 1f
        cmpl $user_copy_insn, %eax
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

# ---- signals: actions, masks, delivery, the interval timer and sleeps --------------------------
# i386 Linux's signals (kernel/signal.c, arch/x86/kernel/signal.c and signal_32.c, the frames of
# arch/x86/include/asm/sigframe.h), the same semantics as vsim's user mode
# (Sources/Guest/SignalDelivery.swift, SignalFrame.swift, LinuxSyscalls+Signals.swift):
#   - every per-process piece of state lives in the block sigstate_begin..sigstate_end, part of
#     the u-area (see "processes": switched with the process, copied by fork);
#   - a signal is *posted* (post_signal, post_to: kill, tkill, tgkill, the interval timer, a
#     child's exit: SIGCHLD, chld_signal; into another process's saved u-area): discarded at
#     once when ignored and not blocked, else pending (a standard signal once; real-time signals
#     are not queued here, they are pending once too) with its siginfo fields;
#   - it is *delivered* on every return to the program (ret_to_user: after a system call, a
#     timer interrupt or a fault) unless blocked: lowest number first, each handler's frame on
#     top of the last, as Linux's exit_to_user_mode loop does. The default action ends the
#     process with the signal as its wait status (proc_exit; terminate and core alike; the
#     first process's end gives the run exit status 128 + signal), or does nothing (ignore;
#     stop, which nothing could continue); a wait4 that returned -ERESTARTSYS becomes -EINTR
#     or runs again (syscall_restart);
#   - a CPU exception in the program is *forced* (fault_signal: force_sig_fault): its handler
#     runs unless the signal is blocked or ignored, in which case the default action ends it.
# Delivery works on the program's registers as its entry path saved them on the kernel stack,
# at sig_regs, in this order (pt_regs without the segment registers, which stay loaded):
        .equ R_EAX, 0
        .equ R_EBX, 4
        .equ R_ECX, 8
        .equ R_EDX, 12
        .equ R_ESI, 16
        .equ R_EDI, 20
        .equ R_EBP, 24
        .equ R_EIP, 28                  # then the IRET frame from ring 3
        .equ R_CS, 32
        .equ R_EFLAGS, 36
        .equ R_ESP, 40
        .equ R_SS, 44
# A system call's registers are at sys_esp - 4 (syscall_entry pushes no EAX: sys_return pushes
# it on the way out when there is signal work).
        .equ SIGILL, 4
        .equ SIGTRAP, 5
        .equ SIGFPE, 8
        .equ SIGKILL, 9
        .equ SIGSEGV, 11
        .equ SIGPIPE, 13
        .equ SIGALRM, 14
        .equ SIGSTOP, 19
        .equ NSIG, 64
        .equ UNBLOCKABLE, (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))   # in the low word
        .equ SIG_IGN, 1
        .equ SA_SIGINFO, 4              # sa_flags (asm/signal.h)
        .equ SA_RESTORER, 0x04000000
        .equ SA_ONSTACK, 0x08000000
        .equ SA_RESTART, 0x10000000
        .equ SA_NODEFER, 0x40000000
        .equ SA_RESETHAND, 0x80000000
        .equ SS_ONSTACK, 1              # sigaltstack's flags
        .equ SS_DISABLE, 2
        .equ SS_AUTODISARM, 0x80000000
        .equ MINSIGSTKSZ, 2048
        .equ SI_USER, 0                 # si_code (asm-generic/siginfo.h)
        .equ SI_KERNEL, 0x80
        .equ SI_TKILL, -6
        .equ SEGV_MAPERR, 1
        .equ SEGV_ACCERR, 2
        .equ ACT_SIZE, 20               # struct kernel_sigaction: handler, flags, restorer, mask[2]
        .equ FPSTATE_SIZE, 624          # struct _fpstate_32
        .equ SIGFRAME_SIZE, 732         # struct sigframe_ia32
        .equ RT_SIGFRAME_SIZE, 268      # struct rt_sigframe_ia32
        .equ FIX_EFLAGS, 0x40DD5        # AC OF DF TF SF ZF AF PF CF: what sigreturn restores
        .equ NR_getuid32, 199
        .equ EPERM, 1
        .equ EINTR, 4
        .equ ERESTARTSYS, 512           # (never seen by the program: -EINTR, or the call again)
        .equ CLD_EXITED, 1              # SIGCHLD's si_code (uapi/asm-generic/siginfo.h)
        .equ CLD_KILLED, 2
        .equ SA_NOCLDWAIT, 2            # sa_flags (asm/signal.h): children not waited for
        .equ NSEC_PER_SEC, 1000000000

# sig_act: %ebx = the kernel_sigaction of signal %eax (1-64). Preserves the rest.
sig_act:
        leal -1(%eax), %ebx
        leal (%ebx,%ebx,4), %ebx
        leal sig_action(,%ebx,4), %ebx  # sig_action + (n - 1) * 20
        ret

# sig_ignored: CF=1 when signal %eax (1-64) is discarded as it comes: SIG_IGN, or SIG_DFL whose
# default is to ignore it (or to stop the program: nothing could continue it). Preserves registers.
sig_ignored:
        pushl %ebx
        call sig_act
        cmpl $SIG_IGN, (%ebx)
        je 1f
        cmpl $0, (%ebx)
        jne 2f
        cmpb $2, sig_default - 1(%eax)  # 2 ignore, 3 stop
        jae 1f
2:      popl %ebx
        clc
        ret
1:      popl %ebx
        stc
        ret

# sig_recalc: sig_work := nonzero when a signal is pending or the interval timer is armed, so
# that the returns to the program look further (sys_return, timer_entry) only then.
sig_recalc:
        pushl %eax
        movl sig_pending, %eax
        orl sig_pending + 4, %eax
        orl it_due, %eax
        orl it_due + 4, %eax
        movl %eax, sig_work
        popl %eax
        ret

# post_signal: generate signal %eax (1-64) with si_code %ecx and the siginfo words at 12 and
# 16, %edx and %esi (si_pid and si_uid of a kill or SIGCHLD; 0 for the timer), for the running
# process. post_to: the same for the process whose table entry is %edi, the running one or
# another (then into its saved u-area, at %ebp = its displacement from the live one). Discarded
# at once when ignored and not blocked; a zombie takes nothing. A process asleep in wait4 wakes
# to look (it returns -EINTR when the signal is deliverable). SIGKILL cannot be caught, blocked
# or ignored: its default action ends the process when it next returns to ring 3. Clobbers %ebx.
post_signal:
        movl u_proc, %edi
post_to:
        pushl %ebp
        xorl %ebp, %ebp                 # the running process: the live u-area
        cmpl u_proc, %edi
        je 1f
        cmpl $P_ZOMBIE, P_STATE(%edi)
        je 3f
        leal P_UAREA(%edi), %ebp        # another: its saved u-area, as a displacement
        subl $uarea_begin, %ebp
1:      leal -1(%eax), %ebx
        btl %ebx, sig_blocked(%ebp)     # blocked: pending even when ignored, as Linux keeps it
        jc 2f
        leal (%ebx,%ebx,4), %ebx        # ignored: its action SIG_IGN, or SIG_DFL whose default
        movl sig_action(%ebp,%ebx,4), %ebx  # is to ignore (or to stop: nothing could continue)
        cmpl $SIG_IGN, %ebx
        je 3f
        testl %ebx, %ebx
        jnz 4f
        cmpb $2, sig_default - 1(%eax)
        jae 3f
4:      leal -1(%eax), %ebx
2:      btsl %ebx, sig_pending(%ebp)
        jc 3f                           # pending already: a standard signal is pending once
        leal (%ebx,%ebx,2), %ebx
        movl %ecx, sig_info(%ebp,%ebx,4)
        movl %edx, sig_info + 4(%ebp,%ebx,4)
        movl %esi, sig_info + 8(%ebp,%ebx,4)
        movl $1, sig_work(%ebp)         # (sig_recalc's answer now: a signal is pending)
        cmpl $P_WAIT, P_STATE(%edi)
        jne 3f
        movl $P_RUN, P_STATE(%edi)
3:      popl %ebp
        ret

# now_ns: %edx:%eax = the kernel's clock in nanoseconds: timer ticks times the period (the guest
# clock runs 1 ns per guest instruction, so a tick of N instructions is N ns). Tick-granular, as
# a kernel that counts jiffies: a timer expires, and a sleep ends, at the first tick at or after
# its time. Clobbers nothing else.
now_ns:
        movl ticks, %eax
        mull tick_ns
        ret

# run_timers: ITIMER_REAL expired: post SIGALRM (si_code SI_KERNEL, as Linux's it_real_fn sends
# it) and reload it by its interval past now, or disarm it. Clobbers all but %ebp.
run_timers:
        movl it_due, %eax
        orl it_due + 4, %eax
        jz 3f
        call now_ns
        cmpl it_due + 4, %edx
        ja 1f
        jb 3f
        cmpl it_due, %eax
        jb 3f
1:      pushl %edx
        pushl %eax
        movl $SIGALRM, %eax
        movl $SI_KERNEL, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        call post_signal
        popl %eax
        popl %edx
        movl it_interval, %ecx
        orl it_interval + 4, %ecx
        jnz 2f
        movl $0, it_due                 # one shot: disarmed
        movl $0, it_due + 4
        jmp 4f
2:      movl it_interval, %ecx          # the next expiry after now
        addl %ecx, it_due
        movl it_interval + 4, %ecx
        adcl %ecx, it_due + 4
        cmpl it_due + 4, %edx
        ja 2b
        jb 4f
        cmpl it_due, %eax
        jae 2b
4:      call sig_recalc
3:      ret

# sig_deliverable: runs the timers, then %eax = nonzero (ZF=0) when a pending signal is not
# blocked. Clobbers all but %ebp.
sig_deliverable:
        call run_timers
        movl sig_blocked, %eax
        notl %eax
        andl sig_pending, %eax
        movl sig_blocked + 4, %edx
        notl %edx
        andl sig_pending + 4, %edx
        orl %edx, %eax
        ret

# idle: wait for something to change: another runnable process runs meanwhile (this one stays
# runnable and looks again when its turn comes: its kill or exit may be what it waits for), or,
# with none, wait for the next interrupt (HLT with interrupts on; SCHEDOP_block under pv, which
# halts until an event). The timer's interrupt comes in the kernel and only counts the tick.
idle:
        pushal
        call pick_next
        testl %eax, %eax
        jz 1f
        cmpl u_proc, %eax
        je 1f
        call swtch
        popal
        ret
1:      popal
        .ifdef PV
        pushl %ebx
        pushl %ecx
        movl $1, %ebx                   # SCHEDOP_block
        xorl %ecx, %ecx
        HYPERCALL sched_op
        popl %ecx
        popl %ebx
        .else
        sti
        hlt                             # (the STI shadow: no interrupt before the HLT)
        cli
        .endif
        ret

# ret_to_user: the work on the way back to the program, its registers at sig_regs: the
# interval timer, then every pending signal that is not blocked (Linux's get_signal /
# handle_signal loop). Clobbers all but %esp.
ret_to_user:
        call run_timers
1:      movl sig_blocked, %eax          # the lowest pending signal that is not blocked
        notl %eax
        andl sig_pending, %eax
        jz 2f
        bsfl %eax, %ebx
        jmp 3f
2:      movl sig_blocked + 4, %eax
        notl %eax
        andl sig_pending + 4, %eax
        jz 9f
        bsfl %eax, %ebx
        addl $32, %ebx
3:      btrl %ebx, sig_pending
        leal (%ebx,%ebx,2), %ecx        # its siginfo words
        movl sig_info(,%ecx,4), %eax
        movl %eax, sf_code
        movl sig_info + 4(,%ecx,4), %eax
        movl %eax, sf_word3
        movl sig_info + 8(,%ecx,4), %eax
        movl %eax, sf_word4
        leal 1(%ebx), %eax              # the signal
        call sig_act
        cmpl $SIG_IGN, (%ebx)
        je 1b
        cmpl $0, (%ebx)
        jne 4f
        cmpb $2, sig_default - 1(%eax)  # SIG_DFL: ignore or stop (nothing to do), or the end
        jae 1b
        jmp proc_exit                   # (wait status: the signal)
4:      cmpl $0, sig_restart            # a handler runs: an interrupted wait4 returns -EINTR
        je 5f                           #   (or runs again with SA_RESTART)
        call syscall_restart
5:      call setup_frame
        jnc 1b
        movl $SIGSEGV, %eax             # no room for the frame: Linux's force_sigsegv
        jmp proc_exit
9:      cmpl $0, sig_restart            # no handler ran: an interrupted wait4 runs again
        je 11f
        xorl %ebx, %ebx
        call syscall_restart
11:     cmpl $0, sig_suspended          # rt_sigsuspend ended without a handler: its mask goes
        je 10f
        movl sig_saved, %eax
        movl %eax, sig_blocked
        movl sig_saved + 4, %eax
        movl %eax, sig_blocked + 4
        movl $0, sig_suspended
10:     call sig_recalc
        ret

# syscall_restart: the system call that returned -ERESTARTSYS (sig_restart: its number; only
# wait4 and waitpid do here), as Linux's handle_signal and arch_do_signal_or_restart leave it:
# when the handler of the action at %ebx runs without SA_RESTART, it returns -EINTR; with
# SA_RESTART or with no handler (%ebx = 0), EAX := its number again and EIP back over the
# `int $0x80` (2 bytes), so that it runs again when the program resumes. Its registers at
# sig_regs. Preserves registers.
syscall_restart:
        pushl %ebp
        movl sig_regs, %ebp
        testl %ebx, %ebx
        jz 1f
        testl $SA_RESTART, 4(%ebx)
        jnz 1f
        movl $-EINTR, R_EAX(%ebp)
        jmp 2f
1:      pushl %eax
        movl sig_restart, %eax
        movl %eax, R_EAX(%ebp)
        subl $2, R_EIP(%ebp)
        popl %eax
2:      movl $0, sig_restart
        popl %ebp
        ret

# user_range: may the program's bytes [%edi, %edi + %ecx) be accessed with page-table bits %edx
# (5: present and user, to read; 7: and writable)? A page not in use in the 8 MiB below
# USER_TOP is a stack page: it grows first, as a fault there would grow it (the kernel writes a
# signal frame with plain stores, so it must not fault). A copy-on-write page (fork) to be
# written is made private and writable first, as its fault would make it. CF=1 when not.
# Preserves registers.
user_range:
        pushal
        cmpl ram_size, %edi
        jb 9f
        leal (%edi,%ecx), %esi
        cmpl %edi, %esi
        jb 9f
        cmpl $USER_TOP, %esi
        ja 9f
        andl $0xFFFFF000, %edi
1:      cmpl %esi, %edi
        jae 8f
        movl %edi, %eax
        call pte_ptr
        testl %ebx, %ebx
        jz 3f
        movl (%ebx), %eax
        testl %eax, %eax
        jz 3f
        andl %edx, %eax
        cmpl %edx, %eax
        je 2f
        testl $PTE_COW, (%ebx)          # copy-on-write since a fork: made private and writable
        jz 9f                           #   first, as the write's fault would (cow_fault)
        movl (%ebx), %eax
        orl $2, %eax
        andl %edx, %eax
        cmpl %edx, %eax
        jne 9f
        movl %edi, %eax
        call cow_private
        jc 9f
2:      addl $4096, %edi
        jmp 1b
3:      cmpl $USER_TOP - STACK_MAX, %edi
        jb 9f
        pushl %edx
        call alloc_frame
        popl %edx
        testl %eax, %eax
        jz 9f
        pushl %edx
        movl %eax, %edx
        orl $PTE_USER, %edx
        movl %edi, %eax
        call map_page
        popl %edx
        jc 9f
        jmp 2b
8:      call mm_done
        popal
        clc
        ret
9:      call mm_done
        popal
        stc
        ret

# on_altstack: ZF=0 (jnz) when %eax is on the alternate stack (Linux's on_sig_stack: inside
# (ss_sp, ss_sp + ss_size], never with SS_AUTODISARM). Preserves registers.
on_altstack:
        pushl %eax
        testl $SS_AUTODISARM, alt_flags
        jnz 1f
        cmpl $0, alt_size
        je 1f
        cmpl alt_sp, %eax
        jbe 1f
        subl alt_sp, %eax
        cmpl alt_size, %eax
        ja 1f
        popl %eax
        orl $1, %eax                    # ZF=0 (%eax is above ss_sp: not 0)
        ret
1:      popl %eax
        cmpl %eax, %eax                 # ZF=1
        ret

# setup_frame: run the handler of signal %eax (its action at %ebx; the siginfo's si_code and
# words in sf_code, sf_word3, sf_word4): the x87 state saved and the FPU reset (FNSAVE), the
# frame written (struct rt_sigframe with SA_SIGINFO, else struct sigframe; Linux's placement:
# the FPU area 64-byte aligned below the stack pointer, or the top of the alternate stack with
# SA_ONSTACK, the frame below it so that the handler's entry sees (ESP + 4) 16-byte aligned),
# and the program's registers at sig_regs sent into the handler: EIP the handler, ESP the frame,
# EAX the signal, EDX and ECX &siginfo and &ucontext (rt; for -mregparm=3 code), DF TF RF clear,
# DS ES SS CS the user segments. The mask grows by sa_mask and, without SA_NODEFER, the signal.
# CF=1 (nothing changed) when the frame does not fit on the stack.
setup_frame:
        movl %eax, sf_sig
        movl (%ebx), %ecx
        movl %ecx, sf_handler
        movl 4(%ebx), %ecx
        movl %ecx, sf_flags
        movl 8(%ebx), %ecx
        movl %ecx, sf_restorer
        movl 12(%ebx), %ecx
        movl %ecx, sf_mask
        movl 16(%ebx), %ecx
        movl %ecx, sf_mask + 4
        movl sig_blocked, %ecx          # the mask the frame saves: from before rt_sigsuspend
        movl sig_blocked + 4, %edx
        cmpl $0, sig_suspended
        je 1f
        movl sig_saved, %ecx
        movl sig_saved + 4, %edx
1:      movl %ecx, sf_old
        movl %edx, sf_old + 4
        movl sig_regs, %ebp
        movl R_ESP(%ebp), %eax          # where the frame goes
        movl $0, sf_entering
        call on_altstack
        setnz %cl
        movzbl %cl, %ecx
        movl %ecx, sf_nested
        jnz 2f
        testl $SA_ONSTACK, sf_flags
        jz 2f
        cmpl $0, alt_size
        je 2f
        movl alt_sp, %eax               # onto the alternate stack
        addl alt_size, %eax
        movl $1, sf_entering
2:      subl $FPSTATE_SIZE, %eax
        andl $~63, %eax
        movl %eax, sf_fp
        movl $RT_SIGFRAME_SIZE, %ecx
        testl $SA_SIGINFO, sf_flags
        jnz 3f
        movl $SIGFRAME_SIZE, %ecx
3:      subl %ecx, %eax
        addl $4, %eax
        andl $~15, %eax
        subl $4, %eax
        movl %eax, sf_frame
        movl sf_nested, %ecx            # on (or onto) the alternate stack: it must hold the frame
        orl sf_entering, %ecx
        jz 4f
        cmpl alt_sp, %eax
        jbe 5f
        subl alt_sp, %eax
        cmpl alt_size, %eax
        ja 5f
4:      movl sf_frame, %edi             # frame and FPU area: writable user memory
        movl sf_fp, %ecx
        addl $FPSTATE_SIZE, %ecx
        subl %edi, %ecx
        movl $PTE_USER, %edx
        call user_range
        jnc 6f
5:      stc
        ret
6:      movl sf_fp, %edi                # the x87 state: FNSAVE's 108 bytes (which also reset
        fnsave (%edi)                   # the FPU for the handler, as Linux clears it), status
        movw 4(%edi), %ax               # (the saved status word) and magic 0xFFFF: FSAVE data
        movw %ax, 108(%edi)             # only, no FXSR area (struct _fpstate_32)
        movw $0xFFFF, 110(%edi)
        addl $112, %edi
        movl $(FPSTATE_SIZE - 112) / 4, %ecx
        xorl %eax, %eax
        cld
        rep stosl
        movl sf_frame, %edi
        testl $SA_SIGINFO, sf_flags
        jz 7f
        # struct rt_sigframe: pretcode, sig, pinfo, puc, siginfo (128), ucontext, retcode
        leal 260(%edi), %eax            # the frame's own retcode unless SA_RESTORER
        call frame_restorer
        movl %eax, (%edi)
        movl sf_sig, %eax
        movl %eax, 4(%edi)
        leal 16(%edi), %eax
        movl %eax, 8(%edi)
        leal 144(%edi), %eax
        movl %eax, 12(%edi)
        pushl %edi                      # siginfo: zeroed, then signo, errno 0, code, two words
        addl $16, %edi
        movl $32, %ecx
        xorl %eax, %eax
        rep stosl
        popl %edi
        movl sf_sig, %eax
        movl %eax, 16(%edi)
        movl sf_code, %eax
        cmpl $SIGCHLD, sf_sig           # a child's: si_status in bits 8-15 (chld_signal)
        jne 8f
        testl %eax, %eax                # (kill's and tkill's si_code are 0 and negative)
        jle 8f
        movzbl %ah, %ecx
        movl %ecx, 36(%edi)
        movzbl %al, %eax
8:      movl %eax, 24(%edi)
        movl sf_word3, %eax
        movl %eax, 28(%edi)
        movl sf_word4, %eax
        movl %eax, 32(%edi)
        movl $0, 144(%edi)              # uc_flags: no extended state
        movl $0, 148(%edi)              # uc_link
        movl alt_sp, %eax               # uc_stack: the alternate stack as sigaltstack set it
        movl %eax, 152(%edi)
        movl alt_flags, %eax
        movl %eax, 156(%edi)
        movl alt_size, %eax
        movl %eax, 160(%edi)
        leal 164(%edi), %esi
        call write_sigcontext
        movl sf_old, %eax               # uc_sigmask
        movl %eax, 252(%edi)
        movl sf_old + 4, %eax
        movl %eax, 256(%edi)
        movl $0x0000adb8, 260(%edi)     # retcode: movl $173, %eax; int $0x80
        movl $0x0080cd00, 264(%edi)
        leal 16(%edi), %edx
        leal 144(%edi), %ecx
        jmp 8f
        # struct sigframe: pretcode, sig, sigcontext, (unused fpstate), extramask, retcode
7:      leal 724(%edi), %eax
        call frame_restorer
        movl %eax, (%edi)
        movl sf_sig, %eax
        movl %eax, 4(%edi)
        leal 8(%edi), %esi
        call write_sigcontext
        pushl %edi
        addl $96, %edi
        movl $FPSTATE_SIZE / 4, %ecx
        xorl %eax, %eax
        rep stosl
        popl %edi
        movl sf_old + 4, %eax           # extramask: signals 33-64 of the saved mask
        movl %eax, 720(%edi)
        movl $0x0077b858, 724(%edi)     # retcode: popl %eax; movl $119, %eax; int $0x80
        movl $0x80cd0000, 728(%edi)
        xorl %edx, %edx
        xorl %ecx, %ecx
8:      cmpl $0, sf_entering            # SS_AUTODISARM: the alternate stack is gone once used
        je 9f
        testl $SS_AUTODISARM, alt_flags
        jz 9f
        movl $0, alt_sp
        movl $0, alt_size
        movl $SS_DISABLE, alt_flags
9:      movl %edi, R_ESP(%ebp)          # into the handler
        movl sf_handler, %eax
        movl %eax, R_EIP(%ebp)
        movl sf_sig, %eax
        movl %eax, R_EAX(%ebp)
        movl %edx, R_EDX(%ebp)
        movl %ecx, R_ECX(%ebp)
        andl $~0x10500, R_EFLAGS(%ebp)  # RF, DF, TF
        movl $USER_CS, R_CS(%ebp)
        movl $USER_DS, R_SS(%ebp)
        movw $USER_DS, %ax
        movw %ax, %ds
        movw %ax, %es
        cmpl $0, sf_flags               # SA_RESETHAND (bit 31): SIG_DFL from now on
        jns 10f
        movl sf_sig, %eax
        call sig_act
        movl $0, (%ebx)
10:     movl sig_blocked, %eax          # blocked |= sa_mask | the signal (unless SA_NODEFER)
        orl sf_mask, %eax
        movl sig_blocked + 4, %edx
        orl sf_mask + 4, %edx
        testl $SA_NODEFER, sf_flags
        jnz 11f
        movl sf_sig, %ecx
        decl %ecx
        cmpl $32, %ecx
        jae 12f
        btsl %ecx, %eax
        jmp 11f
12:     subl $32, %ecx
        btsl %ecx, %edx
11:     andl $~UNBLOCKABLE, %eax
        movl %eax, sig_blocked
        movl %edx, sig_blocked + 4
        movl $0, sig_suspended
        clc
        ret

# frame_restorer: %eax = sa_restorer with SA_RESTORER (glibc and musl set it), else %eax (the
# frame's own retcode: Linux's choice for a process without a vDSO).
frame_restorer:
        testl $SA_RESTORER, sf_flags
        jz 1f
        movl sf_restorer, %eax
1:      ret

# write_sigcontext: struct sigcontext (88 bytes) at %esi from the registers at %ebp (sig_regs),
# the segment registers, the last trap's trapno, err and cr2 (thread.trap_nr, error_code, cr2:
# Linux writes the last trap's into every frame), the FPU area's address and the saved mask.
# Preserves %edi %ebp.
write_sigcontext:
        movw %gs, %ax
        movzwl %ax, %eax
        movl %eax, 0(%esi)
        movw %fs, %ax
        movzwl %ax, %eax
        movl %eax, 4(%esi)
        movw %es, %ax
        movzwl %ax, %eax
        movl %eax, 8(%esi)
        movw %ds, %ax
        movzwl %ax, %eax
        movl %eax, 12(%esi)
        movl R_EDI(%ebp), %eax
        movl %eax, 16(%esi)
        movl R_ESI(%ebp), %eax
        movl %eax, 20(%esi)
        movl R_EBP(%ebp), %eax
        movl %eax, 24(%esi)
        movl R_ESP(%ebp), %eax
        movl %eax, 28(%esi)
        movl %eax, 68(%esi)             # esp_at_signal
        movl R_EBX(%ebp), %eax
        movl %eax, 32(%esi)
        movl R_EDX(%ebp), %eax
        movl %eax, 36(%esi)
        movl R_ECX(%ebp), %eax
        movl %eax, 40(%esi)
        movl R_EAX(%ebp), %eax
        movl %eax, 44(%esi)
        movl sig_trapno, %eax
        movl %eax, 48(%esi)
        movl sig_err, %eax
        movl %eax, 52(%esi)
        movl R_EIP(%ebp), %eax
        movl %eax, 56(%esi)
        movzwl R_CS(%ebp), %eax
        movl %eax, 60(%esi)
        movl R_EFLAGS(%ebp), %eax
        movl %eax, 64(%esi)
        movzwl R_SS(%ebp), %eax
        movl %eax, 72(%esi)
        movl sf_fp, %eax
        movl %eax, 76(%esi)
        movl sf_old, %eax
        movl %eax, 80(%esi)
        movl sig_cr2, %eax
        movl %eax, 84(%esi)
        ret

# restore_sigcontext: the program's registers at %ebp from the struct sigcontext at %esi
# (readable: checked by the caller): the general registers, EIP, the EFLAGS bits a program may
# change (FIX_EFLAGS), FS and GS when they name a usable selector (else null, as Linux's fixup
# loads), DS and ES the user data segment; the x87 state from its fpstate pointer (FRSTOR) when
# that area is readable. %eax = the restored EAX. Clobbers all but %ebp.
restore_sigcontext:
        movl 16(%esi), %eax
        movl %eax, R_EDI(%ebp)
        movl 20(%esi), %eax
        movl %eax, R_ESI(%ebp)
        movl 24(%esi), %eax
        movl %eax, R_EBP(%ebp)
        movl 28(%esi), %eax
        movl %eax, R_ESP(%ebp)
        movl 32(%esi), %eax
        movl %eax, R_EBX(%ebp)
        movl 36(%esi), %eax
        movl %eax, R_EDX(%ebp)
        movl 40(%esi), %eax
        movl %eax, R_ECX(%ebp)
        movl 56(%esi), %eax
        movl %eax, R_EIP(%ebp)
        movl 64(%esi), %eax
        andl $FIX_EFLAGS, %eax
        movl R_EFLAGS(%ebp), %ecx
        andl $~FIX_EFLAGS, %ecx
        orl %ecx, %eax
        movl %eax, R_EFLAGS(%ebp)
        movl $USER_CS, R_CS(%ebp)
        movl $USER_DS, R_SS(%ebp)
        movw $USER_DS, %ax
        movw %ax, %ds
        movw %ax, %es
        movl 0(%esi), %eax
        call user_selector
        movw %ax, %gs
        movl 4(%esi), %eax
        call user_selector
        movw %ax, %fs
        movl 76(%esi), %edi             # the x87 state
        testl %edi, %edi
        jz 1f
        movl $108, %ecx
        movl $5, %edx
        call user_range
        jc 1f
        frstor (%edi)
1:      movl 44(%esi), %eax
        ret

# user_selector: %ax = the selector %ax with RPL 3 when the program may load it (the user data
# segment, or a TLS slot in use), else 0 (null).
user_selector:
        andl $0xFFFC, %eax
        jz 2f
        orl $3, %eax
        cmpl $USER_DS, %eax
        je 1f
        pushl %ebx
        movl %eax, %ebx
        shrl $3, %ebx
        cmpl $TLS_FIRST, %ebx
        jb 3f
        cmpl $TLS_FIRST + TLS_COUNT, %ebx
        jae 3f
        testb $0x80, tls_gdt + 5(,%ebx,8)  # present
        jz 3f
        popl %ebx
1:      ret
3:      popl %ebx
2:      xorl %eax, %eax
        ret

        .ifndef UNIKERNEL
# fault_signal (from exc_common: a CPU exception in the program that no stack growth resolves;
# the stack holds vector, error code and the IRET frame, every register still the program's):
# Linux's do_trap / do_user_addr_fault / force_sig_fault. The signal, si_code and si_addr come
# from the exception (trap_signal, trap_code, trap_addr below); a #PF records CR2 and says
# SEGV_ACCERR when the page is in use (the access was not allowed), SEGV_MAPERR otherwise; its
# error code gets the user bit, and an address in the kernel's part of the address space (RAM's
# identity map, below ram_size) reads as not present, as nothing is mapped there for the program
# (Linux's set_signal_archinfo likewise hides what the kernel maps). The handler runs unless the
# signal is blocked or ignored; then the default action ends the process (wait status: the signal).
fault_signal:
        popl sig_trapno
        popl sig_err
        SAVE_REGS
        movl %esp, sig_regs
        movl %esp, %ebp
        movl sig_trapno, %ebx
        movzbl trap_signal(%ebx), %eax
        movzbl trap_code(%ebx), %ecx
        movl %ecx, sf_code
        xorl %edx, %edx
        cmpb $1, trap_addr(%ebx)
        jne 1f
        movl R_EIP(%ebp), %edx          # si_addr: the instruction
1:      cmpl $14, %ebx
        jne 4f
        .ifdef PV
        movl shared_info + 8, %edx      # CR2, where Xen puts it for a PV guest
        .else
        movl %cr2, %edx
        .endif
        movl %edx, sig_cr2
        orl $4, sig_err                 # X86_PF_USER
        movl $SEGV_MAPERR, sf_code
        cmpl ram_size, %edx
        jae 2f
        andl $~1, sig_err               # the kernel's part: not present for the program
        jmp 4f
2:      pushl %eax
        movl %edx, %eax
        call pte_ptr
        popl %eax
        testl %ebx, %ebx
        jz 4f
        cmpl $0, (%ebx)
        je 4f
        movl $SEGV_ACCERR, sf_code
4:      movl %edx, sf_word3
        movl $0, sf_word4
        leal -1(%eax), %ecx             # blocked or ignored: the default action
        btl %ecx, sig_blocked
        jc 5f
        call sig_act
        cmpl $SIG_IGN, (%ebx)
        jbe 5f                          # SIG_DFL or SIG_IGN
        call setup_frame
        jc 6f
        call ret_to_user                # then whatever else is pending, on top
        RESTORE_REGS
        iret
5:      jmp proc_exit                   # (wait status: the signal)
6:      movl $SIGSEGV, %eax             # no room for the frame: Linux's force_sigsegv
        jmp proc_exit
        .endif

# ---- the signal system calls ---------------------------------------------------------------

# copy_in: %ecx bytes from the program's %esi to the kernel's sig_tmp. ZF=0 (jnz) on -EFAULT.
copy_in:
        pushl %ecx
        pushl %edx
        movl %ecx, %edx
        movl %esi, %ecx
        call check_user
        popl %edx
        popl %ecx
        jnz 1f
        movl $sig_tmp, %edi
        call copy_user
        xorl %eax, %eax
1:      ret

# copy_out: %ecx bytes from sig_tmp to the program's %edi. ZF=0 (jnz) on -EFAULT.
copy_out:
        movl $sig_tmp, %esi
# copy_out_from: %ecx bytes from the kernel's %esi to the program's %edi, ZF=0 on -EFAULT.
copy_out_from:
        pushl %ecx
        pushl %edx
        movl %ecx, %edx
        movl %edi, %ecx
        call check_user
        popl %edx
        popl %ecx
        jnz 1f
        call copy_user
        xorl %eax, %eax
1:      ret

# rt_sigaction(sig, act, oact, sigsetsize): Linux's do_sigaction: sigsetsize 8, sig 1-64 and
# not SIGKILL or SIGSTOP when changing it, else -EINVAL; act read first (-EFAULT), installed
# with SIGKILL and SIGSTOP out of its mask; SIG_IGN (or SIG_DFL of a signal ignored by default)
# discards the pending one; the old action written to oact (-EFAULT). The unikernel's library
# OS runs no handlers (its program runs at ring 0 on the kernel's own stack): setting one there
# is -EINVAL; SIG_DFL and SIG_IGN are served.
sys_rt_sigaction:
        cmpl $8, %esi
        jne einval
        leal -1(%ebx), %eax
        cmpl $NSIG, %eax
        jae einval
        movl %ebx, sa_sig
        movl %edx, sa_oact
        testl %ecx, %ecx
        jz 2f
        cmpl $SIGKILL, %ebx
        je einval
        cmpl $SIGSTOP, %ebx
        je einval
        movl %ecx, %esi
        movl $ACT_SIZE, %ecx
        call copy_in
        jnz efault
        .ifdef UNIKERNEL
        cmpl $SIG_IGN, sig_tmp
        ja einval
        .endif
        andl $~UNBLOCKABLE, sig_tmp + 12
        movl sa_sig, %eax
        call sig_act
        movl $sig_tmp, %esi             # swap: the new action in, the old one out
        movl $sig_tmp + 32, %edi
        movl $ACT_SIZE / 4, %ecx
1:      movl (%ebx), %eax
        movl %eax, (%edi)
        movl (%esi), %eax
        movl %eax, (%ebx)
        addl $4, %ebx
        addl $4, %esi
        addl $4, %edi
        loop 1b
        movl sa_sig, %eax
        cmpl $SIGCHLD, %eax             # a child's exit looks at SIGCHLD's action from now on
        jne 5f
        movl %eax, sig_chld_acted
5:      call sig_ignored
        jnc 3f
        leal -1(%eax), %ecx
        btrl %ecx, sig_pending
        call sig_recalc
        jmp 3f
2:      movl sa_sig, %eax               # no new action: the old one is the current one
        call sig_act
        movl %ebx, %esi
        movl $sig_tmp + 32, %edi
        movl $ACT_SIZE / 4, %ecx
        cld
        rep movsl
3:      movl sa_oact, %edi
        testl %edi, %edi
        jz 4f
        movl $sig_tmp + 32, %esi
        movl %edi, %ecx
        movl $ACT_SIZE, %edx
        call check_user
        jnz efault
        movl $ACT_SIZE, %ecx
        call copy_user
4:      xorl %eax, %eax
        ret

# rt_sigprocmask(how, set, oset, sigsetsize): SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2 (else
# -EINVAL with a set); SIGKILL and SIGSTOP never blocked; sigsetsize other than 8 -EINVAL.
sys_rt_sigprocmask:
        cmpl $8, %esi
        jne einval
        movl sig_blocked, %eax          # the old mask, for oset
        movl %eax, sa_old
        movl sig_blocked + 4, %eax
        movl %eax, sa_old + 4
        testl %ecx, %ecx
        jz 4f
        cmpl $2, %ebx
        ja einval
        movl %edx, sa_oact
        movl %ecx, %esi
        movl $8, %ecx
        call copy_in
        jnz efault
        movl sa_oact, %edx
        movl sig_tmp, %eax
        movl sig_tmp + 4, %ecx
        cmpl $1, %ebx
        je 2f
        jb 1f
        movl %eax, sig_blocked          # SIG_SETMASK
        movl %ecx, sig_blocked + 4
        jmp 3f
1:      orl %eax, sig_blocked           # SIG_BLOCK
        orl %ecx, sig_blocked + 4
        jmp 3f
2:      notl %eax                       # SIG_UNBLOCK
        notl %ecx
        andl %eax, sig_blocked
        andl %ecx, sig_blocked + 4
3:      andl $~UNBLOCKABLE, sig_blocked
4:      testl %edx, %edx
        jz 5f
        movl sa_old, %eax
        movl %eax, sig_tmp
        movl sa_old + 4, %eax
        movl %eax, sig_tmp + 4
        movl %edx, %edi
        movl $8, %ecx
        call copy_out
        jnz efault
5:      xorl %eax, %eax
        ret

# rt_sigpending(set, sigsetsize): the pending signals that are blocked; sigsetsize above 8
# -EINVAL (Linux copies that many bytes).
sys_rt_sigpending:
        cmpl $8, %ecx
        ja einval
        movl sig_pending, %eax
        andl sig_blocked, %eax
        movl %eax, sig_tmp
        movl sig_pending + 4, %eax
        andl sig_blocked + 4, %eax
        movl %eax, sig_tmp + 4
        movl %ebx, %edi
        call copy_out
        jnz efault
        xorl %eax, %eax
        ret

# sigaltstack(ss, oss): Linux's do_sigaltstack with the i386 stack_t {ss_sp, ss_flags,
# ss_size}: -EPERM while running on the alternate stack; flags other than 0, SS_ONSTACK or
# SS_DISABLE (with SS_AUTODISARM) -EINVAL; a size under MINSIGSTKSZ (2048) -ENOMEM; oss gets
# the old stack with sas_ss_flags (SS_DISABLE, SS_ONSTACK or 0, plus SS_AUTODISARM).
sys_sigaltstack:
        movl sys_esp, %eax
        movl R_ESP - 4(%eax), %eax      # the program's stack pointer
        movl %eax, sa_sp
        movl alt_sp, %eax               # the old stack and its flags at that stack pointer
        movl %eax, sa_old
        movl alt_size, %eax
        movl %eax, sa_old + 8
        movl alt_flags, %eax
        andl $SS_AUTODISARM, %eax
        cmpl $0, alt_size
        jne 1f
        orl $SS_DISABLE, %eax
        jmp 2f
1:      pushl %eax
        movl sa_sp, %eax
        call on_altstack
        popl %eax
        jz 2f
        orl $SS_ONSTACK, %eax
2:      movl %eax, sa_old + 4
        movl %ecx, sa_oact
        testl %ebx, %ebx
        jz 5f
        movl %ebx, %esi
        movl $12, %ecx
        call copy_in
        jnz efault
        movl sa_sp, %eax
        call on_altstack
        jnz eperm
        movl sig_tmp + 4, %eax          # ss_flags
        andl $~SS_AUTODISARM, %eax
        cmpl $SS_DISABLE, %eax
        je 3f
        cmpl $SS_ONSTACK, %eax
        ja einval
        cmpl $MINSIGSTKSZ, sig_tmp + 8
        jb enomem
        movl sig_tmp, %eax
        movl %eax, alt_sp
        movl sig_tmp + 8, %eax
        movl %eax, alt_size
        jmp 4f
3:      movl $0, alt_sp
        movl $0, alt_size
4:      movl sig_tmp + 4, %eax
        movl %eax, alt_flags
5:      movl sa_oact, %edi
        testl %edi, %edi
        jz 6f
        movl sa_old, %eax
        movl %eax, sig_tmp
        movl sa_old + 4, %eax
        movl %eax, sig_tmp + 4
        movl sa_old + 8, %eax
        movl %eax, sig_tmp + 8
        movl $12, %ecx
        call copy_out
        jnz efault
6:      xorl %eax, %eax
        ret

# kill(pid, sig): pid > 0 the process with that pid (itself, or another: kill_others), 0 and
# -1000 the process group (every process here is in the first process's group, 1000: them all,
# itself last), -1 every process but itself; -ESRCH when none is found, another negative pid
# -ESRCH. sig above 64 -EINVAL; 0 only checks. si_code SI_USER, si_pid the sender's, si_uid the
# host's real uid (a forwarded getuid32, as the program's own getuid is answered).
sys_kill:
        cmpl $NSIG, %ecx
        ja einval
        cmpl u_pid, %ebx                # itself
        je 1f
        movl %ebx, kl_pid
        testl %ebx, %ebx
        jg 2f
        je 3f
        cmpl $-GUEST_PID, %ebx
        je 3f
        cmpl $-1, %ebx
        jne esrch
        movl $0, kl_pid                 # -1: every other process, none of them: -ESRCH
2:      call kill_others
        testl %eax, %eax
        jz esrch
        xorl %eax, %eax
        ret
3:      movl $0, kl_pid                 # the group: every other process, then itself
        call kill_others
        movl sa_sig, %ecx
1:      movl $SI_USER, %edx
        jmp send_self

# kill_others: signal %ecx (0: none, only looked for) from this process (SI_USER) to every
# other process whose pid is kl_pid (0: every one): post_to; %eax = how many there were (a
# zombie counts and takes nothing, as Linux's). sa_sig := the signal. Clobbers all but %ebp.
kill_others:
        movl %ecx, sa_sig
        movl $0, kl_found
        movl $0, kl_uid                 # (0: not asked yet)
        movl $proc_table, %edi
1:      cmpl $P_FREE, P_STATE(%edi)
        je 3f
        cmpl u_proc, %edi
        je 3f
        cmpl $0, P_PID(%edi)            # reaped already (chld_signal)
        je 3f
        movl kl_pid, %eax
        testl %eax, %eax
        jz 2f
        cmpl %eax, P_PID(%edi)
        jne 3f
2:      incl kl_found
        cmpl $0, sa_sig
        je 3f
        cmpl $0, kl_uid
        jne 4f
        movl $NR_getuid32, %eax
        call host_call
        incl %eax                       # (kept + 1, so that uid 0 reads as asked)
        movl %eax, kl_uid
4:      movl sa_sig, %eax
        movl $SI_USER, %ecx
        movl u_pid, %edx
        movl kl_uid, %esi
        decl %esi
        call post_to
3:      addl $PROC_SIZE, %edi
        cmpl $proc_table_end, %edi
        jb 1b
        movl kl_found, %eax
        ret

# tkill(tid, sig) and tgkill(tgid, tid, sig): the process's one thread, tid = its pid (si_code
# SI_TKILL);
# an id at or below 0 or sig above 64 -EINVAL, another id -ESRCH.
sys_tgkill:
        testl %ebx, %ebx
        jle einval
        testl %ecx, %ecx
        jle einval
        cmpl $NSIG, %edx
        ja einval
        cmpl u_pid, %ebx
        jne esrch
        movl %ecx, %ebx
        movl %edx, %ecx
        jmp 1f
sys_tkill:
        testl %ebx, %ebx
        jle einval
        cmpl $NSIG, %ecx
        ja einval
1:      cmpl u_pid, %ebx
        jne esrch
        movl $SI_TKILL, %edx
# send_self: post signal %ecx (0: none) with si_code %edx from the program itself; returns 0.
send_self:
        testl %ecx, %ecx
        jz 1f
        pushl %ecx
        pushl %edx
        movl $NR_getuid32, %eax
        call host_call
        movl %eax, %esi                 # si_uid
        popl %ecx                       # si_code
        popl %eax                       # the signal
        movl u_pid, %edx                # si_pid
        call post_signal
1:      xorl %eax, %eax
        ret

# rt_sigreturn(): the struct rt_sigframe whose pretcode the handler's RET popped (the frame at
# ESP - 4): the mask from uc_sigmask, the registers (and x87 state) from uc_mcontext, the
# alternate stack from uc_stack (as sigaltstack(&uc_stack, NULL), errors ignored). An unreadable
# frame: SIGSEGV, as Linux forces it. Returns the restored EAX.
sys_rt_sigreturn:
        movl sys_esp, %ebp
        subl $4, %ebp                   # the registers (R_* offsets)
        movl R_ESP(%ebp), %esi
        addl $140, %esi                 # the ucontext: ESP - 4 + 144
        movl %esi, %edi
        movl $116, %ecx                 # through uc_sigmask
        movl $5, %edx
        call user_range
        jc sigreturn_segv
        movl 108(%esi), %eax
        andl $~UNBLOCKABLE, %eax
        movl %eax, sig_blocked
        movl 112(%esi), %eax
        movl %eax, sig_blocked + 4
        movl 8(%esi), %eax              # uc_stack
        movl %eax, sig_tmp
        movl 12(%esi), %eax
        movl %eax, sig_tmp + 4
        movl 16(%esi), %eax
        movl %eax, sig_tmp + 8
        addl $20, %esi
        call restore_sigcontext
        pushl %eax
        movl R_ESP(%ebp), %eax          # restore_altstack, unless now on the alternate stack
        call on_altstack
        jnz 2f
        movl sig_tmp + 4, %eax
        andl $~SS_AUTODISARM, %eax
        cmpl $SS_DISABLE, %eax
        jne 1f
        movl $0, alt_sp
        movl $0, alt_size
        movl sig_tmp + 4, %eax
        movl %eax, alt_flags
        jmp 2f
1:      cmpl $SS_ONSTACK, %eax
        ja 2f
        cmpl $MINSIGSTKSZ, sig_tmp + 8
        jb 2f
        movl sig_tmp, %eax
        movl %eax, alt_sp
        movl sig_tmp + 8, %eax
        movl %eax, alt_size
        movl sig_tmp + 4, %eax
        movl %eax, alt_flags
2:      call sig_recalc
        popl %eax
        ret

# sigreturn(): the struct sigframe whose pretcode the handler's RET popped and whose sig word
# the restorer's POP removed: the sigcontext at ESP, extramask at ESP + 712.
sys_sigreturn:
        movl sys_esp, %ebp
        subl $4, %ebp
        movl R_ESP(%ebp), %esi
        movl %esi, %edi
        movl $716, %ecx
        movl $5, %edx
        call user_range
        jc sigreturn_segv
        movl 80(%esi), %eax             # oldmask, and extramask for signals 33-64
        andl $~UNBLOCKABLE, %eax
        movl %eax, sig_blocked
        movl 712(%esi), %eax
        movl %eax, sig_blocked + 4
        call restore_sigcontext
        call sig_recalc
        ret

sigreturn_segv:
        movl $SIGSEGV, %eax
        jmp proc_exit

# pause(): waits until a signal is deliverable, then -EINTR (the handler runs on the way out).
sys_pause:
1:      call sig_deliverable
        jnz 2f
        call idle
        jmp 1b
2:      movl $-EINTR, %eax
        ret

# rt_sigsuspend(mask, sigsetsize): pause with mask blocked meanwhile; the handler's frame saves
# the mask from before the call, which its sigreturn restores (Linux's saved_sigmask).
sys_rt_sigsuspend:
        cmpl $8, %ecx
        jne einval
        movl %ebx, %esi
        call copy_in
        jnz efault
        movl sig_blocked, %eax
        movl %eax, sig_saved
        movl sig_blocked + 4, %eax
        movl %eax, sig_saved + 4
        movl $1, sig_suspended
        movl sig_tmp, %eax
        andl $~UNBLOCKABLE, %eax
        movl %eax, sig_blocked
        movl sig_tmp + 4, %eax
        movl %eax, sig_blocked + 4
        jmp sys_pause

# ---- ITIMER_REAL, alarm, and sleeps on the kernel's clock (now_ns) --------------------------

# timer_left: %edx:%eax = nanoseconds until ITIMER_REAL expires (0: disarmed; 1 when due).
timer_left:
        movl it_due, %eax
        orl it_due + 4, %eax
        jz 2f
        call now_ns
        movl it_due, %ecx
        movl it_due + 4, %ebx
        subl %eax, %ecx
        sbbl %edx, %ebx
        jc 1f                           # overdue
        movl %ecx, %eax
        movl %ebx, %edx
        orl %edx, %ecx
        jnz 3f
1:      movl $1, %eax
        xorl %edx, %edx
        ret
2:      xorl %edx, %edx
3:      ret

# alarm(seconds): ITIMER_REAL without interval; returns the seconds left of the previous one,
# rounded as Linux's alarm_setitimer does (up when under a second or half a second over).
sys_alarm:
        pushl %ebx
        call timer_left
        movl $NSEC_PER_SEC, %ecx
        divl %ecx                       # %eax seconds, %edx nanoseconds
        movl %eax, sa_old
        movl %edx, %eax
        xorl %edx, %edx
        movl $1000, %ecx
        divl %ecx                       # microseconds
        cmpl $500000, %eax
        jae 1f
        testl %eax, %eax
        jz 2f
        cmpl $0, sa_old
        jne 2f
1:      incl sa_old
2:      popl %eax                       # the new alarm
        movl $0, it_interval
        movl $0, it_interval + 4
        movl $0, it_due
        movl $0, it_due + 4
        testl %eax, %eax
        jz 3f
        movl $NSEC_PER_SEC, %ecx
        mull %ecx
        call arm_timer
3:      call sig_recalc
        movl sa_old, %eax
        ret

# arm_timer: ITIMER_REAL expires %edx:%eax nanoseconds from now. Clobbers %ebx %ecx.
arm_timer:
        movl %eax, %ecx
        movl %edx, %ebx
        call now_ns
        addl %ecx, %eax
        adcl %ebx, %edx
        movl %eax, it_due
        movl %edx, it_due + 4
        ret

# timeval_ns: %edx:%eax = the struct timeval {sec, usec} at %esi in nanoseconds; CF=1 when
# sec < 0 or usec is outside [0, 1000000) (-EINVAL).
timeval_ns:
        cmpl $1000000, 4(%esi)
        jae 1f
        movl (%esi), %eax
        testl %eax, %eax
        js 1f
        movl $NSEC_PER_SEC, %ecx
        mull %ecx
        pushl %edx
        pushl %eax
        movl 4(%esi), %eax
        movl $1000, %ecx
        mull %ecx
        popl %ecx
        addl %ecx, %eax
        popl %ecx
        adcl %ecx, %edx
        clc
        ret
1:      stc
        ret

# ns_timeval: the struct timeval at %edi := %edx:%eax nanoseconds (microseconds truncated).
ns_timeval:
        movl $NSEC_PER_SEC, %ecx
        divl %ecx
        movl %eax, (%edi)
        movl %edx, %eax
        xorl %edx, %edx
        movl $1000, %ecx
        divl %ecx
        movl %eax, 4(%edi)
        ret

# itimer_get: it_buf := ITIMER_REAL as a struct itimerval {it_interval, it_value}; a value
# that would read as 0 while armed reads as 1 µs, as Linux rounds it up.
itimer_get:
        movl it_interval, %eax
        movl it_interval + 4, %edx
        movl $it_buf, %edi
        call ns_timeval
        call timer_left
        testl %edx, %edx
        jnz 1f
        testl %eax, %eax
        jz 1f
        cmpl $1000, %eax
        jae 1f
        movl $1000, %eax
1:      movl $it_buf + 8, %edi
        call ns_timeval
        ret

# setitimer(which, new, old) and getitimer(which, value) with the i386 struct itimerval: only
# ITIMER_REAL (0) is served, on the kernel's clock; ITIMER_VIRTUAL and ITIMER_PROF (1, 2) and
# anything else -EINVAL. new: usec outside [0, 1000000) or sec < 0 -EINVAL; it_value 0 disarms;
# old is written before the timer is set.
sys_setitimer:
        testl %ebx, %ebx
        jnz einval
        movl %edx, sa_oact
        movl %ecx, sa_sig
        testl %ecx, %ecx
        jz 1f
        movl %ecx, %esi
        movl $16, %ecx
        call copy_in
        jnz efault
        movl $sig_tmp, %esi
        call timeval_ns
        jc einval
        movl $sig_tmp + 8, %esi
        call timeval_ns
        jc einval
1:      cmpl $0, sa_oact
        je 2f
        call itimer_get
        movl sa_oact, %edi
        movl $it_buf, %esi
        movl $16, %ecx
        call copy_out_from
        jnz efault
2:      cmpl $0, sa_sig
        je 4f
        movl $sig_tmp, %esi
        call timeval_ns
        movl %eax, it_interval
        movl %edx, it_interval + 4
        movl $sig_tmp + 8, %esi
        call timeval_ns
        movl $0, it_due
        movl $0, it_due + 4
        movl %eax, %ecx
        orl %edx, %ecx
        jnz 3f
        movl $0, it_interval            # disarmed: no interval either
        movl $0, it_interval + 4
        jmp 4f
3:      call arm_timer
4:      call sig_recalc
        xorl %eax, %eax
        ret

sys_getitimer:
        testl %ebx, %ebx
        jnz einval
        pushl %ecx
        call itimer_get
        popl %edi
        movl $it_buf, %esi
        movl $16, %ecx
        call copy_out_from
        jnz efault
        xorl %eax, %eax
        ret

# nanosleep(req, rem), clock_nanosleep(clock, flags, req, rem) and clock_nanosleep_time64 (the
# 64-bit struct __kernel_timespec): the kernel waits on its timer (idle) until the time has
# passed, or until a signal is deliverable: -EINTR, with the time left in rem (relative sleeps).
# Linux's errors: nsec outside [0, 1e9) or sec < 0 -EINVAL, a clock other than CLOCK_REALTIME,
# CLOCK_MONOTONIC or CLOCK_BOOTTIME -EINVAL. Without a timer (--timer 0, kvm) the kernel cannot
# wait: the sleep goes to the host-call device as before (nothing interrupts it); an absolute
# sleep (TIMER_ABSTIME) goes there too, since the clock it names is the host device's.
sys_nanosleep:
        cmpl $0, tick_ns
        je sys_forward
        movl %ecx, sl_rem
        movl $0, sl_wide
        jmp 1f
sys_clock_nanosleep_time64:
        movl $1, sl_wide
        jmp 2f
sys_clock_nanosleep:
        movl $0, sl_wide
2:      cmpl $0, tick_ns
        je sys_forward
        testl $1, %ecx                  # TIMER_ABSTIME
        jnz sys_forward
        cmpl $1, %ebx                   # CLOCK_REALTIME, CLOCK_MONOTONIC
        jbe 3f
        cmpl $7, %ebx                   # CLOCK_BOOTTIME
        jne einval
3:      movl %esi, sl_rem
        movl %edx, %ebx
1:      movl %ebx, %esi
        movl $8, %ecx
        cmpl $0, sl_wide
        je 4f
        movl $16, %ecx
4:      call copy_in
        jnz efault
        cmpl $0, sl_wide
        je 5f
        movl sig_tmp + 4, %eax          # time64: {sec (64 bits), nsec (its low word counts)}:
        testl %eax, %eax                # a negative sec -EINVAL, one past 2^31 s clamped
        js einval
        jnz 8f
        testl $0x80000000, sig_tmp
        jz 9f
8:      movl $0x7FFFFFFF, sig_tmp
9:      movl sig_tmp + 8, %eax
        movl %eax, sig_tmp + 4
5:      cmpl $NSEC_PER_SEC, sig_tmp + 4
        jae einval
        movl sig_tmp, %eax
        testl %eax, %eax
        js einval
        movl $NSEC_PER_SEC, %ecx
        mull %ecx
        addl sig_tmp + 4, %eax
        adcl $0, %edx
        call sleep_ns
        testl %eax, %eax
        jz 7f
        movl sl_rem, %edi
        testl %edi, %edi
        jz 7f
        pushl %eax
        movl sl_left, %eax
        movl sl_left + 4, %edx
        movl $NSEC_PER_SEC, %ecx
        divl %ecx
        movl %eax, sig_tmp
        movl %edx, sig_tmp + 4
        movl $8, %ecx
        cmpl $0, sl_wide
        je 6f
        movl %edx, sig_tmp + 8
        movl $0, sig_tmp + 4
        movl $0, sig_tmp + 12
        movl $16, %ecx
6:      call copy_out
        popl %eax
        jz 7f
        movl $-EFAULT, %eax
7:      ret

# sleep_ns: wait %edx:%eax nanoseconds: %eax = 0 when they passed, -EINTR when a signal became
# deliverable first (sl_left = the nanoseconds left). Clobbers all but %ebp.
sleep_ns:
        movl %eax, %ecx
        movl %edx, %ebx
        call now_ns
        addl %ecx, %eax
        adcl %ebx, %edx
        movl %eax, sl_target
        movl %edx, sl_target + 4
1:      call sig_deliverable
        jnz 2f
        call now_ns
        cmpl sl_target + 4, %edx
        ja 3f
        jb 4f
        cmpl sl_target, %eax
        jae 3f
4:      call idle
        jmp 1b
2:      call now_ns
        movl sl_target, %ecx
        movl sl_target + 4, %ebx
        subl %eax, %ecx
        sbbl %edx, %ebx
        jnc 5f
        xorl %ecx, %ecx
        xorl %ebx, %ebx
5:      movl %ecx, sl_left
        movl %ebx, sl_left + 4
        movl $-EINTR, %eax
        ret
3:      xorl %eax, %eax
        ret

eperm:  movl $-EPERM, %eax
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
# A context switch (swtch): stack_switch(KERNEL_DS, esp) and mmuext_op(NEW_BASEPTR) in one multicall.
switch_calls:
        .long HYPERVISOR_stack_switch, 0, KERNEL_DS, 0, 0, 0, 0, 0
        .long HYPERVISOR_mmuext_op, 0, switch_ext, 1, 0, DOMID_SELF, 0, 0
switch_ext: .long MMUEXT_NEW_BASEPTR, 0, 0
# fork: the parent's TLB flushed, the child's page directory pinned; a reaped one unpinned.
fork_ext:   .long MMUEXT_TLB_FLUSH_LOCAL, 0, 0
            .long MMUEXT_PIN_L2_TABLE, 0, 0
unpin_ext:  .long MMUEXT_UNPIN_TABLE, 0, 0
# multicall entries (op, result, args[6]) for the exit
exit_calls:
        .long HYPERVISOR_sched_op, 0, SCHEDOP_shutdown_code, shutdown_code, 0, 0, 0, 0
        .long HYPERVISOR_sched_op, 0, SCHEDOP_shutdown, shutdown_poweroff, 0, 0, 0, 0
        .endif
        .align 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        # 0x08 kernel code: base 0, 4 GiB, DPL 0
        .quad 0x00CF92000000FFFF        # 0x10 kernel data
        .quad 0x0000890000000067        # 0x18 TSS (base patched at boot), 104 bytes
        .quad 0x00CFFA000000FFFF        # 0x23 user code: DPL 3
        .quad 0x00CFF2000000FFFF        # 0x2B user data
        .ifndef PV
tls_gdt = gdt                           # 0x33, 0x3b, 0x43: the TLS slots (set_thread_area)
        .endif
        .quad 0, 0, 0
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

# The system call table, by number: one line per call served, .rept runs of sys_forward between.
syscall_table:
        .long sys_forward                                      # 0
        .long sys_exit                                         # 1 exit
        .long sys_fork                                         # 2 fork
        .long sys_read                                         # 3 read
        .long sys_write                                        # 4 write
        .rept 7 - 5
        .long sys_forward                                      # 5-6
        .endr
        .long sys_waitpid                                      # 7 waitpid
        .rept 20 - 8
        .long sys_forward                                      # 8-19
        .endr
        .long sys_getpid                                       # 20 getpid
        .rept 27 - 21
        .long sys_forward                                      # 21-26
        .endr
        .long sys_alarm                                        # 27 alarm
        .rept 29 - 28
        .long sys_forward                                      # 28
        .endr
        .long sys_pause                                        # 29 pause
        .rept 37 - 30
        .long sys_forward                                      # 30-36
        .endr
        .long sys_kill                                         # 37 kill
        .rept 45 - 38
        .long sys_forward                                      # 38-44
        .endr
        .long sys_brk                                          # 45 brk
        .rept 64 - 46
        .long sys_forward                                      # 46-63
        .endr
        .long sys_getppid                                      # 64 getppid
        .rept 91 - 65
        .long sys_forward                                      # 65-90
        .endr
        .long sys_munmap                                       # 91 munmap
        .rept 104 - 92
        .long sys_forward                                      # 92-103
        .endr
        .long sys_setitimer                                    # 104 setitimer
        .long sys_getitimer                                    # 105 getitimer
        .rept 114 - 106
        .long sys_forward                                      # 106-113
        .endr
        .long sys_wait4                                        # 114 wait4
        .rept 119 - 115
        .long sys_forward                                      # 115-118
        .endr
        .long sys_sigreturn                                    # 119 sigreturn
        .long sys_clone                                        # 120 clone
        .long sys_forward                                      # 121
        .long sys_uname                                        # 122 uname
        .rept 125 - 123
        .long sys_forward                                      # 123-124
        .endr
        .long sys_mprotect                                     # 125 mprotect
        .rept 146 - 126
        .long sys_forward                                      # 126-145
        .endr
        .long sys_writev                                       # 146 writev
        .rept 162 - 147
        .long sys_forward                                      # 147-161
        .endr
        .long sys_nanosleep                                    # 162 nanosleep
        .long sys_mremap                                       # 163 mremap
        .rept 173 - 164
        .long sys_forward                                      # 164-172
        .endr
        .long sys_rt_sigreturn                                 # 173 rt_sigreturn
        .long sys_rt_sigaction                                 # 174 rt_sigaction
        .long sys_rt_sigprocmask                               # 175 rt_sigprocmask
        .long sys_rt_sigpending                                # 176 rt_sigpending
        .rept 179 - 177
        .long sys_forward                                      # 177-178
        .endr
        .long sys_rt_sigsuspend                                # 179 rt_sigsuspend
        .rept 186 - 180
        .long sys_forward                                      # 180-185
        .endr
        .long sys_sigaltstack                                  # 186 sigaltstack
        .rept 190 - 187
        .long sys_forward                                      # 187-189
        .endr
        .long sys_fork                                         # 190 vfork
        .long sys_ugetrlimit                                   # 191 ugetrlimit
        .long sys_mmap2                                        # 192 mmap2
        .rept 219 - 193
        .long sys_forward                                      # 193-218
        .endr
        .long sys_madvise                                      # 219 madvise
        .rept 224 - 220
        .long sys_forward                                      # 220-223
        .endr
        .long sys_getpid                                       # 224 gettid
        .rept 238 - 225
        .long sys_forward                                      # 225-237
        .endr
        .long sys_tkill                                        # 238 tkill
        .rept 243 - 239
        .long sys_forward                                      # 239-242
        .endr
        .long sys_set_thread_area                              # 243 set_thread_area
        .long sys_get_thread_area                              # 244 get_thread_area
        .rept 252 - 245
        .long sys_forward                                      # 245-251
        .endr
        .long sys_exit                                         # 252 exit_group
        .rept 258 - 253
        .long sys_forward                                      # 253-257
        .endr
        .long sys_getpid                                       # 258 set_tid_address
        .rept 267 - 259
        .long sys_forward                                      # 259-266
        .endr
        .long sys_clock_nanosleep                              # 267 clock_nanosleep
        .rept 270 - 268
        .long sys_forward                                      # 268-269
        .endr
        .long sys_tgkill                                       # 270 tgkill
        .rept 311 - 271
        .long sys_forward                                      # 271-310
        .endr
        .long sys_set_robust_list                              # 311 set_robust_list
        .rept 340 - 312
        .long sys_forward                                      # 312-339
        .endr
        .long sys_prlimit64                                    # 340 prlimit64
        .rept 386 - 341
        .long sys_forward                                      # 341-385
        .endr
        .long sys_rseq                                         # 386 rseq
        .rept 407 - 387
        .long sys_forward                                      # 387-406
        .endr
        .long sys_clock_nanosleep_time64                       # 407 clock_nanosleep_time64
        .rept 500 - 408
        .long sys_forward                                      # 408-499
        .endr
        .long sys_kcall                                        # 500 vsim_kcall
        .equ NSYSCALLS, (. - syscall_table) / 4

# Linux's signal for each exception (arch/x86/kernel/traps.c, fault.c), its si_code and what
# si_addr is (0: none, 1: the instruction's EIP; #PF's CR2 in fault_signal): #DE SIGFPE
# FPE_INTDIV; #DB SIGTRAP TRAP_TRACE (the next EIP); #BP SIGTRAP SI_KERNEL; #UD SIGILL
# ILL_ILLOPN; #NP #SS SIGBUS SI_KERNEL; #MF SIGFPE FPE_FLTINV; #AC SIGBUS BUS_ADRALN; #XM
# SIGFPE; the rest (#GP, #OF, #BR, #TS, #PF) SIGSEGV SI_KERNEL.
trap_signal:
        .byte 8, 5, 11, 5, 11, 11, 4, 11, 11, 11, 11, 7, 7, 11, 11, 11, 8, 7, 11, 8
trap_code:
        .byte 1, 2, 0x80, 0x80, 0x80, 0x80, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 7, 1, 0x80, 0
trap_addr:
        .byte 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1

# Each signal's default action (signal(7)), by number from 1: 0 terminate, 1 core (both end
# the program here), 2 ignore, 3 stop (which this kernel, with nothing to continue the
# program, ignores).
sig_default:
        .byte 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 2, 3, 3        # 1-20
        .byte 3, 3, 2, 1, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0        # 21-40
        .fill 24, 1, 0                                                          # 41-64

hexdigits:
        .ascii "0123456789abcdef"

# struct new_utsname for uname: six fields of 65 bytes, NUL-padded.
        .macro UTSFIELD text
0:      .asciz "\text"
        .fill 65 - (. - 0b), 1, 0
        .endm
utsname:
        UTSFIELD "Linux"
        UTSFIELD "vsim"
        UTSFIELD "6.1.0-vsim"
        UTSFIELD "#1 vsim guest kernel (programs/kernel/kernel.s)"
        UTSFIELD "i686"
        UTSFIELD "(none)"
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
invlpg_count: .space 4
mmuext_ops: .space 12 * INVLPG_BATCH    # mmuext_op {cmd, arg1, arg2} for mm_done
pv_gdt_frames: .space 4                 # set_gdt's frame list: one frame
        .align 4096
pv_gdt:                                 # the PV kernel's GDT: entries 0-8, 4 and 5 the program's
tls_gdt = pv_gdt                        # segments, 6-8 TLS; Xen's flat ones in the hypervisor's part
        .space 4096
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
        .align 16
hostcall_req: .space 32                 # number, six arguments, result (the host writes it)
ticks:      .space 4
free_list:  .space 4                    # frames given back by munmap, linked through word 0
mm_addr:    .space 4                    # mmap2/mprotect/madvise working state
mm_len:     .space 4
mm_prot:    .space 4
mm_flags:   .space 4
mm_bits:    .space 4
mm_fd:      .space 4                    # mmap2 of a file: the fd (-1: anonymous), its access
mm_acc:     .space 4                    #   mode (O_ACCMODE) and the offset in pages
mm_pgoff:   .space 4
mm_new:     .space 4                    # mremap: the new size, the target, where it goes,
mm_target:  .space 4                    #   and the bytes kept
mm_dest:    .space 4
mm_kept:    .space 4
wv_fd:      .space 4                    # writev
wv_iov:     .space 4
wv_left:    .space 4
wv_total:   .space 4
wv_vec:     .space 8
tls_user:   .space 4                    # set/get_thread_area: the user pointer,
tls_info:   .space 16                   #   a kernel copy of its struct user_desc,
tls_lo:     .space 4                    #   and the descriptor built from it
tls_hi:     .space 4
rl_buf:     .space 16                   # ugetrlimit, prlimit64
tick_ns:    .space 4                    # the timer's period (0: no timer)
sig_regs:   .space 4                    # signal delivery: the program's registers (R_*),
sf_sig:     .space 4                    #   the signal and its action being delivered,
sf_handler: .space 4
sf_flags:   .space 4
sf_restorer: .space 4
sf_mask:    .space 8
sf_old:     .space 8                    #   the mask its frame saves,
sf_code:    .space 4                    #   its siginfo,
sf_word3:   .space 4
sf_word4:   .space 4
sf_fp:      .space 4                    #   where its FPU area and frame go,
sf_frame:   .space 4
sf_nested:  .space 4                    #   and whether on or onto the alternate stack
sf_entering: .space 4
sa_sig:     .space 4                    # the signal calls' working state
sa_oact:    .space 4
sa_sp:      .space 4
sa_old:     .space 12
kl_pid:     .space 4                    # kill: the pid asked for (0: every process),
kl_found:   .space 4                    #   how many had it,
kl_uid:     .space 4                    #   and the host's uid + 1 (0: not asked yet)
sig_tmp:    .space 64                   # a kernel copy of the program's argument
it_buf:     .space 16                   # a struct itimerval going out
# The u-area: every per-process variable of the kernel, the running process's (see "processes").
# swtch saves it to the process table and loads the next one's; fork copies it. Keep whole words.
        .align 4
uarea_begin:
u_proc:     .space 4                    # this process's process-table entry
u_pid:      .space 4                    # getpid, gettid
u_ppid:     .space 4                    # getppid
u_pgdir:    .space 4                    # its page directory (CR3; the identity map: its address)
u_kstack:   .space 4                    # the top of its kernel stack (TSS ESP0)
u_ksp:      .space 4                    # its kernel stack pointer while another process runs
sys_esp:    .space 4                    # its system call's saved registers (the -EFAULT fixup)
u_cow:      .space 4                    # 1: it may share frames (copy-on-write) with another
u_settid:   .space 4                    # CLONE_CHILD_SETTID's address, until the child first runs
u_wrusage:  .space 4                    # wait4's rusage pointer while it sleeps
u_wnr:      .space 4                    # and its system call's number (wait4 or waitpid)
brk_start:  .space 4                    # the heap
brk_cur:    .space 4
brk_mapped: .space 4
u_tls:      .space 8 * TLS_COUNT        # its TLS descriptors (GDT entries 6-8) while it is switched out
# The signal state (see "signals"): the process's actions, mask, pending set and siginfo,
# rt_sigsuspend's saved mask, alternate stack, last trap, interval timer, and sleep.
sigstate_begin:
sig_action: .space 64 * ACT_SIZE        # struct kernel_sigaction of signals 1-64
sig_blocked: .space 8                   # the blocked mask (signals 1-64)
sig_pending: .space 8                   # pending signals (fork: none in the child)
sig_info:   .space 64 * 12              # each pending signal's si_code and siginfo words 3, 4
                                        # (SIGCHLD's si_code word: si_status in bits 8-15)
sig_saved:  .space 8                    # rt_sigsuspend: the mask before it,
sig_suspended: .space 4                 #   while its temporary one is in force
alt_sp:     .space 4                    # the alternate signal stack (stack_t): ss_sp,
alt_flags:  .space 4                    #   the flags sigaltstack gave (0 for a new program),
alt_size:   .space 4                    #   ss_size (0: none)
sig_trapno: .space 4                    # the last trap: thread.trap_nr, error_code and cr2,
sig_err:    .space 4                    #   which every signal frame's sigcontext shows
sig_cr2:    .space 4
it_due:     .space 8                    # ITIMER_REAL: when it expires (now_ns; 0: disarmed;
it_interval: .space 8                   #   fork: disarmed in the child), its interval in ns
sig_work:   .space 4                    # nonzero: a signal pending or the timer armed
sig_restart: .space 4                   # wait4 or waitpid interrupted (-ERESTARTSYS): its number
sl_rem:     .space 4                    # nanosleep (sleeping, another process may run): rem,
sl_wide:    .space 4
sl_target:  .space 8                    #   when it ends and what was left
sl_left:    .space 8
sig_chld_acted: .space 4                # nonzero once rt_sigaction set SIGCHLD's action
sigstate_end:
        .align 4
uarea_end:
proc_table: .space NPROC * PROC_SIZE    # the process table: slot 0 is the first process
proc_table_end:
next_pid:   .space 4                    # the pid of the next fork
init_status: .space 4                   # the first process's exit status (the run's)
frame_refs: .space 4                    # the reference counts: one byte per frame of RAM
fk_flags:   .space 4                    # fork's working state (nothing switches during it)
fk_sp:      .space 4
fk_ptid:    .space 4
fk_ctid:    .space 4
fk_proc:    .space 4
fk_kstack:  .space 4
fk_pgdir:   .space 4
fk_ppt:     .space 4
fk_cpt:     .space 4
wt_pid:     .space 4                    # wait4: the pid and status of the zombie reaped
wt_status:  .space 4
rusage_zero: .space 72                  # wait4's struct rusage: nothing counted
        .align 16
kstacks:    .space (NPROC - 1) * KSTACK_SIZE    # the kernel stacks of slots 1..NPROC-1
        .align 16
kstack: .space 8192
kstack_top:
