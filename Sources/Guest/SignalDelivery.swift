import Descriptions
import Machine
import X86

/// A signal's disposition as `rt_sigaction` records it (the i386 `struct kernel_sigaction`:
/// handler, flags, restorer, 64-bit mask). Handler 0 is SIG_DFL, 1 SIG_IGN.
struct SignalAction: Equatable {
    var handler: UInt32 = 0
    var flags: UInt32 = 0
    var restorer: UInt32 = 0
    var mask: UInt64 = 0

    static let SIG_DFL: UInt32 = 0, SIG_IGN: UInt32 = 1
    static let SA_SIGINFO: UInt32 = 4, SA_ONSTACK: UInt32 = 0x0800_0000, SA_RESTORER: UInt32 = 0x0400_0000,
               SA_RESTART: UInt32 = 0x1000_0000, SA_NODEFER: UInt32 = 0x4000_0000, SA_RESETHAND: UInt32 = 0x8000_0000
}

/// The alternate signal stack (`sigaltstack`, the i386 `stack_t`: ss_sp, ss_flags, ss_size).
struct AlternateStack: Equatable {
    var base: UInt32 = 0
    var size: UInt32 = 0
    /// The flags the last `sigaltstack` gave (`sas_ss_flags`: 0 for a new process, SS_DISABLE
    /// after a disable or an SS_AUTODISARM delivery), which a handler's `uc_stack` shows.
    var storedFlags: UInt32 = 0

    static let SS_ONSTACK: UInt32 = 1, SS_DISABLE: UInt32 = 2, SS_AUTODISARM: UInt32 = 1 << 31
    /// MINSIGSTKSZ on i386.
    static let minimumSize: UInt32 = 2048
    /// `sas_ss_reset`.
    static let disarmed = AlternateStack(base: 0, size: 0, storedFlags: SS_DISABLE)

    var autodisarm: Bool { storedFlags & AlternateStack.SS_AUTODISARM != 0 }

    /// Linux's `on_sig_stack`: ESP inside (base, base + size]; never with SS_AUTODISARM.
    func contains(_ sp: UInt32) -> Bool {
        !autodisarm && sp > base && sp &- base <= size
    }

    /// Linux's `sas_ss_flags` plus the flag bits, as `sigaltstack` reports them.
    func flags(at sp: UInt32) -> UInt32 {
        let state = size == 0 ? AlternateStack.SS_DISABLE : (contains(sp) ? AlternateStack.SS_ONSTACK : 0)
        return state | (storedFlags & AlternateStack.SS_AUTODISARM)
    }
}

/// Signal delivery in user-mode emulation, as Linux does it for a 32-bit process
/// (kernel/signal.c, arch/x86/kernel/signal.c and signal_32.c):
///
/// - A CPU exception (``takeFault(_:)``) is forced on the process: a handler runs if one is
///   installed and the signal is neither blocked nor ignored; otherwise the default action ends
///   the process (`force_sig_fault`).
/// - `kill`, `tkill`, `tgkill` and the interval timers post a signal (``post(_:)``); it is
///   delivered on the way back to user mode (after the system call, or at the instruction at
///   which the timer expires) unless blocked, in which case it stays pending (standard signals
///   once, real-time signals queued).
/// - Delivery pushes `struct sigframe` or, with SA_SIGINFO, `struct rt_sigframe`
///   (``SignalFrame``), on the alternate stack with SA_ONSTACK, and enters the handler with
///   EAX = signal, EDX = &siginfo and ECX = &ucontext (rt) as `-mregparm=3` code expects,
///   DF, TF and RF cleared, DS = ES = SS = 0x2B, CS = 0x23; the handler's mask is added to the
///   blocked set, with the signal itself unless SA_NODEFER; SA_RESETHAND resets the handler to
///   SIG_DFL first.
/// - `sigreturn` and `rt_sigreturn` (LinuxSyscalls+Signals.swift) restore every register
///   from the frame.
/// - Default actions: terminate and core end the run as the signal would (exit status
///   128 + n); ignore discards it; stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) cannot be honoured by
///   a process that nothing can continue: vsim ignores it and says so once on stderr.
extension LinuxProcess {
    /// `force_sig_fault`: a handler now runs for the exception `e` (true), or the default action
    /// ends the process (false; the run ends with ``GuestTermination/fault(_:)``). EIP becomes
    /// `e.eip` (the faulting instruction, or the next one for INT3, INTO and single steps).
    public func takeFault(_ e: CPUException) -> Bool {
        cpu.eip = e.eip
        let signal = GuestSignal.forException(e) { memory.permissions(at: $0) != nil }
        if let trap = signal.trap {
            lastTrap = trap
            if let a = trap.cr2 { faultAddressForContext = a }
        }
        let n = signal.number
        let action = signalActions[n] ?? SignalAction()
        let blocked = signalMask & SignalNumber.bit(n) != 0
        guard action.handler != SignalAction.SIG_DFL, action.handler != SignalAction.SIG_IGN, !blocked else {
            // Blocked or ignored: reset to SIG_DFL and unblock, so the default action runs.
            if blocked { signalMask &= ~SignalNumber.bit(n) }
            signalActions[n] = SignalAction()
            return false
        }
        // A fault pushes EFLAGS with RF set (Intel SDM Vol. 3A, 18.3.1.1); traps do not.
        let fault = ![.bp, .of, .db].contains(e.vector)
        if !handle(signal, action: action, extraFlags: fault ? EFLAGS.rf : 0) {
            fatalSignal = (SignalNumber.SIGSEGV, "could not write the signal frame for \(SignalNumber.name(n)) on the stack (ESP \(Hex.address(cpu.esp)))")
            return false
        }
        return true
    }

