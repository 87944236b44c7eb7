import Foundation
import XCTest
import Machine
@testable import VSim

/// The translator's blocks under the guest kernel are keyed by the frame of their code as well as
/// by linear address (QEMU's TBs by `phys_pc`), so they survive the TLB flush of every context
/// switch (docs/risc-target.md, "Block cache"): processes that run the same code in the same
/// frames share their blocks, and a process whose page at the same linear address holds other
/// bytes (its own copy-on-write copy) runs its own code. Output against the host (the oracle),
/// counts equal between the engines.
final class TranslationAcrossProcessesTests: XCTestCase {
    static let modes: [(Mode, Bool?)] = [(.trap, nil), (.hvm, true), (.hvm, false), (.pv, nil), (.bt, nil)]

    func build(_ source: String, name: String, in dir: String) throws -> String {
        try CLI.build(source, name: name, in: dir, ldFlags: ["--no-warn-rwx-segments"])
    }

    func run(_ exe: String, mode: Mode, ept: Bool?, engine: Engine) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.engine = engine
        options.ept = ept
        options.timerPeriod = 0   // no preemption: every round enters the kernel at the same places
        options.timeLimit = .seconds(300)
        return try VSim.run(program: .path(exe), mode: mode, options: options)
    }

    func describe(_ mode: Mode, _ ept: Bool?) -> String { "\(mode)\(ept.map { $0 ? " (EPT)" : " (shadow)" } ?? "")" }

    /// Counts that must be equal between the engines.
    func counts(_ r: RunResult) -> String {
        func sorted(_ d: [String: UInt64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        return "instructions \(r.instructions ?? 0); traps \(sorted(r.traps)); exits \(sorted(r.exits)); "
            + "hypercalls \(sorted(r.hypercalls)); callouts \(sorted(r.callouts)); EPT walks \(r.eptWalks ?? []); cycles \(r.modeledCycles ?? 0)"
    }

    /// A fork loop: each round the parent forks, the child runs `work` (the parent's code, at
    /// the same linear addresses and, text being shared, in the same frames) and exits, the
    /// parent waits for it (two context switches: CR3 loads, a TLB flush each) and runs `work`.
    /// Hand count of what is translated: every round runs the same user and kernel code from
    /// the same frames, except that the first round's frames come from never-used RAM and the
    /// later rounds' from the kernel's free list (kernel.s `alloc_frame`, the frames the first
    /// child gave back), so nothing is translated after the second round: 2 rounds and 12
    /// translate the same number of blocks, while the shadow-paging modes take 30 more CR3-load
    /// exits (hvm) or traps (trap) for the 10 more rounds (3 a round). Before, every CR3 load dropped every
    /// block on the pages the TLB held and the count grew by about 245 a round.
    func testForkedProcessesShareBlocksAcrossContextSwitches() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        func program(_ rounds: Int) throws -> String {
            let exe = try build("""
                    .globl _start
                _start:
                    movl $\(rounds), %edi
                    jmp 0f
                0:  movl $2, %eax           # fork
                    int $0x80
                    testl %eax, %eax
                    jnz 2f
                    call work               # the child runs the parent's code
                    movl $1, %eax           # exit(0)
                    xorl %ebx, %ebx
                    int $0x80
                2:  movl %eax, %ebx         # wait4(child, NULL, 0, NULL)
                    movl $114, %eax
                    xorl %ecx, %ecx
                    xorl %edx, %edx
                    xorl %esi, %esi
                    int $0x80
                    call work
                    decl %edi
                    jnz 0b
                    movl $4, %eax           # write(1, "ok\\n", 3)
                    movl $1, %ebx
                    movl $ok, %ecx
                    movl $3, %edx
                    int $0x80
                    movl $1, %eax
                    xorl %ebx, %ebx
                    int $0x80
                work:
                    movl $100, %ecx
                    xorl %eax, %eax
                3:  addl %ecx, %eax
                    call twice
                    loop 3b
                    ret
                twice:
                    addl %eax, %eax
                    ret
                    .data
                ok: .ascii "ok\\n"
                """, name: "forkloop\(rounds)", in: dir)
            let native = try CLI.run(exe, [])
            XCTAssertEqual(native.status, 0)
            XCTAssertEqual(native.stdout, "ok\n")
            return exe
        }
        let short = try program(2), long = try program(12)
        for (mode, ept) in Self.modes {
            let what = describe(mode, ept)
            var translated: [UInt64] = [], cr3: [UInt64] = []
            for exe in [short, long] {
                var seen: [String] = []
                for engine in [Engine.interpret, .translate] {
                    let r = try run(exe, mode: mode, ept: ept, engine: engine)
                    XCTAssertEqual(r.exitStatus, 0, "\(what) \(engine): \(r.diagnostic ?? "")")
                    XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), "ok\n", "\(what) \(engine)")
                    seen.append(counts(r))
                    if engine == .translate {
                        translated.append(try XCTUnwrap(r.translation).blocksTranslated)
                        XCTAssertEqual(r.translation?.invalidations, 0, "\(what): no code was written")
                        cr3.append(r.exits["28 Control-register accesses"] ?? r.traps["#GP: mov to cr3"] ?? 0)
                    }
                }
                XCTAssertEqual(seen[0], seen[1], "\(what): the interpreter and the translator count differently")
            }
            // Under bt the counters are the VMM's translation cache (the guest kernel's code); the
            // user code's translator is not reported apart, and the output check stands for it.
            if mode != .bt {
                XCTAssertEqual(translated[0], translated[1], "\(what): blocks translated after 2 rounds and after 12")
            }
            if mode == .trap || ept == false { XCTAssertEqual(cr3[1] - cr3[0], 30, "\(what): CR3 loads, 3 a round") }
        }
    }

    /// The same linear code address, other bytes: the parent runs `code` (translated in its
    /// frame), then each of four children writes its digit into the immediate of `code`'s first
    /// instruction (a writable and executable page: its own copy-on-write copy, a new frame,
    /// which may be a frame an earlier child's blocks were on) and runs it; the parent runs
    /// `code` again last. A block found by linear address alone would print P for a child, or a
    /// child's digit for a later child or the parent. Native prints "P0123P".
    func testEachProcessRunsItsOwnCodeAtTheSameAddress() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try build("""
                .globl _start
            _start:
                call code               # the parent translates `code` in its frame
                movl $'0', %edi
            1:  movl $2, %eax           # fork
                int $0x80
                testl %eax, %eax
                jnz 2f
                movl %edi, %eax
                movb %al, code+1        # the child's own copy of the page gets its digit
                call code
                movl $1, %eax           # exit(0)
                xorl %ebx, %ebx
                int $0x80
            2:  movl %eax, %ebx         # wait4(child, NULL, 0, NULL)
                movl $114, %eax
                xorl %ecx, %ecx
                xorl %edx, %edx
                xorl %esi, %esi
                int $0x80
                incl %edi
                cmpl $'4', %edi
                jne 1b
                call code               # the parent's page still says P
                movb $'\\n', %al
                call put
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
                .section .wtext, "awx", @progbits
            code:
                movb $'P', %al
            put:
                movb %al, ch
                movl $4, %eax           # write(1, &ch, 1)
                movl $1, %ebx
                movl $ch, %ecx
                movl $1, %edx
                int $0x80
                ret
                .data
            ch: .byte 0
            """, name: "cowcode", in: dir)
        let native = try CLI.run(exe, [])
        XCTAssertEqual(native.status, 0)
        XCTAssertEqual(native.stdout, "P0123P\n")
        for (mode, ept) in Self.modes {
            let what = describe(mode, ept)
            var seen: [String] = []
            for engine in [Engine.interpret, .translate] {
                let r = try run(exe, mode: mode, ept: ept, engine: engine)
                XCTAssertEqual(r.exitStatus, 0, "\(what) \(engine): \(r.diagnostic ?? "")")
                XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), native.stdout, "\(what) \(engine)")
                seen.append(counts(r))
            }
            XCTAssertEqual(seen[0], seen[1], "\(what): the interpreter and the translator count differently")
        }
    }

    /// One frame at two linear pages (``AliasedFrameKernel``, on the bare machine, `--system`):
    /// 0x300000 identity-mapped (alias A) and 0x400000 mapped to the same frame (alias B). The
    /// routine there, `movl $1, %eax; ret` (b8 01 00 00 00 c3), is called through B five times
    /// (translated at B), once more after a MOV to CR3 (the TLB emptied: the block stays, keyed
    /// by the frame), then its immediate is set to 2 by a store through A and it is called
    /// through B again. The kernel exits with 100 * first + 10 * after the flush + after the
    /// store = 112 (SDM Vol. 3A, 11.6: a write to a code byte is seen by the next fetch of it,
    /// whatever linear address either goes through). The translator: 112, two blocks at B (the
    /// second after the store invalidated the first), one invalidation. (The interpreter sees
    /// such writes too: SelfModifyingCodeThroughAliasesTests runs this case and others on both
    /// engines.)
    func testAStoreThroughAnotherAliasOfTheFrameInvalidates() throws {
        let image = try AliasedFrameKernel.image("""
                movl $5, %edi
            3:  call *%esi                      # through B
                decl %edi
                jnz 3b
                imull $100, %eax, %ebx
                movl %cr3, %eax                 # empty the TLB
                movl %eax, %cr3
                call *%esi
                imull $10, %eax, %eax
                addl %eax, %ebx
                movb $2, 1(%ebp)                # through A
                call *%esi
                addl %ebx, %eax
            """, name: "a store through A, run through B")
        let e = try AliasedFrameKernel.boot(image, engine: .translate)
        XCTAssertEqual(e.run(maxInstructions: 100_000, deadline: nil), .exited(status: 112))
        let translator = try XCTUnwrap(e.translator)
        let atB = translator.translatedBlocks.filter { $0.pc == 0x400000 }
        XCTAssertEqual(atB.map(\.valid), [false, true], "translated at B once, again after the store")
        XCTAssertEqual(atB.map(\.frames), [[0x300], [0x300]])
        XCTAssertEqual(translator.statistics.invalidations, 1)
    }
}
