import Foundation
import Testing
@testable import Grading

/// `vsim grade` stopped by SIGTERM, as Gradescope's or a CI job's timeout stops the grader: it
/// stops grading at once and exits 143 (128 + SIGTERM, the convention docs/exit-status.md gives
/// a stopped `vsim compare` and `vsim image build`), writing no result, leaving nothing behind.
///
/// The submission loops for ever (`jmp .`) and the test's budget is 10^12 instructions with a
/// time limit of 600 s: a grader that went on would finish that run only at its time limit.
/// The run is in vsim-lab's own process (interpret, translate, and the guest kernel under hvm),
/// so SIGTERM reaches it through the run's ``KillRequest`` (``VSim/StopSignal``). The signal is
/// sent once the program is in the assembly cache (the grader's check and build are done) and
/// vsim-lab has since used CPU time (read from /proc/PID/stat): a poll, not a timing bound.
/// Expected, from the documentation: status 143 (a normal exit, not death by the signal), a
/// message naming SIGTERM, no result file (nor its `.tmp-PID`), no process whose command line
/// names the test's folder, an empty TMPDIR.
@Suite struct GradeSignalTests {
    static let loop = """
    .globl _start
    _start:
        jmp _start

    """

    static func labTOML(_ mode: String) -> String {
        """
        id = "stop"
        title = "Stopped"
        summary = "a grading stopped by SIGTERM"
        order = 1
        submission = ["prog.s"]

        [defaults]
        max_instructions = 1000000000000
        time_limit = 600

        [[tests]]
        id = "loops"
        name = "a program that never ends"
        points = 1
        program = "submission/prog.s"
        modes = ["\(mode)"]
        expect = { exit_status = 0 }

        [[tests]]
        id = "again"
        name = "the same, never reached"
        points = 1
        program = "submission/prog.s"
        modes = ["\(mode)"]
        expect = { exit_status = 0 }

        """
    }

    /// utime + stime of `pid` in clock ticks (proc(5)), nil once it is gone.
    static func cpuTicks(_ pid: Int32) -> Int? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let u = Int(fields[11]), let s = Int(fields[12]) else { return nil }
        return u + s
    }

    @Test(arguments: ["interpret", "translate", "hvm"])
    func sigtermStopsTheGradingWith143(_ mode: String) throws {
        let root = NSTemporaryDirectory() + "vsim-gradesig-" + UUID().uuidString
        defer { Fixture.remove(root) }
        let lab = root + "/stop", tmp = root + "/tmp", cache = root + "/cache"
        try Fixture.write(Self.labTOML(mode), to: lab + "/lab.toml")
        try Fixture.write("", to: lab + "/hidden/hidden.toml")
        let submission = try Fixture.submission(["prog.s": Self.loop], in: root, name: "sub")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let result = root + "/result.json"
        FileManager.default.createFile(atPath: root + "/stderr", contents: nil)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixture.vsimPath)
        p.arguments = ["grade", lab, submission, "--format", "gradescope", "--output", result]
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp, "XDG_CACHE_HOME": cache]) { $1 }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/stderr"))
        try p.run()
        let pid = p.processIdentifier

        // The program built (in the cache), then vsim-lab busy for 20 more ticks: the loop runs.
        func built() -> Bool {
            let files = FileManager.default.enumerator(atPath: cache)?.allObjects as? [String] ?? []
            return files.contains { $0.hasPrefix("vsim/prog-") }
        }
        while p.isRunning && !built() { usleep(10_000) }
        if let start = Self.cpuTicks(pid) {
            while p.isRunning, let now = Self.cpuTicks(pid), now < start + 20 { usleep(10_000) }
        }
        #expect(p.isRunning, "vsim grade ended before the signal")
        kill(pid, SIGTERM)
        p.waitUntilExit()

        let stderr = (try? String(contentsOfFile: root + "/stderr", encoding: .utf8)) ?? ""
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGTERM, "\(p.terminationReason) \(p.terminationStatus): \(stderr)")
        #expect(stderr.contains("SIGTERM") && stderr.contains("loops") && stderr.contains("no result was written"), "\(stderr)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        #expect(!files.contains { $0.hasPrefix("result.json") }, "\(files)")
        #expect(OutputCapTests.processesMentioning(root).isEmpty, "\(OutputCapTests.processesMentioning(root))")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? ["(unreadable)"]
        #expect(left.isEmpty, "the grader left \(left) in its TMPDIR")
    }

    /// The state letter of `pid` in /proc/PID/stat (proc(5)): "Z" for a zombie, nil once gone.
    static func state(_ pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ").first.map(String.init)
    }

    /// SIGTERM while the submission check's `as` runs: the grader kills the assembler's process
    /// group (the tool and what it started) and exits 143 at once, instead of waiting for it up
    /// to the check's time limit and then killing the tool alone. The `as` found first in PATH is a
    /// shell script that starts `sleep 6000` and waits for it, after writing both pids to a file;
    /// the signal is sent once that file exists. Expected: status 143, a message naming SIGTERM,
    /// no result file, and both the script and its `sleep` gone (or zombies: killed, not yet
    /// reaped by their parent) when vsim grade has exited. Before, vsim grade went on waiting for
    /// the script, and its `sleep` outlived it.
    @Test func sigtermKillsTheRunningAssemblerCheck() throws {
        let root = NSTemporaryDirectory() + "vsim-gradesig-as-" + UUID().uuidString
        defer { Fixture.remove(root) }
        let lab = root + "/stop", tmp = root + "/tmp", cache = root + "/cache", bin = root + "/bin"
        try Fixture.write(Self.labTOML("interpret"), to: lab + "/lab.toml")
        try Fixture.write("", to: lab + "/hidden/hidden.toml")
        let submission = try Fixture.submission(["prog.s": Self.loop], in: root, name: "sub")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let pids = root + "/as.pids"
        try Fixture.write("#!/bin/sh\nsleep 6000 &\necho \"$$ $!\" > \(pids).tmp && mv \(pids).tmp \(pids)\nwait\n", to: bin + "/as")
        chmod(bin + "/as", 0o755)
        let result = root + "/result.json"
        FileManager.default.createFile(atPath: root + "/stderr", contents: nil)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixture.vsimPath)
        p.arguments = ["grade", lab, submission, "--format", "gradescope", "--output", result]
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp, "XDG_CACHE_HOME": cache, "PATH": path]) { $1 }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/stderr"))
        try p.run()
        while p.isRunning && !FileManager.default.fileExists(atPath: pids) { usleep(10_000) }
        #expect(p.isRunning, "vsim grade ended before its assembler check ran")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()

        let stderr = (try? String(contentsOfFile: root + "/stderr", encoding: .utf8)) ?? ""
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGTERM, "\(p.terminationReason) \(p.terminationStatus): \(stderr)")
        #expect(stderr.contains("SIGTERM") && stderr.contains("no result was written"), "\(stderr)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        #expect(!files.contains { $0.hasPrefix("result.json") }, "\(files)")
        let started = ((try? String(contentsOfFile: pids, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(started.count == 2, "\(started)")
        for pid in started {
            let s = Self.state(pid)
            #expect(s == nil || s == "Z", "pid \(pid) (the fake as or its sleep) is still running: state \(s ?? "")")
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? ["(unreadable)"]
        #expect(left.isEmpty, "the grader left \(left) in its TMPDIR")
        // A sleep that survived (the test failing) is not left behind by the test itself.
        for pid in started where Self.state(pid) != nil { kill(pid, SIGKILL) }
    }
}
