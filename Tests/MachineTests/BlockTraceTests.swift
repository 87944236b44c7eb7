import Testing
@testable import Machine

/// The interpreter's blocks as traces (Interpreter+Blocks.swift): a block goes on through a Jcc
/// whose target is a later instruction of the block, and a block whose last Jcc goes back to its
/// start runs again in place. The counts, the state at a fault and the state at the end of every
/// slice are those of one instruction at a time: worked out by hand below (instructions retired,
/// registers), and, for every slice length, the state after `step()` run that many times (the
/// one-instruction path, which builds no block).
@Suite("interpreter blocks as traces")
struct BlockTraceTests {
    /// Ten rounds of a loop whose body skips `incl %eax` on even ECX (a Jcc forward into the
    /// same block): 3 + 5 rounds of 6 instructions (odd) + 5 of 5 (even) + the INT = 59 retired.
    static let hammock = """
            xorl %eax, %eax
            xorl %ecx, %ecx
            movl $10, %edx
        1:  testl $1, %ecx
            je 2f
            incl %eax
        2:  incl %ecx
            cmpl %edx, %ecx
            jb 1b
        """

    @Test func forwardBranchInBlockCountsExactly() throws {
        let m = try TestMachine(asm: Self.hammock)
        #expect(m.run() == .exited(status: 0))
        #expect(m.cpu.eax == 5)
        #expect(m.cpu.ecx == 10)
        #expect(m.interp.instructionsExecuted == 59)
    }

    /// A loop of one block (`incl; incl; cmpl; jb` back to its start) run 100 times:
    /// 1 + 4 * 100 + the INT = 402 retired.
    @Test func loopOfOneBlockCountsExactly() throws {
        let m = try TestMachine(asm: """
                xorl %ecx, %ecx
            1:  incl %eax
                incl %ecx
                cmpl $100, %ecx
                jb 1b
            """)
        #expect(m.run() == .exited(status: 0))
        #expect(m.cpu.eax == 100)
        #expect(m.interp.instructionsExecuted == 402)
    }

    /// Every slice length from 1 to the whole run ends at the exact instruction, in the middle
    /// of a trace, at a skipped instruction or in a loop of one block alike: the same EIP,
    /// registers and count as that many single steps.
    @Test func everySliceEndsAtTheExactInstruction() throws {
        for k in UInt64(1) ... 58 {
            let m = try TestMachine(asm: Self.hammock)
            #expect(m.run(k) == .instructionLimit)
            let r = try TestMachine(asm: Self.hammock)
            for _ in 0 ..< k { #expect(r.interp.step() == nil) }
            #expect(m.interp.instructionsExecuted == k)
            #expect(m.cpu.eip == r.cpu.eip, "slice of \(k)")
            #expect(m.cpu.eax == r.cpu.eax && m.cpu.ecx == r.cpu.ecx, "slice of \(k)")
            #expect(m.cpu.eflags == r.cpu.eflags, "slice of \(k)")
        }
    }

    /// A fault after a branch in the block skipped an instruction: `movl 0, %ebx` (#PF, page 0
    /// is not mapped) after `movl; cmpl; je` (3 retired; `incl` skipped), reported at its own
    /// address (5 + 3 + 2 + 1 = 11 bytes in) with the flags of the CMP (ZF set).
    @Test func faultAfterASkipIsExact() throws {
        let m = try TestMachine(asm: """
                movl $1, %ecx
                cmpl $1, %ecx
                je 1f
                incl %eax
            1:  movl 0, %ebx
            """)
        let e = m.runExpectingException()
        #expect(e?.vector == .pf)
        #expect(e?.eip == TestMachine.code + 11)
        #expect(m.cpu.eip == TestMachine.code + 11)
        #expect(m.interp.instructionsExecuted == 3)
        #expect(m.cpu.eflags & 0x40 != 0)
        #expect(m.cpu.eax == 0)
    }

    /// A loop of one block that rewrites its own ADD's immediate (1 -> 3) in its first round:
    /// the next instruction leaves the invalidated block, and later rounds run the new bytes:
    /// EAX = 1 + 3 + 3.
    @Test func loopOfOneBlockRewritingItself() throws {
        let m = try TestMachine(asm: """
            start:
                xorl %eax, %eax
                xorl %ecx, %ecx
            body:
                addl $1, %eax
                movb $3, 0x08048000 + (body - start) + 2
                incl %ecx
                cmpl $3, %ecx
                jb body
            """, codePermissions: .all)
        #expect(m.run() == .exited(status: 0))
        #expect(m.cpu.eax == 7)
        #expect(m.cpu.ecx == 3)
        // 2 + 3 rounds of 5 + the INT
        #expect(m.interp.instructionsExecuted == 18)
    }
}
