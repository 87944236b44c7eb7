import Foundation
import XCTest
import Guest
import Hypervisor
import Machine
@testable import VSim

/// Bad guest behaviour under the modeled VMMs ends the run with a clear reason, never a crash.
final class BadGuestTests: XCTestCase {
    /// Builds a kernel from `source` (linked at 0x100000), boots it with a small user program
    /// under `strategy`, and runs it.
    func run(kernel source: String, _ strategy: VirtualizationStrategy, max: UInt64 = 1_000_000) throws -> (SystemStopReason, VirtualMachineMonitor) {
        let dir = NSTemporaryDirectory() + "vsim-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (".text\n.globl _start\n_start:\n" + source + "\n").write(toFile: dir + "/k.s", atomically: true, encoding: .utf8)
        try ".text\n.globl _start\n_start: jmp _start\n".write(toFile: dir + "/u.s", atomically: true, encoding: .utf8)
        try GuestPrograms.runTools([["as", "--32", "-o", dir + "/k.o", dir + "/k.s"], ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "-o", dir + "/k", dir + "/k.o"],
            ["as", "--32", "-o", dir + "/u.o", dir + "/u.s"], ["ld", "-m", "elf_i386", "-o", dir + "/u", dir + "/u.o"]])
        let machine = try SystemMachine(input: -1, output: -1)
        _ = try BootLoader.boot(kernel: try ELFImage(path: dir + "/k"), program: try ELFImage(path: dir + "/u"),
                                argv: ["u"], envp: [], timerPeriod: 0, machine: machine)
        let vmm = VirtualMachineMonitor(strategy: strategy, machine: machine)
        let stop = machine.run(maxInstructions: max, deadline: .now + .seconds(30))
        vmm.finish(stop, machine: machine)
        return (stop, vmm)
    }

    /// UD2 with no IDT. Under hvm the machine triple-faults and the VMM records exit 2; under
    /// trap the VMM finds no gate in the guest's IDT and ends the guest, saying why.
    func testTripleFault() throws {
        let (hvm, vmm) = try run(kernel: "ud2", .hvm)
        guard case .tripleFault = hvm else { return XCTFail("\(hvm)") }
        XCTAssertEqual(vmm.log.counts(.exit)["2 Triple fault"], 1)
        let (trap, _) = try run(kernel: "ud2", .trap)
        guard case .vmm(let why) = trap else { return XCTFail("\(trap)") }
        XCTAssertTrue(why.contains("#UD") && why.contains("triple-fault"), why)
    }

    /// A kernel that never halts runs into the instruction budget.
    func testNeverHaltingKernel() throws {
        for s in VirtualizationStrategy.allCases {
            let (stop, _) = try run(kernel: "1: jmp 1b", s, max: 200_000)
            XCTAssertEqual(stop, .instructionLimit, "\(s)")
        }
    }

    /// An IN from a port with no device: under trap the VMM emulates the #GP'd IN on the
    /// machine's bus, which has nothing there; under hvm the exit is taken, then the same.
    func testPortWithNoDevice() throws {
        for s in VirtualizationStrategy.allCases {
            let (stop, _) = try run(kernel: "inb $0x99, %al\nud2", s)
            XCTAssertEqual(stop, .noDevice(port: 0x99, write: false, eip: 0x100000), "\(s)")
            XCTAssertTrue(stop.explanation.contains("no device"))
        }
    }

    /// CLI then HLT under trap: the VMM sees virtual IF = 0 and ends the guest (it could never
    /// wake); under hvm the machine itself halts forever.
    func testHaltWithInterruptsOff() throws {
        let (trap, _) = try run(kernel: "cli\nhlt", .trap)
        guard case .vmm(let why) = trap else { return XCTFail("\(trap)") }
        XCTAssertTrue(why.contains("HLT"), why)
        let (hvm, vmm) = try run(kernel: "cli\nhlt", .hvm)
        XCTAssertEqual(hvm, .haltedForever(eip: 0x100001))
        XCTAssertEqual(vmm.log.counts(.exit)["12 HLT"], 1)
    }

    /// A cost-model file with an unknown constant or a bad number is a usage error naming the line.
    func testBadCostModelFile() throws {
        var m = CostModel.default
        XCTAssertThrowsError(try m.apply("vmExitRoundTrip = 500\nbogus = 1\n", file: "f")) { e in
            XCTAssertTrue("\(e)".contains("f:2"), "\(e)")
        }
        XCTAssertThrowsError(try m.apply("trapRoundTrip = lots\n", file: "f"))
        try m.apply("# comment\nvmExitRoundTrip = 500  # cheaper\n", file: "f")
        XCTAssertEqual(m.vmExitRoundTrip, 500)
        XCTAssertThrowsError(try CostModel.preset("pentium"))
    }

    /// A --cost-model that is a directory cannot be read: read(2) of a directory fails with
    /// EISDIR (POSIX), so the load fails naming it, as for a missing file, instead of reading as
    /// an empty file (found by QA: `--cost-model /tmp` ran with the preset's constants).
    func testCostModelDirectoryIsRefused() throws {
        XCTAssertThrowsError(try CostModel.load(path: "/tmp", base: .default)) { e in
            XCTAssertEqual("\(e)", "/tmp: cannot be read (\(String(cString: strerror(EISDIR))))")
        }
        XCTAssertThrowsError(try CostModel.load(path: "/nonexistent-vsim-model", base: .default)) { e in
            XCTAssertEqual("\(e)", "/nonexistent-vsim-model: cannot be read (\(String(cString: strerror(ENOENT))))")
        }
    }
}
