import Foundation
import XCTest
import Guest
import Hypervisor
import Machine
@testable import VSim
#if canImport(Glibc)
import Glibc
#endif

/// `--mode pv`: hypercall counts worked out by hand from kernel.s built with PV=1, the event
/// channel for the virtual timer, and a hypercall that does not exist.
final class ParavirtualTests: XCTestCase {
    func run(_ program: String, input: String = "", timer: UInt32 = 0, kernelSource: String? = nil) throws
        -> (VirtualMachineMonitor, SystemStopReason, String, SystemMachine) {
        let dir = NSTemporaryDirectory() + "vsim-pv-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/in", contents: Data(input.utf8))
        let fd = open(dir + "/in", O_RDONLY)
        defer { close(fd) }
        let exe = try GuestPrograms.build(program)
        let kernelPath: String
        if let kernelSource {
            try kernelSource.write(toFile: dir + "/k.s", atomically: true, encoding: .utf8)
            try GuestPrograms.runTools([["as", "--32", "--defsym", "PV=1", "-o", dir + "/k.o", dir + "/k.s"],
                ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "-o", dir + "/k", dir + "/k.o"]])
            kernelPath = dir + "/k"
        } else {
            kernelPath = try GuestKernel.build(symbols: ["PV": 1])
        }
        let kernel = try ELFImage(path: kernelPath)
        let machine = try SystemMachine(input: fd, output: -1)
        var out: [UInt8] = []
        machine.uart.sink = { out.append($0) }
        _ = try BootLoader.boot(kernel: kernel, program: try ELFImage(path: exe), argv: [exe], envp: [], timerPeriod: timer, machine: machine)
        func symbol(_ name: String) -> UInt32 { kernel.symbols.first { $0.name == name }?.value ?? 0x3000 }
        let vmm = VirtualMachineMonitor(strategy: .pv, machine: machine, layout: .init(
            hypercallPage: symbol("hypercall_page"), sharedInfo: symbol("shared_info"), timerPeriod: timer))
        let stop = machine.run(maxInstructions: 200_000_000, deadline: .now + .seconds(60))
        return (vmm, stop, String(decoding: out, as: UTF8.self), machine)
    }

    /// Boot of the PV kernel (timer off; 32 MiB of RAM):
    ///   set_trap_table (1), stack_switch (1) instead of LIDT, LGDT and LTR;
    ///   map_ram queues 8,192 PTEs (page 0 written as not present) and 8 directory entries:
    ///     8,200 updates, a batch of 256 sent each time the queue fills: 32 mmu_update, then one
    ///     for the last 8 after map_ram: 33;
    ///   map_user: the program's first page at 0x08048000 needs a new page table, whose
    ///     directory entry is sent at once (34); hello has 3 pages (0x08048000, 0x08049000,
    ///     0x0804a000, see readelf -l) queued after it; the stack at 0xbffe0000 needs another
    ///     page table: its directory entry is sent with the 3 queued entries (35); the 32 stack
    ///     PTEs go after map_user (36);
    ///   mmuext_op NEW_BASEPTR (1), event_channel_op bind_virq (1), set_callbacks (1), and
    ///   set_gdt (1: the program's segments 0x23/0x2B live in the kernel's own GDT):
    /// 42 hypercalls at boot. Then hello: `int $0x80` goes
    /// straight to the kernel (Xen's fast system-call path: no hypercall, no trap); write is ONE
    /// console_io for the 14 bytes (against 14 trapped OUTs under trap); exit is ONE multicall
    /// carrying sched_op(shutdown_code) and sched_op(shutdown). Total 44.
    func testHelloHypercalls() throws {
        let (vmm, stop, out, _) = try run("hello")
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "Hello, world!\n")
        XCTAssertEqual(vmm.log.counts(.hypercall), [
            "set_trap_table": 1, "stack_switch": 1, "set_gdt": 1, "mmu_update": 36, "mmuext_op": 1,
            "event_channel_op": 1, "set_callbacks": 1, "console_io": 1, "multicall": 1,
        ])
        XCTAssertEqual(vmm.log.counts(.trap), [:])
        let pv = vmm.hooks as! ParavirtualVMM
        XCTAssertEqual(pv.batchedCalls, ["sched_op": 2])
        XCTAssertEqual(pv.pageTableUpdates, 8_200 + 1 + 3 + 1 + 32)
    }

    /// cat with "one line\n": cat has 2 pages (0x08048000, 0x08049000), so the boot is the same
    /// 36 mmu_update (the stack's directory entry goes with 2 queued entries instead of 3).
    /// Then brk(0): nothing to map, no hypercall; brk(+64 KiB): 16 PTEs in the existing page
    /// table, sent in one mmu_update (37); read: one console_io (9 bytes); read: one console_io
    /// (0: end of input); write: one console_io; exit: one multicall.
    func testCatHypercalls() throws {
        let (vmm, stop, out, _) = try run("cat", input: "one line\n")
        XCTAssertEqual(stop, .exited(status: 0))
        XCTAssertEqual(out, "one line\n")
        XCTAssertEqual(vmm.log.counts(.hypercall), [
            "set_trap_table": 1, "stack_switch": 1, "set_gdt": 1, "mmu_update": 37, "mmuext_op": 1,
            "event_channel_op": 1, "set_callbacks": 1, "console_io": 3, "multicall": 1,
        ])
    }

    /// With the timer on, each tick sets the timer channel's pending bit in shared info and
    /// makes an upcall (events are unmasked while sieve computes); the kernel's callback counts
    /// the ticks. Every tick is one trap into the VMM and no hypercall.
    func testTimerUpcalls() throws {
        let exe = try GuestPrograms.build("sieve")
        var options = RunOptions()
        options.io = .capture
        options.timerPeriod = 10_000
        let r = try VSim.run(program: .path(exe), mode: .pv, arguments: ["100000"], options: options)
        XCTAssertEqual(r.exitStatus, 0)
        XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), "primes(100000) = 9592\n")
        let ticks = r.traps["interrupt 0x20"] ?? 0
        XCTAssertGreaterThan(ticks, 50)
        XCTAssertEqual(r.traps.count, 1)
        XCTAssertEqual(r.hypercalls["console_io"], 1)
    }

    /// A hypercall number Xen does not have returns -ENOSYS (-38) to the guest and is counted,
    /// and the run goes on; this kernel then exits with the low byte of what it got (0xda).
    func testUnknownHypercall() throws {
        let source = """
            .text
            .globl _start
        _start:
            movl $0x90000, %esp
            call hypercall_page + 99 * 32
            movl %eax, code
            movl $exit_calls, %ebx
            movl $2, %ecx
            call hypercall_page + 13 * 32
            .data
        code: .long 0
        poweroff: .long 0
        exit_calls:
            .long 29, 0, 5, code, 0, 0, 0, 0
            .long 29, 0, 2, poweroff, 0, 0, 0, 0
            .text
            .align 4096
            .globl hypercall_page
        hypercall_page: .fill 4096, 1, 0xcc
            .bss
            .align 4096
            .globl shared_info
        shared_info: .space 4096
        """
        let (vmm, stop, _, _) = try run("hello", kernelSource: source)
        XCTAssertEqual(stop, .exited(status: 0xDA))   // -38 & 0xff
        XCTAssertEqual(vmm.log.counts(.hypercall)["unknown hypercall 99"], 1)
    }
}