    /// Generates `signal` for the process (kill, tkill, a timer). Ignored signals that are not
    /// blocked are discarded at once, as Linux does; SIGKILL ends the process.
    func post(_ signal: GuestSignal) {
        let n = signal.number
        if n == SignalNumber.SIGKILL {
            fatalSignal = (n, "killed by SIGKILL")
            return
        }
        let bit = SignalNumber.bit(n)
        let action = signalActions[n] ?? SignalAction()
        if signalMask & bit == 0 && ignores(n, action) { return }
        if n < 32 && pendingSignals.contains(where: { $0.number == n }) { return }
        pendingSignals.append(signal)
    }

    /// Whether `action` discards signal `n` (SIG_IGN, or SIG_DFL whose default is to ignore or,
    /// in vsim, to stop).
    func ignores(_ n: Int, _ action: SignalAction) -> Bool {
        if action.handler == SignalAction.SIG_IGN { return true }
        guard action.handler == SignalAction.SIG_DFL else { return false }
        switch SignalNumber.defaultAction(n) {
        case .ignore: return true
        case .stop:
            note(once: "stop-\(n)", "vsim: the guest received \(SignalNumber.name(n)), whose default action stops the process; vsim cannot stop and continue a guest, so it ignores the signal")
            return true
        case .terminate, .core: return false
        }
    }

    /// Whether a pending signal is not blocked.
    var hasDeliverableSignal: Bool {
        pendingSignals.contains { signalMask & SignalNumber.bit($0.number) == 0 } || fatalSignal != nil
    }

    /// Delivers every pending signal that is not blocked, lowest number first (each handler's
    /// frame on top of the previous one, so the last one set up runs first, as Linux's return
    /// to user mode does). False when one ends the process (``fatalSignal`` says how).
    @discardableResult
    func deliverPending() -> Bool {
        while fatalSignal == nil {
            let ready = pendingSignals.indices.filter { signalMask & SignalNumber.bit(pendingSignals[$0].number) == 0 }
            guard let i = ready.min(by: { pendingSignals[$0].number < pendingSignals[$1].number }) else { break }
            let signal = pendingSignals.remove(at: i)
            let n = signal.number
            let action = signalActions[n] ?? SignalAction()
            if ignores(n, action) { continue }
            if action.handler == SignalAction.SIG_DFL {
                let core = SignalNumber.defaultAction(n) == .core
                fatalSignal = (n, "\(SignalNumber.name(n)) (default action: \(core ? "terminate with a core dump" : "terminate"))")
                break
            }
            if !handle(signal, action: action, extraFlags: 0) {
                fatalSignal = (SignalNumber.SIGSEGV, "could not write the signal frame for \(SignalNumber.name(n)) on the stack (ESP \(Hex.address(cpu.esp)))")
            }
        }
        return fatalSignal == nil
    }

