/// Output formats of `vsim compare`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, json, markdown

    /// Renders `report` in this format (text ending in a newline).
    public func render(_ report: ComparisonReport) -> String {
        switch self {
        case .table: return TableRenderer.render(report)
        case .json: return JSONRenderer.render(report)
        case .markdown: return MarkdownRenderer.render(report)
        }
    }
}

/// The columns shared by the table and Markdown renderers.
enum Columns {
    static let titles = ["mode", "median", "min", "max", "±σ", "guest insns", "guest MIPS", "vs native", "max RSS"]

    static func cells(_ s: ComparisonReport.ModeSummary, in report: ComparisonReport) -> [String] {
        let t = s.wallTimes
        var insns = s.instructions.map { Format.grouped($0) } ?? "-"
        if s.instructionsFromOtherMode && s.instructions != nil { insns += "*" }
        let mips = s.mips.map { Format.fixed($0, 1) } ?? "-"
        let slow = report.slowdown(of: s).map { Format.ratio($0) } ?? "-"
        let rss = s.maxResidentBytes.map { Format.mebibytes($0) } ?? "-"
        return [s.mode + (s.disagrees ? " !" : ""), Format.duration(t.median), Format.duration(t.min), Format.duration(t.max),
                Format.duration(t.standardDeviation), insns, mips, slow, rss]
    }

    static func headerLines(_ h: ComparisonReport.Header) -> [String] {
        let args = h.arguments.isEmpty ? "" : " " + h.arguments.joined(separator: " ")
        return ["vsim \(h.vsimVersion) compare: \(h.program)\(args), \(h.runs) run\(h.runs == 1 ? "" : "s") per mode, interleaved",
                "host: \(h.hostCPU); kernel \(h.kernel); \(h.date)"]
    }

    static let footnote = "* counted by another mode: the guest executes the same instructions whatever runs it"
    static let disagreeFootnote = "! exit status or output differ between runs (see MISMATCH): no MIPS, and no slowdowns for any mode"

    /// "interpret runs exited with status 136" for every mode whose runs did not all exit 0.
    static func statusNotes(_ report: ComparisonReport) -> [String] {
        report.modes.compactMap { s in
            let distinct = Array(Set(s.exitStatuses)).sorted()
            guard distinct != [0], !distinct.isEmpty else { return nil }
            return "\(s.mode) runs exited with status \(distinct.map(String.init).joined(separator: ", "))"
        }
    }
}

/// Aligned plain-text table: a two-line header, the table, then any mismatches in capitals.
public enum TableRenderer {
    public static func render(_ report: ComparisonReport) -> String {
        var out = Columns.headerLines(report.header).joined(separator: "\n") + "\n\n"
        let rows = [Columns.titles] + report.modes.map { Columns.cells($0, in: report) }
        var widths = [Int](repeating: 0, count: Columns.titles.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for (r, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += i == 0 ? cell + pad : "  " + pad + cell      // first column left, others right-aligned
            }
            out += line + "\n"
            if r == 0 { out += widths.enumerated().map { String(repeating: "-", count: $0.element) }.joined(separator: "  ") + "\n" }
        }
        if report.modes.contains(where: { $0.instructionsFromOtherMode && $0.instructions != nil }) {
            out += Columns.footnote + "\n"
        }
        if report.modes.contains(where: \.disagrees) { out += Columns.disagreeFootnote + "\n" }
        for note in Columns.statusNotes(report) { out += "note: \(note)\n" }
        for m in report.mismatches { out += "MISMATCH: \(m)\n" }
        return out
    }
}

