import Foundation
import XCTest
import Hypervisor
@testable import VSim

/// programs/nanobench/ under every strategy: the events per iteration hand-counted from the
/// loops (each loop ends with `decl; jnz`), a few cells' cycles worked out from the cost model,
/// and Adams & Agesen's orderings on every preset.
final class NanobenchTests: XCTestCase {
    let directory = TrapAndExitCountTests.repository + "/programs/nanobench"

    func cell(_ bench: String, _ column: String, cpu: String = "haswell") throws -> Nanobench.Cell {
        let c = Nanobench.columns.first { $0.name == column }!
        return try XCTUnwrap(try Nanobench.measure(bench, c, cpu: cpu, iterations: 20, directory: directory))
    }

    /// Per iteration: syscall = one `int $0x80` (a trap under bt and trap: user code runs
    /// directly, the VMM's IDT takes it; no exit under hvm) and, under bt, the kernel's `iret` as a
    /// callout. in = one IN: a callout (bt), an I/O exit (30), a #GP trap (trap). cr8 = one MOV to
    /// CR0 changing only TS: in TC (bt), no exit (hvm: TS is not in the CR0 guest/host mask), a
    /// #GP (trap). callret: nothing. pgfault = one #PF: a trap reflected plus the handler's `iret`
    /// as a callout (bt), an exception exit (0) without EPT and none with, a trap (trap; its
    /// same-ring IRET runs at ring 1 without a fault). divzero: as pgfault but #DE, which no
    /// exception bitmap selects. ptemod = one store to a traced page table: after the first two
    /// iterations an adaptive callout (bt), an exception exit without EPT, a hidden #PF (trap).
    func testEventsPerIteration() throws {
        let expected: [String: [String: [String: Double]]] = [
            "syscall": ["bt": ["trap: int 0x80": 1, "callout: iret": 1], "hvm-shadow": [:], "hvm-ept": [:], "trap": ["trap: int 0x80": 1]],
            "in": ["bt": ["callout: in": 1], "hvm-shadow": ["exit: 30 I/O instruction": 1], "hvm-ept": ["exit: 30 I/O instruction": 1],
                   "trap": ["trap: #GP: in": 1]],
            "cr8": ["bt": ["callout: mov to cr0 (TS only) (in TC)": 1], "hvm-shadow": [:], "hvm-ept": [:], "trap": ["trap: #GP: mov to cr0": 1]],
            "callret": ["bt": [:], "hvm-shadow": [:], "hvm-ept": [:], "trap": [:]],
            "pgfault": ["bt": ["trap: #PF": 1, "callout: iret": 1], "hvm-shadow": ["exit: 0 Exception or non-maskable interrupt (NMI)": 1],
                        "hvm-ept": [:], "trap": ["trap: #PF": 1]],
            "divzero": ["bt": ["trap: #DE": 1, "callout: iret": 1], "hvm-shadow": [:], "hvm-ept": [:], "trap": ["trap: #DE": 1]],
            "ptemod": ["bt": ["callout: ptemod (adaptive)": 1], "hvm-shadow": ["exit: 0 Exception or non-maskable interrupt (NMI)": 1],
                       "hvm-ept": [:], "trap": ["trap: #PF: traced page-table write": 1]],
        ]
        for (bench, byColumn) in expected {
            for (column, events) in byColumn {
                XCTAssertEqual(try cell(bench, column).events, events, "\(bench) under \(column)")
            }
        }
    }

