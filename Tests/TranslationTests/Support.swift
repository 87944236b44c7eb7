import Foundation
import Guest
import Machine
import Translation
import VSim

/// Shared helpers: build guest sources, run them in a mode, or drive a LinuxProcess directly.
enum Support {
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "vsim-translation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `source` to a temporary `.s` file and builds it; returns the ELF path.
    static func build(_ source: String, name: String = "t.s") throws -> String {
        let path = try temporaryDirectory() + "/" + name
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        return try VSim.resolve(.path(path)).executablePath
    }

    static func run(_ path: String, _ mode: Mode, arguments: [String] = []) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        options.timeLimit = .seconds(120)
        return try VSim.run(program: .path(path), mode: mode, arguments: arguments, options: options)
    }

    /// Runs `path` translated and returns the result with the translator's counters.
    static func runWithStats(_ path: String, arguments: [String] = [], chaining: Bool = true) throws -> (RunResult, TranslationStats) {
        let box = Box()
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        let backend = TranslatorBackend(chaining: chaining, statistics: { s in box.stats = s })
        let r = try backend.run(VSim.resolve(.path(path)), arguments: arguments, options: options)
        return (r, box.stats!)
    }

    final class Box: @unchecked Sendable { var stats: TranslationStats? }

    /// A Linux process of `path` with stdio on /dev/null.
    static func process(_ path: String) throws -> LinuxProcess {
        let null = open("/dev/null", O_RDWR)
        return try LinuxProcess(image: ELFImage(path: path), argv: [path], envp: [],
                                stdio: GuestStdio(input: null, output: null, error: null))
    }

    /// How a direct run ended, with the CPU state after it.
    struct Final: Equatable, CustomStringConvertible {
        var ending: String
        var eip: UInt32
        var gprs: [UInt32]
        var eflags: UInt32
        var cr2: UInt32
        var instructions: UInt64
        var description: String {
            "\(ending) eip=\(String(eip, radix: 16)) gprs=\(gprs.map { String($0, radix: 16) }) eflags=\(String(eflags, radix: 16)) cr2=\(String(cr2, radix: 16)) n=\(instructions)"
        }
        init(_ ending: String, _ p: LinuxProcess, _ n: UInt64) {
            self.ending = ending
            eip = p.cpu.eip
            gprs = (0..<8).map { p.cpu[reg32: $0] }
            eflags = p.cpu.eflags
            cr2 = p.cpu.cr2
            instructions = n
        }
    }

    static func describe(_ t: GuestTermination) -> String {
        switch t {
        case .exited(let s): return "exit \(s)"
        case .fault(let e): return "\(e.vector) code \(e.errorCode.map { String($0) } ?? "-") at \(String(e.eip, radix: 16)) addr \(e.faultAddress.map { String($0, radix: 16) } ?? "-")"
        case .instructionLimit: return "limit"
        case .timeLimit: return "time"
        case .killed(let signal, _): return "killed by \(signal)"
        }
    }

    /// Runs `path` under the interpreter directly.
    static func interpretDirect(_ path: String, maxInstructions: UInt64 = 1_000_000) throws -> Final {
        let p = try process(path)
        let t = p.run(maxInstructions: maxInstructions, deadline: nil)
        return Final(describe(t), p, p.interpreter.instructionsExecuted)
    }

    /// Runs `path` under the translation engine directly; also returns its counters.
    static func translateDirect(_ path: String, maxInstructions: UInt64 = 1_000_000) throws -> (Final, TranslationStats) {
        let (f, engine) = try translateDirectEngine(path, maxInstructions: maxInstructions)
        return (f, engine.statistics)
    }

    /// As ``translateDirect(_:maxInstructions:)``, returning the engine (its host-fault count).
    /// `hostChecks` false: every access checked inline, as under a guest kernel.
    static func translateDirectEngine(_ path: String, maxInstructions: UInt64 = 1_000_000, hostChecks: Bool? = nil)
        throws -> (Final, TranslationEngine) {
        let p = try process(path)
        let engine = try TranslationEngine(cpu: p.cpu, memory: p.memory, interpreter: p.interpreter, hostChecks: hostChecks)
        var ending: GuestTermination?
        engine.stepHook = {
            if let t = p.step() { ending = t; return true }
            return false
        }
        let stop = engine.run(maxInstructions: maxInstructions, deadline: nil)
        let t: GuestTermination
        switch stop {
        case .stopped: t = ending!
        case .exception(let e): t = .fault(e)
        case .instructionLimit: t = .instructionLimit
        case .timeLimit: t = .timeLimit
        }
        return (Final(describe(t), p, engine.instructionsExecuted), engine)
    }

    static func hostRunsI386() -> Bool {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("GenuineIntel") == true
            || (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("AuthenticAMD") == true
    }
}
