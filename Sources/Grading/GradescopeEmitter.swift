/// Gradescope's `results.json` (autograder specs): top-level `score`, `execution_time` (seconds,
/// a number; only with timings), `output`, `output_format`, `stdout_visibility`, `extra_data`, and
/// `tests[]` with `name`, `number`, `score`, `max_score`, `status` (`passed`/`failed`; an
/// errored test is `failed` with its message), `output`, `output_format`, `name_format`,
/// `visibility`, `tags`, `extra_data` (test id, steps, vsim status).
public struct GradescopeEmitter {
    public var timings: Bool
    public init(timings: Bool = true) { self.timings = timings }

    public func render(_ r: GradingResult) -> String {
        var top: [(String, JSONValue)] = [("score", .num(r.score))]
        if timings { top.append(("execution_time", .num(r.seconds, decimals: 3))) }
        top.append(("output", .string(TextEmitter.header(r).joined(separator: "\n") + "\nScore: "
            + GradingResult.points(r.score) + "/" + GradingResult.points(r.maxScore))))
        top.append(("output_format", .string("text")))
        top.append(("test_output_format", .string("text")))
        top.append(("test_name_format", .string("text")))
        top.append(("stdout_visibility", .string("hidden")))
        top.append(("extra_data", .object([("lab", .string(r.labID)), ("seed", .string(String(r.variant.seed))),
                                           ("vsim", .string(r.vsimVersion))])))
        top.append(("tests", .array(r.tests.map { t in
            var fields: [(String, JSONValue)] = [
                ("name", .string(t.name)), ("number", .string(String(t.number))),
                ("score", .num(t.score)), ("max_score", .num(t.maxScore)),
                ("status", .string(t.status == .passed ? "passed" : "failed")),
                ("output", .string(t.output)), ("output_format", .string("text")), ("name_format", .string("text")),
                ("visibility", .string(t.visibility.rawValue)), ("tags", .array(t.tags.map { .string($0) })),
            ]
            var extra: [(String, JSONValue)] = [("id", .string(t.id)), ("vsim_status", .string(t.status.rawValue))]
            if let s = t.steps { extra.append(("steps", .number(String(s)))) }
            fields.append(("extra_data", .object(extra)))
            return .object(fields)
        })))
        return JSONValue.object(top).rendered()
    }
}
