import Foundation
import XCTest
import Guest
import Hypervisor
import Machine
@testable import VSim
#if canImport(Glibc)
import Glibc
#endif

/// `--mode bt`: callouts, traps and translation-cache counters against hand counts from
/// programs/kernel/kernel.s (timer off), and every program's output the same as natively.
final class BinaryTranslationTests: XCTestCase {
    func run(_ program: String, input: String = "", cost: CostModel = .default) throws
        -> (VirtualMachineMonitor, SystemStopReason, String, SystemMachine) {
        let dir = NSTemporaryDirectory() + "vsim-bt-in-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: dir, contents: Data(input.utf8))
        let fd = open(dir, O_RDONLY)
        defer { close(fd); unlink(dir) }
        let machine = try SystemMachine(input: fd, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        let exe = try GuestPrograms.build(program)
        _ = try BootLoader.boot(kernel: try ELFImage(path: try GuestKernel.build()), program: try ELFImage(path: exe),
                                argv: [exe], envp: [], timerPeriod: 0, machine: machine)
        let vmm = VirtualMachineMonitor(strategy: .bt, machine: machine, cost: cost)
        let stop = machine.run(maxInstructions: 100_000_000, deadline: nil)
        vmm.finish(stop, machine: machine)
        return (vmm, stop, String(decoding: out, as: UTF8.self), machine)
    }

    /// The kernel's rewritten instructions while booting, from `_start` (timer 0, so the OUT to
    /// port 0x40 is skipped): `lgdt` (callout), `ljmp $KERNEL_CS` (callout: a far transfer loads
    /// CS), `movw %ax,%ds/%es/%fs/%gs` (IDENT: these loads behave at ring 1 as at ring 0),
    /// `movw %ax,%ss` (callout: SS needs RPL 1), `ltr` and `lidt` (callouts), the page tables
    /// (plain stores, IDENT: CR3 is not loaded yet), `mov %eax,%cr3` (callout), `mov %cr0,%eax`
    /// (in TC: a load of the virtual CR0), `mov %eax,%cr0` (callout: PG changes), the four
    /// segment loads with USER_DS (IDENT) and `iret` (callout) = 8 callouts + 1 in TC.
    /// hello then traps twice on `int $0x80` (user code runs directly, so the VMM's IDT takes it),
    /// makes one callout per `outb` (14 bytes + the exit port) and one `iret` back from write.
    /// No hole and no privileged instruction ever traps: the trap mode's 7 boot #GPs are gone.
    /// The shadow page table's 17 hidden faults remain, as under trap (the same pages: see
    /// TrapAndExitCountTests.testHelloUnderTrap).
    func testHelloCalloutsAndTraps() throws {
        let (vmm, stop, out, _) = try run("hello")
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "Hello, world!\n")
        XCTAssertEqual(vmm.log.counts(.trap), ["int 0x80": 2, ShadowPageTables.trapFill: 17])
        XCTAssertEqual(vmm.log.counts(.callout), [
            "lgdt": 1, "ljmp": 1, "mov to ss": 1, "ltr": 1, "lidt": 1, "mov to cr3": 1,
            "mov from cr0 (in TC)": 1, "mov to cr0": 1, "iret": 2, "out": 15,
        ])
        XCTAssertEqual(vmm.log.counts(.exit), [:])
        let bt = try XCTUnwrap(vmm.binaryTranslation)
        XCTAssertEqual(bt.rewrittenInstructions + bt.identInstructions, bt.instructionsTranslated)
        XCTAssertGreaterThan(bt.chainsMade, 0)
        XCTAssertEqual(bt.adaptiveRetranslations, 0)
    }

