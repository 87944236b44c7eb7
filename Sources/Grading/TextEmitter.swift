import Descriptions
/// The report people read, in the style of xv6's `make grade`:
/// ```
/// lab hello: Hello, guest
/// variant seed 0 (no student id)
/// prints-hello: OK (0.3s)
/// exit-status: FAIL (0.1s)
///     failed: [interpret] exit status: expected 0, got 1
/// Score: 40/100
/// ```
/// An errored test says `ERROR`. Seconds appear only with timings.
public struct TextEmitter {
    public var timings: Bool
    public init(timings: Bool = true) { self.timings = timings }

    /// The lines every format starts with: the lab, the variant, submission problems.
    static func header(_ r: GradingResult) -> [String] {
        ["lab \(r.labID): \(r.labTitle)", r.variant.summaryLine] + r.submissionProblems.map { "submission: " + $0 }
    }

    public func render(_ r: GradingResult) -> String {
        var lines = TextEmitter.header(r)
        for t in r.tests {
            let verdict = t.status == .passed ? "OK" : t.status == .failed ? "FAIL" : "ERROR"
            let time = timings ? " (\(NumberText.fixed(t.seconds, 2).dropLast())s)" : ""
            lines.append("\(t.id): \(verdict)\(time)  [\(GradingResult.points(t.score))/\(GradingResult.points(t.maxScore))] \(t.name)")
            if t.status != .passed {
                lines += t.output.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            }
        }
        lines.append("Score: \(GradingResult.points(r.score))/\(GradingResult.points(r.maxScore))")
        return lines.joined(separator: "\n") + "\n"
    }
}
