import ArgumentParser
import REPL
import VSim

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Step through a guest program: gdb-style commands, traps and VM exits, reverse stepping.",
        discussion: """
        Interactive on GNU Readline (history in ~/.vsim_history, Tab completes commands and symbols), \
        or with --batch FILE (or a standard input that is not a terminal) one command per line, with \
        output fit for diffing. Type help inside for the commands; docs/repl.md is the guide. \
        Example: vsim repl programs/hello.s --mode trap
        """)

    @Argument(help: "An i386 ELF executable, a .s/.S source or a .c source.")
    var program: String

    @Option(name: .customLong("mode"), help: "How to run the guest: interpret, translate (with --system: the guest kernel too), or a modeled VMM mode (trap, hvm, pv).")
    var mode: Mode = .interpret

    @Option(name: .customLong("batch"), help: "Run commands from this file (- for stdin) instead of a terminal; exit 1 if one failed.")
    var batch: String?

    @Option(name: .customLong("input"), help: "The guest's stdin (default /dev/null: the terminal is the REPL's).")
    var input: String?

    @Option(name: .customLong("env"), help: "NAME=value for the guest's environment, which is otherwise empty. Repeatable.")
    var environment: [String] = []

    @OptionGroup(title: "Guest options (--max-instructions bounds each continue)")
    var guest: GuestOptions

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func validate() throws {
        // The console runs until the user says stop: a host time limit does not apply.
        if guest.timeLimit != nil {
            throw ValidationError("--time-limit does not apply to vsim repl: a session ends when you quit it; Ctrl-C stops a running command")
        }
        _ = try guest.runOptions(for: [mode])
    }

    func run() throws {
        let run = try guest.runOptions(for: [mode])
        var options = REPLOptions()
        options.mode = mode
        options.system = run.system
        options.arguments = arguments
        options.input = input
        options.environment = environment
        options.maxInstructions = run.maxInstructions
        options.cpu = run.cpu
        options.costModelPath = run.costModelPath
        options.engine = run.engine
        options.kernelSource = run.kernelSource
        options.umip = run.umip
        options.timerPeriod = run.timerPeriod
        options.seed = run.seed
        let status = REPL.main(program: program, options: options, batch: batch)
        if status != 0 { exitVSim(status) }
    }
}
