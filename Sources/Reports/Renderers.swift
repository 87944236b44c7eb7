/// Output formats of `vsim compare`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, json, markdown, csv, svg

    /// Renders `report` in this format (text ending in a newline).
    public func render(_ report: ComparisonReport) -> String {
        switch self {
        case .table: return TableRenderer.render(report)
        case .json: return JSONRenderer.render(report)
        case .markdown: return MarkdownRenderer.render(report)
        case .csv: return CSVRenderer.render(report)
        case .svg: return SVGRenderer.render(report)
        }
    }
}

/// The columns shared by the table and Markdown renderers.
enum Columns {
    static let titles = ["mode", "median", "[min … max]", "p90", "mean ± σ", "vs native", "guest insns", "guest MIPS",
                         "events", "start-up", "max RSS"]

    static func cells(_ s: ComparisonReport.ModeSummary, in report: ComparisonReport) -> [String] {
        guard s.isAvailable else {
            return [s.mode, "unavailable"] + [String](repeating: "-", count: titles.count - 2)
        }
        let t = s.wallTimes
        var insns = s.instructions.map { Format.grouped($0) } ?? "-"
        if s.instructionsFromOtherMode && s.instructions != nil { insns += "*" }
        let mips = s.mips.map { Format.fixed($0, 1) } ?? "-"
        var slow = report.slowdown(of: s).map { Format.ratio($0) } ?? "-"
        if let e = report.slowdownStandardDeviation(of: s), s.mode != report.baselineMode {
            slow += " ± " + Format.fixed(e, e >= 10 ? 0 : (e >= 1 ? 1 : 2))
        }
        let rss = s.maxResidentBytes.map { Format.mebibytes($0) } ?? "-"
        let events = Events.total(s).map { "\(Format.grouped($0.count)) \($0.kind)" } ?? "-"
        let startup = s.startupTimes.map { Format.duration($0.median) } ?? "-"
        if let m = s.modeledSeconds {
            // A modeled row: its cost is the model's (deterministic: no spread); the simulator's
            // wall time is listed apart under the table.
            let modeledMIPS = s.instructions.map { Format.fixed(Double($0) / m / 1e6, 1) } ?? "-"
            return [s.mode + (s.disagrees ? " !" : ""), Format.duration(m) + " m", "-", "-", "-",
                    s.modeledSlowdown.map { Format.ratio($0) + " m" } ?? "-", insns, modeledMIPS, events, startup, rss]
        }
        return [s.mode + (s.disagrees ? " !" : ""), Format.duration(t.median),
                "[" + Format.duration(t.min) + " … " + Format.duration(t.max) + "]", Format.duration(t.percentile(90)),
                Format.duration(t.mean) + " ± " + Format.duration(t.standardDeviation), slow, insns, mips, events, startup, rss]
    }

    static func headerLines(_ h: ComparisonReport.Header) -> [String] {
        let seed = h.seed.map { "; seed \($0)" } ?? ""
        return ["vsim \(h.vsimVersion) compare: \(h.shownCommandLine), \(h.runs) run\(h.runs == 1 ? "" : "s") per mode after \(h.warmup) warm-up, interleaved",
                "host: \(h.hostCPU); kernel \(h.kernel); \(h.date)\(seed)"]
    }

    static let footnote = "* counted by another mode: the guest executes the same instructions whatever runs it"
    static let modeledFootnote = "m modeled: the VMM's modeled cycles at the preset CPU's clock, and their ratio to the program's own instructions at the model's cycles per instruction; vsim's simulator time for these rows is listed apart below"
    static let disagreeFootnote = "! exit status or output differ between runs (see MISMATCH): no MIPS, and no slowdowns for any mode"

