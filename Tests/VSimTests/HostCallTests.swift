import Foundation
import Testing
import VSim
#if canImport(Glibc)
import Glibc
#endif

/// The guest kernel's host-call device (`HostCall`, `HostCallDevice`): the file and time calls
/// the kernel forwards, under every mode that runs the kernel, on both engines. Oracles:
/// - files: Tests/VSimTests/HostCallPrograms/files.s run natively in a `chroot` of a prepared
///   directory (the host kernel's own confinement) against `vsim run --root` of the same
///   layout, under user-mode emulation and under the kernel: same stdout and status, the file
///   outside the root never read;
/// - counts: the program's own hand count of its forwarded calls (42, listed in the source) and
///   the bytes of native stdout (one OUT each, the kernel's UART path), so the exits, traps,
///   callouts and hypercalls that carried them are computed without vsim;
/// - time: clock.s's readings differ by the instructions between them, counted by hand from
///   kernel.s and clock.s (below), plus the nanosleep.
@Suite("The guest kernel's host-call device", .serialized)
struct HostCallTests {
    static let directory = ProgramsHarness.repositoryRoot + "/Tests/VSimTests/HostCallPrograms"
    static let secret = "SECRET-OUTSIDE"
    /// files.s's forwarded calls (all but write(1) and exit), numbered in its source.
    static let filesHostCalls: UInt64 = 42
    /// The same by name, from the numbered comments of files.s (`cat` reads, writes to fd 1 and
    /// closes: 3 times; `cwd` calls getcwd: 3 times).
    static let filesCallsByName: [String: UInt64] = ["open": 10, "read": 6, "close": 6, "lseek": 1, "fstat64": 1, "write": 1,
        "stat64": 3, "mkdir": 1, "chdir": 4, "getcwd": 4, "access": 2, "unlink": 2, "rmdir": 1]
    static let kernelModes: [(Mode, Engine)] = [.trap, .hvm, .pv, .bt, .unikernel].flatMap { m in [(m, Engine.interpret), (m, .translate)] }

