import ArgumentParser
import VSim

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a program under several modes and compare times and counters.",
        discussion: "Without PROG, runs the built-in benchmark `\(VSim.defaultBenchmark.name) \(VSim.defaultBenchmark.arguments.joined(separator: " "))`. "
            + "Runs are interleaved across modes after one warm-up run each. Every run reads the same stdin: "
            + "vsim's own, read once (at most 16 MiB), or nothing when it is a terminal. Guest output is not shown; "
            + "its size and SHA-256 are checked equal across all runs, as are exit statuses (exit 1 when they differ). "
            + "Export paths are checked before the first run (exit 73 when one cannot be created). At most one --export-* may be -: "
            + "it then has stdout to itself and the table goes to stderr.")

    @Argument(help: "An i386 ELF executable, a .s/.S source or a .c source (default: the built-in benchmark).")
    var program: String?

    @Option(name: .customLong("modes"), help: "Comma-separated modes to compare, or all (interpret, translate, trap, hvm, pv, bt, unikernel, kvm, ptrace, container, native).")
    var modes: String = "interpret,native"

    @Option(name: .customLong("with"), help: "An outside anchor to add: qemu-i386 (the host's QEMU user mode, beside translate).")
    var with: [String] = []

    @Option(name: .customLong("runs"), help: "Measured runs per mode (1 to \(ComparisonPlan.maxRuns)).")
    var runs: Int = 5

    @Option(name: .customLong("warmup"), help: "Unmeasured warm-up runs per mode before the measured ones (0 to \(ComparisonPlan.maxWarmup)).")
    var warmup: Int = 1

    @Option(name: .customLong("format"), help: "Format on stdout: table, json (hyperfine's fields), markdown, csv or svg.")
    var format: ReportFormatChoice = .table

    @Option(name: .customLong("export-json"), help: "Also write the report as JSON (hyperfine's fields, user and system CPU times included, plus a context block and an unavailable list) to this file; - writes only the JSON to stdout and the table to stderr.")
    var exportJson: String?

    @Option(name: .customLong("export-markdown"), help: "Also write the report as a Markdown table to this file (- for stdout alone, the table to stderr).")
    var exportMarkdown: String?

    @Option(name: .customLong("export-csv"), help: "Also write the report as CSV to this file (- for stdout alone, the table to stderr).")
    var exportCsv: String?

    @Option(name: .customLong("export-svg"), help: "Also write an SVG chart (slowdown vs native, log scale; where each mode's time goes) to this file (- for stdout alone, the table to stderr).")
    var exportSvg: String?

    @OptionGroup(title: "Guest options (each compared mode that honours one runs with it)")
    var guest: GuestOptions

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func validate() throws {
        do { try ComparisonPlan.checkCounts(runs: runs, warmup: warmup) } catch { throw ValidationError(error.description) }
        _ = try runOptions()
    }

    /// The guest options, checked against the compared modes (``GuestOption``).
    func runOptions() throws -> RunOptions {
        let modeList: [Mode]
        do { modeList = try ComparisonPlan.modes(modes, with: with) } catch { throw ValidationError(error.description) }
        return try guest.runOptions(for: modeList)
    }

    func run() throws {
        let options = try runOptions()
        exiting { () throws(ExitStatus) in
            try CommandLineFacade.compareReport(
                program: program, modes: modes, with: with, runs: runs, warmup: warmup, format: format,
                exports: CompareExports(json: exportJson, markdown: exportMarkdown, csv: exportCsv, svg: exportSvg),
                options: options, arguments: arguments)
        }
    }
}
