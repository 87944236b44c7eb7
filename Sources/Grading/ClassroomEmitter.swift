import Foundation

/// GitHub Classroom's runner result, as its grader actions (`autograding-command-grader`,
/// `autograding-io-grader`) set their step output `result` and its reporter
/// (`autograding-grading-reporter`) reads it back from `<RUNNER>_RESULTS`: base64 of
/// `{"version": 1, "status": "pass|fail|error", "max_score": N, "tests": [{"name", "status",
/// "score", "message", "test_code", "filename", "line_no", "duration"}]}` (education.md §1.3).
/// The reporter adds up the tests' `score` against `max_score` (its "Points X/Y" notice, which
/// Classroom reads) and fails the job when the status is `fail` or `error`. One line, so that
/// `echo "result=$(vsim grade ... --format classroom)" >> "$GITHUB_OUTPUT"` works.
///
/// A test whose visibility is not `visible` gives only its status and points, as with
/// PrairieLearn (the reporter prints every message to the job log, which students read).
public struct ClassroomEmitter {
    public var timings: Bool
    public init(timings: Bool = true) { self.timings = timings }

    /// The decoded document (what the base64 line holds).
    func document(_ r: GradingResult) -> JSONValue {
        let status = r.tests.contains { $0.status == .failed } ? "fail" : r.tests.contains { $0.status == .error } ? "error" : "pass"
        return .object([
            ("version", .number("1")),
            ("status", .string(status)),
            ("max_score", .num(r.maxScore)),
            ("tests", .array(r.tests.map { t in
                let message = t.visibility == .visible ? t.output
                    : "\(t.status.rawValue) (visibility \(t.visibility.rawValue): the details are for the course staff)"
                var fields: [(String, JSONValue)] = [
                    ("name", .string(t.name)),
                    ("status", .string(t.status == .passed ? "pass" : t.status == .failed ? "fail" : "error")),
                    ("score", .num(t.score)),
                    ("message", .string(message)),
                    ("test_code", .string("vsim grade \(r.labID) (test \(t.id))")),
                    ("filename", .string("")),
                    ("line_no", .number("0")),
                ]
                if timings { fields.append(("duration", .number(String(Int64((t.seconds * 1000).rounded()))))) }
                return .object(fields)
            })),
        ])
    }

    public func render(_ r: GradingResult) -> String {
        Data(document(r).rendered().utf8).base64EncodedString() + "\n"
    }
}
