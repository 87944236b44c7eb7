import Descriptions
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The signal system calls (kernel/signal.c, arch/x86/kernel/signal_32.c), delivery in
/// SignalDelivery.swift:
///
/// | nr | call | |
/// |---|---|---|
/// | 174, 67 | rt_sigaction, sigaction | `struct kernel_sigaction` {handler, flags, restorer, mask[2]} / `old_sigaction` {handler, mask, flags, restorer}; SIGKILL and SIGSTOP refused |
/// | 175, 126 | rt_sigprocmask, sigprocmask | SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2; SIGKILL and SIGSTOP never blocked |
/// | 176 | rt_sigpending | pending ∩ blocked |
/// | 186 | sigaltstack | `stack_t` {ss_sp, ss_flags, ss_size}; EPERM on the stack, ENOMEM under MINSIGSTKSZ (2048) |
/// | 37, 238, 270 | kill, tkill, tgkill | the process itself (pid 1000, or 0 / -1000 for its group); other pids ESRCH; signal 0 only checks |
/// | 119, 173 | sigreturn, rt_sigreturn | restore the context the frame saved |
/// | 29, 179 | pause, rt_sigsuspend | wait for a signal (the guest clock runs to the next timer) and return -EINTR |
extension LinuxProcess {
    func rtSigaction(_ signal: UInt32, _ act: UInt32, _ oldact: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(signalName(signal)), \(pointer(act)), \(pointer(oldact)), \(setsize)"
        guard setsize == 8 else { return .error(.EINVAL, args) }
        var new: SignalAction? = nil
        if act != 0 {
            guard let raw = readGuest(act, 20) else { return .error(.EFAULT, args) }
            let w = SignalFrame.words(raw)
            new = SignalAction(handler: w[0], flags: w[1], restorer: w[2], mask: UInt64(w[3]) | UInt64(w[4]) << 32)
        }
        return changeAction(signal, new, args) { old in
            oldact == 0 || writeWords([old.handler, old.flags, old.restorer, UInt32(truncatingIfNeeded: old.mask), UInt32(old.mask >> 32)], at: oldact)
        }
    }

    /// `sigaction(sig, struct old_sigaction *act, *oldact)`: {handler, mask (32 bits), flags, restorer}.
    func sigaction(_ signal: UInt32, _ act: UInt32, _ oldact: UInt32) -> SyscallOutcome {
        let args = "\(signalName(signal)), \(pointer(act)), \(pointer(oldact))"
        var new: SignalAction? = nil
        if act != 0 {
            guard let raw = readGuest(act, 16) else { return .error(.EFAULT, args) }
            let w = SignalFrame.words(raw)
            new = SignalAction(handler: w[0], flags: w[2], restorer: w[3], mask: UInt64(w[1]))
        }
        return changeAction(signal, new, args) { old in
            oldact == 0 || writeWords([old.handler, UInt32(truncatingIfNeeded: old.mask), old.flags, old.restorer], at: oldact)
        }
    }

    /// `do_sigaction`: validates, writes the old action through `writeOld` (when the guest asked),
    /// installs the new one. Setting SIG_IGN (or SIG_DFL for a signal ignored by default)
    /// discards that signal's pending instances.
    private func changeAction(_ signal: UInt32, _ new: SignalAction?, _ args: String,
                              writeOld: (SignalAction) -> Bool) -> SyscallOutcome {
        let n = Int(signal)
        guard n >= 1 && n <= SignalNumber.count else { return .error(.EINVAL, args) }
        if new != nil && (n == SignalNumber.SIGKILL || n == SignalNumber.SIGSTOP) { return .error(.EINVAL, args) }
        let old = signalActions[n] ?? SignalAction()
        if let new {
            var action = new
            action.mask &= ~SignalNumber.unblockable
            signalActions[n] = action
            if action.handler == SignalAction.SIG_IGN
                || (action.handler == SignalAction.SIG_DFL && SignalNumber.defaultAction(n) == .ignore) {
                pendingSignals.removeAll { $0.number == n }
            }
        }
        // Linux copies the old action out after installing the new one; a fault then is EFAULT.
        return writeOld(old) ? SyscallOutcome(value: 0, arguments: args) : .error(.EFAULT, args)
    }

