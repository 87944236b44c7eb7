import Foundation
import Hypervisor
import KVM
import Reports
import Testing
import VSim

/// Small guests of our own, as raw bytes (what `as --32` + `objcopy -O binary` give), entered in
/// 32-bit protected mode at CPL 0 with paging off. Skipped with the reason where /dev/kvm is
/// missing or not permitted.
enum KVMGuests {
    static var skipReason: String? {
        let why = KVMDevice.unavailableReason()
        if let why { print("skipping KVM guest tests: \(why)") }
        return why
    }

    /// mov $0x3f8,%dx; for each byte: mov $b,%al; out %al,%dx; then mov $st,%al; mov $0x501,%dx;
    /// out %al,%dx; hlt.
    static func hello(_ text: String, status: UInt8) -> [UInt8] {
        var code: [UInt8] = [0x66, 0xBA, 0xF8, 0x03]
        for b in text.utf8 { code += [0xB0, b, 0xEE] }
        return code + [0xB0, status, 0x66, 0xBA, 0x01, 0x05, 0xEE, 0xF4]
    }

    static func capture() -> RunOptions {
        var o = RunOptions()
        o.io = .capture
        o.timeLimit = .seconds(20)
        return o
    }
}

@Suite(.serialized) struct KVMGuestTests {
    @Test(.enabled(if: KVMGuests.skipReason == nil)) func uartHelloAndExitDevice() throws {
        let r = try KVMBackend.runFlat(KVMGuests.hello("hi\n", status: 7), options: KVMGuests.capture())
        #expect(r.exitStatus == 7, "\(r.diagnostic ?? "")")
        #expect(r.output == Array("hi\n".utf8))
        // One I/O exit per OUT: three bytes and the exit device, as the hvm model counts them.
        #expect(r.exits[ExitReason.ioInstruction.label] == 4)
        #expect(r.hostEvents["KVM_RUN returned: KVM_EXIT_IO"] == 4)
        #expect((r.startupNanoseconds ?? 0) > 0)
    }

    @Test(.enabled(if: KVMGuests.skipReason == nil)) func cpuidLoopExitsAreCounted() throws {
        let n: UInt32 = 2000
        let r = try KVMBackend.runFlat(ExitCostProbe.loop(iterations: n, cpuid: true), options: KVMGuests.capture())
        #expect(r.exitStatus == 0, "\(r.diagnostic ?? "")")
        if let cpuid = r.exits[ExitReason.cpuid.label] {
            #expect(cpuid == UInt64(n))
        } else {
            print("KVM's tracepoints cannot be counted here (needs root and perf events): CPUID exits not checked")
        }
        #expect(r.exits[ExitReason.ioInstruction.label] == 1)
    }

    @Test(.enabled(if: KVMGuests.skipReason == nil)) func tripleFaultEndsWithAClearMessage() throws {
        // ud2 with no IDT: #UD cannot be delivered, nor #DF: the CPU shuts down.
        let r = try KVMBackend.runFlat([0x0F, 0x0B], options: KVMGuests.capture())
        #expect(r.exitStatus == 134)
        #expect(r.diagnostic?.contains("triple fault") == true, "\(r.diagnostic ?? "")")
        #expect(r.diagnostic?.contains("KVM_EXIT_SHUTDOWN") == true)
    }

    @Test(.enabled(if: KVMGuests.skipReason == nil)) func neverHaltingGuestMeetsTheTimeLimit() throws {
        var o = KVMGuests.capture()
        o.timeLimit = .milliseconds(300)
        let r = try KVMBackend.runFlat([0xEB, 0xFE], options: o)   // jmp .
        #expect(r.exitStatus == 152)
        #expect(r.diagnostic?.contains("host time limit") == true, "\(r.diagnostic ?? "")")
    }

    @Test(.enabled(if: KVMGuests.skipReason == nil)) func haltWithInterruptsOffAndUnknownPort() throws {
        let halt = try KVMBackend.runFlat([0xFA, 0xF4], options: KVMGuests.capture())   // cli; hlt
        #expect(halt.exitStatus == 134)
        #expect(halt.diagnostic?.contains("HLT") == true, "\(halt.diagnostic ?? "")")
        let port = try KVMBackend.runFlat([0xB0, 0x01, 0xE6, 0x99, 0xF4], options: KVMGuests.capture())   // out %al,$0x99
        #expect(port.exitStatus == 134)
        #expect(port.diagnostic?.contains("0x99") == true, "\(port.diagnostic ?? "")")
    }

    @Test(.enabled(if: KVMGuests.skipReason == nil)) func exitCostIsMeasured() throws {
        let m = try ExitCostProbe.measure(iterations: 5000)
        print("KVM exit round trip on this host: \(Int(m.nanoseconds)) ns, \(Int(m.cycles)) cycles (CPUID loop, \(m.iterations) iterations; whole iteration \(Int(m.iterationNanoseconds)) ns\(m.emulated ? ", every instruction emulated by KVM" : ""))")
        #expect(m.nanoseconds > 0 && m.cycles > 0)
    }
}

/// The kvm mode through the CLI: the real guest kernel and programs, or a clear refusal.
@Suite(.serialized) struct KVMModeTests {
    static var vsim: String { CLIPath.vsim }

