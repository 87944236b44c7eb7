import Guest
import VSim
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// A private temporary directory holding a problem's program while `solve` runs vsim on it.
struct Workspace {
    let directory: String
    let programPath: String

    init(_ problem: HomeworkProblem) throws(HomeworkError) {
        let tmp = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(tmp)/vsim-homework-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .write("cannot create a temporary directory in \(tmp): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        programPath = directory + "/" + problem.fileName
        if let source = problem.source { try Homework.write(source, to: programPath) }
    }

    func remove() { HostIO.removeFlatDirectory(directory) }
}

extension Homework {
    /// Writes `text` to `path` (created or truncated, mode 0644).
    /// - Throws: ``HomeworkError/write(_:)`` naming the path and the reason.
    public static func write(_ text: String, to path: String) throws(HomeworkError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .write("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let code = HostIO.writeAll(fd, text) {
            throw .write("cannot write \(path): \(HostError.describe(code))")
        }
    }
}

/// vsim runs the answers come from, with the options every printed command also gives.
enum GuestRuns {
    /// Runs `program` in `mode` with the timer off (`--timer 0`: counts that do not depend on how
    /// many instructions ran between ticks), no environment, output captured.
    /// - Throws: ``HomeworkError/run(_:)`` when the run cannot start or the guest does not exit 0.
    static func run(_ program: String, mode: Mode, system: Bool = false, arguments: [String] = []) throws(HomeworkError) -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        options.timerPeriod = 0
        options.system = system
        options.maxInstructions = 50_000_000
        let r: RunResult
        do { r = try VSim.run(program: .path(program), mode: mode, arguments: arguments, options: options) }
        catch { throw .run("vsim run --mode \(mode)\(system ? " --system" : "") \(program) could not run: \(error.description)") }
        guard r.exitStatus == 0 else {
            throw .run("vsim run --mode \(mode)\(system ? " --system" : "") \(program) \(arguments.joined(separator: " ")) ended with status \(r.exitStatus): \(r.diagnostic ?? "")")
        }
        return r
    }

    /// "reason: n, reason: n" sorted by reason (byte order), the canonical form of a by-reason answer.
    static func byReason(_ counts: [String: UInt64]) -> String {
        let list = counts.filter { $0.value > 0 }.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        return list.isEmpty ? "none" : list.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}