    /// Pushes the frame for `signal` and enters `action`'s handler; false when the frame cannot
    /// be written (the alternate stack would overflow, or the stack is not writable).
    func handle(_ signal: GuestSignal, action: SignalAction, extraFlags: UInt32) -> Bool {
        let n = signal.number
        if action.flags & SignalAction.SA_RESETHAND != 0 {
            signalActions[n]?.handler = SignalAction.SIG_DFL       // SA_ONESHOT: the handler only
        }
        let savedMask = suspendedMask ?? signalMask
        let interruptedSP = cpu.esp
        let nested = altStack.contains(interruptedSP)
        var sp = interruptedSP
        var entering = false
        if action.flags & SignalAction.SA_ONSTACK != 0, altStack.size != 0, !nested {
            sp = altStack.base &+ altStack.size
            entering = true
        }
        let rt = action.flags & SignalAction.SA_SIGINFO != 0
        let (fpstate, frame) = SignalFrame.place(sp: sp, frameSize: rt ? SignalFrame.rtSigframeSize : SignalFrame.sigframeSize)
        if (nested || entering) && !(frame > altStack.base && frame &- altStack.base <= altStack.size) { return false }
        var context = SignalContext(cpu: cpu, trap: lastTrap, cr2: faultAddressForContext, fpstate: fpstate,
                                    oldmask: UInt32(truncatingIfNeeded: savedMask))
        context.eflags |= extraFlags
        let restorer = action.flags & SignalAction.SA_RESTORER != 0 ? action.restorer : nil
        let bytes = rt
            ? SignalFrame.rtSigframe(frame: frame, signal: signal, restorer: restorer, context: context, mask: savedMask,
                                     altstack: (altStack.base, altStack.storedFlags, altStack.size))
            : SignalFrame.sigframe(frame: frame, signal: n, restorer: restorer, context: context, mask: savedMask)
        guard accessible(frame, UInt32(bytes.count), .write), accessible(fpstate, SignalFrame.fpstateSize, .write),
              writeGuest(SignalFrame.fpstate(cpu.x87), at: fpstate), writeGuest(bytes, at: frame) else { return false }
        cpu.x87.reset()                 // the handler starts with a clean FPU (fpu__clear_user_states)
        if entering && altStack.autodisarm { altStack = .disarmed }

        cpu.esp = frame
        cpu.eip = action.handler
        cpu.eax = UInt32(n)
        cpu.edx = rt ? frame + SignalFrame.rtInfo : 0
        cpu.ecx = rt ? frame + SignalFrame.rtUcontext : 0
        cpu.eflags = cpu.eflags & ~(EFLAGS.df | EFLAGS.rf | EFLAGS.tf)
        for seg in [SegmentRegister.ds, .es, .ss] { cpu.segments[Int(seg.rawValue)] = 0x2B; cpu.setSegmentBase(seg, 0) }
        cpu.segments[Int(SegmentRegister.cs.rawValue)] = 0x23
        cpu.setSegmentBase(.cs, 0)

        var blocked = savedMask | action.mask
        if action.flags & SignalAction.SA_NODEFER == 0 { blocked |= SignalNumber.bit(n) }
        signalMask = blocked & ~SignalNumber.unblockable
        suspendedMask = nil
        signalsDelivered += 1
        return true
    }

    /// Restores the registers of `context` (sigreturn / rt_sigreturn): the general registers,
    /// EIP, the EFLAGS bits a program may change (`FIX_EFLAGS`: AC OF DF TF SF ZF AF PF CF; RF is
    /// dropped, it only suppresses an instruction breakpoint once), and DS ES FS GS (a selector
    /// with no descriptor loads the null selector, as Linux's fixup does), and the x87 state from
    /// the FPU area `context.fpstate` points to (none: a clean FPU, as Linux's `fpu__clear`).
    /// CS and SS stay the flat user segments (vsim runs 32-bit flat code only). False when the
    /// FPU area cannot be read (Linux then forces SIGSEGV).
    func restore(_ context: SignalContext) -> Bool {
        if context.fpstate == 0 {
            cpu.x87.reset()
        } else {
            guard let fp = readGuest(context.fpstate, SignalFrame.fsaveSize) else { return false }
            cpu.x87 = SignalFrame.x87State(fp)
        }
        cpu.edi = context.edi; cpu.esi = context.esi; cpu.ebp = context.ebp; cpu.esp = context.esp
        cpu.ebx = context.ebx; cpu.edx = context.edx; cpu.ecx = context.ecx; cpu.eax = context.eax
        cpu.eip = context.eip
        let fix = EFLAGS.ac | EFLAGS.of | EFLAGS.df | EFLAGS.tf | EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf | EFLAGS.cf
        cpu.eflags = (cpu.eflags & ~fix) | (context.eflags & fix)
        for (seg, selector) in [(SegmentRegister.gs, context.gs), (.fs, context.fs), (.es, context.es), (.ds, context.ds)] {
            load(seg, selector: selector)
        }
        return true
    }

    /// Loads a data segment register from a user selector (RPL forced to 3), or null.
    func load(_ seg: SegmentRegister, selector: UInt16) {
        let index = Int(selector >> 3)
        if selector & 0xFFFC != 0, selector & 4 == 0, let d = cpu.descriptors[index], d & (1 << 47) != 0 {
            cpu.segments[Int(seg.rawValue)] = selector | 3
            cpu.setSegmentBase(seg, CPUState.descriptorBase(d))
        } else {
            cpu.segments[Int(seg.rawValue)] = 0
            cpu.setSegmentBase(seg, 0)
        }
    }

    /// Says `line` on vsim's stderr once per `key`.
    func note(once key: String, _ line: String) {
        guard !reportedUnimplemented.contains(key) else { return }
        reportedUnimplemented.insert(key)
        notice(line)
    }
}
