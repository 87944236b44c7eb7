import Foundation
@testable import Homework

/// Runs a host tool (as, ld, nm, objdump, the native program) and returns its stdout; fails the
/// test's expectation with the tool's stderr when it exits non-zero.
func host(_ arguments: [String], in directory: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw HostError(message: "\(arguments.joined(separator: " ")) exited \(p.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

struct HostError: Error, CustomStringConvertible { var message: String; var description: String { message } }

/// The problem's program assembled and linked natively (GNU as --32, ld -m elf_i386) in a fresh
/// directory: returns the directory and the executable's path.
func buildNatively(_ problem: HomeworkProblem) throws -> (directory: String, executable: String) {
    let dir = NSTemporaryDirectory() + "vsim-homework-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try problem.source!.write(toFile: dir + "/p.s", atomically: true, encoding: .utf8)
    _ = try host(["as", "--32", "p.s", "-o", "p.o"], in: dir)
    _ = try host(["ld", "-m", "elf_i386", "p.o", "-o", "p"], in: dir)
    return (dir, dir + "/p")
}

/// The address of `symbol` in `executable`, from binutils' nm.
func nmAddress(_ symbol: String, _ executable: String) throws -> UInt32? {
    let text = try host(["nm", executable], in: "/")
    for line in text.split(separator: "\n") {
        let f = line.split(separator: " ")
        if f.count == 3, f[2] == symbol { return UInt32(f[0], radix: 16) }
    }
    return nil
}

/// The answer format the homework documents for addresses and registers: `0x` and eight digits.
func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
