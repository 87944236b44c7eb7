import Foundation
import XCTest
import Guest
import Hypervisor
import Machine
@testable import VSim
#if canImport(Glibc)
import Glibc
#endif

/// Exact trap and VM-exit counts for hello and cat under the modeled VMMs, against numbers worked
/// out by hand from programs/kernel/kernel.s (timer off, so no tick interferes).
final class TrapAndExitCountTests: XCTestCase {
    static let repository: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    func build(_ name: String) throws -> String { try GuestPrograms.build(name) }

    /// Boots `program` under `strategy` with stdin `input`, no timer; returns the VMM, the stop
    /// and stdout.
    func run(_ program: String, _ strategy: VirtualizationStrategy, input: String = "", arguments: [String] = [],
             cost: CostModel = .default) throws -> (VirtualMachineMonitor, SystemStopReason, String, SystemMachine) {
        let dir = NSTemporaryDirectory() + "vsim-hv-in-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: dir, contents: Data(input.utf8))
        let fd = open(dir, O_RDONLY)
        defer { close(fd); unlink(dir) }
        let machine = try SystemMachine(input: fd, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        let exe = try build(program)
        _ = try BootLoader.boot(kernel: try ELFImage(path: try GuestKernel.build()), program: try ELFImage(path: exe),
                                argv: [exe] + arguments, envp: [], timerPeriod: 0, machine: machine)
        let vmm = VirtualMachineMonitor(strategy: strategy, machine: machine, cost: cost)
        let stop = machine.run(maxInstructions: 100_000_000, deadline: nil)
        vmm.finish(stop, machine: machine)
        return (vmm, stop, String(decoding: out, as: UTF8.self), machine)
    }

    /// Boot under trap (kernel at ring 1), from kernel.s `_start`, in order:
    ///   lgdt gdt_desc          #GP: lgdt            (privileged)
    ///   ljmp $0x08             no trap: the shadow descriptor has DPL 1 = CPL, RPL 0 <= CPL
    ///   movw %ax, %ds/%es      no trap: DPL 1 >= CPL 1 and >= RPL 0
    ///   movw %ax, %ss          #GP: mov to ss       (SS needs RPL = CPL; the VMM loads 0x11)
    ///   movw %ax, %fs/%gs      no trap
    ///   ltr %ax                #GP: ltr
    ///   lidt idt_desc          #GP: lidt
    ///   map_ram, map_user      no trap: page tables are plain memory in this model
    ///   movl %eax, %cr3        #GP: mov to cr3
    ///   movl %cr0, %eax        #GP: mov from cr0
    ///   movl %eax, %cr0        #GP: mov to cr0
    ///   (timer period 0: the OUT to port 0x40 is skipped)
    ///   iret to ring 3         no trap: an IRET to an outer ring is allowed at CPL 1
    /// = 7 traps (the page tables are built before CR3 is loaded, so none of their writes is
    /// traced). Then hello: `int $0x80` write (1 trap, reflected), sys_write's `outb` once per
    /// byte of "Hello, world!\n" (14 traps), `iret` (none), `int $0x80` exit (1), sys_exit's
    /// `outb` to the exit port (1). Then the shadow page table's hidden faults: from the CR0
    /// write that turns paging on, the first touch of each page is one (the VMM builds the
    /// shadow entry): kernel text 2 (0x100000, 0x101000), .data 1 (GDT, IDT descriptor, syscall
    /// table), .bss 11 (0x105000; the boot directory's page with the IDT, TSS and free list at
    /// 0x106000; the u-area at 0x107000; the process table's 7 pages 0x108000-0x10e000, which
    /// exit scans; the boot kernel stack at 0x12e000), the boot-information block at 0x1000
    /// (EBX at entry, docs/boot-protocol.md), and hello's text and data pages: 17 (the pages
    /// attributed with `--trace traps` and `nm` of the kernel).
    /// Total 7 + 1 + 14 + 1 + 1 + 17 = 41.
    func testHelloUnderTrap() throws {
        let (vmm, stop, out, _) = try run("hello", .trap)
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "Hello, world!\n")
        XCTAssertEqual(vmm.log.counts(.trap), [
            "#GP: lgdt": 1, "#GP: mov to ss": 1, "#GP: ltr": 1, "#GP: lidt": 1,
            "#GP: mov to cr3": 1, "#GP: mov from cr0": 1, "#GP: mov to cr0": 1,
            "int 0x80": 2, "#GP: out": 15, ShadowPageTables.trapFill: 17,
        ])
        XCTAssertEqual(vmm.log.total, 41)
        XCTAssertEqual(vmm.log.counts(.exit), [:])
    }

