import Reports
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Where `vsim compare` writes each report format (hyperfine's `--export-*` options): a file
/// path, or `-` for stdout (at most one format may take stdout; the `--format` report then goes
/// to stderr).
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

    /// (option name, path, format) for every export asked for, in option order.
    var requested: [(option: String, path: String, format: ReportFormat)] {
        [("--export-json", json, ReportFormat.json), ("--export-markdown", markdown, .markdown),
         ("--export-csv", csv, .csv), ("--export-svg", svg, .svg)].compactMap { o, p, f in p.map { (o, $0, f) } }
    }

    /// The export that takes stdout (`-`), if any.
    var standardOutput: (option: String, format: ReportFormat)? {
        requested.first { $0.path == "-" }.map { ($0.option, $0.format) }
    }

    /// Checks, before any run, that the exports can be written: at most one of them is `-`
    /// (``VSimError/usage(_:)``, exit 64), and each file can really be written
    /// (``VSimError/host(_:status:)`` with status 73, EX_CANTCREAT, naming the option and the
    /// path), the way compare writes it: opened and written in place
    /// (``OutputFileCheck/Strategy/inPlace``: an existing file opened without truncating it and
    /// given a write of zero bytes, a missing one created and removed again). Nothing is left or
    /// changed. An export that names the same file (``FileIdentity``) as another export, as one
    /// of `inputs` (the program, the `--cost-model` file: what each is, and its path) or as the
    /// file on vsim's stdin, which compare reads, is a usage error too: writing it would replace
    /// that file.
    public func check(inputs: [(what: String, path: String)] = []) throws(VSimError) {
        let toStdout = requested.filter { $0.path == "-" }
        if toStdout.count > 1 {
            throw .usage("\(toStdout.map(\.option).joined(separator: " - and ")) - would both write to stdout; give one of them a file name")
        }
        var named: [FileIdentity: String] = [:]
        for (what, path) in inputs { if let id = FileIdentity(path) { named[id] = "\(what) \(path)" } }
        if let id = FileIdentity(descriptor: 0) { named[id] = named[id] ?? "the file on vsim's stdin" }
        for (option, path, _) in requested where path != "-" {
            guard let id = FileIdentity(path) else { continue }
            if let other = named[id] {
                throw .usage("\(option) \(path) is \(other): writing the report there would replace it; choose another path")
            }
            named[id] = "the file \(option) \(path) writes"
        }
        for (option, path, _) in requested where path != "-" {
            func refuse(_ why: String) -> VSimError {
                .host("\(option) \(path): the output file cannot be created: \(why); choose another path", status: 73)
            }
            func reason(_ e: Int32) -> String { e == ENXIO ? "it is a FIFO that no process reads" : String(cString: strerror(e)) }
            do throws(OutputFileCheck.Failure) {
                try OutputFileCheck.check(path, .inPlace)
            } catch {
                switch error {
                case .directory: throw refuse("it is a directory")
                case .open(let e): throw refuse(reason(e))
                case .write(let e): throw refuse("a write to it fails (\(reason(e)))")
                case .stat(let e): throw refuse(String(cString: strerror(e)))
                case .folderMissing(let dir, let e): throw refuse("its directory \(dir) does not exist (\(String(cString: strerror(e))))")
                case .folderNotDirectory(let dir): throw refuse("\(dir) is not a directory")
                case .create(let dir, let e): throw refuse("it cannot be created in \(dir) (\(String(cString: strerror(e))))")
                }
            }
        }
    }
}

extension CommandLineFacade {
    /// `vsim compare` as the full report: the table (or `format`) on stdout, colours only on a
    /// terminal (and not with NO_COLOR), a progress line on stderr while runs go on (terminal
    /// only), each `--export-*` written to its file. An export to `-` takes stdout for itself
    /// alone (so `--export-json -` pipes into `jq` or Python's `json`), and the table then goes
    /// to stderr; with `--format` other than table as well, both would need stdout: usage error.
    /// The exports are checked (``CompareExports/check()``) before the first run. Throws
    /// ``ExitStatus`` 1 when runs disagreed, 64 for a usage error, 73 when an export file cannot
    /// be created.
    public static func compareReport(program: String?, modes: String, with extra: [String], runs: Int, warmup: Int,
                                     format: ReportFormatChoice, exports: CompareExports, options: RunOptions,
                                     arguments: [String]) throws(ExitStatus) {
        var inputs: [(what: String, path: String)] = []
        if let program { inputs.append(("the program", program)) }
        if let model = options.costModelPath { inputs.append(("the --cost-model file", model)) }
        do { try exports.check(inputs: inputs) } catch { throw fail(error) }
        if let taken = exports.standardOutput, format != .table {
            throw fail(.usage("\(taken.option) - and --format \(format.rawValue) would both write to stdout; drop --format or give \(taken.option) a file name"))
        }
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
        // The table goes where stdout is free: to stderr when an export took stdout.
        let tableOnStderr = exports.standardOutput != nil
        let color = isatty(tableOnStderr ? 2 : 1) != 0 && getenv("NO_COLOR") == nil
        let main = format == .table ? TableRenderer.render(report, color: color) : format.format.render(report)
        if tableOnStderr { writeStandardError(main) } else { writeStandardOutput(main) }
        for (option, path, fmt) in exports.requested {
            let text = fmt.render(report)
            if path == "-" { writeStandardOutput(text); continue }
            do { try writeFile(path, text, option: option) } catch { throw fail(error) }
        }
        if !report.mismatches.isEmpty {
            writeStandardError("vsim: error: the runs disagree (\(report.mismatches.count) mismatch\(report.mismatches.count == 1 ? "" : "es")): "
                               + report.mismatches[0] + "\n")
            throw ExitStatus(1)
        }
    }

    /// Writes an export; a file this call created and could not write whole is removed again.
    static func writeFile(_ path: String, _ text: String, option: String) throws(VSimError) {
        var st = stat()
        let existed = stat(path, &st) == 0
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .host("\(option) \(path): the output file cannot be created: \(String(cString: strerror(errno)))", status: 73) }
        let failure = HostIO.writeAll(fd, text)
        close(fd)
        if let code = failure {
            if !existed { unlink(path) }
            throw .host("\(option) \(path): cannot write the output file: \(HostError.describe(code))", status: 73)
        }
    }
}
