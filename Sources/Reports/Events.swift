/// The per-mode event lines under the table: traps, VM exits and hypercalls by reason, modeled
/// cycles, start-up, where the time went, and why a mode was unavailable. Every line starts
/// with two spaces (or is a section title), so it never reads as a table row.
enum Events {
    static let kinds = ["traps", "exits", "hypercalls", "callouts", "system calls", "host calls"]

    /// The mode's total of its main event kind, e.g. (1234, "exits").
    static func total(_ s: ComparisonReport.ModeSummary) -> (count: UInt64, kind: String)? {
        for kind in kinds {
            if let c = s.events[kind], !c.isEmpty { return (c.values.reduce(0, &+), kind) }
        }
        return nil
    }

    static func sections(_ report: ComparisonReport) -> [String] {
        var lines: [String] = []
        let width = report.modes.map(\.mode.count).max() ?? 0
        func pad(_ m: String) -> String { m + String(repeating: " ", count: width - m.count) }
        let unavailable = report.modes.filter { !$0.isAvailable }
        if !unavailable.isEmpty {
            lines.append("unavailable here:")
            for s in unavailable { lines.append("  \(pad(s.mode))  \(s.unavailable!)") }
        }
        let modeled = report.modes.filter { $0.isAvailable && $0.modeledSeconds != nil }
        if !modeled.isEmpty {
            lines.append("simulator wall time of the modeled rows (vsim's own engine, the translator unless --engine interpret, running the model; not the strategy's cost):")
            for s in modeled {
                let t = s.wallTimes
                lines.append("  \(pad(s.mode))  median \(Format.duration(t.median)) [\(Format.duration(t.min)) … \(Format.duration(t.max))]"
                             + (report.slowdown(of: s).map { ", \(Format.ratio($0)) native's wall time" } ?? ""))
            }
        }
        let withEvents = report.modes.filter { s in s.isAvailable && (kinds.contains { !(s.events[$0] ?? [:]).isEmpty } || s.modeledCycles != nil) }
        if !withEvents.isEmpty {
            lines.append("events per run, by reason:")
            for s in withEvents {
                var parts: [String] = []
                for kind in kinds {
                    guard let c = s.events[kind], !c.isEmpty else { continue }
                    let list = c.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                        .map { "\($0.key) \(Format.grouped($0.value))" }.joined(separator: ", ")
                    parts.append("\(Format.grouped(c.values.reduce(0, &+))) \(kind) (\(list))")
                }
                if let cycles = s.modeledCycles {
                    parts.append("\(Format.grouped(cycles)) modeled cycles" + (s.costModel.map { " (\($0))" } ?? ""))
                }
                lines.append("  \(pad(s.mode))  " + parts.joined(separator: "; "))
            }
        }
        let host = report.modes.filter { $0.isAvailable && !($0.events["host events"] ?? [:]).isEmpty }
        for s in host {
            lines.append("host events under \(s.mode) (seen only by a real VMM):")
            for (k, v) in s.events["host events"]!.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(k): \(Format.grouped(v))")
            }
        }
        lines += systemCallCost(report, pad)
        let split = report.modes.filter { $0.isAvailable && $0.breakdown != nil }
        if !split.isEmpty {
            lines.append("where the time goes (median run):")
            for s in split {
                let b = s.breakdown!
                let total = b.total > 0 ? b.total : 1
                let parts = b.parts.filter { $0.1 > 0 }
                    .map { "\($0.0) \(Format.fixed(100 * $0.1 / total, 1))%" }.joined(separator: " · ")
                lines.append("  \(pad(s.mode))  \(parts) (\(b.basis))")
            }
        }
        return lines
    }
}

extension Events {
    /// What a traced system call costs: (median wall time of the traced mode − that of native,
    /// or of container) / the system calls it intercepted, from the medians of this one run.
    static func systemCallCost(_ report: ComparisonReport, _ pad: (String) -> String) -> [String] {
        var lines: [String] = []
        let others = ["native", "container"].compactMap { m in report.modes.first { $0.mode == m && $0.isAvailable } }
        for s in report.modes where s.isAvailable {
            guard let calls = s.events["system calls"], case let n = calls.values.reduce(0, &+), n > 0, !others.isEmpty else { continue }
            if lines.isEmpty { lines.append("cost of a traced system call (median wall time minus another mode's, divided by the calls):") }
            let parts = others.map { o in
                let extra = s.wallTimes.median - o.wallTimes.median
                // With few calls the difference drowns in the run-to-run noise: say so, not a negative cost.
                return extra > 0 ? "\(Format.duration(extra / Double(n))) against \(o.mode)"
                    : "not measurable against \(o.mode) (the traced median is not slower: noise hides \(Format.grouped(n)) calls)"
            }
            lines.append("  \(pad(s.mode))  \(Format.grouped(n)) system calls a run: " + parts.joined(separator: ", "))
        }
        return lines
    }
}

/// ANSI colours for the table on a terminal.
enum ANSI {
    static func bold(_ s: String) -> String { "\u{1B}[1m\(s)\u{1B}[0m" }
    static func dim(_ s: String) -> String { "\u{1B}[2m\(s)\u{1B}[0m" }
    static func red(_ s: String) -> String { "\u{1B}[31m\(s)\u{1B}[0m" }
    static func green(_ s: String) -> String { "\u{1B}[32m\(s)\u{1B}[0m" }
    static func yellow(_ s: String) -> String { "\u{1B}[33m\(s)\u{1B}[0m" }

    /// Colours one table cell (padding is added outside, so widths stay right).
    static func paint(_ cell: String, column: Int, summary s: ComparisonReport.ModeSummary, report: ComparisonReport) -> String {
        if !s.isAvailable { return dim(cell) }
        if column == 0 { return bold(cell) }
        if column == 5, let r = report.slowdown(of: s) {
            return r < 1.5 ? green(cell) : (r < 10 ? yellow(cell) : red(cell))
        }
        return cell
    }
}
