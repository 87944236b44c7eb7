import Descriptions

/// One graded submission: every test's result in lab order, the variant, the totals. The emitters
/// turn it into each platform's format.
public struct GradingResult: Sendable {
    public var labID: String
    public var labTitle: String
    public var variant: LabVariant
    /// In lab order: lab.toml's tests, then hidden.toml's.
    public var tests: [TestResult]
    /// vsim's version (reports and JUnit properties).
    public var vsimVersion: String
    /// Problems with the submission as a whole (files missing, refused sources), one line each,
    /// in submission-file order. Tests that need those files are errors too.
    public var submissionProblems: [String] = []

    public var score: Double { tests.reduce(0) { $0 + $1.score } }
    public var maxScore: Double { tests.reduce(0) { $0 + $1.maxScore } }
    /// Host seconds for all tests.
    public var seconds: Double { tests.reduce(0) { $0 + $1.seconds } }
    public var passedCount: Int { tests.filter { $0.status == .passed }.count }
    public var failedCount: Int { tests.filter { $0.status == .failed }.count }
    public var errorCount: Int { tests.filter { $0.status == .error }.count }

    /// "40/100" style: whole numbers without a fraction, others with up to two decimals.
    public static func points(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        var s = NumberText.fixed(v, 2)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
