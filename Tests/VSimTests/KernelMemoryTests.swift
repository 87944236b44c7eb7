import Foundation
import XCTest
@testable import VSim

/// The guest kernel's address space and thread-local storage (programs/kernel/kernel.s:
/// set_thread_area/get_thread_area, mmap2/munmap/mprotect, the stack grown on demand with every
/// register and frame intact): the hand-written programs of Tests/VSimTests/KernelPrograms/ run
/// natively (the host is the oracle) and under trap, hvm, pv, bt and unikernel on both engines,
/// with the same output and exit status, and counts equal between the interpreter and the
/// translator. Hypercalls under pv are counted by hand.
final class KernelMemoryTests: XCTestCase {
    static let modes: [Mode] = [.trap, .hvm, .pv, .bt, .unikernel]
    static let directory = ProgramsHarness.repositoryRoot + "/Tests/VSimTests/KernelPrograms"

    func executable(_ name: String) throws -> String {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "kernelmm")
        return try ProgramsHarness.build(sourcePath: Self.directory + "/\(name).s", into: dir)
    }

    static func run(_ exe: String, mode: Mode, engine: Engine) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.engine = engine
        options.timeLimit = .seconds(300)
        return try VSim.run(program: .path(exe), mode: mode, options: options)
    }

    /// Runs `exe` in every mode on both engines, side by side (``Concurrently``); checks the
    /// output against `expected` and the status against the native one, and that both engines
    /// count the same.
    func checkEverywhere(_ exe: String, expected: String, status: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let jobs = Self.modes.flatMap { m in [Engine.interpret, .translate].map { (mode: m, engine: $0) } }
        let results = Concurrently.map(jobs) { try Self.run(exe, mode: $0.mode, engine: $0.engine) }
        var counts: [Mode: String] = [:]
        for ((mode, engine), result) in zip(jobs, results) {
            let r = try result.get()
            XCTAssertEqual(r.exitStatus, status, "\(mode) \(engine): \(r.diagnostic ?? "")", file: file, line: line)
            let out = String(decoding: r.output ?? [], as: UTF8.self)
            XCTAssertEqual(out, expected, "\(mode) \(engine): output", file: file, line: line)
            func sorted(_ d: [String: UInt64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
            let c = "instructions \(r.instructions ?? 0); traps \(sorted(r.traps)); exits \(sorted(r.exits)); "
                + "hypercalls \(sorted(r.hypercalls)); callouts \(sorted(r.callouts))"
            if let other = counts.updateValue(c, forKey: mode) {
                XCTAssertEqual(other, c, "\(mode): the interpreter and the translator count differently", file: file, line: line)
            }
        }
    }

    /// tls.s: set_thread_area with entry_number -1, %gs loaded with the slot, stores through
    /// %ds read back through %gs and the other way, get_thread_area, the slots running out
    /// (-ESRCH), the -EINVAL and -EFAULT cases of tls.c, and a cleared slot reloading %gs as
    /// null. Natively the slot is GDT entry 12 (a 32-bit process on an x86-64 kernel); under
    /// vsim's i386 kernel it is 6, as i386 Linux's GDT_ENTRY_TLS_MIN
    /// (arch/x86/include/asm/segment.h): the one line that differs.
    func testThreadArea() throws {
        let exe = try executable("tls")
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        XCTAssertEqual(native.status, 0)
        let text = String(decoding: native.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("first entry 12\n"), text)
        XCTAssertTrue(text.contains("%gs:0 after a store through %ds: 0x11223344\n"), text)
        try checkEverywhere(exe, expected: text.replacingOccurrences(of: "first entry 12\n", with: "first entry 6\n"), status: 0)
    }

    /// mmap.s: anonymous mappings zeroed, MAP_FIXED replacing two pages in the middle,
    /// MAP_FIXED_NOREPLACE (-EEXIST), a hint over a mapping moved elsewhere, a partial munmap, the
    /// errors of mmap2, munmap and mprotect (-EINVAL, -ENOMEM, -EBADF), PROT_NONE and back, the
    /// frames given back reused zeroed, and at the end a write to a PROT_READ page: SIGSEGV,
    /// exit status 139, as natively.
    func testMmapMunmapMprotect() throws {
        let exe = try executable("mmap")
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        XCTAssertEqual(native.status, 139)
        let text = String(decoding: native.stdout, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("read of a PROT_READ page: 0\n"), text)
        try checkEverywhere(exe, expected: text, status: 139)
    }

    /// stack.s: a recursion 2001 frames of 288 bytes deep (576,288 bytes, past the 128 KiB the
    /// boot protocol maps), every frame holding its depth in all seven general registers, CF, its
    /// saved registers and 64 local words, each checked on the way down and back: 172,079 words
    /// (2001 * 79 + 2000 * 7, counted by hand in stack.s), none corrupted natively (the oracle).
    /// Under the kernel each page below 128 KiB is grown on a page fault that lands on a push, a
    /// store or a call with everything live; the kernel used to clobber %eax before the growth
    /// path saved the registers, so a fault on rec's first push reset the depth to 3 and the
    /// recursion ran away to the 8 MiB limit (SIGSEGV).
    func testStackGrowthKeepsEveryFrame() throws {
        let exe = try executable("stack")
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        let text = String(decoding: native.stdout, as: UTF8.self)
        XCTAssertEqual(native.status, 0)
        XCTAssertEqual(text, "levels: 2001\nwords checked: 172079\ncorrupted: 0\n")
        try checkEverywhere(exe, expected: text, status: 0)
    }

    /// A recursion 1,000,000 calls deep (12 bytes a frame: 12 MB) runs past Linux's 8 MiB stack
    /// limit: natively SIGSEGV (139) when the host's `ulimit -s` is the default 8 MiB; under
    /// trap, hvm, pv and bt the kernel grows the stack to 8 MiB and then ends the program the
    /// same way. (Not unikernel: its fault at ring 0 cannot be delivered on the overflowing stack,
    /// see docs/boot-protocol.md.) 300,000 calls (3.6 MB) run everywhere, unikernel included.
    func testStackGrowsToEightMiB() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        func program(_ depth: Int) throws -> String {
            try CLI.build("""
                    .text
                    .globl _start
            _start: movl $\(depth), %ecx
                    call down
                    movl $4, %eax
                    movl $1, %ebx
                    movl $msg, %ecx
                    movl $5, %edx
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
            """, name: "deep\(depth)", in: dir)
        }
        let deep = try program(300_000)
        XCTAssertEqual(try CLI.run(deep, []).status, 0)
        try checkEverywhere(deep, expected: "deep\n", status: 0)

        let tooDeep = try program(1_000_000)
        let native = try ProgramsHarness.run([tooDeep], directExecutable: true)
        guard native.status == 139 else { throw XCTSkip("the host's stack limit is not 8 MiB (ulimit -s): the native run gave \(native.status)") }
        for mode in [Mode.trap, .hvm, .pv, .bt] {
            let r = try Self.run(tooDeep, mode: mode, engine: .translate)
            XCTAssertEqual(r.exitStatus, 139, "\(mode): \(r.diagnostic ?? "")")
            XCTAssertEqual(r.output ?? [], [], "\(mode)")
        }
    }

    /// Under pv every page-table change is an mmu_update request and every invalidation an
    /// mmuext_op, counted by hand for this program (boot as hello's: 36 mmu_update and one
    /// mmuext_op NEW_BASEPTR, see ParavirtualTests):
    ///   mmap2 of 16 pages: placed below MMAP_TOP = 0xb8000000, in a 4 MiB region with no page
    ///     table yet: its directory entry is sent at once (37), the 16 PTEs at the end (38); new
    ///     entries need no invalidation;
    ///   mprotect of 4 of them: 4 PTEs (39), one mmuext_op with 4 INVLPG_LOCAL (2);
    ///   munmap of the 16: 16 PTEs (40), one mmuext_op with 16 INVLPG_LOCAL (3);
    ///   mmap2 of 40 pages: the page table exists now: 40 PTEs (41);
    ///   munmap of the 40: 40 PTEs (42), past 32 pages one mmuext_op TLB_FLUSH_LOCAL (4);
    ///   set_gdt once at boot (1: the program's segments live in the kernel's own GDT);
    ///   set_thread_area: update_descriptor (1);
    ///   exit: one multicall.
    func testParavirtualCounts() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("""
                .macro SYS nr, a, b, c, d=$0x22, e=$-1
                movl $\\nr, %eax
                movl \\a, %ebx
                movl \\b, %ecx
                movl \\c, %edx
                movl \\d, %esi
                movl \\e, %edi
                xorl %ebp, %ebp
                int $0x80
                .endm
                .text
                .globl _start
        _start: SYS 192, $0, $16*4096, $3
                movl %eax, p
                SYS 125, p, $4*4096, $1
                SYS 91, p, $16*4096, $0
                SYS 192, $0, $40*4096, $3
                movl %eax, p
                SYS 91, p, $40*4096, $0
                SYS 243, $desc, $0, $0
                SYS 1, $0, $0, $0
                .data
        p:      .long 0
        desc:   .long -1, 0, 0xfffff, 0x51
        """, name: "pvcounts", in: dir)
        XCTAssertEqual(try CLI.run(exe, []).status, 0)
        var seen: [[String: UInt64]] = []
        for engine in [Engine.interpret, .translate] {
            var options = RunOptions()
            options.io = .capture
            options.engine = engine
            options.timerPeriod = 0
            let r = try VSim.run(program: .path(exe), mode: .pv, options: options)
            XCTAssertEqual(r.exitStatus, 0, r.diagnostic ?? "")
            XCTAssertEqual(r.hypercalls, [
                "set_trap_table": 1, "stack_switch": 1, "mmu_update": 42, "mmuext_op": 4,
                "event_channel_op": 1, "set_callbacks": 1, "set_gdt": 1, "update_descriptor": 1, "multicall": 1,
            ], "\(engine)")
            XCTAssertEqual(r.traps, [:], "\(engine)")
            seen.append(r.hypercalls)
        }
        XCTAssertEqual(seen[0], seen[1])
    }

    /// The translator keeps its blocks across the guest kernel's page-table changes and returns
    /// to user mode: a loop of mmap2 (one page), a store to it and munmap, 4 turns and then 64
    /// turns, translates the same number of blocks under trap and hvm without EPT (the shadow-
    /// paging modes, where every munmap is a traced page-table write and an INVLPG), since no
    /// code changes between turns (QEMU drops a page's TLB entry, not the translated code).
    /// Counts equal on both engines, exit status 0 as natively; without the timer, so every turn
    /// enters the kernel at the same places.
    func testTranslationsSurviveMunmapAndReturnsToUserMode() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        func program(_ turns: Int) throws -> String {
            let exe = try CLI.build("""
                    .globl _start
                _start:
                    movl $\(turns), %esi
                1:  pushl %esi
                    movl $192, %eax         # mmap2(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
                    xorl %ebx, %ebx
                    movl $4096, %ecx
                    movl $3, %edx
                    movl $0x22, %esi
                    movl $-1, %edi
                    xorl %ebp, %ebp
                    int $0x80
                    movl $7, (%eax)
                    movl %eax, %ebx
                    movl $91, %eax          # munmap(page, 4096)
                    movl $4096, %ecx
                    int $0x80
                    popl %esi
                    decl %esi
                    jnz 1b
                    movl $1, %eax
                    xorl %ebx, %ebx
                    int $0x80
                """, name: "munmaploop\(turns)", in: dir)
            XCTAssertEqual(try CLI.run(exe, []).status, 0)
            return exe
        }
        let short = try program(4), long = try program(64)
        for (mode, ept) in [(Mode.trap, Bool?.none), (.hvm, false)] {
            var translated: [UInt64] = []
            for exe in [short, long] {
                var counts: [String] = []
                for engine in [Engine.interpret, .translate] {
                    var options = RunOptions()
                    options.io = .capture
                    options.engine = engine
                    options.timerPeriod = 0
                    options.ept = ept
                    let r = try VSim.run(program: .path(exe), mode: mode, options: options)
                    XCTAssertEqual(r.exitStatus, 0, "\(mode) \(engine): \(r.diagnostic ?? "")")
                    func sorted(_ d: [String: UInt64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
                    counts.append("instructions \(r.instructions ?? 0); traps \(sorted(r.traps)); exits \(sorted(r.exits))")
                    if engine == .translate { translated.append(try XCTUnwrap(r.translation).blocksTranslated) }
                }
                XCTAssertEqual(counts[0], counts[1], "\(mode): the interpreter and the translator count differently")
            }
            XCTAssertEqual(translated[0], translated[1], "\(mode): blocks translated after 4 turns and after 64")
        }
    }
}