    /// cat with "one line\n" (9 bytes) on stdin, under trap. System calls, from cat.s: brk(0),
    /// brk(+64 KiB) (room < 4 KiB), read (gets 9), read (gets 0: end of input), write (9 bytes),
    /// exit: 6 × `int 0x80`. sys_brk executes nothing privileged (no INVLPG: only new mappings).
    /// sys_read polls COM1: per byte `inb` LSR (DR=1) and `inb` RBR = 2 traps, then one `inb`
    /// LSR that reports the break (end of input): 9 × 2 + 1 = 19; the second read: 1 `inb` LSR.
    /// IN: 20. OUT: 9 bytes written + 1 to the exit port = 10. Boot: 7 (see hello). The page
    /// tables are traced from the CR3 load on: brk(+64 KiB) writes 16 page-table entries
    /// (`movl %edx, (%ebx,%eax,4)` in map_page; the heap shares the program's page table, so no
    /// directory entry), each a hidden page fault the VMM emulates: 16. Shadow fills: hello's
    /// 17 (see testHelloUnderTrap: cat's text and data pages in place of hello's) + the boot page
    /// directory (0x104000) and the program's page table, which map_page reads and writes
    /// through the kernel's identity map = 19.
    /// Total 7 + 6 + 20 + 10 + 16 + 19 = 78.
    func testCatUnderTrap() throws {
        let (vmm, stop, out, _) = try run("cat", .trap, input: "one line\n")
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "one line\n")
        XCTAssertEqual(vmm.log.counts(.trap), [
            "#GP: lgdt": 1, "#GP: mov to ss": 1, "#GP: ltr": 1, "#GP: lidt": 1,
            "#GP: mov to cr3": 1, "#GP: mov from cr0": 1, "#GP: mov to cr0": 1,
            "int 0x80": 6, "#GP: in": 20, "#GP: out": 10, "#PF: traced page-table write": 16,
            ShadowPageTables.trapFill: 19,
        ])
        XCTAssertEqual(vmm.log.total, 78)
    }

    /// Under hvm (default controls: EPT, unconditional I/O exiting, HLT exiting, no descriptor-
    /// table exiting, no CR3-load exiting, empty exception bitmap) the kernel runs at ring 0:
    /// LGDT, MOV SS, LTR, LIDT, MOV to CR3 and MOV from CR0 run without exits; MOV to CR0 sets PG,
    /// a bit in the CR0 guest/host mask, so it exits (28, once); INT n never exits. Every port
    /// access exits (30): hello 14 + 1 = 15, so 16 exits; cat 20 IN + 10 OUT = 30, so 31 exits.
    func testHelloAndCatUnderHVM() throws {
        let (hello, stop, out, _) = try run("hello", .hvm)
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "Hello, world!\n")
        XCTAssertEqual(hello.log.counts(.exit), ["28 Control-register accesses": 1, "30 I/O instruction": 15])
        XCTAssertEqual(hello.log.counts(.trap), [:])
        let (cat, stop2, out2, _) = try run("cat", .hvm, input: "one line\n")
        XCTAssertEqual(stop2, .exited(status: 0))
        XCTAssertEqual(out2, "one line\n")
        XCTAssertEqual(cat.log.counts(.exit), ["28 Control-register accesses": 1, "30 I/O instruction": 30])
    }

    /// First-generation VT-x (merom preset: no EPT): CR3 loads exit too (28), so hello takes
    /// 17 exits, plus the shadow page table's 17 hidden faults (exit 0, counted apart: the same
    /// pages as under trap, testHelloUnderTrap); the modeled cycles are instructions + exits ×
    /// (1,680 + the VMM's work: shadowFill for a hidden fault) + the CPU's own delivery of the
    /// two `int $0x80` through the guest's IDT (no exit; trapRoundTrip each, as natively).
    func testFirstGenerationVTxExitsOnCR3() throws {
        let cost = try CostModel.preset("merom")
        let (vmm, stop, _, machine) = try run("hello", .hvm, cost: cost)
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(vmm.log.counts(.exit), ["28 Control-register accesses": 2, "30 I/O instruction": 15,
                                               ShadowPageTables.exitFill: 17])
        let work = 2 * cost.emulateInstruction + 15 * (cost.emulateInstruction + cost.deviceAccess) + 17 * cost.shadowFill
        XCTAssertEqual(vmm.modeledCycles(instructions: machine.interpreter.instructionsExecuted),
                       machine.interpreter.instructionsExecuted + 34 * cost.vmExitRoundTrip + work + 2 * cost.trapRoundTrip)
    }

    /// `--ept off` on a later CPU: shadow paging. cat's brk(+64 KiB) writes 16 page-table
    /// entries after CR3 was loaded (see testCatUnderTrap): each write to the traced table is a
    /// `#PF` exit (0) the VMM emulates, hidden from the guest; the CR3 load exits (28) as does
    /// the CR0 write that sets PG; 30 port accesses (30); and the shadow page table's 19 hidden
    /// faults (exit 0, counted apart: the pages of testCatUnderTrap). With EPT (the default) only the last
    /// two kinds remain, and the page walks are counted: each TLB fill makes 14 - 2 = 12 extra
    /// memory references, priced at pageWalkReference.
    func testShadowPagingVersusEPT() throws {
        let machineCost = CostModel.default
        func boot(ept: Bool) throws -> (VirtualMachineMonitor, SystemMachine, String) {
            let dir = NSTemporaryDirectory() + "vsim-hv-in-\(UUID().uuidString)"
            FileManager.default.createFile(atPath: dir, contents: Data("one line\n".utf8))
            let fd = open(dir, O_RDONLY)
            defer { close(fd); unlink(dir) }
            let machine = try SystemMachine(input: fd, output: -1)
            var out: [UInt8] = []
            machine.uart.sink = { out.append($0) }
            let exe = try build("cat")
            _ = try BootLoader.boot(kernel: try ELFImage(path: try GuestKernel.build()), program: try ELFImage(path: exe),
                                    argv: [exe], envp: [], timerPeriod: 0, machine: machine)
            let vmm = VirtualMachineMonitor(strategy: .hvm, machine: machine, cost: machineCost, ept: ept)
            XCTAssertEqual(machine.run(maxInstructions: 100_000_000, deadline: nil), .exited(status: 0))
            return (vmm, machine, String(decoding: out, as: UTF8.self))
        }
        let (shadow, _, out1) = try boot(ept: false)
        XCTAssertEqual(out1, "one line\n")
        XCTAssertEqual(shadow.log.counts(.exit), ["0 Exception or non-maskable interrupt (NMI)": 16,
                                                  "28 Control-register accesses": 2, "30 I/O instruction": 30,
                                                  ShadowPageTables.exitFill: 19])
        XCTAssertNil(shadow.eptWalks)
        let (nested, machine, out2) = try boot(ept: true)
        XCTAssertEqual(out2, "one line\n")
        XCTAssertEqual(nested.log.counts(.exit), ["28 Control-register accesses": 1, "30 I/O instruction": 30])
        let walks = try XCTUnwrap(nested.eptWalks)
        XCTAssertGreaterThan(walks.walks, 0)
        XCTAssertEqual(walks.extraReferences, walks.walks * 12)
        // instructions + 31 exits + 6 int $0x80 delivered by the CPU + the MOV to CR3 the CPU
        // performs without an exit (controlRegisterWrite) + the walks' extra references
        let work = machineCost.emulateInstruction + 30 * (machineCost.emulateInstruction + machineCost.deviceAccess)
        XCTAssertEqual(nested.modeledCycles(instructions: machine.interpreter.instructionsExecuted),
                       machine.interpreter.instructionsExecuted + 31 * machineCost.vmExitRoundTrip + work
                       + 6 * machineCost.trapRoundTrip + machineCost.controlRegisterWrite
                       + walks.extraReferences * machineCost.pageWalkReference)
    }

    /// The I/O exit qualification (SDM Table 28-5): size-1, direction, string, REP, immediate, port.
    func testIOExitQualification() throws {
        let (vmm, _, _, _) = try run("hello", .hvm)
        let hv = vmm.hooks as! HardwareAssistVMM
        // The last exit: `outb %al, %dx` to the exit port 0x501: size 1 (0), OUT (bit 3 clear),
        // not string, no REP, port in DX (bit 6 clear), port 0x501 in bits 31:16.
        XCTAssertEqual(hv.lastExitReason, .ioInstruction)
        XCTAssertEqual(hv.lastExitQualification, 0x0501_0000)
    }
}

