import Reports
#if canImport(Glibc)
import Glibc
#endif

/// Where `vsim compare` writes each report format (hyperfine's `--export-*` options).
public struct CompareExports: Sendable {
    public var json: String?
    public var markdown: String?
    public var csv: String?
    public var svg: String?
    public init(json: String? = nil, markdown: String? = nil, csv: String? = nil, svg: String? = nil) {
        self.json = json
        self.markdown = markdown
        self.csv = csv
        self.svg = svg
    }
}

extension CommandLineFacade {
    /// `vsim compare` as the full report: the table (or `format`) on stdout, colours only on a
    /// terminal (and not with NO_COLOR), a progress line on stderr while runs go on (terminal
    /// only), each `--export-*` written to its file (`-` for stdout). Throws ``ExitStatus`` 1
    /// when runs disagreed.
    public static func compareReport(program: String?, modes: String, with extra: [String], runs: Int, warmup: Int,
                                     format: ReportFormatChoice, exports: CompareExports, options: RunOptions,
                                     arguments: [String]) throws(ExitStatus) {
        var plan: ComparisonPlan
        do {
            plan = ComparisonPlan(program: program.map { .path($0) }, modes: try ComparisonPlan.modes(modes, with: extra))
        } catch { throw fail(error) }
        plan.runs = runs
        plan.warmup = warmup
        plan.arguments = arguments.isEmpty ? nil : arguments
        plan.options = options
        do { plan.input = try compareInput() } catch { throw fail(error) }
        let tty = isatty(2) != 0
        let report: ComparisonReport
        do {
            report = try VSim.runComparison(plan) { done, total, mode, run, runs in
                guard tty else { return }
                let what = run <= 0 ? "warm-up" : "run \(run)/\(runs)"
                writeStandardError("\r\u{1B}[K[\(done + 1)/\(total)] \(mode) \(what)")
            }
        } catch {
            if tty { writeStandardError("\r\u{1B}[K") }
            throw fail(error)
        }
        if tty { writeStandardError("\r\u{1B}[K") }
        let color = isatty(1) != 0 && getenv("NO_COLOR") == nil
        let main = format == .table ? TableRenderer.render(report, color: color) : format.format.render(report)
        writeStandardOutput(main)
        for (path, fmt) in [(exports.json, ReportFormat.json), (exports.markdown, .markdown), (exports.csv, .csv), (exports.svg, .svg)] {
            guard let path else { continue }
            let text = fmt.render(report)
            if path == "-" { writeStandardOutput(text); continue }
            do { try writeFile(path, text) } catch { throw fail(error) }
        }
        if !report.mismatches.isEmpty {
            writeStandardError("vsim: error: the runs disagree (\(report.mismatches.count) mismatch\(report.mismatches.count == 1 ? "" : "es")): "
                               + report.mismatches[0] + "\n")
            throw ExitStatus(1)
        }
    }

    static func writeFile(_ path: String, _ text: String) throws(VSimError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .host("cannot write \(path): \(String(cString: strerror(errno)))", status: 73) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .host("cannot write \(path): \(String(cString: strerror(errno)))", status: 73) }
            done += n
        }
    }
}
