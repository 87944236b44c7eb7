import ArgumentParser
import VSim

/// The `vsim-lab` executable: `vsim lab` and `vsim grade`, which `vsim` execs with its own arguments
/// (``LabExecutable``). Its root command is named `vsim` so that help, usage and errors read as
/// vsim's; run directly, `vsim-lab lab list` does the same as `vsim lab list`.
@main
struct VSimLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsim",
        abstract: "vsim's lab and grade commands (run them as `vsim lab` and `vsim grade`; `vsim --help` lists the rest).",
        version: VSim.version,
        subcommands: [LabCommand.self, GradeCommand.self]
    )

    static func main() {
        StandardDescriptors.reserve()
        main(nil)
    }
}
