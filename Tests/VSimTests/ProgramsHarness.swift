import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Shared by ProgramsTests and CorpusTests: where the repository is, building guest programs with
/// GNU as/ld, and running them natively (the host CPU is the oracle).
enum ProgramsHarness {
    /// The repository root (this file is Tests/VSimTests/ProgramsHarness.swift).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()   // VSimTests
        url.deleteLastPathComponent()   // Tests
        url.deleteLastPathComponent()   // root
        return url.path
    }()

    static var programsDirectory: String { repositoryRoot + "/programs" }

    /// The guest programs in programs/ (their `.s` files), sorted.
    static func programSources() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: programsDirectory)
            .filter { $0.hasSuffix(".s") }.sorted().map { programsDirectory + "/" + $0 }
    }

    /// Copies an executable that will be exec'd (natively, or inside a container) with `cp` in a
    /// child process. Copied by this process, the file would be open for writing here while other
    /// tests' threads fork (suites run in parallel): a child holding that descriptor until its own
    /// exec makes the kernel refuse to run the file, ETXTBSY ("Text file busy"), as a native
    /// `chroot DIR /prog` once did in LinuxABITests. `cp` opens the file only in its own process.
    static func copyExecutable(_ source: String, to destination: String) throws {
        let r = try CLI.run("/usr/bin/env", ["cp", "--", source, destination])
        guard r.status == 0 else { throw Failure(description: "cp \(source) \(destination): \(r.stderr)") }
    }

    struct Output {
        var status: Int32           // exit status, or 128+signal
        var stdout: [UInt8]
        var stderr: String
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs `argv` (PATH lookup through /usr/bin/env) with `stdin` bytes, capturing stdout and
    /// stderr. A process killed by a signal gets status 128+signal, as a shell reports it.
    static func run(_ argv: [String], stdin: [UInt8] = [], directExecutable: Bool = false) throws -> Output {
        let p = Process()
        if directExecutable {
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = argv
        }
        let dir = try temporaryDirectory(prefix: "run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Files, not pipes: no deadlock however much the child writes, and stdin is seekable.
        let inPath = dir + "/stdin", outPath = dir + "/stdout", errPath = dir + "/stderr"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let input = FileHandle(forReadingAtPath: inPath)!, output = FileHandle(forWritingAtPath: outPath)!,
            error = FileHandle(forWritingAtPath: errPath)!
        defer { try? input.close(); try? output.close(); try? error.close() }
        p.standardInput = input
        p.standardOutput = output
        p.standardError = error
        try p.run()
        p.waitUntilExit()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        let out = [UInt8](FileManager.default.contents(atPath: outPath) ?? Data())
        let err = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        return Output(status: status, stdout: out, stderr: err)
    }

    /// A fresh directory, removed with ``Scratch/root`` when the test process exits.
    static func temporaryDirectory(prefix: String) throws -> String {
        try Scratch.directory(prefix)
    }

    /// Skips the test when a host tool is missing (as, ld, objdump come with binutils).
    static func requireTools(_ tools: [String]) throws {
        for t in tools {
            let found = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
                .split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(t)") }
            if !found { throw XCTSkip("\(t) is not installed (apt-get install -y binutils)") }
        }
    }

    /// Whether this host can execute i386 ELF binaries natively (needed for the host-CPU oracle).
    static func hostRunsI386() -> Bool {
        #if arch(x86_64) || arch(i386)
        return true
        #else
        return false
        #endif
    }

    /// Assembles `sourcePath` with `as --32` and links it with `ld -m elf_i386` into `directory`.
    /// Returns the executable's path.
    static func build(sourcePath: String, into directory: String) throws -> String {
        let name = URL(fileURLWithPath: sourcePath).deletingPathExtension().lastPathComponent
        let obj = directory + "/\(name).o", exe = directory + "/\(name)"
        let a = try run(["as", "--32", "-o", obj, sourcePath])
        guard a.status == 0 else { throw Failure(description: "as --32 \(sourcePath) failed:\n\(a.stderr)") }
        let l = try run(["ld", "-m", "elf_i386", "-o", exe, obj])
        guard l.status == 0 else { throw Failure(description: "ld -m elf_i386 failed for \(sourcePath):\n\(l.stderr)") }
        return exe
    }

    /// Renders bytes for a failure message: text if printable, else a hex dump (at most `limit` bytes).
    static func show(_ bytes: [UInt8], limit: Int = 2000) -> String {
        let cut = Array(bytes.prefix(limit))
        let text = String(decoding: cut, as: UTF8.self)
        let printable = cut.allSatisfy { $0 == 10 || $0 == 9 || (32..<127).contains($0) }
        let shown = printable ? text : cut.map { String(format: "%02x", $0) }.joined(separator: " ")
        return shown + (bytes.count > limit ? "\n... (\(bytes.count) bytes in all)" : "")
    }

    /// The first line where two outputs differ, for failure messages.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let la = String(decoding: a, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let lb = String(decoding: b, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(la.count, lb.count) {
            let x = i < la.count ? String(la[i]) : "<end of output>"
            let y = i < lb.count ? String(lb[i]) : "<end of output>"
            if x != y { return "first difference at line \(i + 1):\n  native: \(x)\n  vsim:   \(y)" }
        }
        return "outputs are equal"
    }
}
