import Foundation
import XCTest
import Guest
import Hypervisor
import Machine
@testable import VSim
#if canImport(Glibc)
import Glibc
#endif

/// `vsim run --mode interpret --system`, `--mode trap`, `--mode hvm` and `--mode pv`: every program in
/// programs/ under the guest kernel of programs/kernel/ gives the same stdout and exit status as
/// natively.
final class SystemModeTests: XCTestCase {
    nonisolated(unsafe) static var built: [String: String] = [:]
    nonisolated(unsafe) static var buildDirectory: String?
    static let lock = NSLock()

    func executable(_ name: String) throws -> String {
        try ProgramsHarness.requireTools(["as", "ld"])
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if let e = Self.built[name] { return e }
        if Self.buildDirectory == nil { Self.buildDirectory = try ProgramsHarness.temporaryDirectory(prefix: "system") }
        let exe = try ProgramsHarness.build(sourcePath: ProgramsHarness.programsDirectory + "/\(name).s", into: Self.buildDirectory!)
        Self.built[name] = exe
        return exe
    }

    /// Runs under the kernel: through the facade (stdin /dev/null, stdout captured), or with
    /// stdin from a file through BootLoader and SystemMachine directly.
    /// Each kernel mode on each engine (`--mode translate --system` is the translator's interpret --system).
    static let configurations: [(Mode, Engine)] = [(.interpret, .interpret), (.trap, .interpret), (.hvm, .interpret), (.pv, .interpret),
                                                   (.translate, .translate), (.trap, .translate), (.hvm, .translate), (.pv, .translate)]

    static func system(_ exe: String, _ arguments: [String], stdin: [UInt8]?, mode: Mode, engine: Engine) throws -> (Int32, [UInt8], String?) {
        guard let input = stdin else {
            var options = RunOptions()
            options.io = .capture
            options.system = mode == .interpret || mode == .translate
            // --engine is for the VMM modes; interpret and translate --system pick their own.
            if mode != .interpret && mode != .translate { options.engine = engine }
            options.timeLimit = .seconds(120)
            let r = try VSim.run(program: .path(exe), mode: mode, arguments: arguments, options: options)
            return (r.exitStatus, r.output ?? [], r.diagnostic)
        }
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "system-stdin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/in", contents: Data(input))
        let inFD = open(dir + "/in", O_RDONLY)
        defer { close(inFD) }
        let machine = try SystemMachine(input: inFD, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        let kernel = try ELFImage(path: try GuestKernel.build(symbols: mode == .pv ? ["PV": 1] : [:]))
        _ = try BootLoader.boot(kernel: kernel, program: try ELFImage(path: exe),
                                argv: [exe] + arguments, envp: [], timerPeriod: SystemBackend.defaultTimerPeriod, machine: machine)
        func symbol(_ name: String) -> UInt32 { kernel.symbols.first { $0.name == name }?.value ?? 0 }
        let layout = VirtualMachineMonitor.ParavirtualLayout(hypercallPage: symbol("hypercall_page"), sharedInfo: symbol("shared_info"),
                                                             timerPeriod: SystemBackend.defaultTimerPeriod)
        let strategy: VirtualizationStrategy? = mode == .trap ? .trap : mode == .hvm ? .hvm : mode == .pv ? .pv : nil
        let vmm = strategy.map { VirtualMachineMonitor(strategy: $0, machine: machine, layout: layout) }
        let translator = engine == .translate ? try SystemBackend.attachTranslator(to: machine) : nil
        defer { _ = translator }
        defer { _ = vmm }
        switch machine.run(maxInstructions: 2_000_000_000, deadline: .now + .seconds(120)) {
        case .exited(let s): return (s, out, nil)
        case let other: return (-1, out, other.explanation)
        }
    }

    func check(_ name: String, _ arguments: [String] = [], stdin: [UInt8]? = nil, expectStatus: Int32,
               file: StaticString = #filePath, line: UInt = #line) throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let exe = try executable(name)
        let native = try ProgramsHarness.run([exe] + arguments, stdin: stdin ?? [], directExecutable: true)
        let what = ([name] + arguments).joined(separator: " ")
        XCTAssertEqual(native.status, expectStatus, "\(what): native exit status", file: file, line: line)
        // The configurations side by side (``Concurrently``), checked here in order.
        let runs = Concurrently.map(Self.configurations.indices.map { $0 }) { i in
            try Self.system(exe, arguments, stdin: stdin, mode: Self.configurations[i].0, engine: Self.configurations[i].1)
        }
        for ((mode, engine), run) in zip(Self.configurations, runs) {
            let (status, output, diagnostic) = try run.get()
            XCTAssertEqual(status, native.status, "\(what): status under \(mode)/\(engine) \(status), natively \(native.status) \(diagnostic ?? "")",
                           file: file, line: line)
            if output != native.stdout {
                XCTFail("\(what): stdout differs under \(mode)/\(engine) (\(output.count) vs \(native.stdout.count) bytes)\n"
                        + ProgramsHarness.firstDifference(native.stdout, output), file: file, line: line)
            }
        }
    }

