import ArgumentParser
import Foundation
import Grading
import HostIO
import VSim

extension ResultFormat: ExpressibleByArgument {}

/// Prints a grading error the way vsim prints its own and exits with the error's status.
func failing(_ body: () throws(GradingError) -> Void) throws {
    do { try body() } catch {
        FileHandle.standardError.write(Data("vsim: error: \(error.description)\n".utf8))
        throw ExitCode(error.exitStatus)
    }
}

/// The vsim executable beside this vsim-lab (repl tests run `vsim repl --batch` through it).
func currentExecutable() -> String? { LabExecutable.sibling("vsim") }

/// The temporary file `writeOutput` writes before renaming it to `path`.
private func temporaryPath(_ path: String) -> String { path + ".tmp-\(getpid())" }

/// Checks, before any grading, that `path` ("-" or nil: stdout) can be written the way
/// ``writeOutput(_:to:)`` writes it (``OutputFileCheck/Strategy/renamed(temporary:)``): its
/// temporary file is created in the destination folder and removed again at once, so a missing
/// or read-only folder is said now, not after every test ran. Nothing is left behind.
/// - Throws: ``GradingError/io(_:)`` (exit 73) naming the path and why.
func checkOutput(_ path: String?, option: String) throws(GradingError) {
    guard let path, path != "-" else { return }
    do throws(OutputFileCheck.Failure) {
        try OutputFileCheck.check(path, .renamed(temporary: temporaryPath(path)))
    } catch .directory {
        throw .io("\(option) \(path): it is a directory; give a file name")
    } catch {
        let e = error.code ?? ENOTDIR     // .renamed fails otherwise only creating the temporary
        let why = e == ENOENT ? "its folder does not exist" : String(cString: strerror(e))
        throw .io("\(option) \(path): cannot write there (\(why)); choose a path in an existing folder you can write")
    }
}

/// Writes `text` to `path` ("-" or nil: stdout), in one write to a temporary file then a rename
/// (so a reader never sees half a result, and a failed write leaves the old file and no temporary).
func writeOutput(_ text: String, to path: String?) throws(GradingError) {
    guard let path, path != "-" else { FileHandle.standardOutput.write(Data(text.utf8)); return }
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
        lab.toml, 66 no such lab or submission folder, 73 output cannot be written (docs/exit-status.md).
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
    let lab = try LabCatalog().load(name, includeHidden: !visibleOnly)
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