    func rtSigprocmask(_ how: UInt32, _ set: UInt32, _ oldset: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(howName(how)), \(pointer(set)), \(pointer(oldset)), \(setsize)"
        guard setsize == 8 else { return .error(.EINVAL, args) }
        var new: UInt64? = nil
        if set != 0 {
            guard let raw = readGuest(set, 8) else { return .error(.EFAULT, args) }
            new = (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[$1]) << (8 * UInt64($1)) }
        }
        return changeMask(how, new, args) { old in
            oldset == 0 || writeWords([UInt32(truncatingIfNeeded: old), UInt32(old >> 32)], at: oldset)
        }
    }

    /// `sigprocmask(how, old_sigset_t *set, *oldset)`: signals 1–32 only.
    func sigprocmask(_ how: UInt32, _ set: UInt32, _ oldset: UInt32) -> SyscallOutcome {
        let args = "\(howName(how)), \(pointer(set)), \(pointer(oldset))"
        var new: UInt64? = nil
        if set != 0 {
            guard let raw = readGuest(set, 4) else { return .error(.EFAULT, args) }
            new = UInt64(SignalFrame.words(raw)[0])
        }
        let high = signalMask & 0xFFFF_FFFF_0000_0000
        let outcome = changeMask(how, new.map { $0 }, args) { old in
            oldset == 0 || writeWords([UInt32(truncatingIfNeeded: old)], at: oldset)
        }
        if how == 2 && new != nil { signalMask = (signalMask & 0xFFFF_FFFF) | high }   // SIG_SETMASK keeps 33–64
        return outcome
    }

    private func changeMask(_ how: UInt32, _ new: UInt64?, _ args: String, writeOld: (UInt64) -> Bool) -> SyscallOutcome {
        let old = signalMask
        if let new {
            switch how {
            case 0: signalMask |= new
            case 1: signalMask &= ~new
            case 2: signalMask = new
            default: return .error(.EINVAL, args)
            }
            signalMask &= ~SignalNumber.unblockable
        }
        return writeOld(old) ? SyscallOutcome(value: 0, arguments: args) : .error(.EFAULT, args)
    }

    func rtSigpending(_ set: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(pointer(set)), \(setsize)"
        guard setsize <= 8 else { return .error(.EINVAL, args) }
        let pending = pendingSignals.reduce(UInt64(0)) { $0 | SignalNumber.bit($1.number) } & signalMask
        let bytes = Array(SignalFrame.bytes([UInt32(truncatingIfNeeded: pending), UInt32(pending >> 32)]).prefix(Int(setsize)))
        return writeGuest(bytes, at: set) ? SyscallOutcome(value: 0, arguments: args) : .error(.EFAULT, args)
    }

    func sigaltstack(_ ss: UInt32, _ oss: UInt32) -> SyscallOutcome {
        let args = "\(pointer(ss)), \(pointer(oss))"
        let sp = cpu.esp
        let old = altStack
        if ss != 0 {
            guard let raw = readGuest(ss, 12) else { return .error(.EFAULT, args) }
            let w = SignalFrame.words(raw)
            let (base, flags, size) = (w[0], w[1], w[2])
            if altStack.contains(sp) { return .error(.EPERM, args) }
            let mode = flags & ~AlternateStack.SS_AUTODISARM
            guard mode == 0 || mode == AlternateStack.SS_ONSTACK || mode == AlternateStack.SS_DISABLE else {
                return .error(.EINVAL, args)
            }
            if mode == AlternateStack.SS_DISABLE {
                altStack = AlternateStack(base: 0, size: 0, storedFlags: flags)
            } else {
                guard size >= AlternateStack.minimumSize else { return .error(.ENOMEM, args) }
                altStack = AlternateStack(base: base, size: size, storedFlags: flags)
            }
        }
        if oss != 0 && !writeWords([old.base, old.flags(at: sp), old.size], at: oss) {
            return .error(.EFAULT, args)
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `kill(pid, sig)`: the guest is alone in its world, so only itself can be named: its pid,
    /// 0 (its process group) or -pid; kill(-1) signals every *other* process (none: ESRCH).
    func kill(_ pid: UInt32, _ signal: UInt32) -> SyscallOutcome {
        let p = Int32(bitPattern: pid)
        let args = "\(p), \(signalName(signal))"
        guard signal <= UInt32(SignalNumber.count) else { return .error(.EINVAL, args) }
        guard p == LinuxProcess.guestPID || p == 0 || p == -LinuxProcess.guestPID else { return .error(.ESRCH, args) }
        if signal != 0 {
            post(GuestSignal(number: Int(signal), code: SignalCode.SI_USER, sender: (LinuxProcess.guestPID, getuid())))
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `tkill(tid, sig)` and `tgkill(tgid, tid, sig)`: the one thread, tid 1000.
    func tkill(_ tgid: Int32?, _ tid: UInt32, _ signal: UInt32) -> SyscallOutcome {
        let t = Int32(bitPattern: tid)
        let args = (tgid.map { "\($0), " } ?? "") + "\(t), \(signalName(signal))"
        guard t > 0, tgid.map({ $0 > 0 }) ?? true, signal <= UInt32(SignalNumber.count) else { return .error(.EINVAL, args) }
        guard t == LinuxProcess.guestPID, tgid.map({ $0 == LinuxProcess.guestPID }) ?? true else { return .error(.ESRCH, args) }
        if signal != 0 {
            post(GuestSignal(number: Int(signal), code: SignalCode.SI_TKILL, sender: (LinuxProcess.guestPID, getuid())))
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `sigreturn`: the `struct sigframe` whose pretcode the handler's RET popped and whose sig
    /// word the restorer's POP removed: the sigcontext is at ESP, extramask at ESP + 712.
    func sigreturn() -> SyscallOutcome {
        let frame = cpu.esp &- 8
        guard let sc = readGuest(frame + SignalFrame.sigframeContext, UInt32(SignalContext.size)),
              let extra = readGuest(frame + SignalFrame.sigframeExtramask, 4) else {
            return badFrame("sigreturn", frame)
        }
        let context = SignalContext(words: SignalFrame.words(sc))
        signalMask = (UInt64(context.oldmask) | UInt64(SignalFrame.words(extra)[0]) << 32) & ~SignalNumber.unblockable
        guard restore(context) else { return badFrame("sigreturn", context.fpstate) }
        return SyscallOutcome(value: Int32(bitPattern: context.eax), arguments: "{mask=0x\(String(signalMask, radix: 16))}")
    }

    /// `rt_sigreturn`: the `struct rt_sigframe` whose pretcode the handler's RET popped (frame
    /// at ESP - 4): mask, registers and alternate stack from its ucontext.
    func rtSigreturn() -> SyscallOutcome {
        let uc = cpu.esp &- 4 &+ SignalFrame.rtUcontext
        guard let raw = readGuest(uc, SignalFrame.ucSigmask + 8) else { return badFrame("rt_sigreturn", uc) }
        let w = SignalFrame.words(raw)
        let context = SignalContext(words: Array(w[Int(SignalFrame.ucMcontext / 4)..<Int(SignalFrame.ucMcontext / 4) + 22]))
        let mask = UInt64(w[Int(SignalFrame.ucSigmask / 4)]) | UInt64(w[Int(SignalFrame.ucSigmask / 4) + 1]) << 32
        signalMask = mask & ~SignalNumber.unblockable
        guard restore(context) else { return badFrame("rt_sigreturn", context.fpstate) }
        // restore_altstack: as sigaltstack(&uc_stack, NULL), errors ignored.
        let (base, flags, size) = (w[2], w[3], w[4])
        let mode = flags & ~AlternateStack.SS_AUTODISARM
        if !altStack.contains(cpu.esp) {
            if mode == AlternateStack.SS_DISABLE { altStack = AlternateStack(base: 0, size: 0, storedFlags: flags) }
            else if (mode == 0 || mode == AlternateStack.SS_ONSTACK) && size >= AlternateStack.minimumSize {
                altStack = AlternateStack(base: base, size: size, storedFlags: flags)
            }
        }
        return SyscallOutcome(value: Int32(bitPattern: context.eax), arguments: "{mask=0x\(String(signalMask, radix: 16))}")
    }

    /// A sigreturn whose frame cannot be read: Linux forces SIGSEGV.
    private func badFrame(_ name: String, _ address: UInt32) -> SyscallOutcome {
        fatalSignal = (SignalNumber.SIGSEGV, "\(name) found no readable signal frame at \(Hex.address(address))")
        return SyscallOutcome(value: 0, arguments: "")
    }

    /// `pause()`: waits until a signal is delivered (the guest clock jumps to the next timer);
    /// -EINTR. With nothing that could ever arrive, it waits for the host time limit as natively.
    func pause() -> SyscallOutcome { waitForSignal("") }

    /// `rt_sigsuspend(mask, 8)`: as pause with `mask` blocked meanwhile; the handler's frame saves
    /// the mask from before the call, which sigreturn then restores.
    func rtSigsuspend(_ set: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(pointer(set)), \(setsize)"
        guard setsize == 8 else { return .error(.EINVAL, args) }
        guard let raw = readGuest(set, 8) else { return .error(.EFAULT, args) }
        let mask = (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[$1]) << (8 * UInt64($1)) }
        suspendedMask = signalMask
        signalMask = mask & ~SignalNumber.unblockable
        return waitForSignal(args)
    }

    private func waitForSignal(_ args: String) -> SyscallOutcome {
        reschedule = true
        while !hasDeliverableSignal {
            guard timers.contains(where: { $0.due != nil }) else {
                // Nothing can ever come: block until the host time limit, as the native process would,
                // or until the harness kills the run (the slice then ends, and the run with it).
                let killed = deadline.map { !waitForHost(until: $0) } ?? false
                if let s = suspendedMask { signalMask = s; suspendedMask = nil }
                return killed ? .error(.EINTR, args) : .timedOut(args)
            }
            _ = sleep(until: UInt64.max)
        }
        return .error(.EINTR, args)
    }

    /// Sleeps on the host until `deadline` (a guest that waits for nothing), or until the run's
    /// ``killRequest`` is made (looked at every 10 ms while there is one).
    /// - Returns: false when the kill request ended the wait.
    func waitForHost(until deadline: ContinuousClock.Instant) -> Bool {
        while ContinuousClock.now < deadline {
            if killRequest?.isRequested == true { return false }
            var left = deadline - ContinuousClock.now
            if killRequest != nil { left = min(left, .milliseconds(10)) }
            let (s, atto) = left.components
            var ts = timespec(tv_sec: Int(max(0, min(s, 3600))), tv_nsec: Int(max(0, atto / 1_000_000_000)))
            _ = Glibc.nanosleep(&ts, nil)
        }
        return true
    }

    func signalName(_ n: UInt32) -> String { n >= 1 && n <= 64 ? SignalNumber.name(Int(n)) : "\(n)" }
    func pointer(_ p: UInt32) -> String { p == 0 ? "NULL" : "0x" + String(p, radix: 16) }
    private func howName(_ how: UInt32) -> String {
        how <= 2 ? ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][Int(how)] : String(how)
    }
}
