import ArgumentParser
import Foundation
import Grading
import HostIO
import VSim

extension ResultFormat: ExpressibleByArgument {}

/// Prints a grading error the way vsim prints its own and exits with the error's status.
func failing(_ body: () throws(GradingError) -> Void) throws {
    do { try body() } catch {
        StandardStreams.write("vsim: error: \(error.description)\n", to: 2)
        throw ExitCode(error.exitStatus)
    }
}

/// The vsim executable beside this vsim-lab (repl tests run `vsim repl --batch` through it).
func currentExecutable() -> String? { LabExecutable.sibling("vsim") }

/// The temporary file `writeOutput` writes before renaming it to `path`.
private func temporaryPath(_ path: String) -> String { path + ".tmp-\(getpid())" }

/// Whether the result is written into `path` itself instead of renamed onto it: `path` exists
/// and is not a regular file, i.e. a symbolic link (`/dev/stdout`, a link to a result file: the
/// link stays and the result goes where it points) or a device (`/dev/null`, `/dev/full`), a
/// FIFO or a socket, which a rename(2) would replace by a regular file (as root, the device node
/// itself).
private func writesInPlace(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && st.st_mode & S_IFMT != S_IFREG
}

/// Checks, before any grading, that `path` ("-" or nil: stdout) can be written the way
/// ``writeOutput(_:to:)`` writes it, so a missing or read-only folder is said now, not after
/// every test ran; nothing is left behind or changed. A path written in place
/// (``writesInPlace(_:)``) is checked as ``OutputFileCheck/Strategy/inPlace`` (opened for writing
/// and given a write of zero bytes, which /dev/full refuses: ENOSPC, null(4)), except a FIFO or a
/// socket, which is only checked with access(2) (opening and closing it would give its reader an
/// end of file before the result comes, and the result then waits for a reader as a shell's
/// `> fifo` does). Otherwise the temporary file is created in the destination folder and removed
/// again at once (``OutputFileCheck/Strategy/renamed(temporary:)``).
/// - Throws: ``GradingError/io(_:)`` (exit 73) naming the path and why.
func checkOutput(_ path: String?, option: String) throws(GradingError) {
    guard let path, path != "-" else { return }
    func refuse(_ why: String) -> GradingError {
        .io("\(option) \(path): cannot write there (\(why)); choose a path in an existing folder you can write")
    }
    let inPlace = writesInPlace(path)
    var st = stat()
    if inPlace && stat(path, &st) == 0 && (st.st_mode & S_IFMT == S_IFIFO || st.st_mode & S_IFMT == S_IFSOCK) {
        guard access(path, W_OK) == 0 else { throw refuse(String(cString: strerror(errno))) }
        return
    }
    do throws(OutputFileCheck.Failure) {
        try OutputFileCheck.check(path, inPlace ? .inPlace : .renamed(temporary: temporaryPath(path)))
    } catch .directory {
        throw .io("\(option) \(path): it is a directory; give a file name")
    } catch .write(let e) {
        throw refuse("a write to it fails: \(String(cString: strerror(e)))")
    } catch {
        let e = error.code ?? ENOTDIR     // otherwise only opening or creating a file fails
        throw refuse(e == ENOENT ? "its folder does not exist" : String(cString: strerror(e)))
    }
}

/// Refuses, before any grading, an `--output` or `--staff-log` that would replace a file the
/// grading reads or the other output: a file the lab asks for in the submission folder, a file
/// of the lab's own folder (lab.toml, hidden tests, the solution), or the same file for both
/// (the staff log, which holds the hidden tests' answers, would become the result students see).
/// Devices, FIFOs and `-` replace nothing and pass (``FileIdentity``).
/// - Throws: ``GradingError/usage(_:)`` (exit 64) naming the option, the path and the file.
func checkOutputsReplaceNoInput(lab: LabSpec, submission: String, output: String?, staffLog: String?) throws(GradingError) {
    let outputs = [("--output", output), ("--staff-log", staffLog)].compactMap { o, p in p.map { (o, $0) } }.filter { $0.1 != "-" }
    var submitted: [FileIdentity: String] = [:]
    for name in lab.submission {
        if let id = FileIdentity(submission + "/" + name) { submitted[id] = name }
    }
    var taken: [FileIdentity: String] = [:]
    for (option, path) in outputs {
        guard let id = FileIdentity(path) else { continue }
        if let name = submitted[id] {
            throw .usage("\(option) \(path) is the submitted file \(name), which the grading reads: writing there would replace it; choose a path outside the submission's files")
        }
        if access(path, F_OK) == 0 && FileIdentity.path(path, isWithin: lab.folder) {
            throw .usage("\(option) \(path) is a file of the lab folder \(lab.folder): writing there would replace it; choose a path outside the lab")
        }
        if let other = taken[id] {
            throw .usage("\(option) \(path) is the file \(other) writes too: the staff log would replace the result; give each its own file")
        }
        taken[id] = "\(option) \(path)"
    }
}

