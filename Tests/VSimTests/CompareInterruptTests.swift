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

    /// SIGTERM sent to vsim alone (a CI job's timeout, `kill PID`) while a native or qemu-i386
    /// process runs the guest: before, vsim died of it and the process ran on as an orphan. Now
    /// the signal reaches the process, which dies of it as `./sleeper` killed by SIGTERM would
    /// (a shell shows 143, 128+SIGTERM), vsim exits with that status, `vsim compare` stops with
    /// 143 and no report (docs/user-guide.md: "SIGTERM, SIGHUP and SIGQUIT likewise"), and no
    /// process of the run is left (/proc).
    @Test("SIGTERM to vsim during a native or qemu-i386 run reaches the process: 143, no report, no orphan")
    func sigtermReachesNativeAndQemuProcesses() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let src = try CLI.write(Self.sleeper, name: "sleeper.s", in: dir)
        // Not named "sleeper": the SIGINT test beside this one looks for processes of that name.
        let exe = dir + "/term-sleeper"
        let built = try CLI.run("/bin/sh", ["-c", "as --32 \(src) -o \(dir)/s.o && ld -m elf_i386 \(dir)/s.o -o \(exe)"])
        try #require(built.status == 0, "\(built.stderr)")
        /// The processes whose command line names the sleeper.
        func running() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
                guard Int32(entry) != nil, let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
                let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return args.first.map { !$0.hasSuffix("python3") && !$0.hasSuffix("vsim") } == true && args.contains(exe)
            }
        }
        var cases: [(String, [String])] = [("run native", ["run", "--mode", "native", exe]),
                                           ("compare native", ["compare", exe, "--modes", "native", "--runs", "1"])]
        if (try? CLI.run("/bin/sh", ["-c", "command -v qemu-i386"]))?.status == 0 {
            cases.append(("run qemu", ["run", "--mode", "qemu", exe]))
        } else {
            print("skipped the qemu case: no qemu-i386 (apt-get install qemu-user)")
        }
        for (name, args) in cases {
            // Through python3, which sets SIGTERM's default action and unblocks it before it execs
            // vsim (same pid): the test runner's threads may block it, and the mask survives exec.
            // Debian's /usr/bin/python3 itself where it is there: a python3 found on PATH may be a
            // shell script (pyenv's shim) whose pid is not the one that becomes vsim.
            let p = Process()
            let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? ["/usr/bin/python3"] : ["python3"]
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = python + ["-c", "import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); "
                           + "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM}); os.execv(sys.argv[1], sys.argv[1:])",
                           CLI.vsimPath] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            try p.run()
            // Wait for the program, and for vsim's handler of SIGTERM (SigCgt bit 14 in
            // /proc/PID/status), which it installs as it starts waiting for the program.
            func catchesSIGTERM() -> Bool {
                let status = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8)) ?? ""
                guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
                      let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
                return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
            }
            var polls = 0
            while (running().isEmpty || !catchesSIGTERM()) && p.isRunning && polls < 6000 {
                usleep(10_000)
                polls += 1
            }
            try #require(p.isRunning && catchesSIGTERM(), "\(name): vsim never ran the program with a handler of SIGTERM in place")
            kill(p.processIdentifier, SIGTERM)
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGTERM,
                    "\(name): \(p.terminationReason == .exit ? "exit" : "killed by signal") \(p.terminationStatus): \(stderr)")
            if name.hasPrefix("compare") {
                #expect(stderr.contains("compare stopped by SIGTERM during native's warm-up run (vsim forwarded it to native's process)"), "\(stderr)")
                #expect(!stdout.contains("median"), "no report: \(stdout)")
            }
            let left = running()
            #expect(left.isEmpty, "\(name): processes left: \(left)")
            for pid in left { kill(Int32(pid)!, SIGKILL) }
        }
    }
}
