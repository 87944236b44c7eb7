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

    /// Every condition of a Jcc after a CMP, as the block loop decides it (the CMP and the Jcc
    /// fused: on the operands where the condition compares them, else from the flags the CMP
    /// set), for operands on each side of 0 and of the sign boundary, equal and unequal:
    /// taken or not as Intel SDM Vol. 1, Table B-1 defines each condition (worked out below
    /// on the operands), in the four fused shapes: CMP r32, r32 and CMP r32, imm branching
    /// within the block, CMP r32, r32 ending it (a target past ``Interpreter/traceReach``), and
    /// CMP m8, r8 with a [base + index] operand (``H/cmpJcc8MRbiInBlock``).
    @Test func fusedCompareTakesEveryConditionAsTheSDM() throws {
        // (Five values: shape 2's 400 cases of 59 bytes fit below the data at 0x08050000.)
        let words: [UInt32] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]
        let bytes: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF]
        let names = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
        /// Condition `cc` after CMP a, b at `bits` (SDM Vol. 1, Table B-1 and Appendix B).
        func taken(_ cc: Int, _ a: UInt32, _ b: UInt32, bits: UInt32) -> Bool {
            let mask: UInt32 = bits == 32 ? ~0 : (1 << bits) - 1, sign: UInt32 = 1 << (bits - 1)
            let r = (a &- b) & mask
            let sa = a & sign != 0, sb = b & sign != 0, sr = r & sign != 0
            let cf = a < b, zf = r == 0, sf = sr, of = sa != sb && sr != sa
            let pf = (r & 0xFF).nonzeroBitCount % 2 == 0
            let t: Bool
            switch cc >> 1 {
            case 0: t = of
            case 1: t = cf
            case 2: t = zf
            case 3: t = cf || zf
            case 4: t = sf
            case 5: t = pf
            case 6: t = sf != of
            default: t = zf || sf != of
            }
            return t != (cc & 1 != 0)
        }
        for shape in 0 ..< 4 {
            let values = shape == 3 ? bytes : words
            var source = "", expected: [UInt8] = []
            for cc in 0 ..< 16 {
                for a in values {
                    for b in values {
                        let k = expected.count
                        expected.append(taken(cc, a, b, bits: shape == 3 ? 8 : 32) ? 1 : 0)
                        let cmp: String
                        switch shape {
                        case 1: cmp = "movl $\(a), %eax\n cmpl $\(b), %eax"
                        case 3:
                            cmp = "movl $\(TestMachine.data + 0x1000), %edi\n movl $\(k), %esi\n"
                                + " movb $\(a), (%edi,%esi)\n movb $\(b), %dl\n cmpb %dl, (%edi,%esi)"
                        default: cmp = "movl $\(a), %eax\n movl $\(b), %edx\n cmpl %edx, %eax"
                        }
                        let gap = shape == 2 ? "\n .skip 32, 0x90" : ""
                        source += "movl $1, %ecx\n \(cmp)\n j\(names[cc]) 1f\n xorl %ecx, %ecx\(gap)\n"
                            + "1: movb %cl, \(TestMachine.data + UInt32(k))\n"
                    }
                }
            }
            let m = try TestMachine(asm: source)
            #expect(m.run(1_000_000) == .exited(status: 0))
            let got = try m.bytes(TestMachine.data, expected.count)
            for k in expected.indices where got[k] != expected[k] {
                let n = values.count, cc = k / (n * n), a = values[k / n % n], b = values[k % n]
                Issue.record("shape \(shape): j\(names[cc]) after cmp of \(a) with \(b): taken \(got[k]), SDM \(expected[k])")
            }
        }
    }

    /// A block's memory forms leave out the base of a segment whose base is 0
    /// (``Interpreter/specializeAddressing(_:_:_:)``); loading a segment register with another
    /// base in the run drops those blocks. Round 1 of the outer loop stores with GS's base 0,
    /// then `movw %dx, %gs` loads selector 0x33 (GDT index 6: a DPL-3 data segment based at
    /// 0x100), and round 2 runs the same blocks: its stores go to base + offset (SDM Vol. 3A,
    /// 3.4: linear address = segment base + offset), 0x100 further on, and round 1's stay.
    @Test func segmentLoadInTheRunReachesBuiltBlocks() throws {
        let m = try TestMachine(asm: """
                movl $0x08050000, %edi
                movw $0x33, %dx
                xorl %ecx, %ecx
            2:  incl %ecx
                xorl %eax, %eax
            1:  movb %cl, %gs:(%edi,%eax)
                movl %ecx, %gs:0x40(%edi)
                incl %eax
                cmpl $4, %eax
                jb 1b
                movw %dx, %gs
                cmpl $2, %ecx
                jb 2b
            """)
        m.cpu.descriptors[6] = 0x00CF_F300_0100_FFFF
        #expect(m.run() == .exited(status: 0))
        let d = TestMachine.data
        #expect(try m.bytes(d, 4) == [1, 1, 1, 1])
        #expect(try m.u32(d + 0x40) == 1)
        #expect(try m.bytes(d + 0x100, 4) == [2, 2, 2, 2])
        #expect(try m.u32(d + 0x140) == 2)
        // 3 + 2 rounds of (2 + 4 * 5 + 3) + the INT
        #expect(m.interp.instructionsExecuted == 54)
    }

    /// A segment base written outside the run (``CPUState/setSegmentBase(_:_:)``, as the Linux
    /// ABI's `set_thread_area` and signal delivery do) between two slices reaches the block
    /// built before it: 4 rounds store at GS base 0, the next 4 at base 0x100 (SDM Vol. 3A, 3.4).
    @Test func segmentBaseWrittenBetweenSlicesReachesBuiltBlocks() throws {
        let m = try TestMachine(asm: """
                movl $0x08050000, %edi
                movl $5, %ecx
                xorl %eax, %eax
            1:  movb %cl, %gs:(%edi,%eax)
                incl %eax
                cmpl $8, %eax
                jb 1b
            """)
        #expect(m.run(3 + 4 * 4) == .instructionLimit)
        m.cpu.setSegmentBase(.gs, 0x100)
        #expect(m.run() == .exited(status: 0))
        let d = TestMachine.data
        #expect(try m.bytes(d, 8) == [5, 5, 5, 5, 0, 0, 0, 0])
        #expect(try m.bytes(d + 0x100, 8) == [0, 0, 0, 0, 5, 5, 5, 5])
    }
}