/// Writes `text` to `path` ("-" or nil: stdout), in one write to a temporary file then a rename
/// (so a reader never sees half a result, and a failed write leaves the old file and no temporary),
/// or, for a path that is not a regular file (``writesInPlace(_:)``), straight into it.
/// - Throws: ``GradingError/io(_:)`` (exit 73) when the result cannot be written whole.
func writeOutput(_ text: String, to path: String?) throws(GradingError) {
    // stdout: a reader that has gone ends vsim-lab with 141 (FileHandle's write would trap at EPIPE).
    guard let path, path != "-" else { StandardStreams.write(text, to: 1); return }
    if writesInPlace(path) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0o644)
        guard fd >= 0 else { throw .io("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io("cannot write \(path): \(String(cString: strerror(n < 0 ? errno : EIO)))") }
            done += n
        }
        return
    }
    let temp = temporaryPath(path)
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: temp))
    } catch {
        unlink(temp)
        throw .io("cannot write \(path): \(error.localizedDescription)")
    }
    guard rename(temp, path) == 0 else {
        let why = String(cString: strerror(errno))
        unlink(temp)
        throw .io("cannot write \(path): \(why)")
    }
}

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: LabExecutable.Command.grade.rawValue,
        abstract: LabExecutable.Command.grade.abstract,
        discussion: """
        LAB is a lab id of the lessons folder (VSIM_LESSONS, else lessons/ in vsim's source tree) or a \
        path to a lab folder. Exit status: 0 when graded (even with failing tests), 64 usage, 65 malformed \
        lab.toml, 66 no such lab or submission folder, 73 output cannot be written, 128+n stopped by signal n \
        (SIGINT, SIGTERM, SIGHUP, SIGQUIT: no result written) (docs/exit-status.md).
        """)

    @Argument(help: "A lab id or a lab folder.")
    var lab: String

    @Argument(help: "The submission folder.")
    var submission: String

    @Option(help: "The student id that selects the lab variant (default: none, seed 0).")
    var student: String?

    @Option(help: "text, gradescope, prairielearn, junit, tap or classroom (GitHub Classroom's runner result, base64).")
    var format: ResultFormat = .text

    @Option(help: "Write the result here instead of stdout.")
    var output: String?

    @Flag(help: "Leave out host seconds, so two gradings of the same submission give identical bytes.")
    var noTimings = false

    @Option(help: "Also write the staff-only log (every run's status and diagnostics) to this file.")
    var staffLog: String?

    func run() throws {
        try failing { () throws(GradingError) in
            try grade(visibleOnly: false, lab: lab, submission: submission, student: student, format: format,
                      output: output, timings: !noTimings, staffLog: staffLog)
        }
    }
}

/// `vsim grade` and `vsim lab check`.
func grade(visibleOnly: Bool, lab name: String, submission: String, student: String?, format: ResultFormat,
           output: String?, timings: Bool, staffLog: String?) throws(GradingError) {
    // SIGINT, SIGTERM, SIGHUP, SIGQUIT (a Gradescope or CI timeout) stop the grading at once:
    // passed on to the run in progress, no later test, no result, exit 128 + the signal.
    StopSignal.hold()
    let lab = try LabCatalog().load(name, includeHidden: !visibleOnly)
    try checkOutputsReplaceNoInput(lab: lab, submission: submission, output: output, staffLog: staffLog)
    try checkOutput(output, option: "--output")
    try checkOutput(staffLog, option: "--staff-log")
    var grader = Grader(lab: lab, student: student)
    grader.visibleOnly = visibleOnly
    if grader.vsimExecutable == nil { grader.vsimExecutable = currentExecutable() }
    let result = try grader.grade(submission: submission)
    try writeOutput(format.render(result, timings: timings), to: output)
    if let staffLog {
        let log = result.tests.map { "== \($0.id) (\($0.status.rawValue))\n\($0.staffLog)\n" }.joined()
        try writeOutput(log, to: staffLog)
    }
}
