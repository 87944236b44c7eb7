import Machine
import Descriptions

/// One Linux signal on its way to the guest: the number and the i386 `siginfo_t` fields a
/// handler sees (include/uapi/asm-generic/siginfo.h; the 128-byte compat layout: `si_signo` at
/// 0, `si_errno` 4, `si_code` 8, then the union at 12: `si_addr` for faults, `si_pid` and
/// `si_uid` for kill/tkill).
public struct GuestSignal: Equatable, Sendable {
    /// 1…64 (Linux x86 numbering).
    public var number: Int
    /// `si_code`: ``SignalCode``.
    public var code: Int32
    /// `si_addr` of a fault (0 for SI_KERNEL signals, which carry no address).
    public var address: UInt32 = 0
    /// `si_pid` and `si_uid` of SI_USER / SI_TKILL signals.
    public var sender: (pid: Int32, uid: UInt32)? = nil
    /// The trap that raised it (sigcontext `trapno`, `err`; CR2 for `#PF`), nil for a signal
    /// that no CPU exception raised.
    public var trap: TrapRecord? = nil

    public static func == (a: GuestSignal, b: GuestSignal) -> Bool {
        a.number == b.number && a.code == b.code && a.address == b.address
            && a.sender?.pid == b.sender?.pid && a.sender?.uid == b.sender?.uid && a.trap == b.trap
    }

    /// The 128-byte i386 `siginfo_t`.
    var siginfo: [UInt8] {
        var words = [UInt32](repeating: 0, count: 32)
        words[0] = UInt32(number)
        words[2] = UInt32(bitPattern: code)
        if let s = sender {
            words[3] = UInt32(bitPattern: s.pid)
            words[4] = s.uid
        } else {
            words[3] = address
        }
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * UInt32($0))) } }
    }

    /// The signal Linux sends for a CPU exception at CPL 3 (arch/x86/kernel/traps.c, fault.c),
    /// with its `si_code` and `si_addr`:
    ///
    /// | exception | signal | si_code | si_addr |
    /// |---|---|---|---|
    /// | `#DE` | SIGFPE | FPE_INTDIV | EIP of the instruction |
    /// | `#UD` | SIGILL | ILL_ILLOPN | EIP of the instruction |
    /// | `#PF` | SIGSEGV | SEGV_MAPERR (nothing mapped) / SEGV_ACCERR (mapped, access not allowed) | the faulting address (CR2) |
    /// | `#BP` (INT3) | SIGTRAP | SI_KERNEL | 0 |
    /// | `#DB` (single step) | SIGTRAP | TRAP_TRACE | EIP after the instruction |
    /// | `#GP`, `#OF`, `#BR`, `#TS` | SIGSEGV | SI_KERNEL | 0 |
    /// | `#NP`, `#SS` | SIGBUS | SI_KERNEL | 0 |
    /// | `#AC` | SIGBUS | BUS_ADRALN | the address |
    /// | `#MF` | SIGFPE | FPE_FLTINV | EIP |
    ///
    /// `mapped` tells SEGV_MAPERR from SEGV_ACCERR (whether any page is mapped at the address).
    static func forException(_ e: CPUException, mapped: (UInt32) -> Bool) -> GuestSignal {
        let trap = TrapRecord(number: UInt32(e.vector.rawValue), errorCode: e.errorCode ?? 0,
                              cr2: e.vector == .pf ? e.faultAddress : nil)
        switch e.vector {
        case .de:
            return GuestSignal(number: SignalNumber.SIGFPE, code: SignalCode.FPE_INTDIV, address: e.eip, trap: trap)
        case .mf:
            return GuestSignal(number: SignalNumber.SIGFPE, code: SignalCode.FPE_FLTINV, address: e.eip, trap: trap)
        case .ud:
            return GuestSignal(number: SignalNumber.SIGILL, code: SignalCode.ILL_ILLOPN, address: e.eip, trap: trap)
        case .pf:
            let a = e.faultAddress ?? 0
            var t = trap
            t.errorCode |= 4        // X86_PF_USER, as set_signal_archinfo records it
            return GuestSignal(number: SignalNumber.SIGSEGV,
                               code: mapped(a) ? SignalCode.SEGV_ACCERR : SignalCode.SEGV_MAPERR, address: a, trap: t)
        case .bp:
            return GuestSignal(number: SignalNumber.SIGTRAP, code: SignalCode.SI_KERNEL, trap: trap)
        case .db:
            return GuestSignal(number: SignalNumber.SIGTRAP, code: SignalCode.TRAP_TRACE, address: e.eip, trap: trap)
        case .np, .ss:
            return GuestSignal(number: SignalNumber.SIGBUS, code: SignalCode.SI_KERNEL, trap: trap)
        case .ac:
            return GuestSignal(number: SignalNumber.SIGBUS, code: SignalCode.BUS_ADRALN, address: e.faultAddress ?? 0, trap: trap)
        default:
            return GuestSignal(number: SignalNumber.SIGSEGV, code: SignalCode.SI_KERNEL, trap: trap)
        }
    }
}

/// What the thread's last trap left for the sigcontext (`thread.trap_nr`, `error_code`, `cr2`):
/// Linux writes them into every later signal frame too, until the next trap.
public struct TrapRecord: Equatable, Sendable {
    public var number: UInt32
    public var errorCode: UInt32
    /// Set by `#PF` only (CR2 keeps its value otherwise).
    public var cr2: UInt32?
}

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
public enum SignalCode {
    public static let SI_USER: Int32 = 0, SI_KERNEL: Int32 = 0x80, SI_TKILL: Int32 = -6
    public static let ILL_ILLOPN: Int32 = 2
    public static let FPE_INTDIV: Int32 = 1, FPE_FLTINV: Int32 = 7
    public static let SEGV_MAPERR: Int32 = 1, SEGV_ACCERR: Int32 = 2
    public static let BUS_ADRALN: Int32 = 1
    public static let TRAP_TRACE: Int32 = 2
}

/// Linux x86 signal numbers, names and default actions (signal(7)).
public enum SignalNumber {
    public static let SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
                      SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13,
                      SIGALRM = 14, SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20,
                      SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28
    /// Signals 1…64.
    public static let count = 64

    /// What the kernel does with a signal whose handler is SIG_DFL.
    public enum DefaultAction: Sendable { case terminate, core, ignore, stop }

    public static func defaultAction(_ n: Int) -> DefaultAction {
        switch n {
        case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, 24, 25, 31: return .core
        case SIGCHLD, SIGCONT, SIGURG, SIGWINCH: return .ignore
        case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: return .stop
        default: return .terminate
        }
    }

    /// "SIGSEGV", or "SIGRT<n>" / "signal <n>".
    public static func name(_ n: Int) -> String {
        if let s = SignalName.table[Int32(clamping: n)] { return s }
        return n >= 32 && n <= 64 ? "SIGRT\(n - 32)" : "signal \(n)"
    }

    /// The bit of signal `n` in a 64-bit `sigset_t`.
    static func bit(_ n: Int) -> UInt64 { 1 << UInt64(n - 1) }
    /// SIGKILL and SIGSTOP: never blocked, caught or ignored.
    static let unblockable: UInt64 = bit(SIGKILL) | bit(SIGSTOP)
}