    /// "native and qemu ran without --root (they do not honour it)", one line per option that
    /// some compared modes ignored (``ComparisonReport/ModeSummary/optionsNotHonoured``).
    static func optionNotes(_ report: ComparisonReport) -> [String] {
        var modesByOption: [String: [String]] = [:]
        for s in report.modes { for o in s.optionsNotHonoured { modesByOption[o, default: []].append(s.mode) } }
        return modesByOption.keys.sorted().map { option in
            let modes = modesByOption[option]!
            let list = modes.count == 1 ? modes[0] : modes.dropLast().joined(separator: ", ") + " and " + modes.last!
            return "\(list) ran without \(option) (\(modes.count == 1 ? "it does" : "they do") not honour it; see vsim run --help)"
        }
    }

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
    /// - Parameter color: ANSI colours (for a terminal): mode names bold, slowdowns green to red,
    ///   unavailable rows dim, mismatches red.
    public static func render(_ report: ComparisonReport, color: Bool = false) -> String {
        var out = Columns.headerLines(report.header).joined(separator: "\n") + "\n\n"
        let rows = [Columns.titles] + report.modes.map { Columns.cells($0, in: report) }
        var widths = [Int](repeating: 0, count: Columns.titles.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for (r, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let shown = color && r > 0 ? ANSI.paint(cell, column: i, summary: report.modes[r - 1], report: report) : cell
                line += i == 0 ? shown + pad : "  " + pad + shown      // first column left, others right-aligned
            }
            out += line + "\n"
            if r == 0 { out += widths.enumerated().map { String(repeating: "-", count: $0.element) }.joined(separator: "  ") + "\n" }
        }
        if report.modes.contains(where: { $0.instructionsFromOtherMode && $0.instructions != nil }) {
            out += Columns.footnote + "\n"
        }
        if report.modes.contains(where: \.disagrees) { out += Columns.disagreeFootnote + "\n" }
        if report.modes.contains(where: { $0.modeledSeconds != nil }) { out += Columns.modeledFootnote + "\n" }
        for note in Columns.optionNotes(report) + Columns.statusNotes(report) { out += "note: \(note)\n" }
        for line in Events.sections(report) { out += line + "\n" }
        for m in report.mismatches { out += (color ? ANSI.red("MISMATCH") : "MISMATCH") + ": \(m)\n" }
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
        if report.modes.contains(where: { $0.modeledSeconds != nil }) { out += "\n" + Columns.modeledFootnote + "\n" }
        for note in Columns.optionNotes(report) + Columns.statusNotes(report) { out += "\nNote: \(note)\n" }
        let sections = Events.sections(report)
        if !sections.isEmpty { out += "\n```\n" + sections.joined(separator: "\n") + "\n```\n" }
        if !report.mismatches.isEmpty {
            out += "\n> **MISMATCH**\n"
            for m in report.mismatches { out += "> - \(m.replacingPipes())\n" }
        }
        return out
    }
}