/// GitHub-flavoured Markdown: the header as a paragraph, then a pipe table.
public enum MarkdownRenderer {
    public static func render(_ report: ComparisonReport) -> String {
        var out = Columns.headerLines(report.header).map { $0 + "  " }.joined(separator: "\n") + "\n\n"
        out += "| " + Columns.titles.joined(separator: " | ") + " |\n"
        out += "|" + Columns.titles.enumerated().map { $0.offset == 0 ? ":---|" : "---:|" }.joined() + "\n"
        for s in report.modes {
            out += "| " + Columns.cells(s, in: report).map { $0.replacingPipes() }.joined(separator: " | ") + " |\n"
        }
        if report.modes.contains(where: { $0.instructionsFromOtherMode && $0.instructions != nil }) {
            out += "\n\\" + Columns.footnote + "\n"
        }
        if report.modes.contains(where: \.disagrees) { out += "\n" + Columns.disagreeFootnote + "\n" }
        for note in Columns.statusNotes(report) { out += "\nNote: \(note)\n" }
        if !report.mismatches.isEmpty {
            out += "\n> **MISMATCH**\n"
            for m in report.mismatches { out += "> - \(m.replacingPipes())\n" }
        }
        return out
    }
}

/// JSON in hyperfine's shape (`results[]` with `command`, `mean`, `stddev`, `median`, `min`, `max`,
/// `times`, `exit_codes`, all times in seconds) plus vsim's own fields (`mode`, `instructions`,
/// `instructions_from_other_mode`, `disagrees`, `mips`, `slowdown`, `max_rss_bytes`) and a top-level `vsim`
/// object with the header and `mismatches`.
public enum JSONRenderer {
    public static func render(_ report: ComparisonReport) -> String {
        let h = report.header
        var out = "{\n  \"vsim\": {\n"
        out += "    \"version\": \(quote(h.vsimVersion)),\n"
        out += "    \"host_cpu\": \(quote(h.hostCPU)),\n"
        out += "    \"kernel\": \(quote(h.kernel)),\n"
        out += "    \"date\": \(quote(h.date)),\n"
        out += "    \"program\": \(quote(h.program)),\n"
        out += "    \"arguments\": [\(h.arguments.map(quote).joined(separator: ", "))],\n"
        out += "    \"runs\": \(h.runs),\n"
        out += "    \"baseline\": \(report.baselineMode.map(quote) ?? "null"),\n"
        out += "    \"mismatches\": [\(report.mismatches.map(quote).joined(separator: ", "))]\n"
        out += "  },\n  \"results\": [\n"
        out += report.modes.map { s -> String in
            let t = s.wallTimes
            var fields: [String] = []
            fields.append("\"command\": \(quote(s.command))")
            fields.append("\"mode\": \(quote(s.mode))")
            fields.append("\"mean\": \(number(t.mean))")
            fields.append("\"stddev\": \(number(t.standardDeviation))")
            fields.append("\"median\": \(number(t.median))")
            fields.append("\"min\": \(number(t.min))")
            fields.append("\"max\": \(number(t.max))")
            fields.append("\"times\": [\(t.values.map(number).joined(separator: ", "))]")
            fields.append("\"exit_codes\": [\(s.exitStatuses.map { String($0) }.joined(separator: ", "))]")
            fields.append("\"instructions\": \(s.instructions.map { String($0) } ?? "null")")
            fields.append("\"instructions_from_other_mode\": \(s.instructionsFromOtherMode)")
            fields.append("\"disagrees\": \(s.disagrees)")
            fields.append("\"mips\": \(s.mips.map(number) ?? "null")")
            fields.append("\"slowdown\": \(report.slowdown(of: s).map(number) ?? "null")")
            fields.append("\"max_rss_bytes\": \(s.maxResidentBytes.map { String($0) } ?? "null")")
            return "    {\n      " + fields.joined(separator: ",\n      ") + "\n    }"
        }.joined(separator: ",\n")
        out += "\n  ]\n}\n"
        return out
    }

    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        return "\(x)"
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

extension String {
    func replacingPipes() -> String {
        var out = ""
        for c in self { out += c == "|" ? "\\|" : String(c) }
        return out
    }
}
