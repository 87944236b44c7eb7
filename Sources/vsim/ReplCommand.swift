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

    @Argument(help: "An i386 ELF executable or a .s/.S source.")
    var program: String

    @Option(help: "How to run the guest: interpret, translate, or a modeled VMM mode (trap, hvm, pv).")
    var mode: Mode = .interpret

    @Flag(help: "With --mode interpret: the guest kernel and the program on the system-level machine.")
    var system = false

    @Option(help: "Run commands from this file (- for stdin) instead of a terminal; exit 1 if one failed.")
    var batch: String?

    @Option(help: "The guest's stdin (default /dev/null: the terminal is the REPL's).")
    var input: String?

    @Option(name: .customLong("env"), help: "NAME=value for the guest's environment, which is otherwise empty. Repeatable.")
    var environment: [String] = []

    @Option(help: "Instructions one continue may run before it stops (default 100000000).")
    var maxInstructions: UInt64 = 100_000_000

    @Option(help: "Cost-model preset for the VMM modes: merom, nehalem, haswell, cascadelake.")
    var cpu: String = "haswell"

    @Flag(help: "Under --mode trap: set CR4.UMIP.")
    var umip = false

    @Option(help: "With the guest kernel: guest instructions between two timer interrupts (0: none).")
    var timer: UInt32?

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func run() throws {
        var options = REPLOptions()
        options.mode = mode
        options.system = system
        options.arguments = arguments
        options.input = input
        options.environment = environment
        options.maxInstructions = maxInstructions
        options.cpu = cpu
        options.umip = umip
        options.timerPeriod = timer
        let status = REPL.main(program: program, options: options, batch: batch)
        if status != 0 { throw ExitCode(status) }
    }
}
