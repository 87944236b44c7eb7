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
        public init(vsimVersion: String, hostCPU: String, kernel: String, date: String,
                    program: String, arguments: [String], runs: Int) {
            self.vsimVersion = vsimVersion
            self.hostCPU = hostCPU
            self.kernel = kernel
            self.date = date
            self.program = program
            self.arguments = arguments
            self.runs = runs
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
        /// Largest maximum resident set size over the runs, bytes (nil if unknown).
        public var maxResidentBytes: UInt64?
        /// True when a run of this mode ended with another exit status or printed other output
        /// than the reference run (or was the reference of such a run): its times measure a
        /// different computation, so renderers show no MIPS and mark the row.
        public var disagrees: Bool = false

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

        /// Guest instructions per second of median wall time, in millions (nil without a count,
        /// or when the mode's runs disagree with the others).
        public var mips: Double? {
            guard !disagrees, let n = instructions, wallTimes.median > 0 else { return nil }
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
        guard mismatches.isEmpty, let base = baselineMode, let b = modes.first(where: { $0.mode == base }), b.wallTimes.median > 0 else {
            return nil
        }
        return summary.wallTimes.median / b.wallTimes.median
    }
}