    @Test func noDeviceIsAClearMessage() throws {
        let r = try CLIPath.run(["run", "--mode", "kvm", CLIPath.packageRoot + "/programs/hello.s"], env: ["VSIM_KVM_DEVICE": "/nonexistent/kvm"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("kvm mode: /nonexistent/kvm does not exist"), "\(r.stderr)")
    }

    @Test func compareShowsAnUnavailableModeAndExportsEveryFormat() throws {
        let dir = NSTemporaryDirectory() + "vsim-kvm-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLIPath.run(["compare", "--modes", "interpret,hvm,kvm,native", "--runs", "2", "--warmup", "1",
                                 "--export-json", dir + "/r.json", "--export-svg", dir + "/r.svg",
                                 "--export-csv", dir + "/r.csv", "--export-markdown", dir + "/r.md", "--", "2000"],
                                env: ["VSIM_KVM_DEVICE": "/nonexistent/kvm"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kvm") && r.stdout.contains("unavailable"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as! [String: Any]
        let context = json["context"] as! [String: Any]
        for key in ["version", "host_cpu", "kernel", "date", "seed", "program", "arguments", "runs", "warmup", "modes", "baseline", "mismatches"] {
            #expect(context[key] != nil, "context lacks \(key)")
        }
        let results = json["results"] as! [[String: Any]]
        // The unavailable kvm is not a result (hyperfine's scripts would read its times): it is
        // listed with its reason in "unavailable".
        #expect(results.map { $0["mode"] as! String } == ["interpret", "hvm", "native"])
        for result in results {
            for key in ["command", "mean", "stddev", "median", "user", "system", "min", "max", "times", "exit_codes",
                        "parameters", "mode", "p90", "instructions_from_other_mode", "traps", "exits", "hypercalls",
                        "host_events", "breakdown"] {
                #expect(result.keys.contains(key), "\(result["mode"]!) lacks \(key)")
            }
        }
        let unavailable = json["unavailable"] as! [[String: Any]]
        #expect(unavailable.map { $0["mode"] as! String } == ["kvm"])
        #expect((unavailable[0]["reason"] as! String).contains("/nonexistent/kvm"))
        let hvm = results[1]
        #expect(((hvm["exits"] as! [String: Any])[ExitReason.ioInstruction.label] as! Int) > 0)
        #expect(hvm["modeled_cycles"] as? Int != nil)
        #expect(hvm["slowdown_stddev"] as? Double != nil)
        // The SVG is XML with one bar per mode, the unavailable one included.
        let svg = try String(contentsOfFile: dir + "/r.svg", encoding: .utf8)
        let check = try CLIPath.runTool("/usr/bin/python3", ["-c", """
            import sys, xml.dom.minidom as m
            d = m.parse(sys.argv[1])
            bars = [r.getAttribute('data-mode') for r in d.getElementsByTagName('rect') if r.getAttribute('class') == 'bar']
            print(','.join(bars))
            """, dir + "/r.svg"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "interpret,hvm,kvm,native")
        #expect(svg.contains("unavailable"))
        let csv = try String(contentsOfFile: dir + "/r.csv", encoding: .utf8)
        #expect(csv.split(separator: "\r\n").count == 5)
        #expect(try String(contentsOfFile: dir + "/r.md", encoding: .utf8).contains("| kvm | unavailable |"))
    }

    /// Every program under kvm as natively, and the hvm model's exits for hello, cat and a CPUID
    /// loop equal to KVM's; skipped with the reason where this host's KVM cannot run the kernel.
    @Test(.enabled(if: KVMBackend.unavailableReason() == nil || { print("skipping kvm-vs-native: \(KVMBackend.unavailableReason()!)"); return false }()))
    func programsUnderKVMMatchNativeAndHVM() throws {
        for program in ["hello", "cat", "fib", "sumsq", "sieve", "strings", "bits", "muldiv", "echo"] {
            let path = CLIPath.packageRoot + "/programs/\(program).s"
            let native = try CLIPath.run(["run", "--mode", "native", path], env: [:])
            let kvm = try CLIPath.run(["run", "--mode", "kvm", path], env: [:])
            #expect(kvm.status == native.status && kvm.stdout == native.stdout, "\(program): \(kvm.stderr)")
        }
        var kvmOptions = RunOptions(), hvmOptions = RunOptions()
        kvmOptions.io = .capture
        hvmOptions.io = .capture
        hvmOptions.timerPeriod = 0
        for program in ["hello", "cat"] {
            let k = try VSim.run(program: .embedded(program), mode: .kvm, options: kvmOptions)
            let h = try VSim.run(program: .embedded(program), mode: .hvm, options: hvmOptions)
            for reason in [ExitReason.ioInstruction, .hlt, .cpuid] {
                #expect(k.exits[reason.label] == h.exits[reason.label], "\(program) \(reason.label)")
            }
        }
    }
}

enum CLIPath {
    static var packageRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static var vsim: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "vsim"
    }

    static func run(_ arguments: [String], env: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        return try runTool(vsim, arguments, environment: environment)
    }

    static func runTool(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
