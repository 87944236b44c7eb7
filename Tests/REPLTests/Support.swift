import Foundation
@testable import REPL
import VSim

/// Runs REPL commands as `vsim repl --batch` does and returns everything the session printed.
enum Batch {
    static func run(_ program: String, mode: Mode = .interpret, system: Bool = false, _ commands: [String]) throws -> String {
        var options = REPLOptions()
        options.mode = mode
        options.system = system
        var out = ""
        let session = try DebugSession(program: program, options: options, write: { out += $0 })
        session.banner()
        for c in commands { _ = session.execute(c) }
        return out
    }

    /// The package root (for programs/).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The `vsim` executable next to this test bundle.
    static var vsimPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "vsim"
    }

    /// Writes `source` to a fresh temporary directory and returns the .s path.
    static func source(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-repl-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func shell(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `info registers` text without the change marks, to compare two moments.
    static func plain(_ text: String) -> String {
        text.split(separator: "\n").map { line -> String in
            var l = String(line)
            if l.hasPrefix("*") { l = " " + l.dropFirst() }
            if let r = l.range(of: "   (was ") { l = String(l[..<r.lowerBound]) }
            return l
        }.filter { !$0.hasPrefix("(* changed") }.joined(separator: "\n")
    }
}