    /// Cycles per iteration from the cost model (haswell), loop `decl; jnz` = 2 instructions:
    /// callret native 4 (call, ret, decl, jnz), bt 4 + btIndirectLookup (the RET) = 44, the
    /// paper's +40. ptemod bt: 2 + btCallout + emulateInstruction = 393 (the paper's 391 + the
    /// loop); native 3 (the store retires). cr8: native 4 + controlRegisterWrite = 144; bt 3 +
    /// btInTC = 38 (the MOV never reaches the CPU). divzero native: 4 instructions retire (xor, mov,
    /// decl, jnz: the faulting DIV does not, a fault is taken before it completes) + 2 in the
    /// handler (addl, iret) + trapRoundTrip = 895; hvm the same (no exit).
    func testCyclesFromTheModel() throws {
        let m = CostModel.default
        XCTAssertEqual(try cell("callret", "native").cycles, 4)
        XCTAssertEqual(try cell("callret", "bt").cycles, Double(4 + m.btIndirectLookup))
        XCTAssertEqual(try cell("ptemod", "native").cycles, 3)
        XCTAssertEqual(try cell("ptemod", "bt").cycles, Double(2 + m.btCallout + m.emulateInstruction))
        XCTAssertEqual(try cell("ptemod", "hvm-shadow").cycles, Double(2 + m.vmExitRoundTrip + m.emulateInstruction))
        XCTAssertEqual(try cell("cr8", "native").cycles, Double(4 + m.controlRegisterWrite))
        XCTAssertEqual(try cell("cr8", "bt").cycles, Double(3 + m.btInTC))
        XCTAssertEqual(try cell("divzero", "native").cycles, Double(6 + m.trapRoundTrip))
        XCTAssertEqual(try cell("divzero", "hvm-ept").cycles, Double(6 + m.trapRoundTrip))
    }

    /// The paper's shape on its own VT-x generation (prescott) and the next (merom): the software
    /// VMM ahead of the hardware one without EPT on ptemod, pgfault, in and cr8; the hardware VMM
    /// at native on syscall and divzero, and ahead of bt on call/ret by the lookup. On every
    /// preset, hvm with EPT beats bt on pgfault and ptemod (nested paging removed the reason BT
    /// won), and bt's lead over shadow-paging hvm shrinks as exits get cheaper.
    func testOrderingsAcrossPresets() throws {
        var lead: [String: Double] = [:]
        for cpu in ["prescott", "merom", "nehalem", "haswell", "cascadelake"] {
            func c(_ b: String, _ col: String) throws -> Double { try cell(b, col, cpu: cpu).cycles }
            for b in ["ptemod", "pgfault", "in", "cr8"] {
                XCTAssertLessThan(try c(b, "bt"), try c(b, "hvm-shadow"), "\(b) on \(cpu)")
            }
            for b in ["syscall", "divzero", "callret"] {
                XCTAssertEqual(try c(b, "hvm-shadow"), try c(b, "native"), "\(b) on \(cpu)")
                XCTAssertLessThan(try c(b, "hvm-shadow"), try c(b, "bt"), "\(b) on \(cpu)")
            }
            XCTAssertEqual(try c("callret", "bt") - c("callret", "native"), 40)
            for b in ["pgfault", "ptemod"] { XCTAssertLessThan(try c(b, "hvm-ept"), try c(b, "bt"), "\(b) on \(cpu)") }
            lead[cpu] = try c("pgfault", "hvm-shadow") - c("pgfault", "bt")
        }
        XCTAssertGreaterThan(lead["prescott"]!, lead["merom"]!)
        XCTAssertGreaterThan(lead["merom"]!, lead["nehalem"]!)
        XCTAssertGreaterThan(lead["nehalem"]!, lead["haswell"]!)
        XCTAssertGreaterThan(lead["haswell"]!, lead["cascadelake"]!)
    }

    /// pv runs the two benchmarks a PV kernel would run as they are, and says why not the rest.
    func testPVColumn() throws {
        let pv = Nanobench.columns.first { $0.mode == .pv }!
        XCTAssertNotNil(try Nanobench.measure("callret", pv, cpu: "haswell", iterations: 20, directory: directory))
        XCTAssertNil(try Nanobench.measure("ptemod", pv, cpu: "haswell", iterations: 20, directory: directory))
        XCTAssertNotNil(Nanobench.notApplicable("ptemod", pv))
    }
    func forkwait(_ column: String, cpu: String = "haswell") throws -> Nanobench.Cell {
        let c = Nanobench.columns.first { $0.name == column }!
        return try XCTUnwrap(try Nanobench.measure(Nanobench.forkwait, c, cpu: cpu, iterations: 3, directory: directory))
    }

