import Testing
import Translation

/// Flag sinking and `goto_tb n, cc_dead` (docs/risc-target.md, pass 4): a block's last lazy-flag
/// writes are done only on the way out to a block that may read them. Which blocks overwrite the
/// flags before reading them is worked out by hand from the lowering; exactness is checked
/// against the interpreter (stopping after every instruction count across the chained loop) and
/// against a hand-computed result.
@Suite(.serialized) struct FlagSinkingTests {
    /// ```
    /// _start: xorl %ebx,%ebx     A: ends at the JB; ECX = 0 is known, so the JB is decided at
    ///                               translation time (a `br`): nothing is sunk past it
    ///         xorl %ecx,%ecx
    ///         movl $N,%edx
    /// 1:      movl %ecx,%eax     L: IMUL overwrites every lazy flag before anything reads one,
    ///         imull %eax,%eax       and JB compares CMP's operands: cc dead at entry, so A and L
    ///         addl %eax,%ebx        itself jump into L past their flag writes
    ///         incl %ecx
    ///         cmpl %edx,%ecx
    ///         jb 1b
    ///         jbe 2f             J: starts by reading CMP's CF and ZF: cc live at entry
    /// 2:      adcl $0,%ebx       C: ADC reads CF (after CMP with ECX = EDX: 0): cc live at entry
    ///         movl %ebx,%edi
    ///         andl $0x7f,%ebx    exit status = sum of i*i for i < N, mod 128
    ///         movl $1,%eax
    ///         int $0x80
    /// ```
    static func program(_ n: Int) -> String {
        """
            .globl _start
        _start:
            xorl %ebx, %ebx
            xorl %ecx, %ecx
            movl $\(n), %edx
        1:  movl %ecx, %eax
            imull %eax, %eax
            addl %eax, %ebx
            incl %ecx
            cmpl %edx, %ecx
            jb 1b
            jbe 2f
        2:  adcl $0, %ebx
            movl %ebx, %edi
            andl $0x7f, %ebx
            movl $1, %eax
            int $0x80
        """
    }

    @Test func whichBlocksOverwriteTheFlagsFirst() throws {
        let path = try Support.build(FlagSinkingTests.program(10), name: "sink.s")
        let p = try Support.process(path)
        // _start at 0x8049000: xor (2) xor (2) mov $10 (5) -> L at 0x8049009, JB at 0x8049013,
        // JBE at 0x8049015, ADC at 0x8049017.
        func block(_ pc: UInt32) throws -> TranslationBlock {
            try #require(Translator.translate(p.memory, pc: pc, mode: 0x11))
        }
        let a = try block(0x0804_9000), l = try block(0x0804_9009)
        let j = try block(0x0804_9015), c = try block(0x0804_9017)
        #expect(a.ccDeadAtEntry)        // XOR (LOGIC: cc_op and cc_res) before any exit
        #expect(l.ccDeadAtEntry)
        #expect(!j.ccDeadAtEntry)
        #expect(!c.ccDeadAtEntry)
        // L's CMP flags and SUB were moved onto its exits; A's stay before its `br`; J has none.
        #expect(a.report.sunk == 0)
        #expect(l.report.sunk == 5)
        #expect(j.report.sunk == 0)
        #expect(Optimizer.ccLiveAtEntry(j.optimizedOps).contains(.ccSrc1))
    }

    /// 0+1+4+...+81 = 285; 285 mod 128 = 29. A runs i = 0 and leaves by its unchained slot 1
    /// (A.1 -> L chained); L runs i = 1 from the main loop and leaves by its unchained slot 1
    /// (L.1 -> L chained, through `goto_tb 1, cc_dead` too); L runs i = 2 from the main loop and
    /// i = 3...9 chained (7 chained entries, past the flag writes), then leaves by slot 0 to J,
    /// and J and C read the CMP's flags, which were written on that way out.
    @Test func sumIsRight() throws {
        let path = try Support.build(FlagSinkingTests.program(10), name: "sink.s")
        let (r, s) = try Support.runWithStats(path)
        #expect(r.exitStatus == 29)
        #expect(s.chainedExits == 7)
    }

    /// Stopping after any instruction count around and past 512 (where `goto_tb n, cc_dead`
    /// starts being taken: it needs room for a whole block in the budget) leaves the state the
    /// interpreter leaves, materialized EFLAGS included.
    @Test func stoppingAnywhereLeavesTheInterpretersState() throws {
        let path = try Support.build(FlagSinkingTests.program(150), name: "sink.s")
        let total = try Support.interpretDirect(path).instructions
        #expect(total == 3 + 6 * 150 + 6)
        for n in Array(stride(from: 1, through: 30, by: 1)) + Array(stride(from: 500, through: Int(total) + 2, by: 1)) {
            let i = try Support.interpretDirect(path, maxInstructions: UInt64(n))
            let (t, _) = try Support.translateDirect(path, maxInstructions: UInt64(n))
            #expect(t == i, "after \(n) instructions")
        }
    }
}
