/// The formats `vsim grade --format` writes.
public enum ResultFormat: String, CaseIterable, Sendable {
    /// A `make grade`-style report for people.
    case text
    /// Gradescope's `results.json`.
    case gradescope
    /// PrairieLearn's external grader `results.json`.
    case prairielearn
    /// JUnit XML (GitLab, Jenkins, most CI systems).
    case junit
    /// TAP version 14 (`prove`).
    case tap
    /// GitHub Classroom's runner result: one base64 line for `$GITHUB_OUTPUT` and its reporter.
    case classroom

    /// Renders `result`. With `timings` false no field that varies between two gradings of the
    /// same submission is written (host seconds), so the output is byte-identical every time;
    /// with it true the only varying fields are: text `(0.3s)`, Gradescope `execution_time`,
    /// JUnit `time`, TAP `seconds`, Classroom `duration` (PrairieLearn has none).
    public func render(_ result: GradingResult, timings: Bool = true) -> String {
        switch self {
        case .text: return TextEmitter(timings: timings).render(result)
        case .gradescope: return GradescopeEmitter(timings: timings).render(result)
        case .prairielearn: return PrairieLearnEmitter().render(result)
        case .junit: return JUnitEmitter(timings: timings).render(result)
        case .tap: return TAPEmitter(timings: timings).render(result)
        case .classroom: return ClassroomEmitter(timings: timings).render(result)
        }
    }
}
