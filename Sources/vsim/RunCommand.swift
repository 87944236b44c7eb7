import ArgumentParser
import VSim

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a guest program; vsim exits with the guest's status.",
        discussion: "Guest stdin, stdout and stderr are vsim's. A guest fault ends the run with 128+signal "
            + "and one diagnostic line on stderr. Example: vsim run programs/echo.s -- hello world")

    @Argument(help: "An i386 ELF executable or a .s/.S source.")
    var program: String

    @Option(help: "How to run the guest: \(Mode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: Mode = .interpret

    @Option(help: "Stop the guest with SIGXCPU (exit 152) after this many instructions (interpret).")
    var maxInstructions: UInt64 = RunOptions.defaultMaxInstructions

    @Option(help: "Stop the guest with SIGXCPU (exit 152) after this many seconds of host time.")
    var timeLimit: Double = 60

    @Option(help: "Trace to stderr: insns (each instruction) or syscalls (strace-style) under interpret; traps (each trap or VM exit) under trap and hvm. Repeatable.")
    var trace: [TraceKind] = []

    @Flag(help: "With --mode translate: print the translator's counters to stderr at the end.")
    var stats = false

    @Flag(help: "With --mode translate: run the interpreter in lockstep and stop at the first block boundary where the state differs.")
    var check = false

    @Flag(help: "Run the guest kernel (programs/kernel/) with the program on the system-level machine (interpret, translate).")
    var system = false

    @Option(help: "With --system: guest instructions between two timer interrupts (0: no timer; default 100000).")
    var timer: UInt32?

    @Option(help: "Cost-model preset for trap and hvm: merom, nehalem, haswell, cascadelake (docs/cost-model.md).")
    var cpu: String = "haswell"

    @Option(help: "A file of `name = value` lines overriding cost-model constants (trap, hvm).")
    var costModel: String?

    @Flag(help: "Under --mode trap: set CR4.UMIP, so SGDT SIDT SLDT SMSW STR trap and are emulated.")
    var umip = false

    @Option(help: "Under trap, hvm and pv: what runs the guest, interpret (default) or translate.")
    var engine: Engine = .interpret

    @Argument(parsing: .postTerminator, help: "Arguments for the guest, after --.")
    var arguments: [String] = []

    func validate() throws {
        if (stats || check) && mode != .translate { throw ValidationError("--stats and --check need --mode translate") }
    }

    func run() throws {
        if stats || check {
            try exiting { () throws(ExitStatus) in try CommandLineFacade.runTranslated(program: program, maxInstructions: maxInstructions,
                                          timeLimit: timeLimit, stats: stats, check: check, arguments: arguments) }
            return
        }
        try exiting { () throws(ExitStatus) in try CommandLineFacade.run(program: program, mode: mode, maxInstructions: maxInstructions,
                                  timeLimit: timeLimit, traces: trace, arguments: arguments,
                                  system: system, timerPeriod: timer, cpu: cpu, costModel: costModel, umip: umip, engine: engine) }
    }
}

extension Mode: ExpressibleByArgument {}
extension TraceKind: ExpressibleByArgument {}
extension Engine: ExpressibleByArgument {}
extension Syntax: ExpressibleByArgument {}
extension ReportFormatChoice: ExpressibleByArgument {}
