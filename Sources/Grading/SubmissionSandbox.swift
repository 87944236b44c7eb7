import Foundation
import Descriptions

/// A private scratch copy of a student's submission: only the files the lab lists, only regular
/// files (no symbolic links, which could point at the lab's hidden tests), at most
/// ``maxFileSize`` bytes each. Assembly sources are checked before anything builds them: a source
/// that reads another file at assembly time (`.include`, `.incbin`, cpp `#include`, however the
/// directive is spelled or built by macros) is refused, so a submission cannot pull the lab's
/// `hidden/` or `solution/` (or any host file) into its program.
///
/// The check is done twice: a textual scan names the offending line, and then the tools
/// themselves report what they read (`cpp -M`, `as --MD`), run in the scratch folder with every
/// `--defsym` the grader will use; anything read besides the source itself refuses the file.
final class SubmissionSandbox {
    /// Largest submission file copied: 1 MiB.
    static let maxFileSize = 1 << 20

    /// The scratch folder (private, removed on deinit).
    let folder: String
    /// Submission file name → why it cannot be used (missing, not a regular file, too large,
    /// refused source, assembler error in the check). Names not here are usable.
    private(set) var problems: [String: String] = [:]
    private var checked: [String: String?] = [:]
    /// Host seconds the check's `as` may run: a source that keeps the assembler busy longer
    /// (`.rept 100000000`) is refused, saying so.
    var assemblyTimeLimit: Double = SubmissionSandbox.assemblySeconds
    /// The default ``assemblyTimeLimit``: 60 s per `as` run.
    static let assemblySeconds: Double = 60

