import Foundation
import XCTest

/// Builds programs/NAME.s with GNU as/ld into a fresh temporary directory.
enum GuestPrograms {
    static let repository: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func build(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "vsim-hv-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let exe = dir + "/\(name)"
        try GuestPrograms.runTools([["as", "--32", "-o", exe + ".o", repository + "/programs/\(name).s"], ["ld", "-m", "elf_i386", "-o", exe, exe + ".o"]])
        return exe
    }

    /// Runs each command (PATH lookup through /usr/bin/env) in turn; a command that fails
    /// skips the test, naming it (GNU binutils build every guest here).
    static func runTools(_ commands: [[String]]) throws {
        for args in commands {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw XCTSkip("\(args[0]) failed (GNU binutils needed)") }
        }
    }
}
