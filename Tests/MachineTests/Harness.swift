import Foundation
import Testing
import X86
@testable import Machine

/// Stops the run at `int $0x80` (the harness appends one after the test's code).
final class StopAtInt80: SoftwareInterruptHandler {
    var vectors: [UInt8] = []
    func softwareInterrupt(_ vector: UInt8, cpu: CPUState, memory: GuestMemory) -> InterruptOutcome {
        vectors.append(vector)
        return vector == 0x80 ? .stop(exitStatus: 0) : .exception(CPUException(vector: .gp, errorCode: UInt32(vector) * 8 + 2))
    }
}

/// A small user-mode machine: code at 0x08048000, data (rw) at 0x08050000, stack (rw) below
/// 0xC0000000 (ESP starts at 0xBFFFFF00).
final class TestMachine {
    static let code: UInt32 = 0x0804_8000
    static let data: UInt32 = 0x0805_0000
    static let stackTop: UInt32 = 0xBFFF_FF00
    let memory: GuestMemory
    let cpu = CPUState()
    let interp: Interpreter
    let handler = StopAtInt80()

    init(_ code: [UInt8], codePermissions: PagePermissions = .readExecute, appendExit: Bool = true) throws {
        memory = try GuestMemory()
        let bytes = appendExit ? code + [0xCD, 0x80] : code
        try memory.map(address: TestMachine.code, size: UInt32(max(bytes.count, 1)), permissions: codePermissions)
        try memory.load(bytes, at: TestMachine.code)
        try memory.map(address: TestMachine.data, size: 0x10000, permissions: .readWrite)
        try memory.map(address: 0xBFFF_0000, size: 0x10000, permissions: .readWrite)
        cpu.eip = TestMachine.code
        cpu.esp = TestMachine.stackTop
        interp = Interpreter(cpu: cpu, memory: memory)
        interp.interruptHandler = handler
    }

    convenience init(asm source: String, codePermissions: PagePermissions = .readExecute) throws {
        try self.init(try assemble(source), codePermissions: codePermissions)
    }

    @discardableResult
    func run(_ max: UInt64 = 100_000) -> StopReason {
        interp.run(maxInstructions: max, deadline: nil)
    }

    /// The exception the run stopped with (fails the test if it stopped otherwise).
    func runExpectingException(_ max: UInt64 = 100_000) -> CPUException? {
        let r = run(max)
        if case .exception(let e) = r { return e }
        Issue.record("expected an exception, got \(r)")
        return nil
    }

    func u32(_ a: UInt32) throws -> UInt32 {
        let b = try memory.read(at: a, count: 4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    func bytes(_ a: UInt32, _ n: Int) throws -> [UInt8] { try memory.read(at: a, count: n) }
}

/// Assembles AT&T-syntax i386 code with GNU `as --32` and returns the bytes of `.text`.
func assemble(_ source: String) throws -> [UInt8] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-mt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let s = dir.appendingPathComponent("t.s"), o = dir.appendingPathComponent("t.o"), b = dir.appendingPathComponent("t.bin")
    try (".text\n" + source + "\n").write(to: s, atomically: true, encoding: .utf8)
    func sh(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw AsmError(message: "\(args[0]) failed: \(msg)")
        }
    }
    try sh(["as", "--32", s.path, "-o", o.path])
    try sh(["objcopy", "-O", "binary", "-j", ".text", o.path, b.path])
    return [UInt8](try Data(contentsOf: b))
}

struct AsmError: Error, CustomStringConvertible { var message: String; var description: String { message } }

/// The six status flags.
let statusMask: UInt32 = 0x8D5
