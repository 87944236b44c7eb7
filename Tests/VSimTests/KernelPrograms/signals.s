# signals.s - the i386 rt signal frame, field by field, and the x87 state it saves, for
# KernelSignalTests: the same output natively (the oracle: a 32-bit process on the x86-64 host
# kernel, whose ia32 frames are i386 Linux's) and under the guest kernel. The program installs
# a SA_SIGINFO handler for SIGUSR1 with SA_RESTORER (its own restorer, so the return path is
# the same everywhere) and SIGUSR2 in sa_mask, puts 1 and pi on the x87 stack with the control
# word set to round toward zero, loads known values into the registers and sends itself
# SIGUSR1 with kill. The handler prints what it got (EAX EDX ECX, the frame: pretcode, sig,
# pinfo, puc, siginfo, uc_link, uc_stack, every sigcontext field, uc_sigmask; the mask while it
# runs; the FPU area: control, status and tag words, ST(0), ST(1) and the status copy; and its
# own FPU, which must be clean), then dirties the FPU and changes ESI in the sigcontext and
# returns; after rt_sigreturn the program prints its registers and x87 state again. Printed
# relative to what differs between hosts: addresses relative to the frame or to labels, the
# pid and uid compared, the FPU area's place only as above the frame (Linux sizes it for the
# host's XSAVE state, vsim for FSAVE's 108 bytes), not uc_flags (UC_FP_XSTATE on an XSAVE host)
# nor the area's magic (0 with an FXSR image after it natively, 0xffff: FSAVE data only).
        .equ SIGUSR1, 10
        .equ SIGUSR2, 12
        .macro SAY label, value
        movl \value, %eax
        movl $\label, %esi
        call say_hex
        .endm
        .macro SAYR label
        movl $\label, %esi
        call say_hex
        .endm
        .macro SAYF label, offset       # a word of the frame
        movl frame, %eax
        movl \offset(%eax), %eax
        movl $\label, %esi
        call say_hex
        .endm

        .text
        .globl _start
_start:
        movl $174, %eax                 # rt_sigaction(SIGUSR1, &act, NULL, 8)
        movl $SIGUSR1, %ebx
        movl $act, %ecx
        xorl %edx, %edx
        movl $8, %esi
        int $0x80
        movl $20, %eax                  # getpid
        int $0x80
        movl %eax, pid
        movl $199, %eax                 # getuid32
        int $0x80
        movl %eax, uid
        finit                           # the state the handler must leave alone
        fldcw cw_zero
        fldpi
        fld1
        movl $0x55555555, %esi
        movl $0x66666666, %edi
        movl $0x77777777, %ebp
        movl $0x44444444, %edx
        movl %esp, saved_esp
        movl $37, %eax                  # kill(pid, SIGUSR1), CF set
        movl pid, %ebx
        movl $SIGUSR1, %ecx
        cmpl %ecx, %ecx                 # ZF PF set, then CF
        stc
        int $0x80
after_kill:
        pushfl
        popl out_flags
        movl %eax, out_eax
        movl %ebx, out_ebx
        movl %ecx, out_ecx
        movl %edx, out_edx
        movl %esi, out_esi
        movl %edi, out_edi
        movl %ebp, out_ebp
        movl %esp, out_esp
        fnstcw out_cw
        fnstsw out_sw
        fstpt out_st0
        fstpt out_st1
        movl $m_after, %esi
        call puts
        SAY m_eax, out_eax
        movl out_ebx, %eax
        cmpl pid, %eax
        sete %al
        movzbl %al, %eax
        SAYR m_ebx_pid
        SAY m_ecx, out_ecx
        SAY m_edx, out_edx
        SAY m_esi, out_esi
        SAY m_edi, out_edi
        SAY m_ebp, out_ebp
        movl out_esp, %eax
        subl saved_esp, %eax
        SAYR m_esp
        movl out_flags, %eax
        andl $0x8d5, %eax
        SAYR m_flags
        movzwl out_cw, %eax
        SAYR m_cw
        movzwl out_sw, %eax
        SAYR m_sw
        movl $m_st0, %esi
        movl $out_st0, %edi
        call say_ten
        movl $m_st1, %esi
        movl $out_st1, %edi
        call say_ten
        movl $1, %eax                   # exit(0)
        xorl %ebx, %ebx
        int $0x80

