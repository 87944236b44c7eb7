import ArgumentParser
import Homework
import VSim

struct HomeworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homework",
        abstract: "Print a generated homework problem (OSTEP style); --solve adds the answers, computed by running vsim.",
        discussion: "TOPIC is one of \(HomeworkTopic.allCases.map { $0.name }.joined(separator: ", ")), or `list`. "
            + "The same --seed gives the same problem, byte for byte, on any machine; without --seed one is "
            + "picked from the clock and printed. Example: vsim homework traps --seed 7 --solve --output-dir hw")

    @Argument(help: "The topic (vsim homework list shows them).")
    var topic: String

    @Option(name: .customLong("seed"), help: "The seed that picks the problem (default: from the clock, printed).")
    var seed: UInt64?

    @Flag(name: .customLong("solve"), help: "Also print the answers and, for each, the vsim command that shows it.")
    var solve = false

    @Option(name: .customLong("output-dir"), help: "Write the generated program (.s) into this directory, so the printed commands work as shown.")
    var outputDir: String?

    func run() throws {
        if topic == "list" {
            writeStandardOutput(Homework.topicList())
            return
        }
        do {
            writeStandardOutput(try Homework.commandLine(topic: topic, seed: seed, solve: solve, outputDirectory: outputDir))
        } catch {
            writeStandardError("vsim: error: \(error.description)\n")
            exitVSim(error.exitStatus)
        }
    }
}
