import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during `vsim compare`: while a container runs, vsim forwards SIGINT to it and tears it
/// down (docs/containers.md, "Signals"); the comparison must then stop too, as a Ctrl-C'd
/// command does, instead of going on with every remaining run and reporting mismatches.
@Suite struct CompareInterruptTests {
    /// A static program that sleeps 30 s (nanosleep, i386 call 162) and exits 0.
    static let sleeper = """
            .globl _start
    _start: movl $162, %eax
            movl $ts, %ebx
            xorl %ecx, %ecx
            int $0x80
            movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
            .data
    ts:     .long 30, 0

    """

    /// The pids of `pid`'s children (every thread's `children` file, Linux 3.5+).
    static func children(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").map(String.init)
        }
    }

    @Test("SIGINT during a container's setup or run stops vsim compare with 130 (128+SIGINT), no report, nothing left behind")
    func sigintStopsCompare() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let src = try CLI.write(Self.sleeper, name: "sleeper.s", in: dir)
        let exe = dir + "/sleeper"
        let built = try CLI.run("/bin/sh", ["-c", "as --32 \(src) -o \(dir)/s.o && ld -m elf_i386 \(dir)/s.o -o \(exe)"])
        try #require(built.status == 0, "\(built.stderr)")
        let probe = try CLI.vsim(["run", "--mode", "container", CLI.packageRoot + "/programs/hello.s"])
        guard probe.status == 0 else {
            print("skipped: containers cannot run here (\(probe.stderr.split(separator: "\n").first ?? ""))")
            return
        }
        // Through python3, which sets SIGINT's default action before it execs vsim (same pid): a
        // test run started in the background by a non-interactive shell has SIGINT ignored, and
        // an ignored signal is discarded even by a signalfd; a Ctrl-C'd vsim has it at default.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
                       CLI.vsimPath, "compare", exe, "--modes", "container,native", "--runs", "2"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // The container's init is vsim's first child (container comes first in --modes); vsim
        // blocks SIGINT and reads it from a signalfd before it clones the init. (Before the exec
        // python3 has no children.)
        var polls = 0
        while Self.children(of: p.processIdentifier).isEmpty && p.isRunning && polls < 6000 {
            usleep(10_000)
            polls += 1
        }
        try #require(p.isRunning && !Self.children(of: p.processIdentifier).isEmpty, "the container never started")
        kill(p.processIdentifier, SIGINT)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGINT, "\(p.terminationStatus): \(stderr)")
        // During the run it was forwarded; during the container's setup the init was killed.
        #expect(stderr.contains("compare stopped by SIGINT during container's warm-up run")
                || stderr.contains("vsim received SIGINT while the container was being set up"), "\(stderr)")
        #expect(!stdout.contains("median"), "no report: \(stdout)")
        #expect(!stderr.contains("MISMATCH"), "\(stderr)")
        // Nothing of the container is left: no process runs the sleeper.
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard Int32(entry) != nil, let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe") else { return false }
            return path.hasSuffix("/sleeper")
        }
        #expect(left.isEmpty, "processes left: \(left)")
    }
}
