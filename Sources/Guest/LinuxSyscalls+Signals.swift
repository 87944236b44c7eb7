/// One signal's disposition as `rt_sigaction` records it (the i386 `struct kernel_sigaction`:
/// handler, flags, restorer, 64-bit mask).
struct SignalAction: Equatable {
    var handler: UInt32 = 0
    var flags: UInt32 = 0
    var restorer: UInt32 = 0
    var mask: UInt64 = 0
}

/// `rt_sigaction` and `rt_sigprocmask` keep the dispositions and the blocked mask as Linux does
/// (old values written back, SIGKILL/SIGSTOP refused, `sigsetsize` must be 8). Signals are not
/// delivered yet: a CPU exception still ends the process as the default action would.
extension LinuxProcess {
    static let SIGKILL = 9, SIGSTOP = 19

    func rtSigaction(_ signal: UInt32, _ act: UInt32, _ oldact: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(signal), \(act == 0 ? "NULL" : "0x" + String(act, radix: 16)), "
            + "\(oldact == 0 ? "NULL" : "0x" + String(oldact, radix: 16)), \(setsize)"
        guard setsize == 8 else { return .error(.EINVAL, args) }
        let n = Int(signal)
        guard n >= 1 && n <= 64 else { return .error(.EINVAL, args) }
        var new: SignalAction? = nil
        if act != 0 {
            guard let raw = readGuest(act, 20) else { return .error(.EFAULT, args) }
            func word(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(raw[i * 4 + $1]) << (8 * UInt32($1)) } }
            new = SignalAction(handler: word(0), flags: word(1), restorer: word(2),
                               mask: UInt64(word(3)) | UInt64(word(4)) << 32)
            if n == LinuxProcess.SIGKILL || n == LinuxProcess.SIGSTOP { return .error(.EINVAL, args) }
        }
        let old = signalActions[n] ?? SignalAction()
        if oldact != 0 {
            let words = [old.handler, old.flags, old.restorer, UInt32(truncatingIfNeeded: old.mask), UInt32(old.mask >> 32)]
            guard writeWords(words, at: oldact) else { return .error(.EFAULT, args) }
        }
        if let new {
            // SIGKILL and SIGSTOP can never be blocked by a handler's mask.
            var action = new
            action.mask &= ~(1 << UInt64(LinuxProcess.SIGKILL - 1) | 1 << UInt64(LinuxProcess.SIGSTOP - 1))
            signalActions[n] = action
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    func rtSigprocmask(_ how: UInt32, _ set: UInt32, _ oldset: UInt32, _ setsize: UInt32) -> SyscallOutcome {
        let args = "\(["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"].indices.contains(Int(how)) ? ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][Int(how)] : String(how)), "
            + "\(set == 0 ? "NULL" : "0x" + String(set, radix: 16)), \(oldset == 0 ? "NULL" : "0x" + String(oldset, radix: 16)), \(setsize)"
        guard setsize == 8 else { return .error(.EINVAL, args) }
        var new: UInt64? = nil
        if set != 0 {
            guard let raw = readGuest(set, 8) else { return .error(.EFAULT, args) }
            new = (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[$1]) << (8 * UInt64($1)) }
            guard how <= 2 else { return .error(.EINVAL, args) }
        }
        if oldset != 0 {
            guard writeWords([UInt32(truncatingIfNeeded: signalMask), UInt32(signalMask >> 32)], at: oldset) else {
                return .error(.EFAULT, args)
            }
        }
        if let new {
            switch how {
            case 0: signalMask |= new
            case 1: signalMask &= ~new
            default: signalMask = new
            }
            signalMask &= ~(1 << UInt64(LinuxProcess.SIGKILL - 1) | 1 << UInt64(LinuxProcess.SIGSTOP - 1))
        }
        return SyscallOutcome(value: 0, arguments: args)
    }
}
