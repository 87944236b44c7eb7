import Foundation
import Testing
@testable import Guest
@testable import Machine

/// Boots programs/kernel/kernel.s with a user program on the system-level machine
/// (BootLoader + SystemMachine), without the VSim facade.
struct SystemBootTests {
    static let repository: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func kernel() throws -> ELFImage {
        try ELFImage(path: try Toolchain.build(try String(contentsOfFile: repository + "/programs/kernel/kernel.s", encoding: .utf8),
                                                name: "kernel", ldFlags: ["-Ttext", "0x100000"]))
    }

    /// Boots `program` (a programs/*.s name or source text) and returns (stop, stdout, machine).
    static func boot(source: String, argv: [String] = ["prog"], input: String? = nil, timer: UInt32 = 0,
                     maxInstructions: UInt64 = 50_000_000) throws -> (SystemStopReason, String, SystemMachine) {
        let image = try ELFImage(path: try Toolchain.build(source))
        var inputFD: Int32 = open("/dev/null", O_RDONLY)
        if let input {
            let path = try Toolchain.temporaryDirectory() + "/input"
            try input.write(toFile: path, atomically: true, encoding: .utf8)
            inputFD = open(path, O_RDONLY)
        }
        defer { close(inputFD) }
        let machine = try SystemMachine(input: inputFD, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        _ = try BootLoader.boot(kernel: try kernel(), program: image, argv: argv, envp: [], timerPeriod: timer, machine: machine)
        let stop = machine.run(maxInstructions: maxInstructions, deadline: nil)
        return (stop, String(decoding: out, as: UTF8.self), machine)
    }

    static func program(_ name: String) throws -> String {
        try String(contentsOfFile: repository + "/programs/\(name).s", encoding: .utf8)
    }

    @Test func helloRunsUnderTheKernel() throws {
        let (stop, out, m) = try Self.boot(source: Self.program("hello"))
        #expect(stop == .exited(status: 0), "\(stop.explanation)")
        #expect(out == "Hello, world!\n")
        #expect(m.cpu.cr0 & CR0.pg != 0)
    }
}
