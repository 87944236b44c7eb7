import Testing
@testable import Homework

/// `traps` answers against counts worked out by hand from programs/kernel/kernel.s, the way
/// Tests/HypervisorTests/TrapAndExitCountTests.swift and ParavirtualTests.swift derive them for
/// hello and cat. The formulas below use only the generator's choices (message lengths, pages),
/// never vsim's output.
@Suite struct TrapsTests {
    /// Under trap (timer 0): the boot takes 7 traps (lgdt, mov to ss, ltr, lidt, mov to cr3, mov
    /// from cr0, mov to cr0); every `int $0x80` is one trap ("int 0x80"); sys_write does one
    /// `outb` per byte, to COM1 or COM2 ("#GP: out"), and exit one `outb` to the exit port;
    /// brk(0) maps nothing; brk(+M pages) writes M page-table entries in the program's page
    /// table, each a traced write ("#PF: traced page-table write"); the loop and the page
    /// touches execute nothing sensitive.
    /// (The shadow page table's hidden faults are left out of the questions and answers.)
    /// Under hvm: only MOV to CR0 (28, once) and every port access (30) exit.
    /// Under pv (ParavirtualTests' derivation): the boot makes set_trap_table, stack_switch,
    /// set_gdt (the program's segments in the kernel's GDT), 36 mmu_update (for a program of at
    /// most 3 pages), mmuext_op, event_channel_op and set_callbacks; a write to stdout is one console_io; brk(+M) one mmu_update with the M
    /// entries; exit one multicall; int $0x80 and a write to stderr (per-byte OUT) are no hypercall.
    static func handCount(_ p: HomeworkProblem) -> (trap: [String: UInt64], hvm: [String: UInt64], pv: [String: UInt64]) {
        let writes = p.parameter("writes")!
        let bytes = (1...writes).map { p.parameter("length\($0)")! }.reduce(0, +)
        let stderrBytes = p.parameter("stderrLength")!
        let pages = p.parameter("pages")!
        let syscalls = writes + (stderrBytes > 0 ? 1 : 0) + (pages > 0 ? 2 : 0) + 1
        var trap: [String: UInt64] = ["#GP: lgdt": 1, "#GP: mov to ss": 1, "#GP: ltr": 1, "#GP: lidt": 1,
                                      "#GP: mov to cr3": 1, "#GP: mov from cr0": 1, "#GP: mov to cr0": 1,
                                      "int 0x80": UInt64(syscalls), "#GP: out": UInt64(bytes + stderrBytes + 1)]
        if pages > 0 { trap["#PF: traced page-table write"] = UInt64(pages) }
        let hvm: [String: UInt64] = ["28 Control-register accesses": 1, "30 I/O instruction": UInt64(bytes + stderrBytes + 1)]
        let pv: [String: UInt64] = ["set_trap_table": 1, "stack_switch": 1, "set_gdt": 1, "mmu_update": 36 + (pages > 0 ? 1 : 0),
                                    "mmuext_op": 1, "event_channel_op": 1, "set_callbacks": 1,
                                    "console_io": UInt64(writes), "multicall": 1]
        return (trap, hvm, pv)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func answersMatchTheHandCount(seed: UInt64) throws {
        let p = Homework.generate(topic: .traps, seed: seed)
        let a = try Homework.solve(p)
        let (trap, hvm, pv) = Self.handCount(p)
        #expect(a["trap-total"]!.value == String(trap.values.reduce(0, +)))
        #expect(a["trap-by-reason"]!.value == GuestRuns.byReason(trap))
        #expect(a["hvm-total"]!.value == String(hvm.values.reduce(0, +)))
        #expect(a["hvm-by-reason"]!.value == GuestRuns.byReason(hvm))
        #expect(a["pv-total"]!.value == String(pv.values.reduce(0, +)))
        #expect(a["pv-by-reason"]!.value == GuestRuns.byReason(pv))
        #expect(a["loop-traps"]!.value == "0")
    }

    /// Seed 1 by hand (its listing: write(1, msg1, 20), write(1, msg2, 14), write(1, msg3, 7), a
    /// 216-iteration loop, brk(0), brk(+1 page) and a touch, write(2, oops, 8), exit).
    /// trap: 7 boot + 7 int 0x80 (3 + 2 + 1 + 1) + 50 outb (20 + 14 + 7 + 8 + 1 to the exit port)
    ///   + 1 traced page-table write = 65.
    /// hvm: 1 CR0 write + 50 port accesses = 51.
    /// pv: 42 at boot + 1 mmu_update (brk) + 3 console_io + 1 multicall = 47.
    @Test func seedOneWorkedByHand() throws {
        let p = Homework.generate(topic: .traps, seed: 1)
        for text in ["write(1, msg1, 20)", "write(1, msg2, 14)", "write(1, msg3, 7)", "brk(start + 1 pages)", "write(2, oops, 8)"] {
            #expect(p.source!.contains(text), "seed 1's program changed: rework the hand count")
        }
        let a = try Homework.solve(p)
        #expect(a["trap-total"]!.value == "65")
        #expect(a["hvm-total"]!.value == "51")
        #expect(a["pv-total"]!.value == "47")
    }

    /// The program is a real i386 Linux program too: natively it prints the stdout messages.
    @Test func runsNatively() throws {
        let p = Homework.generate(topic: .traps, seed: 2)
        let (dir, exe) = try buildNatively(p)
        let out = try host([exe], in: dir)
        #expect(out.split(separator: "\n").count == p.parameter("writes")!)
    }
}
