import Foundation
@testable import X86

/// A small seeded generator (SplitMix64) so that every generated test case can be reproduced
/// from the printed seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Host tools the objdump comparison needs (GNU binutils 2.40 in CI and here).
enum HostTools {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `tool` with `arguments`; returns stdout, or throws with stderr on failure.
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so that a large output cannot fill the pipe and block the tool.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw ToolError(message: "\(tool) \(arguments.joined(separator: " ")) failed: "
                            + (String(data: errData, encoding: .utf8) ?? ""))
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct ToolError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
}

/// Decodes `bytes` and returns the instruction or the error.
func decodeResult(_ bytes: [UInt8], address: UInt32 = 0x0804_9000) -> Result<Instruction, DecodeError> {
    do throws(DecodeError) {
        return .success(try Decoder.decode(bytes, address: address))
    } catch {
        return .failure(error)
    }
}