# The handler, entered with ESP = the frame (0 pretcode, 4 sig, 8 pinfo, 12 puc; siginfo at 16,
# the ucontext at 144: uc_flags, uc_link, uc_stack at 152, uc_mcontext at 164, uc_sigmask at 252).
handler:
        movl %esp, frame
        movl %eax, in_eax
        movl %edx, in_edx
        movl %ecx, in_ecx
        fnstcw h_cw                     # the handler's own FPU: clean
        fnstenv h_env
        movl $m_handler, %esi
        call puts
        SAY m_in_eax, in_eax
        movl in_edx, %eax
        subl frame, %eax
        SAYR m_in_edx
        movl in_ecx, %eax
        subl frame, %eax
        SAYR m_in_ecx
        movl frame, %eax
        addl $4, %eax
        andl $15, %eax
        SAYR m_align
        movl frame, %eax
        movl (%eax), %eax
        cmpl $restorer, %eax
        sete %al
        movzbl %al, %eax
        SAYR m_pretcode
        SAYF m_sig, 4
        movl frame, %eax
        movl 8(%eax), %ecx
        subl %eax, %ecx
        movl %ecx, %eax
        SAYR m_pinfo
        movl frame, %eax
        movl 12(%eax), %ecx
        subl %eax, %ecx
        movl %ecx, %eax
        SAYR m_puc
        SAYF m_signo, 16
        SAYF m_errno, 20
        SAYF m_code, 24
        movl frame, %eax
        movl 28(%eax), %eax
        cmpl pid, %eax
        sete %al
        movzbl %al, %eax
        SAYR m_si_pid
        movl frame, %eax
        movl 32(%eax), %eax
        cmpl uid, %eax
        sete %al
        movzbl %al, %eax
        SAYR m_si_uid
        SAYF m_uc_link, 148
        SAYF m_ss_sp, 152
        SAYF m_ss_flags, 156
        SAYF m_ss_size, 160
        SAYF m_gs, 164
        SAYF m_fs, 168
        SAYF m_es, 172
        SAYF m_ds, 176
        SAYF m_edi, 180
        SAYF m_esi, 184
        SAYF m_ebp, 188
        movl frame, %eax
        movl 192(%eax), %eax
        subl saved_esp, %eax
        SAYR m_esp
        movl frame, %eax
        movl 196(%eax), %eax
        cmpl pid, %eax
        sete %al
        movzbl %al, %eax
        SAYR m_ebx_pid
        SAYF m_edx, 200
        SAYF m_ecx, 204
        SAYF m_eax, 208
        SAYF m_trapno, 212
        SAYF m_err, 216
        movl frame, %eax
        movl 220(%eax), %eax
        subl $after_kill, %eax
        SAYR m_eip
        SAYF m_cs, 224
        movl frame, %eax
        movl 228(%eax), %eax
        andl $0x8d5, %eax
        SAYR m_flags
        movl frame, %eax
        movl 232(%eax), %eax
        subl saved_esp, %eax
        SAYR m_esp_at_signal
        SAYF m_ss, 236
        movl frame, %eax                # the FPU area: above the frame
        movl 240(%eax), %ecx
        movl %ecx, fpstate
        addl $268, %eax
        cmpl %eax, %ecx
        setae %al
        movzbl %al, %eax
        SAYR m_fp_place
        SAYF m_oldmask, 244
        SAYF m_cr2, 248
        SAYF m_mask_lo, 252
        SAYF m_mask_hi, 256
        movl $175, %eax                 # rt_sigprocmask(SIG_BLOCK, NULL, &now, 8)
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        movl $now, %edx
        movl $8, %esi
        int $0x80
        SAY m_blocked, now
        movl fpstate, %edi
        SAY m_fp_cw, (%edi)
        movl fpstate, %edi
        SAY m_fp_sw, 4(%edi)
        movl fpstate, %edi
        SAY m_fp_tag, 8(%edi)
        movl fpstate, %edi
        addl $28, %edi
        movl $m_st0, %esi
        call say_ten
        movl fpstate, %edi
        addl $38, %edi
        movl $m_st1, %esi
        call say_ten
        movl fpstate, %edi
        movzwl 108(%edi), %eax
        SAYR m_fp_status
        movzwl h_cw, %eax
        SAYR m_h_cw
        movzwl h_env + 4, %eax
        SAYR m_h_sw
        movzwl h_env + 8, %eax
        SAYR m_h_tag
        fldz                            # dirty the FPU: sigreturn restores the program's
        fldz
        fldz
        fldcw cw_up
        movl frame, %eax                # and change the interrupted ESI
        xorl $0xffff, 184(%eax)
        ret                             # to pretcode: the restorer

restorer:
        movl $173, %eax                 # rt_sigreturn
        int $0x80

# say_hex: the string at %esi, " 0x", %eax in hex (no leading zeros), a newline: one write(1).
say_hex:
        movl $line, %edi
1:      movb (%esi), %cl
        testb %cl, %cl
        jz 2f
        movb %cl, (%edi)
        incl %esi
        incl %edi
        jmp 1b
2:      movl $0x7830, %ecx              # " 0x" (space written first)
        movb $' ', (%edi)
        movw %cx, 1(%edi)
        addl $3, %edi
        movl $8, %ecx
        xorl %edx, %edx                 # digits started
3:      roll $4, %eax
        movl %eax, %ebx
        andl $15, %ebx
        orl %ebx, %edx
        jnz 4f
        cmpl $1, %ecx
        jne 5f
4:      movb hex(%ebx), %bl
        movb %bl, (%edi)
        incl %edi
