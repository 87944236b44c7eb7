/// PrairieLearn's external grader `results.json`: `gradable`, `score` in [0, 1] (earned over
/// maximum points), `format_errors` (the submission's problems: missing or refused files),
/// `message`, `output`, and `tests[]` with `name`, `description`, `points`, `max_points`,
/// `message`, `output`. Kept under PrairieLearn's 1 MB limit by cutting test outputs further
/// when needed. PrairieLearn shows all of it to the student, so a test whose visibility is not
/// `visible` (hidden, after_due_date, after_published) gives only its status and points. `gradable` is false only when the submission had problems and no test could run.
public struct PrairieLearnEmitter {
    /// PrairieLearn refuses results over 1 MB; stay well below.
    public static let sizeLimit = 900_000

    public init() {}

    public func render(_ r: GradingResult) -> String {
        for cut in [Int.max, 8192, 1024, 128] {
            let text = render(r, outputLimit: cut)
            if text.utf8.count <= PrairieLearnEmitter.sizeLimit { return text }
        }
        return render(r, outputLimit: 0)
    }

    func render(_ r: GradingResult, outputLimit: Int) -> String {
        let gradable = r.submissionProblems.isEmpty || r.tests.contains { $0.status != .error }
        let fraction = r.maxScore > 0 ? min(1, max(0, r.score / r.maxScore)) : 0
        let summary = TextEmitter.header(r).joined(separator: "\n") + "\nScore: "
            + GradingResult.points(r.score) + "/" + GradingResult.points(r.maxScore)
        let top: [(String, JSONValue)] = [
            ("gradable", .bool(gradable)),
            ("score", .num(fraction, decimals: 6)),
            ("format_errors", .array(r.submissionProblems.map { .string($0) })),
            ("message", .string(summary)),
            ("output", .string(summary)),
            ("tests", .array(r.tests.map { t in
                var output = outputLimit == Int.max ? t.output : TestRun.truncate(t.output, limit: outputLimit)
                if t.visibility != .visible {
                    // PrairieLearn shows every test of results.json to the student and has no
                    // visibility of its own: a hidden test's output (expected values, the
                    // reference's output) stays in the staff log.
                    output = "\(t.status.rawValue) (visibility \(t.visibility.rawValue): the details are for the course staff)"
                }
                return .object([
                    ("name", .string(t.name)), ("description", .string("\(t.id) (\(t.visibility.rawValue))")),
                    ("points", .num(t.score)), ("max_points", .num(t.maxScore)),
                    ("message", .string(t.status.rawValue)), ("output", .string(output)),
                ])
            })),
        ]
        return JSONValue.object(top).rendered()
    }
}