    /// Copies `files` (relative names) from `submission` into a new scratch folder.
    /// - Throws: ``GradingError/io(_:)`` when the scratch folder cannot be made.
    init(submission: String, files: [String]) throws(GradingError) {
        let fm = FileManager.default
        folder = NSTemporaryDirectory() + "vsim-grade-" + UUID().uuidString
        guard mkdir(folder, 0o700) == 0 else {
            throw .io("cannot create a scratch folder \(folder): \(String(cString: strerror(errno))); set TMPDIR to a folder you can write")
        }
        for name in files.sorted() {
            let source = submission + "/" + name
            var st = stat()
            guard lstat(source, &st) == 0 else {
                problems[name] = "missing file \(name): the lab asks you to hand in \(name)"
                continue
            }
            // lstat(2) does not follow the last component, but does follow the folders above it:
            // `src -> /elsewhere` would hand in /elsewhere/prog.s for `src/prog.s`.
            guard (st.st_mode & S_IFMT) == S_IFREG, !SubmissionSandbox.linkedFolder(in: name, under: submission) else {
                problems[name] = "\(name) is not a regular file (a symbolic link or folder is not accepted)"
                continue
            }
            guard st.st_size <= SubmissionSandbox.maxFileSize else {
                problems[name] = "\(name) is \(st.st_size) bytes, over the \(SubmissionSandbox.maxFileSize)-byte limit for a submission file"
                continue
            }
            guard let data = fm.contents(atPath: source) else {
                problems[name] = "\(name) cannot be read"
                continue
            }
            let target = folder + "/" + name
            try? fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: target, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw .io("cannot write \(target) in the scratch folder")
            }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Whether a folder on the way to `name` (`a` and `a/b` of `a/b/c.s`) is a symbolic link.
    static func linkedFolder(in name: String, under submission: String) -> Bool {
        var path = submission
        for part in name.split(separator: "/").dropLast() {
            path += "/" + part
            var st = stat()
            if lstat(path, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR { return true }
        }
        return false
    }

    /// The scratch path of submission file `name`, or why it cannot be used. `.s`/`.S` files are
    /// checked (once per set of `symbols`) before their path is given out.
    func path(_ name: String, symbolSets: [[String]] = [[]]) -> Result<String, SubmissionProblem> {
        if let p = problems[name] { return .failure(SubmissionProblem(message: p)) }
        let path = folder + "/" + name
        if name.hasSuffix(".s") || name.hasSuffix(".S") {
            let key = name + "\u{0}" + symbolSets.map { $0.joined(separator: " ") }.joined(separator: "|")
            let verdict: String?
            if let cached = checked[key] { verdict = cached } else {
                verdict = check(name: name, path: path, symbolSets: symbolSets)
                checked[key] = verdict
            }
            if let verdict { return .failure(SubmissionProblem(message: verdict)) }
        }
        return .success(path)
    }

    /// Replaces the scratch folder in tool messages by `submission` (messages stay the same on
    /// every machine and do not show host paths).
    func redact(_ text: String) -> String {
        text.replacingOccurrences(of: folder, with: "submission")
    }

    // MARK: the include check

    /// The problem a check stopped by the grader's stop signal records (the grading then stops
    /// after the test: ``Grader/stopIfSignalled(during:)``).
    static func stopped(_ signal: Int32) -> String {
        "the check was stopped by \(SignalName.of(signal))"
    }

    /// nil when `path` reads no other file at assembly time; else why it is refused.
    private func check(name: String, path: String, symbolSets: [[String]]) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return "\(name) cannot be read" }
        let text = String(decoding: data, as: UTF8.self)
        if let line = SubmissionSandbox.includeLine(in: text) {
            return "\(name) line \(line.number) is refused: `\(line.text)`: a submission may not include or read other files "
                + "at assembly time (.include, .incbin, #include); put everything in \(name)"
        }
        let work = NSTemporaryDirectory() + "vsim-grade-check-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: work) }
        var assemblerInput = path
        if name.hasSuffix(".S") {
            guard let deps = HostProcess.run(["cpp", "-M", "-x", "assembler-with-cpp", path], directory: folder) else {
                return "cannot check \(name): `cpp` was not found (install cpp)"
            }
            if let s = deps.stoppedBy { return SubmissionSandbox.stopped(s) }
            if deps.status != 0 { return redact("building \(name) failed: cpp:\n" + deps.stderrText) }
            let read = SubmissionSandbox.parseDependencies(deps.stdoutText)
                .filter { $0 != path && $0 != "/usr/include/stdc-predef.h" }
            if !read.isEmpty { return "\(name) is refused: it includes other files (\(read.count)); put everything in \(name)" }
            let preprocessed = work + "/" + String(name.split(separator: "/").last!.dropLast(2)) + ".i.s"
            guard let cpp = HostProcess.run(["cpp", "-x", "assembler-with-cpp", path, "-o", preprocessed], directory: folder),
                  cpp.status == 0 else { return "building \(name) failed in cpp" }
            assemblerInput = preprocessed
        }
        for symbols in symbolSets {
            let depfile = work + "/deps.d"
            let defsyms = symbols.flatMap { ["--defsym", $0] }
            guard let out = HostProcess.run(["as", "--32"] + defsyms + ["--MD", depfile, "-o", work + "/check.o", assemblerInput],
                                            directory: folder, timeLimit: assemblyTimeLimit) else {
                return "cannot check \(name): `as` was not found (install binutils)"
            }
            if let s = out.stoppedBy { return SubmissionSandbox.stopped(s) }
            if out.timedOut {
                return "building \(name) failed: as --32 did not finish within \(Int(assemblyTimeLimit)) s "
                    + "and was stopped; look for a .rept, .fill or macro that makes the assembler run without end"
            }
            if out.status != 0 {
                let messages = redact(out.stderrText.replacingOccurrences(of: work + "/", with: ""))
                return "building \(name) failed: as --32 exited with status \(out.status); fix the source:\n" + messages
            }
            let text = String(decoding: HostProcess.readPrefix(depfile, 1 << 20), as: UTF8.self)
            let read = SubmissionSandbox.parseDependencies(text).filter { $0 != assemblerInput }
            if !read.isEmpty {
                return "\(name) is refused: it reads other files at assembly time (.include or .incbin, possibly built by a macro); "
                    + "put everything in \(name)"
            }
        }
        return nil
    }

    /// The first line with an include directive (`.include`, `.incbin`, `#include`, `%:include`,
    /// `#import`), any case, 1-based; nil if none.
    static func includeLine(in text: String) -> (number: Int, text: String)? {
        let directive = try! NSRegularExpression(
            pattern: #"(^|[\s;:])\.(incbin|include)\b|^\s*(#|%:|\?\?=)\s*(include|include_next|import)\b"#,
            options: [.caseInsensitive])
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = String(line)
            if directive.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                return (i + 1, s.trimmed(" \t").prefix(120).description)
            }
        }
        return nil
    }

    /// The prerequisites of a make rule (`target: dep dep \` lines; `\ ` escapes a space).
    static func parseDependencies(_ text: String) -> [String] {
        guard let colon = text.range(of: ": ") ?? text.range(of: ":\n") else { return [] }
        var deps: [String] = [], current = ""
        var escaped = false
        for ch in text[colon.upperBound...] {
            if escaped { escaped = false; if ch != "\n" { current.append(ch) }; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == " " || ch == "\n" || ch == "\t" { if !current.isEmpty { deps.append(current); current = "" }; continue }
            current.append(ch)
        }
        if !current.isEmpty { deps.append(current) }
        return deps
    }
}

/// Why a submission file cannot be used.
struct SubmissionProblem: Error { var message: String }
