import Hypervisor
#if canImport(Glibc)
import Glibc
#endif

/// How one run ended, with its counters and host measurements. The same shape for every mode.
public struct RunResult: Sendable {
    public var mode: Mode
    /// vsim's exit status for this run: the guest's `exit` status (0–255), or 128+signal for a
    /// fault, or 152 (128+SIGXCPU) when a limit stopped it.
    public var exitStatus: Int32
    /// The signal that ended the guest (SIGSEGV 11, ...; SIGXCPU 24 for a limit), nil for `exit`.
    public var signal: Int32?
    /// Guest instructions executed; nil when the mode cannot count them (native).
    public var instructions: UInt64?
    /// Host wall time of the run, nanoseconds (process setup and loading included).
    public var wallTimeNanoseconds: UInt64
    /// Maximum resident set size, bytes: vsim's own for interpret (guest memory and interpreter
    /// together); nil for native, because the child's `ru_maxrss` would be vsim's own (Linux
    /// carries the spawning process's peak across `execve`).
    public var maxResidentBytes: UInt64?
    /// The guest's stdout when ``GuestIO/capture`` was asked for, else nil.
    public var output: [UInt8]?
    /// One line (prefixed `vsim: `) explaining a fault or a limit; nil for a normal exit.
    public var diagnostic: String?
    /// Under trap and hvm: the traps and VM exits the modeled VMM took, by reason
    /// (e.g. "#GP: out", "30 I/O instruction"); empty for other modes.
    public var traps: [String: UInt64] = [:]
    public var exits: [String: UInt64] = [:]
    public var hypercalls: [String: UInt64] = [:]
    /// Under bt: callouts from translated kernel code into the VMM (and emulations inside the
    /// translation cache, reasons ending in "(in TC)"), by reason.
    public var callouts: [String: UInt64] = [:]
    /// Under the guest kernel (trap, hvm, pv, bt, unikernel, kvm, `--system`): the system calls
    /// the kernel forwarded to the host-call device (``HostCall``), by name — the device's own
    /// host work, apart from the exits, hypercalls or callouts that carried them; empty for
    /// other modes.
    public var hostCalls: [String: UInt64] = [:]
    /// Under hvm with EPT: [page walks, memory references the second dimension added].
    public var eptWalks: [UInt64]?
    /// Under bt: the translation cache's counters.
    public var binaryTranslation: BinaryTranslationStats?
    /// Under trap and hvm: guest instructions and VMM events priced by the cost model
    /// (docs/cost-model.md); nil for other modes.
    public var modeledCycles: UInt64?
    /// Under translate (and `--engine translate`): the translator's deterministic counters; nil
    /// for other modes.
    public var translation: TranslationCounters?
    /// The cost-model preset the cycles were computed with.
    public var costModel: String?
    /// Real backends: host time from creating the VM or starting the container to the guest's
    /// first instruction (kvm: opening `/dev/kvm` to the first KVM_RUN; container: to the
    /// init's execve), nanoseconds; nil where there is no such phase or it is not measured.
    public var startupNanoseconds: UInt64?
    /// kvm: host time vsim spent handling the exits KVM returned to it (device emulation),
    /// nanoseconds; nil for other modes.
    public var exitHandlingNanoseconds: UInt64?
    /// kvm: events only a real VMM sees (KVM_RUN returns by KVM_EXIT_* reason, instructions KVM
    /// emulated, page faults it handled), by name; ptrace: its stops and rewritten paths; empty
    /// for other modes.
    public var hostEvents: [String: UInt64] = [:]
    /// ptrace: the system calls the traced program entered, by name (i386 table), and those of
    /// them that returned an error; empty for other modes.
    public var systemCalls: [String: UInt64] = [:]
    public var systemCallErrors: [String: UInt64] = [:]
    /// ptrace: host time the tracer spent at the tracee's stops (between a stop and resuming it),
    /// nanoseconds; nil for other modes.
    public var tracerNanoseconds: UInt64?
    /// kvm: the VM creation steps (open, KVM_CREATE_VM, memory, vCPU) with their nanoseconds.
    public var setupPhases: [(name: String, nanoseconds: UInt64)] = []
    /// Host CPU time of the run, user and system (hyperfine's `user` and `system`), nil when
    /// not measured. Measured by ``CPUTimes/measure(spawnsChild:_:)``: the child processes'
    /// rusage for the modes that run the guest as a host process (native, qemu, container), vsim's
    /// own thread for the modes that run it inside vsim (interpret, translate, trap, hvm, pv, kvm:
    /// a vCPU's guest time counts as user time).
    public var cpuTimes: CPUTimes?
    /// container, native, qemu: the signal (SIGINT, SIGTERM, SIGHUP or SIGQUIT) vsim itself
    /// received during the run and forwarded to the container (which was then torn down) or to
    /// the host process: the user asked vsim to stop (Ctrl-C, `kill`). nil otherwise.
    public var interruptedBy: Int32?