/// JSON in hyperfine's shape, so hyperfine's scripts (whisker plots, histograms, Welch's t-test)
/// read it unchanged: `results[]`, one per mode that ran, with hyperfine's fields `command`,
/// `mean`, `stddev`, `median`, `user`, `system`, `min`, `max` (seconds), `times` (seconds, one
/// per run), `exit_codes` and `parameters` (`{"mode": ...}`, as `hyperfine -L mode ...` would
/// write), plus vsim's own: `mode`, `p90`, `instructions`, `instructions_from_other_mode`,
/// `disagrees`, `mips`, `slowdown`, `slowdown_stddev`, `traps`, `exits`, `hypercalls`,
/// `host_events`, `modeled_cycles`, `cost_model`, `startup`, `startup_times`, `breakdown`,
/// `max_rss_bytes`, `options_not_honoured` (the given options the mode ran without, when any). A mode that could not run is not a result: it is listed in the top-level
/// `unavailable` array as `{"mode", "command", "reason"}`. The top-level `context` object holds
/// the header (version, host, kernel, date, seed, program, runs, warm-up, modes, baseline,
/// mismatches); `vsim` is the same object under its old name. The document holds no `null`: a
/// value vsim does not know (no seed, no instruction count under native, no baseline, no CPU
/// times) is left out.
public enum JSONRenderer {
    public static func render(_ report: ComparisonReport) -> String {
        let h = report.header
        var contextFields = [
            "\"version\": \(quote(h.vsimVersion))",
            "\"host_cpu\": \(quote(h.hostCPU))",
            "\"kernel\": \(quote(h.kernel))",
            "\"date\": \(quote(h.date))",
        ]
        if let seed = h.seed { contextFields.append("\"seed\": \(seed)") }
        contextFields += [
            "\"program\": \(quote(h.program))",
            "\"arguments\": [\(h.arguments.map(quote).joined(separator: ", "))]",
            "\"runs\": \(h.runs)",
            "\"warmup\": \(h.warmup)",
            "\"modes\": [\(report.modes.map { quote($0.mode) }.joined(separator: ", "))]",
        ]
        if let base = report.baselineMode { contextFields.append("\"baseline\": \(quote(base))") }
        contextFields.append("\"mismatches\": [\(report.mismatches.map(quote).joined(separator: ", "))]")
        let context = "{\n    " + contextFields.joined(separator: ",\n    ") + "\n  }"
        var out = "{\n  \"context\": \(context),\n  \"vsim\": \(context),\n  \"results\": [\n"
        out += report.modes.filter(\.isAvailable).map { s -> String in
            let t = s.wallTimes
            var fields: [String] = []
            func add(_ key: String, _ value: String?) { if let value { fields.append("\"\(key)\": \(value)") } }
            add("command", quote(s.command))
            add("mean", number(t.mean))
            add("stddev", number(t.standardDeviation))
            add("median", number(t.median))
            add("user", s.userTimes.flatMap { number($0.mean) })
            add("system", s.systemTimes.flatMap { number($0.mean) })
            add("min", number(t.min))
            add("max", number(t.max))
            add("times", "[" + t.values.compactMap(number).joined(separator: ", ") + "]")
            add("exit_codes", "[" + s.exitStatuses.map { String($0) }.joined(separator: ", ") + "]")
            add("parameters", "{\"mode\": \(quote(s.mode))}")
            add("mode", quote(s.mode))
            add("p90", number(s.p90))
            add("instructions", s.instructions.map { String($0) })
            add("instructions_from_other_mode", "\(s.instructionsFromOtherMode)")
            add("disagrees", "\(s.disagrees)")
            add("mips", s.mips.flatMap(number))
            add("slowdown", report.slowdown(of: s).flatMap(number))
            add("slowdown_stddev", report.slowdownStandardDeviation(of: s).flatMap(number))
            add("max_rss_bytes", s.maxResidentBytes.map { String($0) })
            if !s.optionsNotHonoured.isEmpty { add("options_not_honoured", "[" + s.optionsNotHonoured.map(quote).joined(separator: ", ") + "]") }
            for (key, kind) in [("traps", "traps"), ("exits", "exits"), ("hypercalls", "hypercalls"), ("host_calls", "host calls"), ("host_events", "host events")] {
                add(key, counts(s.events[kind] ?? [:]))
            }
            add("modeled_cycles", s.modeledCycles.map { String($0) })
            add("modeled_seconds", s.modeledSeconds.flatMap(number))
            add("modeled_slowdown", s.modeledSlowdown.flatMap(number))
            add("cost_model", s.costModel.map(quote))
            add("startup", s.startupTimes.flatMap { number($0.median) })
            add("startup_times", s.startupTimes.map { "[" + $0.values.compactMap(number).joined(separator: ", ") + "]" })
            if let b = s.breakdown {
                let parts = zip(["guest", "exits", "vmm", "startup"], [b.guest, b.exits, b.vmm, b.startup])
                    .map { "\"\($0.0)\": \(number($0.1) ?? "0")" }.joined(separator: ", ")
                add("breakdown", "{\(parts), \"basis\": \(quote(b.basis))}")
            }
            return "    {\n      " + fields.joined(separator: ",\n      ") + "\n    }"
        }.joined(separator: ",\n")
        out += "\n  ],\n  \"unavailable\": ["
        let missing = report.modes.filter { !$0.isAvailable }
        if !missing.isEmpty {
            out += "\n" + missing.map { s in
                "    {\"mode\": \(quote(s.mode)), \"command\": \(quote(s.command)), \"reason\": \(quote(s.unavailable ?? ""))}"
            }.joined(separator: ",\n") + "\n  "
        }
        out += "]\n}\n"
        return out
    }

    static func counts(_ c: [String: UInt64]) -> String {
        "{" + c.keys.sorted().map { "\(quote($0)): \(c[$0]!)" }.joined(separator: ", ") + "}"
    }

    /// A JSON number, or nil for NaN and infinities (JSON has none).
    static func number(_ x: Double) -> String? {
        guard x.isFinite else { return nil }
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
