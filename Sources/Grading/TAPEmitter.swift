import Descriptions
/// TAP version 14: the version line, the plan `1..N`, one `ok`/`not ok` test point per test
/// (description = id and name, `#` escaped), and for each a YAML diagnostic block (`---` … `...`,
/// indented two spaces) with id, status, points, max_points, steps, the output as `message`, and
/// `seconds` with timings. Comment lines carry the lab, the variant and the score.
public struct TAPEmitter {
    public var timings: Bool
    public init(timings: Bool = true) { self.timings = timings }

    public func render(_ r: GradingResult) -> String {
        var lines = ["TAP version 14", "1..\(r.tests.count)"]
        // One comment line per header line: a student id or a problem message with a line break
        // must not start a line of its own (`not ok ...` there would be a test point).
        lines += TextEmitter.header(r)
            .flatMap { $0.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) }
            .map { "# " + printable(String($0)) }
        for (i, t) in r.tests.enumerated() {
            let description = (t.id + " - " + t.name).map { $0 == "\n" || $0 == "\r" ? " " : $0 == "#" ? "\\#" : String($0) }
            lines.append("\(t.status == .passed ? "ok" : "not ok") \(i + 1) - \(description.joined())")
            lines.append("  ---")
            lines.append("  id: \(yamlScalar(t.id))")
            lines.append("  status: \(t.status.rawValue)")
            lines.append("  points: \(GradingResult.points(t.score))")
            lines.append("  max_points: \(GradingResult.points(t.maxScore))")
            if let s = t.steps { lines.append("  steps: \(s)") }
            if timings { lines.append("  seconds: \(NumberText.fixed(t.seconds, 3))") }
            lines.append("  message: |")
            for l in t.output.split(separator: "\n", omittingEmptySubsequences: false) {
                lines.append("    " + printable(String(l)))
            }
            lines.append("  ...")
        }
        lines.append("# Score: \(GradingResult.points(r.score))/\(GradingResult.points(r.maxScore))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar.
    func yamlScalar(_ s: String) -> String { JSONValue.quote(s) }

    /// Characters YAML does not allow in a block scalar replaced by U+FFFD.
    func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map {
            ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || $0.value == 0xFEFF ? "\u{FFFD}" : $0
        }))
    }
}
