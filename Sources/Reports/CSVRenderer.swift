/// RFC 4180 CSV, one row per mode, times in seconds. Events are `reason=count` pairs joined by
/// `;` in one field per kind. An unavailable mode has `available` false, its reason, and empty
/// measurements. `basis` says what `mean`...`slowdown` are for the row: `measured` (wall time of
/// the run) for every row, and a modeled row (trap, hvm, pv, bt, unikernel) also has
/// `modeled_seconds` (its modeled cycles at the preset CPU's clock) and `modeled_slowdown` (their
/// ratio to the program's own instructions at the model's cycles per instruction), the cost the
/// table shows for it; the wall-time columns of such a row are the simulator's own time.
public enum CSVRenderer {
    public static let columns = ["mode", "available", "unavailable_reason", "command", "mean", "stddev", "median", "min", "max",
                                 "p90", "slowdown", "slowdown_stddev", "instructions", "mips", "traps", "exits", "hypercalls",
                                 "modeled_cycles", "cost_model", "startup", "max_rss_bytes", "exit_codes",
                                 "basis", "modeled_seconds", "modeled_slowdown"]

    public static func render(_ report: ComparisonReport) -> String {
        var out = columns.joined(separator: ",") + "\r\n"
        for s in report.modes {
            let t = s.wallTimes
            let ok = s.isAvailable
            func n(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
            func events(_ kind: String) -> String {
                (s.events[kind] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            }
            let row: [String] = [
                s.mode, ok ? "true" : "false", s.unavailable ?? "", s.command,
                ok ? n(t.mean) : "", ok ? n(t.standardDeviation) : "", ok ? n(t.median) : "", ok ? n(t.min) : "",
                ok ? n(t.max) : "", ok ? n(s.p90) : "", n(report.slowdown(of: s)), n(report.slowdownStandardDeviation(of: s)),
                s.instructions.map { String($0) } ?? "", n(s.mips), events("traps"), events("exits"), events("hypercalls"),
                s.modeledCycles.map { String($0) } ?? "", s.costModel ?? "", n(s.startupTimes?.median),
                s.maxResidentBytes.map { String($0) } ?? "", s.exitStatuses.map { String($0) }.joined(separator: ";"),
                s.modeledSeconds == nil ? "measured" : "modeled", n(s.modeledSeconds), n(s.modeledSlowdown),
            ]
            out += row.map(field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = "\""
        for c in s { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }
}
