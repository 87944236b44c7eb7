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
}

/// `[defaults]`: what a test gets when it does not set the key itself.
public struct LabDefaults: Sendable, Equatable {
    /// Step budget per run (guest instructions): the deciding limit.
    public var maxInstructions: UInt64 = 50_000_000
    /// Host wall-clock backstop per run, seconds.
    public var timeLimit: Double = 20
    /// Student-visible output is cut at this many bytes by the grader.
    public var outputLimit: Int = 65_536

    public init() {}
}