/// VMCS controls change which operations exit, and nothing else.
final class VMCSControlTests: XCTestCase {
    /// Descriptor-table exiting on: hello's boot adds LGDT and LIDT (46) and LTR (47) to the
    /// CR0 write (28) and the 15 port accesses (30); with RDTSC exiting and CPUID nothing more
    /// (the kernel uses neither).
    func testDescriptorTableExiting() throws {
        var controls = VMCSControls()
        controls.descriptorTableExiting = true
        controls.rdtscExiting = true
        let machine = try SystemMachine(input: -1, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        let exe = try GuestPrograms.build("hello")
        _ = try BootLoader.boot(kernel: try ELFImage(path: try GuestKernel.build()), program: try ELFImage(path: exe),
                                argv: [exe], envp: [], timerPeriod: 0, machine: machine)
        let vmm = VirtualMachineMonitor(strategy: .hvm, machine: machine, controls: controls)
        XCTAssertEqual(machine.run(maxInstructions: 10_000_000, deadline: nil), .exited(status: 0))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "Hello, world!\n")
        XCTAssertEqual(vmm.log.counts(.exit), [
            "46 Access to GDTR or IDTR": 2, "47 Access to LDTR or TR": 1,
            "28 Control-register accesses": 1, "30 I/O instruction": 15,
        ])
    }

    /// I/O bitmaps: only the exit port exits; the UART's 14 writes run without exits.
    func testIOBitmap() throws {
        var controls = VMCSControls()
        controls.useIOBitmaps = true
        controls.ioBitmap = [0x501]
        let machine = try SystemMachine(input: -1, output: -1)
        machine.uart.sink = { _ in }
        let exe = try GuestPrograms.build("hello")
        _ = try BootLoader.boot(kernel: try ELFImage(path: try GuestKernel.build()), program: try ELFImage(path: exe),
                                argv: [exe], envp: [], timerPeriod: 0, machine: machine)
        let vmm = VirtualMachineMonitor(strategy: .hvm, machine: machine, controls: controls)
        XCTAssertEqual(machine.run(maxInstructions: 10_000_000, deadline: nil), .exited(status: 0))
        XCTAssertEqual(vmm.log.counts(.exit), ["28 Control-register accesses": 1, "30 I/O instruction": 1])
    }
}
