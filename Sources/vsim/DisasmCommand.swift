import ArgumentParser
import VSim

struct DisasmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Disassemble a guest program's executable sections in objdump -d's layout.")

    @Argument(help: "An i386 ELF executable, a .s/.S source or a .c source.")
    var program: String

    @Option(name: .customLong("syntax"), help: "att (objdump -d) or intel (objdump -d -M intel).")
    var syntax: Syntax = .att

    func run() throws {
        exiting { () throws(ExitStatus) in try CommandLineFacade.disasm(program: program, syntax: syntax) }
    }
}