    /// cat with "one line\n": six system calls (brk, brk, read, read, write, exit) trap; the
    /// kernel's 20 `inb` and 10 `outb` (see TrapAndExitCountTests.testCatUnderTrap) are callouts,
    /// and so are 5 `iret`s back to the program plus the boot one. brk(+64 KiB) writes 16
    /// page-table entries with one instruction (`movl %edx, (%ebx,%eax,4)` in map_page): the
    /// first two are hidden page faults (traps) on the traced table; after the second
    /// (``BinaryTranslationVMM/adaptiveThreshold``) the instruction is retranslated into a
    /// callout that performs the write, so the other 14 are "ptemod (adaptive)" callouts. The
    /// shadow page table's 19 hidden faults as under trap (TrapAndExitCountTests.testCatUnderTrap).
    func testCatAdaptiveTranslationOfPageTableWrites() throws {
        let (vmm, stop, out, _) = try run("cat", input: "one line\n")
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "one line\n")
        XCTAssertEqual(vmm.log.counts(.trap), ["int 0x80": 6, "#PF: traced page-table write": 2, ShadowPageTables.trapFill: 19])
        XCTAssertEqual(vmm.log.counts(.callout), [
            "lgdt": 1, "ljmp": 1, "mov to ss": 1, "ltr": 1, "lidt": 1, "mov to cr3": 1,
            "mov from cr0 (in TC)": 1, "mov to cr0": 1, "iret": 6, "in": 20, "out": 10, "ptemod (adaptive)": 14,
        ])
        let bt = try XCTUnwrap(vmm.binaryTranslation)
        XCTAssertEqual(bt.adaptiveRetranslations, 1)
        // Two fragments hold that store, both dropped: the one from map_page's label 1, and the
        // one that starts after `jz 2f` (a new page table: `orl $7,%ebx; movl %ebx,page_dir(..)`)
        // and runs on through label 1 (a label does not end a translation unit).
        XCTAssertEqual(bt.invalidations, 2)
    }

    /// The modeled cycles are the guest instructions plus, per trap, trapRoundTrip + the VMM's
    /// work, per callout btCallout + work, per in-TC emulation btInTC, plus translation
    /// (btTranslateInstruction per instruction translated) and indirect lookups, and per hidden
    /// page fault of the shadow page table trapRoundTrip + shadowFill (17 for hello).
    func testModeledCyclesOfHello() throws {
        let cost = CostModel.default
        let (vmm, _, _, machine) = try run("hello")
        let bt = try XCTUnwrap(vmm.binaryTranslation)
        let insns = machine.interpreter.instructionsExecuted
        let traps = 2 * (cost.trapRoundTrip + cost.reflectEvent) + 17 * (cost.trapRoundTrip + cost.shadowFill)
        let callouts = 7 * (cost.btCallout + cost.emulateInstruction)      // lgdt ljmp ss ltr lidt cr3 cr0
            + 2 * (cost.btCallout + cost.emulateInstruction)                  // iret
            + 15 * (cost.btCallout + cost.emulateInstruction + cost.deviceAccess) + cost.btInTC
        let translation = bt.instructionsTranslated * cost.btTranslateInstruction + bt.indirectLookups * cost.btIndirectLookup
        XCTAssertEqual(vmm.modeledCycles(instructions: insns), insns + traps + callouts + translation)
    }

    /// Writing translated kernel code drops the fragments that hold it (self-modifying code);
    /// a notification without a change (a code page's permissions changing) drops nothing.
    func testCodeWriteInvalidatesFragments() throws {
        let (vmm, _, _, machine) = try run("hello")
        let bt = vmm.hooks as! BinaryTranslationVMM
        let before = bt.stats.invalidations
        bt.codeWritten(address: 0x10_0000, count: 4096)   // the kernel's first page, unchanged
        XCTAssertEqual(bt.stats.invalidations, before)
        let t = try XCTUnwrap(machine.mmu.translate(0x10_0000))
        let word = machine.mmu.physicalRead32(t.physical)
        machine.mmu.physicalWrite32(t.physical, word ^ 0xFF)   // _start's first byte changes
        bt.codeWritten(address: 0x10_0000, count: 1)
        XCTAssertEqual(bt.stats.invalidations, before + 1, "exactly the fragment at _start")
    }

    /// Every program of programs/ prints the same and exits the same under bt and unikernel as
    /// under the interpreter (itself checked against native runs in ProgramsTests).
    func testEveryProgramSameOutputAsInterpreter() throws {
        // (cat with input: testCatAdaptiveTranslationOfPageTableWrites.)
        let cases: [(String, [String])] = [
            ("hello", []), ("echo", ["a", "b c"]), ("cat", []), ("fib", ["20"]),
            ("strings", []), ("jcxz", []), ("muldiv", []), ("bits", []), ("sumsq", ["1000"]),
            ("sieve", ["10000"]), ("faults", ["de"]), ("faults", ["ud"]), ("faults", ["segv"]), ("faults", ["wrro"]), ("faults", ["int3"]),
        ]
        for (name, args) in cases {
            var results: [Mode: RunResult] = [:]
            for mode in [Mode.interpret, .bt, .unikernel] {
                var options = RunOptions()
                options.io = .capture
                results[mode] = try VSim.run(program: .path(TrapAndExitCountTests.repository + "/programs/\(name).s"),
                                             mode: mode, arguments: args, options: options)
            }
            for mode in [Mode.bt, .unikernel] {
                XCTAssertEqual(results[mode]!.exitStatus, results[.interpret]!.exitStatus, "\(name) \(args) under \(mode)")
                XCTAssertEqual(results[mode]!.output, results[.interpret]!.output, "\(name) \(args) under \(mode)")
            }
        }
    }
}

