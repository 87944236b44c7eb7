import ArgumentParser
import VSim

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Show how blocks of a guest program translate to the vsim RISC target (like qemu -d in_asm,op,op_opt).",
        discussion: "Translates the block at --address or --symbol (default: the entry point) and, with --count N, "
            + "the blocks its direct jumps lead to, without running the program. Each group of RISC ops is "
            + "labelled with the x86 instruction it came from. docs/risc-target.md describes the ops.")

    @Argument(help: "An i386 ELF executable, a .s/.S source or a .c source.")
    var program: String

    @Option(name: .customLong("address"), help: "Guest address of the block (e.g. 0x8049000).")
    var address: String?

    @Option(name: .customLong("symbol"), help: "Symbol whose address starts the block.")
    var symbol: String?

    @Option(name: .customLong("count"), help: "Blocks to show, following direct jumps breadth first.")
    var count: Int = 1

    @Option(name: .customLong("show"), help: "Comma-separated views: in_asm (guest code), ir (RISC ops), ir_opt (after optimization).")
    var show: String = "in_asm,ir,ir_opt"

    func run() throws {
        exiting { () throws(ExitStatus) in
            try CommandLineFacade.translate(program: program, address: address, symbol: symbol, count: count, show: show)
        }
    }
}
