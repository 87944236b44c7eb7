import Descriptions
import Reports
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// `--format` of `vsim compare` (the Reports formats, re-exported for the command line).
public enum ReportFormatChoice: String, CaseIterable, Sendable {
    case table, json, markdown, csv, svg
    var format: ReportFormat { ReportFormat(rawValue: rawValue)! }
}

/// Thrown by ``CommandLineFacade`` to end vsim with a status after it printed what it had to say.
public struct ExitStatus: Error, Equatable {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
}

/// What the `vsim` commands do, so that they hold only argument declarations: each function
/// prints results to stdout, messages (`vsim: error: ...`, fault diagnostics) to stderr, and
/// returns normally for exit status 0 or throws ``ExitStatus``.
public enum CommandLineFacade {
    /// `vsim run`: the guest's stdout and stderr are vsim's; a fault's diagnostic goes to stderr
    /// and, with `--trace traps`, a summary line of the VMM's counts. Throws ``ExitStatus`` with
    /// the guest's status when it is not 0 (docs/exit-status.md).
    public static func run(program: String, mode: Mode, options: RunOptions, arguments: [String]) throws(ExitStatus) {
        let traces = options.traces
        var options = options
        options.measurePeakMemory = false       // `vsim run` shows no peak RSS
        let result: RunResult
        do {
            result = try VSim.run(program: .path(program), mode: mode, arguments: arguments, options: options)
        } catch { throw fail(error) }
        if let d = result.diagnostic, result.signal != nil { writeStandardError(d + "\n") }
        if traces.contains(.traps), let cycles = result.modeledCycles {
            var line = "vsim: \(result.instructions ?? 0) guest instructions"
            for (kind, counts) in [("traps", result.traps), ("VM exits", result.exits), ("hypercalls", result.hypercalls), ("callouts", result.callouts),
                                   ("host calls", result.hostCalls)] where !counts.isEmpty {
                line += "; \(counts.values.reduce(0, +)) \(kind) (" + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
            }
            if let w = result.eptWalks { line += "; EPT: \(w[0]) page walks, \(w[1]) extra memory references" }
            if let bt = result.binaryTranslation {
                line += "; TC: \(bt.blocksTranslated) fragments (\(bt.instructionsTranslated) instructions, \(bt.rewrittenInstructions) rewritten), \(bt.chainsMade) chains, \(bt.indirectLookups) indirect lookups, \(bt.invalidations) invalidations, \(bt.adaptiveRetranslations) adaptive"
            } else if let tc = result.translation {
                line += "; translator: \(tc.blocksTranslated) blocks translated, \(tc.invalidations) invalidated, \(tc.chainsMade) chains"
            }
            writeStandardError(line + "; \(cycles) modeled cycles (\(result.costModel ?? ""))\n")
        }
        if traces.contains(.syscalls), mode == .ptrace {
            writeStandardError(ptraceSummary(result) + "\n")
        }
        if result.exitStatus != 0 { throw ExitStatus(result.exitStatus) }
    }

    /// The last line of `vsim run --mode ptrace --trace syscalls`: the calls by name (most first),
    /// the stops, the tracer's time at them, the paths rewritten.
    static func ptraceSummary(_ r: RunResult) -> String {
        let total = r.systemCalls.values.reduce(0, +)
        let list = r.systemCalls.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" + ((r.systemCallErrors[$0.key]).map { " (\($0) errors)" } ?? "") }.joined(separator: ", ")
        let stops = r.hostEvents["ptrace stops"] ?? 0
        let tracer = r.tracerNanoseconds ?? 0
        return "vsim: \(total) system calls intercepted (\(list)); \(stops) ptrace stops, tracer \(DurationText.measured(Double(tracer) / 1e9)) at them"
            + (stops > 0 ? " (\(tracer / stops) ns a stop)" : "") + "; \(r.hostEvents["paths rewritten"] ?? 0) paths rewritten"
    }

    /// `vsim nanobench`.
    public static func nanobench(cpu: String, iterations: Int, directory: String?) throws(ExitStatus) {
        let text: String
        do { text = try Nanobench.report(cpu: cpu, iterations: iterations, directory: directory) } catch { throw fail(error) }
        writeStandardOutput(text)
    }

    /// `vsim disasm`.
    public static func disasm(program: String, syntax: Syntax) throws(ExitStatus) {
        let text: String
        do { text = try VSim.disassemble(program: .path(program), syntax: syntax) } catch { throw fail(error) }
        writeStandardOutput(text)
    }

    /// The most stdin `vsim compare` keeps to replay to every run: 16 MiB.
    public static let compareInputLimit = 16 << 20

    /// What `vsim compare` feeds every run as stdin: vsim's own stdin read once to its end (at
    /// most ``compareInputLimit`` bytes) when it is a file or a pipe, nothing when it is a
    /// terminal (a TA typing would otherwise be waited for) or closed.
    static func compareInput() throws(VSimError) -> [UInt8]? {
        var st = stat()
        guard fstat(0, &st) == 0, isatty(0) == 0 else { return nil }
        do {
            return try HostIO.readToEnd(0, limit: compareInputLimit)
        } catch .tooLarge {
            throw .usage("stdin holds more than \(compareInputLimit >> 20) MiB; vsim compare keeps stdin to give every run the same bytes: pass a smaller input")
        } catch {
            // Not a bug in vsim (70): what is on stdin cannot be read, e.g. a directory (EISDIR).
            throw .host("cannot read stdin: \(error); vsim compare gives every run the bytes on its stdin: give it a file or a pipe", status: 66)
        }
    }

    /// Prints `vsim: error: <message>` and returns the error's exit status.
    static func fail(_ error: VSimError) -> ExitStatus {
        writeStandardError("vsim: error: \(error.description)\n")
        return ExitStatus(error.exitStatus)
    }
}

/// Writes `text` to fd 1 completely; a reader that has gone ends vsim with 141
/// (``StandardStreams/write(_:to:)``).
public func writeStandardOutput(_ text: String) {
    StandardStreams.write(text, to: 1)
}
