import ArgumentParser
import VSim

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a guest program; vsim exits with the guest's status.",
        discussion: "Guest stdin, stdout and stderr are vsim's. A guest fault ends the run with 128+signal "
            + "and one diagnostic line on stderr. Example: vsim run programs/echo.s -- hello world")

    @Argument(help: "An i386 ELF executable, a .s/.S source or a .c source.")
    var program: String

    @Option(name: .customLong("mode"), help: "How to run the guest: \(Mode.allCases.map { $0.rawValue }.joined(separator: ", ")).")
    var mode: Mode = .interpret

    @OptionGroup(title: "Guest options")
    var guest: GuestOptions

    @Option(name: .customLong("trace"), help: "Trace to stderr: insns (each instruction) or syscalls (strace-style) under interpret and ptrace; traps (each trap, VM exit, hypercall or callout) under trap, hvm, pv, bt and unikernel. Repeatable.")
    var trace: [TraceKind] = []

    @Flag(name: .customLong("stats"), help: "With --mode translate: print the translator's counters to stderr at the end.")
    var stats = false

    @Flag(name: .customLong("check"), help: "With --mode translate: run the interpreter in lockstep and stop at the first block boundary where the state differs.")
    var check = false

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func validate() throws {
        if (stats || check) && mode != .translate { throw ValidationError("--stats and --check need --mode translate") }
        if stats || check {
            // The lockstep checker and the counters run the user-mode translator alone.
            let alone: [(Bool, String)] = [(guest.system, "--system"), (guest.timer != nil, "--timer"), (!trace.isEmpty, "--trace")]
            if let (_, name) = alone.first(where: { $0.0 }) {
                throw ValidationError("\(name) cannot go with --\(stats ? "stats" : "check"), which runs the user-mode translator alone; drop one of them")
            }
        }
        _ = try runOptions()
    }

    /// The guest options checked against the mode (``GuestOption``), `--trace` included.
    func runOptions() throws -> RunOptions {
        var options = try guest.runOptions(for: [mode], extra: Set(trace.map(GuestOption.trace)))
        options.traces = Set(trace)
        return options
    }

    func run() throws {
        let options = try runOptions()
        if stats || check {
            exiting { () throws(ExitStatus) in
                try CommandLineFacade.runTranslated(program: program, options: options, stats: stats, check: check, arguments: arguments)
            }
            return
        }
        exiting { () throws(ExitStatus) in
            try CommandLineFacade.run(program: program, mode: mode, options: options, arguments: arguments)
        }
    }
}
extension Mode: ChoiceArgument {}
extension TraceKind: ChoiceArgument {}
extension Engine: ChoiceArgument {}
extension Syntax: ChoiceArgument {}
extension ReportFormatChoice: ChoiceArgument {}
