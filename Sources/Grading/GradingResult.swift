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
        var s = String(format2: v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

extension String {
    /// `v` with exactly two decimals, rounded half away from zero (locale-independent).
    init(format2 v: Double) {
        let hundredths = Int64((abs(v) * 100).rounded())
        let frac = hundredths % 100
        self = (v < 0 && hundredths != 0 ? "-" : "") + "\(hundredths / 100)." + (frac < 10 ? "0" : "") + "\(frac)"
    }

    /// `v` with three decimals (seconds in reports).
    init(format3 v: Double) {
        let thousandths = Int64((abs(v) * 1000).rounded())
        let frac = thousandths % 1000
        let pad = frac < 10 ? "00" : frac < 100 ? "0" : ""
        self = "\(thousandths / 1000).\(pad)\(frac)"
    }
}
