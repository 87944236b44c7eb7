import Foundation
import XCTest
@testable import VSim

/// The guest kernel's processes (programs/kernel/kernel.s, "processes": fork, vfork, clone with
/// glibc's flags, wait4/waitpid, exit, copy-on-write, the scheduler): hand-written fork.s and
/// the C program fork_wait.c (glibc, and musl where installed) run natively (the host is the
/// oracle) and under trap, hvm (EPT and shadow paging), pv and bt on both engines, with the
/// same output and exit status, and the same counts from the interpreter as from the
/// translator; with the timer interrupting every 500 instructions too (preemption at ring 3).
/// Under unikernel fork is -ENOSYS.
final class KernelProcessTests: XCTestCase {
    static let directory = ProgramsHarness.repositoryRoot + "/Tests/VSimTests/KernelPrograms"

    func assembled(_ name: String) throws -> String {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "kernelproc")
        return try ProgramsHarness.build(sourcePath: Self.directory + "/\(name).s", into: dir)
    }

    static func run(_ exe: String, arguments: [String] = [], mode: Mode, engine: Engine, ept: Bool? = nil,
                    timer: UInt32? = nil) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.engine = engine
        options.ept = ept
        if let timer { options.timerPeriod = timer }
        options.timeLimit = .seconds(600)
        return try VSim.run(program: .path(exe), mode: mode, arguments: arguments, options: options)
    }

    func run(_ exe: String, mode: Mode, engine: Engine, ept: Bool? = nil, timer: UInt32? = nil) throws -> RunResult {
        try Self.run(exe, mode: mode, engine: engine, ept: ept, timer: timer)
    }

    /// One program checked everywhere: its guest arguments, the expected stdout and status, the
    /// timer period (nil: the default).
    struct Check: Sendable {
        var exe: String
        var arguments: [String] = []
        var expected: String
        var status: Int32
        var timer: UInt32? = nil
    }

    /// The kernel modes that fork (hvm twice: EPT on and off).
    static let kernelModes: [(Mode, Bool?)] = [(.trap, nil), (.hvm, true), (.hvm, false), (.pv, nil), (.bt, nil)]

    /// Every kernel mode that forks (hvm twice: EPT on and off), both engines: output and status
    /// as natively, counts (hidden page faults, EPT page walks and modeled cycles included) equal
    /// between the engines. The runs are independent, so they run side by side on the host's
    /// cores (``Concurrently``); every result is checked here afterwards, in order.
    func checkEverywhere(_ checks: [Check], file: StaticString = #filePath, line: UInt = #line) {
        struct Job: Sendable { var check: Check; var mode: Mode; var ept: Bool?; var engine: Engine }
        let jobs = checks.flatMap { c in
            Self.kernelModes.flatMap { m in [Engine.interpret, .translate].map { Job(check: c, mode: m.0, ept: m.1, engine: $0) } }
        }
        let results = Concurrently.map(jobs) { j in
            try Self.run(j.check.exe, arguments: j.check.arguments, mode: j.mode, engine: j.engine, ept: j.ept, timer: j.check.timer)
        }
        func sorted(_ d: [String: UInt64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        var counts: [String: String] = [:]
        for (j, result) in zip(jobs, results) {
            let name = URL(fileURLWithPath: j.check.exe).lastPathComponent
            let modeName = "\(j.mode)\(j.ept.map { $0 ? " (EPT)" : " (shadow)" } ?? "")"
            let args = j.check.arguments.isEmpty ? "" : " " + j.check.arguments.joined(separator: " ")
            let what = "\(name)\(args) timer \(j.check.timer.map(String.init) ?? "default"): \(modeName)"
            let r: RunResult
            switch result {
            case .success(let run): r = run
            case .failure(let error): XCTFail("\(what) \(j.engine): \(error)", file: file, line: line); continue
            }
            XCTAssertEqual(r.exitStatus, j.check.status, "\(what) \(j.engine): \(r.diagnostic ?? "")", file: file, line: line)
            XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), j.check.expected, "\(what) \(j.engine): output", file: file, line: line)
            let c = "instructions \(r.instructions ?? 0); traps \(sorted(r.traps)); exits \(sorted(r.exits)); "
                + "hypercalls \(sorted(r.hypercalls)); callouts \(sorted(r.callouts))"
                + "; EPT walks \(r.eptWalks ?? []); cycles \(r.modeledCycles ?? 0)"
            if let other = counts.updateValue(c, forKey: what) {
                XCTAssertEqual(other, c, "\(what): the interpreter and the translator count differently", file: file, line: line)
            }
        }
    }

    func checkEverywhere(_ exe: String, expected: String, status: Int32, timer: UInt32? = nil,
                         file: StaticString = #filePath, line: UInt = #line) {
        checkEverywhere([Check(exe: exe, expected: expected, status: status, timer: timer)], file: file, line: line)
    }

    /// fork.s: getppid in the child, copy-on-write of a data word, wait4's status word (exit
    /// code << 8), -ECHILD with and without WNOHANG, waitpid(-1) for two children, a child
    /// killed by #GP (status 11, SIGSEGV), vfork, clone(SIGCHLD | CLONE_CHILD_SETTID |
    /// CLONE_CHILD_CLEARTID) storing the child's tid in the child's memory only, and wait4 with a
    /// bad status pointer (-EFAULT, the child reaped all the same, as Linux's kernel_wait4).
    func testForkWaitAssembly() throws {
        let exe = try assembled("fork")
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        XCTAssertEqual(native.status, 0)
        let text = String(decoding: native.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("parent: status 0x00000300\nparent: shared = 7\n"), text)
        XCTAssertTrue(text.contains("child killed by #GP: status 0x0000000b\n"), text)
        checkEverywhere([Check(exe: exe, expected: text, status: 0), Check(exe: exe, expected: text, status: 0, timer: 500)])
    }

    /// fork_many.s: 16 slots, one the first process's: 15 children (zombies until reaped), then
    /// -EAGAIN; all reaped afterwards. Status 4 * 15 + 11 = 71 in every mode, with the timer
    /// (children exit meanwhile) and without.
    func testProcessTableFull() throws {
        let exe = try assembled("fork_many")
        for mode in [Mode.trap, .hvm, .pv, .bt] {
            for timer in [0, 500] as [UInt32] {
                let r = try run(exe, mode: mode, engine: .interpret, timer: timer)
                XCTAssertEqual(r.exitStatus, 71, "\(mode) timer \(timer): \(r.diagnostic ?? "")")
            }
        }
    }

    /// Under unikernel (one address space) fork, vfork and clone are -ENOSYS: fork.s then
    /// takes the parent's path everywhere, with no child to wait for.
    func testUnikernelHasNoFork() throws {
        let exe = try assembled("fork")
        let r = try run(exe, mode: .unikernel, engine: .interpret)
        XCTAssertEqual(r.exitStatus, 0)
        let text = String(decoding: r.output ?? [], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("parent: wait4 returned something else\n"), text)
        XCTAssertTrue(text.contains("wait4 with a bad status pointer: -10\n"), text)
    }

    /// fork_wait.c through glibc (and musl): three children, each printing its getppid()
    /// relation, its own counter and heap; the parent's WIFEXITED/WEXITSTATUS; wait with no
    /// child left. stdout and the status as natively (musl's fork also calls rt_sigprocmask,
    /// which the kernel forwards: vsim's notice about it on stderr is not compared).
    func testForkWaitC() throws {
        var checks: [Check] = []
        for exe in try builtC("fork_wait") {
            let native = try ProgramsHarness.run([exe], directExecutable: true)
            XCTAssertEqual(native.status, 0)
            let text = String(decoding: native.stdout, as: UTF8.self)
            XCTAssertTrue(text.contains("WIFEXITED 1 WEXITSTATUS 13; counter 100; parent's heap\n"), text)
            checks.append(Check(exe: exe, expected: text, status: 0))
        }
        checkEverywhere(checks)
    }

    /// Signals between processes, sigchld_fork.c through glibc (and musl): a SIGCHLD handler
    /// counting the parent's children as they exit (codes 20, 27, 34) and are reaped with
    /// waitpid; a child's abort() as WIFSIGNALED with WTERMSIG 6 (SIGABRT); kill(child, SIGUSR1)
    /// taken by the child's inherited handler in sigsuspend; a waitpid interrupted by a child's
    /// SIGUSR2, -1 with EINTR without SA_RESTART and restarted with it. stdout and the status as
    /// natively, in every kernel mode on both engines, with the default timer and with one every
    /// 500 instructions (preemption at ring 3).
    func testSignalsBetweenProcessesC() throws {
        var checks: [Check] = []
        for exe in try builtC("sigchld_fork") {
            let native = try ProgramsHarness.run([exe], directExecutable: true)
            XCTAssertEqual(native.status, 0)
            let text = String(decoding: native.stdout, as: UTF8.self)
            XCTAssertTrue(text.contains("abort: waitpid the child; WIFSIGNALED, WTERMSIG 6; SIGCHLDs so far 4\n"), text)
            XCTAssertTrue(text.contains("waitpid interrupted: -1, EINTR; SIGUSR2 handled 1\n"), text)
            XCTAssertTrue(text.hasSuffix("SIGCHLDs 7\n"), text)
            // Natively the SIGUSR2 child sleeps 20 ms and 50 ms (the host's scheduler decides the
            // order); in the guest 200 µs and 500 µs, still several ticks of the default timer and
            // hundreds of the 500-instruction one, where the 20 ms and 50 ms made 280,000 timer
            // interrupts a run (trap on the debug interpreter: 39.2 M guest instructions, 1.13 M
            // traps, 36 s of CPU; with these 1.24 M, 21.6 K and 4.7 s).
            checks.append(Check(exe: exe, arguments: ["200"], expected: text, status: 0))
            // Every 500 instructions (preemption at ring 3), EPT page walks and cycles included.
            // Two causes of a one-walk difference were found (by logging every TLB fill on both
            // engines) and removed: the translator translated a chained jump's target, fetching
            // its code, before an interrupt (it now chains at the next lookup); and the
            // interpreter built the block at the next EIP (fetching its page) with nothing left
            // of its slice, before the tick and the context switch that flushed the TLB. Decoding
            // ahead now only looks at code (GuestMemory.peekCode) and both engines end a block at
            // its page's end, so a page is fetched when an instruction on it is about to run.
            checks.append(Check(exe: exe, arguments: ["200"], expected: text, status: 0, timer: 500))
        }
        checkEverywhere(checks)
    }

    /// Builds KernelPrograms/NAME.c statically with glibc (CProgramsTests' compiler), and with
    /// musl where installed, at -O2; skips with the reason when the host cannot.
    func builtC(_ name: String) throws -> [String] {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "kernelprocc")
        var built: [String] = []
        for libc in CProgramsTests.libcs {
            let exe = dir + "/\(name)-\(libc)"
            var command = CProgramsTests.compiler + ["-static", "-O2", "-o", exe, Self.directory + "/\(name).c"]
            if libc == "musl" { command += ["-specs", CProgramsTests.muslSpecs, "-Wl,-melf_i386"] }
            let r = try CLI.run("/usr/bin/env", command)
            guard r.status == 0 else { throw XCTSkip("\(libc): cannot build a static i386 C program: \(r.stderr)") }
            built.append(exe)
        }
        return built
    }
}
