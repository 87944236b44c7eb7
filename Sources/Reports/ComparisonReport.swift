import Descriptions

/// The result of `vsim compare`: one program run under several modes, summarised per mode.
///
/// Built by the VSim facade, rendered by ``TableRenderer``, ``JSONRenderer`` and
/// ``MarkdownRenderer``. Times are in seconds.
public struct ComparisonReport: Sendable {
    /// Where and when the measurement was made.
    public struct Header: Sendable, Equatable {
        public var vsimVersion: String
        public var hostCPU: String
        public var kernel: String
        /// ISO 8601 UTC, e.g. "2026-11-20T22:10:00Z".
        public var date: String
        /// The program as the user named it (or "sumsq (built in)").
        public var program: String
        public var arguments: [String]
        /// Runs per mode.
        public var runs: Int
        /// Unmeasured warm-up runs per mode before the measured ones.
        public var warmup: Int = 1
        /// Seed of vsim's generator for the runs (AT_RANDOM bytes), nil if not given.
        public var seed: UInt64? = nil
        /// Whether ``program`` names a program built into vsim ("sumsq (built in)") rather than a file.
        public var programIsBuiltIn: Bool = false
        public init(vsimVersion: String, hostCPU: String, kernel: String, date: String,
                    program: String, arguments: [String], runs: Int, warmup: Int = 1, seed: UInt64? = nil,
                    programIsBuiltIn: Bool = false) {
            self.programIsBuiltIn = programIsBuiltIn
            self.warmup = warmup
            self.seed = seed
            self.vsimVersion = vsimVersion
            self.hostCPU = hostCPU
            self.kernel = kernel
            self.date = date
            self.program = program
            self.arguments = arguments
            self.runs = runs
        }

        /// The program and its arguments as one line a shell reads back (``ShellWord``): a file
        /// name or argument with spaces, quotes or control characters is quoted, so that the
        /// header stays one line and says exactly what ran.
        public var shownCommandLine: String {
            ([programIsBuiltIn ? program : ShellWord.quoted(program)] + arguments.map(ShellWord.quoted)).joined(separator: " ")
        }
    }

    /// One mode's measurements.
    public struct ModeSummary: Sendable {
        /// The mode's name (`interpret`, `native`, ...).
        public var mode: String
        /// A command line that reproduces one run.
        public var command: String
        /// Wall time of each run, seconds, in run order.
        public var wallTimes: Statistics
        /// Guest instructions per run (the same every run: runs are deterministic), if known.
        public var instructions: UInt64?
        /// True when `instructions` was counted by another mode (a native run counts none;
        /// the program executes the same instructions whatever runs it).
        public var instructionsFromOtherMode: Bool
        /// Exit status of each run.
        public var exitStatuses: [Int32]
        /// Host CPU time of each run, seconds, user and system (hyperfine's `user` and `system`
        /// are their means), nil when not measured.
        public var userTimes: Statistics? = nil
        public var systemTimes: Statistics? = nil
        /// Largest maximum resident set size over the runs, bytes (nil if unknown).
        public var maxResidentBytes: UInt64?
        /// Why the mode could not run on this host (the row is shown, marked unavailable), or nil.
        public var unavailable: String? = nil
        /// Events of one run by kind ("traps", "exits", "hypercalls", "host events") and reason.
        /// Runs are deterministic, so one run's counts stand for all (host events may vary).
        public var events: [String: [String: UInt64]] = [:]
        /// Modeled cycles of one run (trap, hvm, pv), and the cost model that priced them.
        public var modeledCycles: UInt64? = nil
        public var costModel: String? = nil
        /// Modeled rows: the modeled cycles at the preset CPU's clock, seconds, and their ratio
        /// to the program's own instructions at the model's cycles per instruction (what the
        /// program costs natively in the same model). The table shows these as the row's cost;
        /// the wall time is then the simulator's own and is shown apart.
        public var modeledSeconds: Double? = nil
        public var modeledSlowdown: Double? = nil
        /// Start-up time of each run, seconds (VM creation or container start to the first guest
        /// instruction), when the mode has and measures such a phase.
        public var startupTimes: Statistics? = nil
        /// Where one (the median) run's time went.
        public var breakdown: TimeBreakdown? = nil
        /// True when a run of this mode ended with another exit status or printed other output
        /// than the reference run (or was the reference of such a run): its times measure a
        /// different computation, so renderers show no MIPS and mark the row.
        public var disagrees: Bool = false
        /// The options given to `vsim compare` that this mode does not honour (``GuestOption``'s
        /// names, e.g. `--root`), so the mode ran without them; renderers say so under the table.
        public var optionsNotHonoured: [String] = []

