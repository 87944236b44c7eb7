import ArgumentParser
import VSim

/// `vsim lab` and `vsim grade` as `vsim --help` lists them. `VSimCommand.main` hands these commands
/// to the `vsim-lab` executable before parsing (``LabExecutable``), so `run` is reached only where
/// argv was not seen by that check, and it hands over just the same.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: LabExecutable.Command.lab.rawValue,
                                                    abstract: LabExecutable.Command.lab.abstract)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws { exitVSim(LabExecutable.exec(["lab"] + arguments)) }
}

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: LabExecutable.Command.grade.rawValue,
                                                    abstract: LabExecutable.Command.grade.abstract)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws { exitVSim(LabExecutable.exec(["grade"] + arguments)) }
}
