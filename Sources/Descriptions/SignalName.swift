/// Linux signal numbers (x86 and i386 numbering, `signal(7)`) and their names, in one table.
public enum SignalName {
    /// The signals vsim reports by name.
    public static let table: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
        8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
        14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
        20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
        26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
    ]

    /// "SIGSEGV" for 11; "signal 40" for a number without a name (real-time signals).
    public static func of(_ n: Int32) -> String { table[n] ?? "signal \(n)" }
}

/// How vsim words the end of a run it stopped itself at a limit: one wording in every mode
/// (`docs/exit-status.md`: status 152 = 128 + SIGXCPU, as a native process killed by `RLIMIT_CPU`).
public enum LimitStop {
    /// SIGXCPU (24).
    public static let signal: Int32 = 24
    /// 152: the shell status of a process ended by SIGXCPU.
    public static let exitStatus: Int32 = 128 + 24

    /// Which limit ended the run.
    public enum Limit: Sendable {
        /// `--max-instructions`: `executed` guest instructions ran against a budget of `budget`.
        case instructions(executed: UInt64, budget: UInt64)
        /// `--time-limit`: host wall time ran out after `limit`; `executed` guest instructions
        /// where vsim counted them (nil for native, qemu-i386 and containers).
        case time(limit: Duration, executed: UInt64?)
    }

    /// The one-line message: "vsim: WHO stopped after N instructions (--max-instructions M) at WHERE
    /// -> SIGXCPU (exit status 152); raise --max-instructions if the program needs more", or
    /// "vsim: WHO stopped by the host time limit of 60 s [after N instructions] [at WHERE] -> ...;
    /// raise --time-limit if the program needs longer".
    /// - Parameters:
    ///   - who: what ran ("guest", "guest machine", "native run", "qemu-i386", "container").
    ///   - at: where it stopped (an address and instruction), if known.
    public static func message(_ who: String, _ limit: Limit, at: String? = nil) -> String {
        let place = at.map { " at \($0)" } ?? ""
        switch limit {
        case .instructions(let executed, let budget):
            return "vsim: \(who) stopped after \(executed) instructions (--max-instructions \(budget))\(place) "
                + "-> SIGXCPU (exit status 152); raise --max-instructions if the program needs more"
        case .time(let limit, let executed):
            let count = executed.map { " after \($0) instructions" } ?? ""
            return "vsim: \(who) stopped by the host time limit of \(DurationText.seconds(limit))\(count)\(place) "
                + "-> SIGXCPU (exit status 152); raise --time-limit if the program needs longer"
        }
    }
}
