/// How one test of a lab went (docs/lab-spec.md, "Results").
public struct TestResult: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Every expectation held.
        case passed
        /// An expectation did not hold; the output names which, with expected and actual values.
        case failed
        /// The test could not run (missing file, assembler error, refused source).
        case error
    }

    /// The test's id in lab.toml.
    public var id: String
    /// What the student reads.
    public var name: String
    /// Points earned: `maxScore` when passed, else 0.
    public var score: Double
    public var maxScore: Double
    public var status: Status
    /// What the student may see: messages and guest output, cut at the test's output limit by
    /// the grader (never by the platform). Deterministic for a given submission.
    public var output: String
    /// What only staff see: the full diagnostics (vsim's own lines, the runs made).
    public var staffLog: String
    public var visibility: LabTest.Visibility
    public var tags: [String]
    /// Guest instructions executed over all the test's runs (nil where no run counted them).
    public var steps: UInt64?
    /// Host seconds the test took (the only field that varies between gradings).
    public var seconds: Double
    /// Its 1-based position in the lab (Gradescope's `number`).
    public var number: Int
}