        public init(mode: String, command: String, wallTimes: Statistics, instructions: UInt64?,
                    instructionsFromOtherMode: Bool = false, exitStatuses: [Int32], maxResidentBytes: UInt64?) {
            self.mode = mode
            self.command = command
            self.wallTimes = wallTimes
            self.instructions = instructions
            self.instructionsFromOtherMode = instructionsFromOtherMode
            self.exitStatuses = exitStatuses
            self.maxResidentBytes = maxResidentBytes
        }

        /// A row for a mode that cannot run here: `reason` says why.
        public static func unavailable(mode: String, command: String, reason: String) -> ModeSummary {
            var s = ModeSummary(mode: mode, command: command, wallTimes: Statistics([0]), instructions: nil,
                                exitStatuses: [], maxResidentBytes: nil)
            s.unavailable = reason
            return s
        }

        public var isAvailable: Bool { unavailable == nil }

        /// The 90th percentile of the wall times.
        public var p90: Double { wallTimes.percentile(90) }

        /// Guest instructions per second of median wall time, in millions (nil without a count,
        /// or when the mode's runs disagree with the others).
        public var mips: Double? {
            guard isAvailable, !disagrees, let n = instructions, wallTimes.median > 0 else { return nil }
            return Double(n) / wallTimes.median / 1e6
        }
    }

    public var header: Header
    public var modes: [ModeSummary]
    /// The mode slowdowns are relative to (`native` when measured), by name.
    public var baselineMode: String?
    /// Problems found while checking the runs against each other (different output or exit
    /// status across modes or runs). Empty when everything agreed. Renderers show them loudly.
    public var mismatches: [String]

    public init(header: Header, modes: [ModeSummary], baselineMode: String?, mismatches: [String] = []) {
        self.header = header
        self.modes = modes
        self.baselineMode = baselineMode
        self.mismatches = mismatches
    }

    /// Ratio of this mode's median wall time to the baseline's (nil without a baseline, or when
    /// the runs disagree: the modes did not compute the same thing).
    public func slowdown(of summary: ModeSummary) -> Double? {
        guard mismatches.isEmpty, summary.isAvailable, let b = baseline else { return nil }
        return summary.wallTimes.median / b.wallTimes.median
    }

    /// The baseline's row, if it ran.
    public var baseline: ModeSummary? {
        guard let base = baselineMode, let b = modes.first(where: { $0.mode == base }), b.isAvailable,
              b.wallTimes.median > 0 else { return nil }
        return b
    }

    /// The standard deviation of ``slowdown(of:)``, propagated from both rows as hyperfine does
    /// for its relative speeds: σ(a/b) = (a/b) · √((σa/a)² + (σb/b)²), with the means and sample
    /// standard deviations of the two rows' wall times.
    public func slowdownStandardDeviation(of summary: ModeSummary) -> Double? {
        guard let r = slowdown(of: summary), let b = baseline, summary.wallTimes.mean > 0, b.wallTimes.mean > 0 else { return nil }
        let ea = summary.wallTimes.standardDeviation / summary.wallTimes.mean
        let eb = b.wallTimes.standardDeviation / b.wallTimes.mean
        return r * (ea * ea + eb * eb).squareRoot()
    }
}

/// Where a run's wall time went, seconds. `guest` is running guest instructions; `exits` the
/// round trips of traps, VM exits and hypercalls; `vmm` the VMM's (or vsim's) work handling
/// them; `startup` creating the VM or container before the first guest instruction. Measured
/// for the real backends; for the models, the cost model's shares of the modeled cycles applied
/// to the measured wall time.
public struct TimeBreakdown: Sendable, Equatable {
    public var guest: Double
    public var exits: Double
    public var vmm: Double
    public var startup: Double
    /// "measured" or "modeled".
    public var basis: String

    public init(guest: Double, exits: Double, vmm: Double, startup: Double, basis: String) {
        self.guest = guest
        self.exits = exits
        self.vmm = vmm
        self.startup = startup
        self.basis = basis
    }

    public var total: Double { guest + exits + vmm + startup }

    /// (name, seconds) in stacking order.
    public static let partNames = ["guest instructions", "traps or exits", "VMM work", "start-up"]
    public var parts: [(String, Double)] { Array(zip(Self.partNames, [guest, exits, vmm, startup])) }
}