    /// DIR/root as files.s expects it (the program as /prog), DIR/secret.txt outside.
    static func makeRoot(in dir: String, program: String) throws -> String {
        let fm = FileManager.default
        let root = dir + "/root"
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try (secret + "\n").write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
        try "hello from inside the root\n".write(toFile: root + "/data/hello.txt", atomically: true, encoding: .utf8)
        try "root-passwd stand-in\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/data/up", withDestinationPath: "../../../../..")
        try fm.createSymbolicLink(atPath: root + "/data/abs", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: root + "/data/out", withDestinationPath: "../../secret.txt")
        try fm.copyItem(atPath: program, toPath: root + "/prog")
        return root
    }

    static func build(_ name: String, into dir: String) throws -> String {
        try ProgramsHarness.requireTools(["as", "ld"])
        return try ProgramsHarness.build(sourcePath: directory + "/\(name).s", into: dir)
    }

    /// Whether this host can run a program in a chroot (root or a user namespace).
    static func canChroot() -> Bool {
        guard let dir = try? ProgramsHarness.temporaryDirectory(prefix: "hostcall-probe") else { return false }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let exe = try? build("files", into: dir), let root = try? makeRoot(in: dir + "/probe", program: exe) else { return false }
        return LinuxABITests.nativeChroot(root) != nil
    }

    /// `engine` for a VMM mode (nil: user mode or --system, where the mode picks its engine);
    /// no timer under the kernel, so nothing but the program runs between two clock readings.
    static func options(root: String?, engine: Engine?, system: Bool = false) -> RunOptions {
        var o = RunOptions()
        o.io = .capture
        o.root = root
        if let engine { o.engine = engine }
        o.system = system
        if engine != nil || system { o.timerPeriod = 0 }
        o.timeLimit = .seconds(120)
        return o
    }

    @Test("files under --root: the same as natively in a chroot, in user mode and under every kernel mode; calls counted by hand",
          .enabled(if: HostCallTests.canChroot(), "needs GNU as/ld and chroot (root or a user namespace)"))
    func filesAsNativelyInAChroot() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hostcall")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build("files", into: dir)
        let nativeRoot = try Self.makeRoot(in: dir + "/native", program: exe)
        let native = try CLI.run("/usr/bin/env", try #require(LinuxABITests.nativeChroot(nativeRoot)))
        #expect(native.status == 0, "native: \(native.stderr)")
        #expect(native.stdout.contains("/sub\n") && native.stdout.contains("escape: -2"))
        let bytes = UInt64(native.stdout.utf8.count)

        var runs: [(String, RunResult)] = []
        let user = try VSim.run(program: .path(exe), mode: .interpret, options: Self.options(root: try Self.makeRoot(in: dir + "/user", program: exe), engine: nil))
        runs.append(("interpret (user mode)", user))
        let translated = try VSim.run(program: .path(exe), mode: .translate, options: Self.options(root: try Self.makeRoot(in: dir + "/user-tb", program: exe), engine: nil))
        runs.append(("translate (user mode)", translated))
        for (mode, engine) in Self.kernelModes {
            let root = try Self.makeRoot(in: dir + "/\(mode)-\(engine)", program: exe)
            runs.append(("\(mode) --engine \(engine)", try VSim.run(program: .path(exe), mode: mode, options: Self.options(root: root, engine: engine))))
        }
        let system = try Self.makeRoot(in: dir + "/system", program: exe)
        runs.append(("interpret --system", try VSim.run(program: .path(exe), mode: .interpret, options: Self.options(root: system, engine: nil, system: true))))
        for (name, r) in runs {
            let out = String(decoding: r.output ?? [], as: UTF8.self)
            #expect(r.exitStatus == native.status, "\(name): \(r.diagnostic ?? "")")
            #expect(out == native.stdout, "\(name): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(out)")
            #expect(!out.contains(Self.secret), "\(name) read the file outside the root")
        }
        for (name, r) in runs.dropFirst(2) {
            // Every forwarded call reached the device once.
            #expect(r.hostCalls.values.reduce(0, +) == Self.filesHostCalls, "\(name): \(r.hostCalls)")
            #expect(r.hostCalls == Self.filesCallsByName, "\(name): \(r.hostCalls)")
        }
        // What carried them: one OUT per stdout byte (the kernel's UART path), one per host call,
        // one to the exit device; under pv one hypercall per host call (stdout goes by console_io).
        let outs = bytes + Self.filesHostCalls + 1
        for (name, r) in runs {
            if name.hasPrefix("hvm") || name.hasPrefix("unikernel") { #expect(r.exits["30 I/O instruction"] == outs, "\(name): \(r.exits)") }
            if name.hasPrefix("trap") { #expect(r.traps["#GP: out"] == outs, "\(name): \(r.traps)") }
            if name.hasPrefix("bt") { #expect(r.callouts["out"] == outs, "\(name): \(r.callouts)") }
            if name.hasPrefix("pv") { #expect(r.hypercalls["host_call"] == Self.filesHostCalls, "\(name): \(r.hypercalls)") }
        }
        // Counts are the same on both engines.
        for mode in ["trap", "hvm", "pv", "bt", "unikernel"] {
            let pair = runs.filter { $0.0.hasPrefix(mode + " ") }.map(\.1)
            #expect(pair.count == 2 && pair[0].instructions == pair[1].instructions && pair[0].traps == pair[1].traps
                    && pair[0].exits == pair[1].exits && pair[0].hypercalls == pair[1].hypercalls && pair[0].callouts == pair[1].callouts
                    && pair[0].hostCalls == pair[1].hostCalls && pair[0].modeledCycles == pair[1].modeledCycles, "\(mode)")
        }
        // The root's files are as natively afterwards: new.txt and sub/ created and removed inside.
        for (mode, engine) in Self.kernelModes {
            let root = dir + "/\(mode)-\(engine)/root"
            #expect(!FileManager.default.fileExists(atPath: root + "/new.txt") && !FileManager.default.fileExists(atPath: root + "/sub"))
            #expect(try String(contentsOfFile: dir + "/\(mode)-\(engine)/secret.txt", encoding: .utf8) == Self.secret + "\n")
        }
    }

    @Test("symlink and symlinkat under --root: the text stored as given, followed only inside the root, as natively in a chroot",
          .enabled(if: HostCallTests.canChroot(), "needs GNU as/ld and chroot (root or a user namespace)"))
    func symlinksAsNativelyInAChroot() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hostcall-symlink")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build("symlink", into: dir)
        let nativeRoot = try Self.makeRoot(in: dir + "/native", program: exe)
        let native = try CLI.run("/usr/bin/env", try #require(LinuxABITests.nativeChroot(nativeRoot)))
        #expect(native.status == 0, "native: \(native.stderr)")
        #expect(native.stdout.contains("readlink /data/l_out: 19\n../../../secret.txt\n"), "\(native.stdout)")
        #expect(native.stdout.contains("/data/l_out: -2\n"), "\(native.stdout)")
        var configurations: [(String, Mode, Engine?)] = [("interpret", .interpret, nil), ("translate", .translate, nil)]
        configurations += Self.kernelModes.map { ("\($0.0) --engine \($0.1)", $0.0, $0.1) }
        for (name, mode, engine) in configurations {
            let root = try Self.makeRoot(in: dir + "/\(name.replacingOccurrences(of: " ", with: "_"))", program: exe)
            let r = try VSim.run(program: .path(exe), mode: mode, options: Self.options(root: root, engine: engine))
            let out = String(decoding: r.output ?? [], as: UTF8.self)
            #expect(r.exitStatus == 0, "\(name): \(r.diagnostic ?? "")")
            #expect(out == native.stdout, "\(name): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(out)")
            if engine != nil { #expect(r.hostCalls["symlink"] == 4 && r.hostCalls["symlinkat"] == 1, "\(name): \(r.hostCalls)") }
            #expect(!FileManager.default.fileExists(atPath: root + "/data/l_abs"), "\(name): the links were unlinked inside the root")
        }
    }

    @Test("vsim compare reports the host calls of each kernel mode, in the table and the JSON")
    func compareShowsHostCalls() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hostcall-compare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build("files", into: dir)
        let root = try Self.makeRoot(in: dir + "/r", program: exe)
        let r = try CLI.vsim(["compare", exe, "--modes", "interpret,hvm,pv", "--runs", "1", "--warmup", "0", "--root", root, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let results = try #require(json["results"] as? [[String: Any]])
        for result in results {
            let calls = (result["host_calls"] as? [String: Int]) ?? [:]
            let mode = result["mode"] as? String ?? ""
            // User mode serves its calls itself: no device, no host calls.
            #expect(calls.values.reduce(0, +) == (mode == "interpret" ? 0 : Int(Self.filesHostCalls)), "\(mode): \(calls)")
        }
    }

    /// Instructions from one host-call OUT (inclusive) to the next (exclusive) in clock.s, by
    /// hand from kernel.s: after the OUT, `movl hostcall_req+28`, `ret`, `jmp sys_return`,
    /// sys_return's `cmpl $0, sig_work` and `jne` (no signal work: not taken), six `popl`,
    /// `iret` (13 with the OUT); clock.s's `movl`, `movl`, `movl`/`xorl`, `int $0x80` (4);
    /// syscall_entry's six `pushl`, `movl`, `cmpl`, `jae`, `call` (10); sys_forward's
    /// `call cow_resolve` and cow_resolve's `cmpl`, `je`, `ret` (4: the process shares no pages),
    /// seven `movl` to the request block, `movl $hostcall_req`, `movw $HOSTCALL_PORT` (9): 40.
    /// Under pv the result comes back in EAX and the hypercall is `call` into the hypercall page,
    /// `movl $48`, `int $0x82`, stub `ret`: 41. The clock counts instructions the guest CPU
    /// retired: under trap the OUT is performed by the VMM after its #GP (39), under bt the OUT
    /// and the IRET are callouts (38). (These runs have no timer, so nanosleep goes to the
    /// host-call device: the kernel cannot wait without one.)
    static let instructionsBetweenReadings: [Mode: UInt64] = [.hvm: 40, .unikernel: 40, .interpret: 40, .pv: 41, .trap: 39, .bt: 38]

    @Test("the clocks read the machine clock: 1 ns per retired instruction, plus what nanosleep slept")
    func clockIsTheMachineClock() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hostcall-clock")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build("clock", into: dir)
        var configurations = Self.kernelModes.map { ($0.0, $0.1, false) }
        configurations.append((.interpret, .interpret, true))
        for (mode, engine, system) in configurations {
            let r = try VSim.run(program: .path(exe), mode: mode, options: Self.options(root: nil, engine: system ? nil : engine, system: system))
            let n = try #require(Self.instructionsBetweenReadings[mode])
            #expect(r.exitStatus == 0, "\(mode) \(engine): \(r.diagnostic ?? "")")
            // Around the nanosleep: two spans, plus sys_nanosleep's `cmpl $0, tick_ns` and `je
            // sys_forward` (no timer: the host-call device sleeps).
            #expect(String(decoding: r.output ?? [], as: UTF8.self) == "\(n)\n\(500_000 + 2 * n + 2)\n0\n", "\(mode) \(engine)")
            #expect(r.hostCalls == ["clock_gettime": 3, "nanosleep": 1, "gettimeofday": 1, "time": 1], "\(mode) \(engine)")
        }
    }

    @Test("a call nobody serves: -ENOSYS, named once on stderr, counted as a host call")
    func unimplementedCall() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hostcall-enosys")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = dir + "/enosys.s"
        // socketcall (102) twice, then exit with the negated result: 38.
        try """
            .globl _start
        _start:
            movl $102, %eax
            int $0x80
            movl $102, %eax
            int $0x80
            movl %eax, %ebx
            negl %ebx
            movl $1, %eax
            int $0x80
        """.write(toFile: src, atomically: true, encoding: .utf8)
        for mode in ["trap", "hvm", "pv", "bt", "unikernel"] {
            let r = try CLI.vsim(["run", src, "--mode", mode])
            #expect(r.status == 38, "\(mode): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").filter { $0.contains("system call 102 (socketcall) is not implemented") }
            #expect(lines.count == 1, "\(mode): \(r.stderr)")
        }
    }
}
