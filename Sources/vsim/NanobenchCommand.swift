import ArgumentParser
import VSim

struct NanobenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nanobench",
        abstract: "Adams & Agesen's seven nanobenchmarks under native, bt, hvm (shadow and EPT), trap and pv: modeled cycles per iteration beside the paper's.")

    @Option(name: .customLong("cpu"), help: "Cost-model preset: prescott (the paper's VT-x generation), merom, nehalem, haswell (default), cascadelake (docs/cost-model.md).")
    var cpu: String = "haswell"

    @Option(name: .customLong("iterations"), help: "Iterations of the shorter run (the longer runs twice as many; the difference is reported).")
    var iterations: Int = 200

    @Option(name: .customLong("directory"), help: "Where the nanobenchmark sources are (default: the copy of programs/nanobench built into vsim).")
    var directory: String?

    func validate() throws {
        // The benchmarks read their count as 32 bits (programs/nanobench/*.s) and vsim runs
        // twice as many as asked; past 2^30 the count would wrap.
        if iterations < 1 || iterations > 1 << 30 {
            throw ValidationError("--iterations must be from 1 to 1073741824 (got \(iterations)); the default 200 already cancels start-up")
        }
    }

    func run() throws {
        exiting { () throws(ExitStatus) in try CommandLineFacade.nanobench(cpu: cpu, iterations: iterations, directory: directory) }
    }
}
