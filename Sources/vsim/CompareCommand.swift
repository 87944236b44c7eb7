import ArgumentParser
import VSim

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a program under several modes and compare times and counters.",
        discussion: "Without PROG, runs the built-in benchmark `\(VSim.defaultBenchmark.name) \(VSim.defaultBenchmark.arguments.joined(separator: " "))`. "
            + "Runs are interleaved across modes after one warm-up run each. Every run reads the same stdin: "
            + "vsim's own, read once (at most 16 MiB), or nothing when it is a terminal. Guest output is not shown; "
            + "its size and SHA-256 are checked equal across all runs, as are exit statuses (exit 1 when they differ).")

    @Argument(help: "An i386 ELF executable or a .s/.S source (default: the built-in benchmark).")
    var program: String?

    @Option(help: "Comma-separated modes to compare.")
    var modes: String = "interpret,native"

    @Option(help: "Measured runs per mode.")
    var runs: Int = 5

    @Option(help: "table, json (hyperfine-like fields) or markdown.")
    var format: ReportFormatChoice = .table

    @Option(help: "Instruction budget per interpreted run.")
    var maxInstructions: UInt64 = RunOptions.defaultMaxInstructions

    @Option(help: "Host time limit per run, seconds.")
    var timeLimit: Double = 60

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func run() throws {
        try exiting { () throws(ExitStatus) in try CommandLineFacade.compare(program: program, modes: modes, runs: runs, format: format,
                                      maxInstructions: maxInstructions, timeLimit: timeLimit, arguments: arguments) }
    }
}