/// `--mode unikernel`: the program at ring 0 beside the library OS (kernel.s built with
/// UNIKERNEL=1), under the VT-x model.
final class UnikernelTests: XCTestCase {
    /// hello with the timer off: the library OS boots as the kernel does (its one exiting
    /// instruction is the CR0 write that sets PG, 28); then the program's two `int $0x80` are
    /// same-privilege interrupts at ring 0 (no exit, no trap, no stack switch), and the 14 + 1
    /// `outb` exit (30). No traps, no callouts, no hypercalls: 16 exits in all, as under hvm,
    /// but no IRET ever changes the privilege level.
    func testHelloExits() throws {
        var options = RunOptions()
        options.io = .capture
        options.timerPeriod = 0
        let r = try VSim.run(program: .path(TrapAndExitCountTests.repository + "/programs/hello.s"), mode: .unikernel, options: options)
        XCTAssertEqual(r.exitStatus, 0)
        XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), "Hello, world!\n")
        XCTAssertEqual(r.exits, ["28 Control-register accesses": 1, "30 I/O instruction": 15])
        XCTAssertEqual(r.traps, [:])
        XCTAssertEqual(r.callouts, [:])
    }

    /// System calls as function calls: the library OS's entry is the program's AT_SYSINFO, so
    /// programs/vsyscall.s makes its write and exit with CALL (no interrupt delivered through the
    /// IDT at all), where hello.s delivers vector 0x80 twice. Under hvm (no AT_SYSINFO) the same
    /// program falls back to int $0x80. Output as natively.
    func testSystemCallsAsFunctionCalls() throws {
        func deliveries(_ program: String, _ mode: Mode) throws -> (UInt64, String) {
            var options = RunOptions()
            options.io = .capture
            options.timerPeriod = 0
            let resolved = try VSim.resolve(.path(TrapAndExitCountTests.repository + "/programs/" + program))
            let platform = try GuestKernelPlatform(mode: mode, program: resolved, arguments: [], options: options)
            let io = try GuestDescriptors(options.io)
            defer { io.close() }
            let booted = try platform.boot(stdio: io.guestStdio)
            let engine = try GuestKernelEngine(machine: booted.machine, engine: .interpret)
            _ = engine.run(maxInstructions: 10_000_000, deadline: nil)
            booted.machine.uart.flush()
            let out = String(decoding: TempFile.readAll(io.capture!), as: UTF8.self)
            return (booted.machine.delivered[0x80] ?? 0, out)
        }
        let (direct, text) = try deliveries("vsyscall.s", .unikernel)
        XCTAssertEqual(direct, 0)
        XCTAssertEqual(text, "Hello from a system call as a function call!\n")
        XCTAssertEqual(try deliveries("hello.s", .unikernel).0, 2)
        XCTAssertEqual(try deliveries("vsyscall.s", .hvm).0, 2)
    }

    /// A fault in the program (its EIP above RAM's identity map) ends it with 128 + the signal,
    /// as the kernel does for ring 3: the library OS tells program from itself by address.
    func testFaultBecomesSignal() throws {
        var options = RunOptions()
        options.io = .capture
        for (arg, status) in [("de", Int32(136)), ("segv", 139), ("int3", 133)] {
            let r = try VSim.run(program: .path(TrapAndExitCountTests.repository + "/programs/faults.s"), mode: .unikernel,
                                 arguments: [arg], options: options)
            XCTAssertEqual(r.exitStatus, status, arg)
            // The same one-line diagnostic as under hvm, whose program runs at ring 3, but for the
            // #PF error code: at ring 0 its U/S bit (bit 2) is 0 (Intel SDM Vol. 3A 4.7), 0x4 -> 0x0.
            let hvm = try VSim.run(program: .path(TrapAndExitCountTests.repository + "/programs/faults.s"), mode: .hvm,
                                   arguments: [arg], options: options)
            XCTAssertNotNil(r.diagnostic, arg)
            XCTAssertEqual(r.diagnostic, hvm.diagnostic?.replacingOccurrences(of: "#PF(0x4)", with: "#PF(0x0)"), arg)
        }
    }
}
