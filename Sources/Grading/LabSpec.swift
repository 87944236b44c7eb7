/// A lab: `lessons/<id>/lab.toml` (and `hidden/hidden.toml`) as docs/lab-spec.md defines it,
/// loaded and validated (see ``load(folder:includeHidden:)``).
public struct LabSpec: Sendable {
    /// Equals the folder name; `[a-z0-9-]+`.
    public var id: String
    public var title: String
    /// One line for `vsim lab list`.
    public var summary: String
    /// The lab's place in the course (`vsim lab list` order).
    public var order: Int
    /// The files a student hands in, relative to the submission folder.
    public var submission: [String]
    /// The article's claims the lab covers (free text).
    public var article: [String]
    public var defaults: LabDefaults
    /// The `[variant]` parameters, sorted by name (the order values are drawn in).
    public var parameters: [VariantParameter]
    /// lab.toml's tests, then hidden.toml's (when loaded), in file order.
    public var tests: [LabTest]
    /// The lab folder (absolute path, no trailing slash).
    public var folder: String

    /// Total points of all tests.
    public var maxScore: Double { tests.reduce(0) { $0 + $1.points } }

    /// The longest one grading of this lab can take, seconds: every run of every test
    /// (``LabTest/timedRuns``) lasting its whole `time_limit`, plus every `as --32` check of a
    /// submission source lasting its 60 s limit (``assemblerRuns``: the grader checks each
    /// source once per set of `--defsym` values, and caches the verdict for the grading). A
    /// submission that prints without end no longer gets there (`max_output` stops it), but one
    /// that blocks, loops slowly, or keeps the assembler busy (`.rept 100000000`) can.
    /// Compare it with the platform's global timeout: Gradescope's default is 600 s (a grading
    /// past it scores 0 and shows no tests), PrairieLearn's `timeout` at most 600 s.
    public var worstCaseSeconds: Double {
        tests.reduce(0) { $0 + $1.timeLimit * Double($1.timedRuns) } + Double(assemblerRuns) * SubmissionSandbox.assemblySeconds
    }

    /// How many `as --32` runs one grading's submission checks make at most: one per distinct
    /// source and `--defsym` set over all tests (``LabTest/assemblerChecks``).
    public var assemblerRuns: Int {
        Set(tests.flatMap(\.assemblerChecks)).reduce(0) { $0 + $1.symbolSets.count }
    }

    /// Gradescope's default global autograder timeout, seconds (docs/teaching.md).
    public static let gradescopeDefaultTimeout: Double = 600
}

/// `[defaults]`: what a test gets when it does not set the key itself.
public struct LabDefaults: Sendable, Equatable {
    /// Step budget per run (guest instructions): the deciding limit.
    public var maxInstructions: UInt64 = 50_000_000
    /// Host wall-clock backstop per run, seconds.
    public var timeLimit: Double = 20
    /// Student-visible output is cut at this many bytes by the grader.
    public var outputLimit: Int = 65_536
    /// Guest stdout bytes per run before the grader stops the run ("output limit exceeded",
    /// status 153): 64 KiB, as ``outputLimit`` and the window `stdout_matches` searches; far above
    /// the shipped labs' expected outputs, and written in milliseconds in user mode and in about a
    /// second under trap or hvm (a trap or exit per console byte), so a submission that prints
    /// without end costs a moment, not its whole time limit.
    public var maxOutput: UInt64 = 65_536

    public init() {}
}