5:      loop 3b
        movb $'\n', (%edi)
        incl %edi
        movl %edi, %edx
        subl $line, %edx
        movl $4, %eax
        movl $1, %ebx
        movl $line, %ecx
        int $0x80
        ret

# say_ten: the string at %esi and the 10 bytes at %edi (an 80-bit value) as hex, high byte first.
say_ten:
        pushl %edi
        movl $line, %edi
1:      movb (%esi), %cl
        testb %cl, %cl
        jz 2f
        movb %cl, (%edi)
        incl %esi
        incl %edi
        jmp 1b
2:      popl %esi
        movb $' ', (%edi)
        incl %edi
        movl $10, %ecx
3:      movzbl -1(%esi,%ecx), %eax
        movl %eax, %ebx
        shrl $4, %ebx
        movb hex(%ebx), %bl
        movb %bl, (%edi)
        andl $15, %eax
        movb hex(%eax), %al
        movb %al, 1(%edi)
        addl $2, %edi
        loop 3b
        movb $'\n', (%edi)
        incl %edi
        movl %edi, %edx
        subl $line, %edx
        movl $4, %eax
        movl $1, %ebx
        movl $line, %ecx
        int $0x80
        ret

# puts: the NUL-terminated string at %esi, one write(1).
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
act:    .long handler, 0x04000004, restorer, 1 << (SIGUSR2 - 1), 0   # SA_SIGINFO | SA_RESTORER
cw_zero: .word 0x0f7f                   # round toward zero, 64-bit precision, all masked
cw_up:  .word 0x0b7f                    # round up
hex:    .ascii "0123456789abcdef"
m_after: .asciz "after rt_sigreturn:\n"
m_handler: .asciz "in the handler:\n"
m_in_eax: .asciz "  handler's eax (sig)"
m_in_edx: .asciz "  handler's edx - frame"
m_in_ecx: .asciz "  handler's ecx - frame"
m_align: .asciz "  (frame + 4) % 16"
m_pretcode: .asciz "  pretcode is the restorer"
m_sig:  .asciz "  sig"
m_pinfo: .asciz "  pinfo - frame"
m_puc:  .asciz "  puc - frame"
m_signo: .asciz "  si_signo"
m_errno: .asciz "  si_errno"
m_code: .asciz "  si_code"
m_si_pid: .asciz "  si_pid is getpid()"
m_si_uid: .asciz "  si_uid is getuid()"
m_uc_link: .asciz "  uc_link"
m_ss_sp: .asciz "  uc_stack.ss_sp"
m_ss_flags: .asciz "  uc_stack.ss_flags"
m_ss_size: .asciz "  uc_stack.ss_size"
m_gs:   .asciz "  gs"
m_fs:   .asciz "  fs"
m_es:   .asciz "  es"
m_ds:   .asciz "  ds"
m_edi:  .asciz "  edi"
m_esi:  .asciz "  esi"
m_ebp:  .asciz "  ebp"
m_esp:  .asciz "  esp - esp before int $0x80"
m_ebx_pid: .asciz "  ebx is the pid"
m_edx:  .asciz "  edx"
m_ecx:  .asciz "  ecx"
m_eax:  .asciz "  eax"
m_trapno: .asciz "  trapno"
m_err:  .asciz "  err"
m_eip:  .asciz "  eip - after_kill"
m_cs:   .asciz "  cs"
m_flags: .asciz "  eflags & OF|SF|ZF|AF|PF|CF"
m_esp_at_signal: .asciz "  esp_at_signal - esp before"
m_ss:   .asciz "  ss"
m_fp_place: .asciz "  fpstate above the frame"
m_oldmask: .asciz "  oldmask"
m_cr2:  .asciz "  cr2"
m_mask_lo: .asciz "  uc_sigmask[0]"
m_mask_hi: .asciz "  uc_sigmask[1]"
m_blocked: .asciz "  blocked while it runs"
m_fp_cw: .asciz "  fpstate cw"
m_fp_sw: .asciz "  fpstate sw"
m_fp_tag: .asciz "  fpstate tag"
m_st0:  .asciz "  st(0)"
m_st1:  .asciz "  st(1)"
m_fp_status: .asciz "  fpstate status"
m_h_cw: .asciz "  the handler's own control word"
m_h_sw: .asciz "  the handler's own status word"
m_h_tag: .asciz "  the handler's own tag word"
m_cw:   .asciz "  control word"
m_sw:   .asciz "  status word"
        .bss
pid:    .space 4
uid:    .space 4
saved_esp: .space 4
frame:  .space 4
fpstate: .space 4
in_eax: .space 4
in_edx: .space 4
in_ecx: .space 4
now:    .space 8
h_cw:   .space 2
h_env:  .space 28
out_flags: .space 4
out_eax: .space 4
out_ebx: .space 4
out_ecx: .space 4
out_edx: .space 4
out_esi: .space 4
out_edi: .space 4
out_ebp: .space 4
out_esp: .space 4
out_cw: .space 2
out_sw: .space 2
out_st0: .space 10
out_st1: .space 10
line:   .space 128
