import Homework
import VSim

/// One `[[tests]]` entry of a lab (docs/lab-spec.md).
public struct LabTest: Sendable {
    /// What kind of check the test is.
    public enum Kind: String, Sendable, CaseIterable {
        /// Run a program in one or more modes and check expectations.
        case run
        /// Compare a student's predicted value (an answers file) with what vsim computes.
        case answer
        /// Run a REPL batch script and check the transcript.
        case repl
    }

    /// Gradescope's visibility words.
    public enum Visibility: String, Sendable, CaseIterable {
        case visible, after_due_date, after_published, hidden
    }

    /// `[a-z0-9-]+`, unique in the lab.
    public var id: String
    /// What the student reads.
    public var name: String
    /// Max points (all or nothing).
    public var points: Double
    public var visibility: Visibility = .visible
    public var tags: [String] = []
    public var kind: Kind = .run
    /// `run`/`repl`: what to run, as written (`submission/…`, `lab/…`, `builtin/…`).
    public var program: String?
    /// The guest kernel to boot instead of the default (`submission/kernel.s`).
    public var kernel: String?
    /// Each mode is one run (default `[interpret]`).
    public var modes: [Mode] = [.interpret]
    /// argv[1...] before variant substitution.
    public var args: [String] = []
    /// The guest's stdin before variant substitution.
    public var stdin: String = ""
    public var system = false
    public var engine: Engine?
    public var cpu: String?
    public var umip = false
    public var timer: UInt32?
    /// Step budget (guest instructions) per run.
    public var maxInstructions: UInt64
    /// Host wall-clock backstop per run, seconds.
    public var timeLimit: Double
    /// Student-visible output limit, bytes.
    public var outputLimit: Int
    /// Guest stdout bytes per run before the run is stopped (``LabDefaults/maxOutput``).
    public var maxOutput: UInt64 = LabDefaults().maxOutput
    public var expect = TestExpectation()
    /// `answer`: the answers file (`submission/…`), the key in it, the allowed relative error.
    public var answers: String?
    public var key: String?
    public var tolerance: Double?
    /// `answer`: how vsim computes the right value.
    public var compute: ComputeSource?
    /// `repl`: the command file (`submission/…` or `lab/…`).
    public var script: String?
    /// Whether the test comes from `hidden/hidden.toml`.
    public var fromHiddenFile = false

    /// How many runs bounded by `time_limit` the test makes at most: one per mode for `run`
    /// (two with `same_as`, whose reference runs too), the session for `repl`, the measured run
    /// of an `answer` computed from a program; none for `homework` and `nanobench` answers, which
    /// vsim computes with its own programs and budgets.
    public var timedRuns: Int {
        switch kind {
        case .run: return modes.count * (expect.sameAs == nil ? 1 : 2)
        case .repl: return 1
        case .answer:
            if case .run? = compute { return 1 }
            return 0
        }
    }

    /// The `--defsym` sets the grader assembles a `kernel` with for a run in `mode`: `PV=1` for
    /// `pv` (the paravirtualized build of the same source), none otherwise.
    public static func kernelSymbolSets(_ mode: Mode) -> [[String]] { mode == .pv ? [["PV=1"]] : [[]] }

    /// The submission sources (`submission/NAME.s` or `.S`) this test has the grader check with
    /// `as --32` before use, each with the `--defsym` sets it is assembled with (one `as` run
    /// per set, at most ``SubmissionSandbox/assemblySeconds`` each): the program, the kernel
    /// once per mode's sets, the `same_as` reference, the `answers` file and the `repl` script.
    public var assemblerChecks: Set<AssemblerCheck> {
        var paths: [(String, [[String]])] = []
        if let program { paths.append((program, [[]])) }
        if let sameAs = expect.sameAs { paths.append((sameAs, [[]])) }
        if let answers { paths.append((answers, [[]])) }
        if let script { paths.append((script, [[]])) }
        var runModes: [Mode] = []
        switch kind {
        case .run: runModes = modes
        case .answer: if case .run(let p, let mode, _, _)? = compute { paths.append((p, [[]])); runModes = [mode] }
        case .repl: break
        }
        if let kernel { paths += runModes.map { (kernel, LabTest.kernelSymbolSets($0)) } }
        return Set(paths.compactMap { path, sets in
            guard path.hasPrefix("submission/"), path.hasSuffix(".s") || path.hasSuffix(".S") else { return nil }
            return AssemblerCheck(source: String(path.dropFirst("submission/".count)), symbolSets: sets)
        })
    }
}

/// One check of a submission source by `as --32` (``SubmissionSandbox``): the file, and the
/// `--defsym` sets it is assembled with, one `as` run each.
public struct AssemblerCheck: Hashable, Sendable {
    public var source: String
    public var symbolSets: [[String]]
}

/// `[tests.expect]`: everything given must hold.
public struct TestExpectation: Sendable {
    /// Exact guest stdout (variant-substituted).
    public var stdout: String?
    /// Exact guest stdout from a lab file (`lab/…`).
    public var stdoutFile: String?
    /// A regular expression that must match somewhere in stdout.
    public var stdoutMatches: String?
    /// vsim's exit status for the run.
    public var exitStatus: Int?
    /// A reference program run in the same mode with the same args and stdin.
    public var sameAs: String?
    /// stdout and exit status equal across all modes.
    public var modesAgree = false
    public var counters: [CounterCheck] = []
    /// Modeled cycles at most this (trap, hvm, pv).
    public var maxModeledCycles: UInt64?

    public init() {}

    /// Whether nothing at all is expected.
    public var isEmpty: Bool {
        stdout == nil && stdoutFile == nil && stdoutMatches == nil && exitStatus == nil && sameAs == nil
            && !modesAgree && counters.isEmpty && maxModeledCycles == nil
    }
}

/// `{ counter = NAME, op = "=", value = N }`.
public struct CounterCheck: Sendable {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=", atMost = "<=", atLeast = ">=", less = "<", greater = ">"

        /// Whether `actual op expected` holds.
        public func holds(_ actual: UInt64, _ expected: UInt64) -> Bool {
            switch self {
            case .equal: return actual == expected
            case .atMost: return actual <= expected
            case .atLeast: return actual >= expected
            case .less: return actual < expected
            case .greater: return actual > expected
            }
        }
    }

    /// The counter name (docs/lab-spec.md: `instructions`, `traps.#GP: out`, `tb.translated`, …).
    public var counter: String
    public var op: Operator
    /// The value as written: digits, or a `{param}` to substitute.
    public var value: String
}

/// How an `answer` test's right value is computed.
public enum ComputeSource: Sendable {
    /// Run `program` in `mode` with `args` and read `counter` (same names as ``CounterCheck``).
    case run(program: String, mode: Mode, counter: String, args: [String])
    /// Question `question` of `vsim homework TOPIC --seed SEED`, which the Homework module
    /// answers by running vsim; `seed` may be `{seed}` or `{param}` (the student's variant).
    case homework(topic: HomeworkTopic, seed: String, question: Int)
    /// Adams & Agesen's nanobenchmark `bench` (``VSim/Nanobench``, programs/nanobench) on cost
    /// preset `cpu`, measured by the models as `vsim nanobench` measures it.
    case nanobench(bench: String, cpu: String, measure: NanobenchMeasure)
}

/// What a nanobenchmark answer is.
public enum NanobenchMeasure: Sendable, Equatable {
    /// Modeled cycles per iteration under one `vsim nanobench` column ("bt", "hvm-shadow", ...).
    case cycles(column: String)
    /// The name of the column with the fewest modeled cycles per iteration among these.
    case cheaper([String])
}