    /// forkwait, per process (runs of 6 minus 3), counted by hand from forkwait.s and kernel.s.
    /// System calls: clone, exit_group, wait4 = 3 `int $0x80`. Copy-on-write faults (#PF), 7:
    /// the parent's 3 after fork (the `call postfork` on its stack page, `movl $0, lock` on
    /// .data's first page, `movl %edi, counter` on .bss's first page: the 3 pages it wrote this
    /// round, which fork write-protected) and the child's 4 (the kernel's CLONE_CHILD_SETTID
    /// store into its TCB, its `pushl %eax` on the stack, the same two lock stores), each
    /// resolved with one entry written (set_pte) and one INVLPG. Traced page-table writes
    /// (trap): fork's 3 write-protections in the parent's table + 7 resolutions = 10 (under hvm
    /// without EPT: 10 exception exits emulated + 7 reinjected faults = 17 exits of reason 0).
    /// CR3 loads: 3 (fork's TLB flush, the switch to the child, the one back).
    ///
    /// Hidden page faults (shadow fills) under trap, bt and hvm without EPT: 37.
    /// - 3 in the parent: each of its copy-on-write faults ends with an INVLPG, which drops the
    ///   page's shadow entry; the retried store refills it (its shadow table is cached across
    ///   the switch to the child and back: no other fills).
    /// - 34 in the child, whose page directory is new (a new shadow table): 10 for its 9 user
    ///   pages (text: main, thunk, fork, postfork; .data 2: the lock and the handler list; .bss 1;
    ///   the heap's TCB; the stack, filled twice: read by `popl %edi` after clone, then the
    ///   `pushl`'s copy-on-write fault and INVLPG drop it), and 24 kernel pages touched while its
    ///   CR3 is loaded: kernel text 2 (0x100000, 0x101000), .data 1 (GDT, syscall table), .bss 12
    ///   (0x105000; the boot directory, IDT, TSS and free list at 0x106000; the u-area at
    ///   0x107000; the process table's 7 pages 0x108000-0x10e000, scanned by exit and wait4; the
    ///   child's kernel stack; the first process's kernel stack swtch leaves), and 9 frames of
    ///   RAM through the identity map (the child's directory and 2 page tables read by pte_ptr,
    ///   the frame reference counts, and the frames copy-on-write, exit and free_frame write).
    ///   (Attributed page by page with `--trace traps` and `nm` of the kernel.)
    /// Unshadow: 1 (the parent reaps the zombie: free_frame's store into its freed directory
    /// hits the cached shadow's traced directory; the VMM drops it).
    ///
    /// Under bt the stores through pt_store and set_pte are adaptive callouts: fork's 8 kernel
    /// and 2 user directory entries, 43 child entries (the program's 12 pages: ELF header, text
    /// 4, .rodata, .data 2, .bss 2, heap 1; the boot protocol's 32 stack pages), 3
    /// write-protections, 7 resolutions = 63; the rest are the kernel's privileged instructions
    /// (CR2 read by cow_fault, swtch's push of %fs and %gs twice, fork's copy of %fs and %gs, 10
    /// IRETs: 3 system calls and 7 faults). Under pv: one mmu_update for fork's batch and one per
    /// fault, one mmuext_op for fork (TLB flush and PIN_L2_TABLE), one per fault (INVLPG_LOCAL)
    /// and one at reaping (UNPIN_TABLE), one multicall per switch (stack_switch +
    /// NEW_BASEPTR): direct paging, no shadow, no hidden faults. With EPT nothing exits.
    func testForkwaitEventsPerProcess() throws {
        let fill = ShadowPageTables.trapFill, unshadow = ShadowPageTables.trapUnshadow
        let expected: [String: [String: Double]] = [
            "bt": ["trap: int 0x80": 3, "trap: #PF": 7, "callout: ptemod (adaptive)": 63, "callout: iret": 10,
                   "callout: invlpg": 7, "callout: mov to cr3": 3, "callout: mov from cr2 (in TC)": 7,
                   "callout: push fs": 2, "callout: push gs": 2, "callout: mov from fs": 1, "callout: mov from gs": 1,
                   "trap: \(fill)": 37, "trap: \(unshadow)": 1],
            "hvm-shadow": ["exit: 0 Exception or non-maskable interrupt (NMI)": 17, "exit: 14 INVLPG": 7,
                           "exit: 28 Control-register accesses": 3,
                           "exit: \(ShadowPageTables.exitFill)": 37, "exit: \(ShadowPageTables.exitUnshadow)": 1],
            "hvm-ept": [:],
            "trap": ["trap: int 0x80": 3, "trap: #PF": 7, "trap: #PF: traced page-table write": 10, "trap: #GP: invlpg": 7,
                     "trap: #GP: mov from cr2": 7, "trap: #GP: mov to cr3": 3, "trap: \(fill)": 37, "trap: \(unshadow)": 1],
            "pv": ["trap: #PF": 7, "hypercall: mmu_update": 8, "hypercall: mmuext_op": 9, "hypercall: multicall": 2],
        ]
        for (column, events) in expected {
            XCTAssertEqual(try forkwait(column).events, events, "forkwait under \(column)")
        }
    }