    func testHelloEchoFib() throws {
        try check("hello", expectStatus: 0)
        try check("echo", ["one", "two words", "", "three"], expectStatus: 0)
        try check("echo", [], expectStatus: 0)
        try check("fib", expectStatus: 0)
        try check("fib", ["48"], expectStatus: 2)
    }

    func testCat() throws {
        var rng = CorpusRNG(seed: 7)
        let input = (0..<(200 * 1024)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try check("cat", stdin: input, expectStatus: 0)
        try check("cat", stdin: Array("one line\n".utf8), expectStatus: 0)
        try check("cat", stdin: [], expectStatus: 0)
    }

    func testInstructionPrograms() throws {
        for name in ["strings", "jcxz", "muldiv", "bits"] { try check(name, expectStatus: 0) }
    }

    /// The kernel turns each fault into 128+signal, as Linux does; vsim prints the fault line.
    func testFaults() throws {
        for (arg, status) in [("de", Int32(136)), ("ud", 132), ("segv", 139), ("wrro", 139), ("int3", 133)] {
            try check("faults", [arg], expectStatus: status)
        }
        try check("faults", ["nope"], expectStatus: 2)
        var options = RunOptions()
        options.io = .capture
        options.system = true
        let r = try VSim.run(program: .path(try executable("faults")), mode: .interpret, arguments: ["segv"], options: options)
        XCTAssertEqual(r.signal, 11)
        XCTAssertTrue(r.diagnostic?.contains("#PF") ?? false, r.diagnostic ?? "no diagnostic")
    }

    func testBenchmarks() throws {
        try check("sumsq", ["100000"], expectStatus: 0)
        try check("sieve", ["30000"], expectStatus: 0)
        try check("sieve", ["1000000"], expectStatus: 0)
    }

    /// A trace is refused with --system rather than silently ignored; --system needs interpret.
    func testUnsupportedCombinationsAreUsageErrors() throws {
        var options = RunOptions()
        options.system = true
        options.io = .capture
        options.traces = [.insns]
        XCTAssertThrowsError(try VSim.run(program: .path(try executable("hello")), mode: .interpret, options: options))
        options.traces = []
        XCTAssertThrowsError(try VSim.run(program: .path(try executable("hello")), mode: .native, options: options))
        options.system = false
        options.traces = [.traps]
        XCTAssertThrowsError(try VSim.run(program: .path(try executable("hello")), mode: .interpret, options: options))
    }

    /// `vsim compare` across user-mode emulation and the three VMMs: outputs and statuses agree;
    /// instruction counts are compared within each kernel mode only (they include the kernel).
    func testCompareAcrossStrategies() throws {
        var options = RunOptions()
        options.timeLimit = .seconds(60)
        let report = try VSim.compare(program: .path(try executable("hello")), modes: [.interpret, .trap, .hvm, .pv],
                                      runs: 2, arguments: nil, options: options)
        XCTAssertEqual(report.mismatches, [])
        XCTAssertEqual(report.modes.map(\.mode), ["interpret", "trap", "hvm", "pv"])
    }

    /// The translator under the VMMs takes exactly the traps, exits, hypercalls and callouts the
    /// interpreter takes, and the same page walks (hvm with EPT) and hidden page faults (trap,
    /// bt): the counts are the guest's, not the engine's (under bt the engine runs the guest's
    /// user code, the VMM's translation cache its kernel). Both engines fetch a code page when
    /// an instruction on it is about to run, never when they only read code to decode it.
    func testCountsAreTheSameOnBothEngines() throws {
        // hello without the timer; sieve with it (ticks land on the same instructions) and a
        // growing heap (page-table writes the VMMs trace).
        let runs: [(String, [String], UInt32)] = [("hello", [], 0), ("sieve", ["20000"], 5000)]
        for mode in [Mode.trap, .hvm, .pv, .bt, .unikernel] {
            for (program, arguments, timer) in runs {
                var counts: [[String: UInt64]] = []
                for engine in Engine.allCases {
                    var options = RunOptions()
                    options.io = .capture
                    options.timerPeriod = timer
                    options.engine = engine
                    let r = try VSim.run(program: .path(try executable(program)), mode: mode, arguments: arguments, options: options)
                    XCTAssertEqual(r.exitStatus, 0)
                    var c = r.traps.merging(r.exits) { a, _ in a }.merging(r.hypercalls) { a, _ in a }
                        .merging(r.callouts.map { ("callout " + $0.key, $0.value) }) { a, _ in a }
                    c["instructions"] = r.instructions
                    c["modeled cycles"] = r.modeledCycles
                    if let w = r.eptWalks { c["EPT page walks"] = w[0]; c["EPT references"] = w[1] }
                    counts.append(c)
                }
                XCTAssertEqual(counts[0], counts[1], "\(mode) \(program)")
                XCTAssertGreaterThan(counts[0].count, 2)
            }
        }
    }

    /// `--trace traps` under trap: one line per trap with EIP, instruction, reason, action and
    /// cycles; the result carries the counts and the modeled cycles. 24 traps as counted in
    /// TrapAndExitCountTests.testHelloUnderTrap, and the shadow page table's 17 hidden faults
    /// (trapRoundTrip + shadowFill each).
    func testTraceTraps() throws {
        var options = RunOptions()
        options.io = .capture
        options.timerPeriod = 0
        options.traces = [.traps]
        let lines = LineCollector()
        options.traceSink = { lines.append($0) }
        let r = try VSim.run(program: .path(try executable("hello")), mode: .trap, options: options)
        XCTAssertEqual(r.exitStatus, 0)
        XCTAssertEqual(lines.all.count, 41)
        XCTAssertEqual(r.traps.values.reduce(0, +), 41)
        XCTAssertEqual(r.traps["#PF: hidden (shadow fill)"], 17)
        XCTAssertTrue(lines.all.contains { $0.contains("out    %al,(%dx)") && $0.contains("[#GP: out]") && $0.contains("16550 UART") }, lines.all.joined(separator: "\n"))
        XCTAssertTrue(lines.all.contains { $0.contains("[int 0x80]") && $0.contains("reflected") })
        XCTAssertEqual(r.modeledCycles, r.instructions! + r.traps.values.reduce(0, +) * 889
                       + 15 * (200 + 300) + 7 * 200 + 2 * 200 + 17 * 200)
        XCTAssertEqual(r.costModel, "haswell")
    }
}

final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// The guest kernel grows the user stack on demand, as Linux's expand_stack does: a recursion
/// 200,000 calls deep (12 bytes a frame: 2.4 MB, far past the 128 KiB the boot protocol maps)
/// runs under trap, hvm and bt as natively, each new stack page one traced page-table write
/// under trap.
final class StackGrowthTests: XCTestCase {
    static let source = """
            .text
            .globl _start
    _start: movl $200000, %ecx
            call down
            movl $4, %eax
            movl $1, %ebx
            movl $msg, %ecx
            movl $len, %edx
            int $0x80
            movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
    down:   pushl %ebp
            pushl %ecx
            decl %ecx
            jz 1f
            call down
    1:      popl %ecx
            popl %ebp
            ret
            .section .rodata
    msg:    .ascii "deep\\n"
            .equ len, . - msg
    """

    func testDeepRecursionGrowsTheStack() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build(Self.source, name: "deep", in: dir)
        let native = try CLI.run(exe, [])
        XCTAssertEqual(native.status, 0)
        XCTAssertEqual(native.stdout, "deep\n")
        var traced: [Mode: UInt64] = [:]
        for mode in [Mode.trap, .hvm, .bt] {
            var options = RunOptions()
            options.io = .capture
            options.timerPeriod = 0
            let r = try VSim.run(program: .path(exe), mode: mode, options: options)
            XCTAssertEqual(r.exitStatus, 0, "\(mode): \(r.diagnostic ?? "")")
            XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), "deep\n", "\(mode)")
            traced[mode] = r.traps["#PF: traced page-table write"] ?? 0
        }
        // 2.4 MB of frames below the 128 KiB mapped: at least (2,400,000 - 131,072) / 4096 = 554
        // pages, each one PTE write (and a page-table page per new 4 MiB region: none here, the
        // 8 MiB below 0xC0000000 lie in two regions the boot stack already opened or the first
        // growth opens).
        XCTAssertGreaterThanOrEqual(traced[.trap] ?? 0, 554)
        XCTAssertLessThanOrEqual(traced[.trap] ?? 0, 600)
    }
}