    public init(mode: Mode, exitStatus: Int32, signal: Int32? = nil, instructions: UInt64? = nil,
                wallTimeNanoseconds: UInt64, maxResidentBytes: UInt64? = nil, output: [UInt8]? = nil,
                diagnostic: String? = nil) {
        self.mode = mode
        self.exitStatus = exitStatus
        self.signal = signal
        self.instructions = instructions
        self.wallTimeNanoseconds = wallTimeNanoseconds
        self.maxResidentBytes = maxResidentBytes
        self.output = output
        self.diagnostic = diagnostic
    }

    /// Wall time in seconds.
    public var wallTimeSeconds: Double { Double(wallTimeNanoseconds) / 1e9 }
}

/// What the translator did in one run (from ``TranslationStats``): deterministic for the same
/// program, arguments and options.
public struct TranslationCounters: Sendable, Equatable {
    /// Translation blocks translated (a block translated again after an invalidation counts again).
    public var blocksTranslated: UInt64
    /// goto_tb slots chained to their successor block.
    public var chainsMade: UInt64
    /// Blocks invalidated by writes to their pages (self-modifying code).
    public var invalidations: UInt64

    public init(blocksTranslated: UInt64, chainsMade: UInt64, invalidations: UInt64) {
        self.blocksTranslated = blocksTranslated
        self.chainsMade = chainsMade
        self.invalidations = invalidations
    }
}

/// Signal numbers and names vsim reports (Linux x86 numbering).
public enum Signal {
    public static let SIGTRAP: Int32 = 5, SIGILL: Int32 = 4, SIGFPE: Int32 = 8, SIGBUS: Int32 = 7,
                      SIGKILL: Int32 = 9, SIGSEGV: Int32 = 11, SIGXCPU: Int32 = 24
}

/// User and system CPU time, nanoseconds (from `getrusage`).
public struct CPUTimes: Sendable, Equatable {
    public var userNanoseconds: UInt64
    public var systemNanoseconds: UInt64

    public init(userNanoseconds: UInt64, systemNanoseconds: UInt64) {
        self.userNanoseconds = userNanoseconds
        self.systemNanoseconds = systemNanoseconds
    }

    public var userSeconds: Double { Double(userNanoseconds) / 1e9 }
    public var systemSeconds: Double { Double(systemNanoseconds) / 1e9 }

    /// `getrusage(who)`'s user and system times.
    static func now(_ who: Int32) -> CPUTimes {
        var u = rusage()
        _ = getrusage(__rusage_who_t(who), &u)
        func ns(_ t: timeval) -> UInt64 { UInt64(max(0, t.tv_sec)) * 1_000_000_000 + UInt64(max(0, t.tv_usec)) * 1000 }
        return CPUTimes(userNanoseconds: ns(u.ru_utime), systemNanoseconds: ns(u.ru_stime))
    }

    /// The CPU time `body` cost: with `spawnsChild`, that of the child processes reaped during
    /// it (RUSAGE_CHILDREN before and after: the runs of `vsim compare` go one at a time), else
    /// that of the calling thread (RUSAGE_THREAD).
    static func measure<T, E: Error>(spawnsChild: Bool, _ body: () throws(E) -> T) throws(E) -> (T, CPUTimes) {
        // RUSAGE_THREAD is 1 on Linux (<sys/resource.h> declares it only with _GNU_SOURCE).
        let who = spawnsChild ? RUSAGE_CHILDREN.rawValue : 1
        let before = now(who)
        let value = try body()
        let after = now(who)
        return (value, CPUTimes(userNanoseconds: after.userNanoseconds &- min(before.userNanoseconds, after.userNanoseconds),
                                systemNanoseconds: after.systemNanoseconds &- min(before.systemNanoseconds, after.systemNanoseconds)))
    }
}