    /// Shadow paging's counts are the same on both engines: forkwait's 5 processes under trap,
    /// bt and hvm without EPT, interpreted and translated, give the same traps, exits and
    /// callouts by reason (hidden faults included) and the same modeled cycles.
    func testForkwaitCountsIdenticalOnBothEngines() throws {
        let resolved = try VSim.resolve(.path(directory + "/forkwait.s"))
        for column in ["trap", "bt", "hvm-shadow"] {
            let c = try XCTUnwrap(Nanobench.column(named: column))
            var results: [RunResult] = []
            for engine in [Engine.interpret, .translate] {
                var options = RunOptions()
                options.io = .capture
                options.timerPeriod = 0
                options.ept = c.ept
                options.engine = engine
                let r = try c.mode.backend.run(resolved, arguments: ["5"], options: options)
                XCTAssertEqual(r.exitStatus, 0, column)
                results.append(r)
            }
            XCTAssertEqual(results[0].traps, results[1].traps, column)
            XCTAssertEqual(results[0].exits, results[1].exits, column)
            XCTAssertEqual(results[0].callouts, results[1].callouts, column)
            XCTAssertEqual(results[0].modeledCycles, results[1].modeledCycles, column)
            let hidden = (results[0].traps[ShadowPageTables.trapFill] ?? 0) + (results[0].exits[ShadowPageTables.exitFill] ?? 0)
            XCTAssertGreaterThan(hidden, 0, column)
        }
    }

    /// The hidden faults' cycles from the cost model: per process, hvm without EPT pays 38 exits
    /// (37 fills + 1 unshadow) × (vmExitRoundTrip + shadowFill) for them, trap 38 × (trapRoundTrip +
    /// shadowFill): the difference between the two columns' cycles on two presets that differ
    /// only in vmExitRoundTrip (prescott 3,960, merom 1,680) is the 3 + 7 + 17 + 38 = 65 exits'
    /// round trips alone (CR3, INVLPG, exception and hidden), since everything else is the same.
    func testForkwaitExitsPricedByTheModel() throws {
        let prescott = try CostModel.preset("prescott"), merom = try CostModel.preset("merom")
        let a = try forkwait("hvm-shadow", cpu: "prescott").cycles, b = try forkwait("hvm-shadow", cpu: "merom").cycles
        XCTAssertEqual(a - b, Double(65 * (prescott.vmExitRoundTrip - merom.vmExitRoundTrip)))
    }

    /// The paper's shape for forkwait on its own VT-x generation (prescott): native, then hvm
    /// with EPT, then bt, then far behind the hardware VMM without EPT (shadow paging: every
    /// traced write, CR3 load, INVLPG, fault and hidden fault an exit). On the presets with EPT
    /// (nehalem on, the generation that brought it) hvm with EPT beats bt; and as exits get
    /// cheaper, shadow-paging hvm's lag behind bt shrinks, preset by preset.
    func testForkwaitShape() throws {
        let native = try forkwait("native", cpu: "prescott").cycles, bt = try forkwait("bt", cpu: "prescott").cycles
        let shadow = try forkwait("hvm-shadow", cpu: "prescott").cycles, ept = try forkwait("hvm-ept", cpu: "prescott").cycles
        XCTAssertLessThan(native, ept)
        XCTAssertLessThan(ept, bt)
        XCTAssertLessThan(2 * bt, shadow, "shadow paging on prescott: more than twice bt's cost")
        var lag: [Double] = []
        for cpu in ["prescott", "merom", "nehalem", "haswell", "cascadelake"] {
            let b = try forkwait("bt", cpu: cpu).cycles
            if cpu != "prescott" && cpu != "merom" { XCTAssertLessThan(try forkwait("hvm-ept", cpu: cpu).cycles, b, cpu) }
            lag.append(try forkwait("hvm-shadow", cpu: cpu).cycles - b)
        }
        XCTAssertEqual(lag, lag.sorted(by: >), "hvm-shadow's lag behind bt shrinks as exits get cheaper")
    }
}
