import Testing
import X86
@testable import Machine

/// The x87 model against the Intel SDM, by hand (the host comparison is the x87 corpus in
/// VSimTests): stack, tags, stack faults, rounding control, comparisons, #MF and #NM.
@Suite("x87 FPU")
struct X87Tests {
    static let one = X87Register(significand: 1 << 63, signExponent: 0x3FFF)
    static let three = X87Register(significand: 0xC000_0000_0000_0000, signExponent: 0x4000)

    @Test func finitState() throws {
        let m = try TestMachine(asm: "fld1\nfninit")
        m.run()
        #expect(m.cpu.x87.controlWord == 0x037F)
        #expect(m.cpu.x87.statusWord == 0)
        #expect(m.cpu.x87.fullTagWord == 0xFFFF)
    }

    /// 1 + 2 = 3 exactly; FADDP pops (TOP back to 0, one register valid, the tag word 0x3FFF).
    @Test func addAndPop() throws {
        let m = try TestMachine(asm: "fld1\nfld1\nfadd %st(0),%st\nfaddp %st,%st(1)")
        m.run()
        let x = m.cpu.x87
        #expect(x.top == 7)
        #expect(x.st(0) == Self.three)
        #expect(x.fullTagWord == 0x3FFF)      // R7 valid (00), the rest empty
        #expect(x.statusFlags & 0x3F == 0)
    }

    /// SDM Vol. 1, 8.5.1.1: a ninth push is a stack overflow: IE, SF, C1 = 1; masked, the QNaN
    /// indefinite is pushed.
    @Test func stackOverflow() throws {
        let m = try TestMachine(asm: String(repeating: "fld1\n", count: 9))
        m.run()
        let x = m.cpu.x87
        #expect(x.statusFlags & (X87State.ie | X87State.sf | X87State.c1) == X87State.ie | X87State.sf | X87State.c1)
        #expect(x.st(0) == .indefinite)
        #expect(x.top == 7)
    }

    /// An empty source is a stack underflow: IE, SF, C1 = 0; masked, the destination gets the
    /// indefinite.
    @Test func stackUnderflow() throws {
        let m = try TestMachine(asm: "fld1\nfadd %st(3),%st")
        m.run()
        let x = m.cpu.x87
        #expect(x.statusFlags & (X87State.ie | X87State.sf | X87State.c1) == X87State.ie | X87State.sf)
        #expect(x.st(0) == .indefinite)
    }

    /// FISTP of -2.5 under each RC (SDM Vol. 1, Table 4-8): nearest even -2, down -3, up -2, zero -2.
    @Test func roundingControl() throws {
        for (rc, expected) in [(0, -2), (1, -3), (2, -2), (3, -2)] as [(UInt16, Int32)] {
            let cw = 0x037F | rc << 10
            let m = try TestMachine(asm: """
                movw $\(cw), 0x08050000
                fldcw 0x08050000
                movl $0xc0200000, 0x08050004
                flds 0x08050004
                fistpl 0x08050008
                """)
            m.run()
            #expect(Int32(bitPattern: try m.u32(0x0805_0008)) == expected, "RC \(rc)")
            #expect(m.cpu.x87.statusFlags & X87State.pe != 0)
        }
    }

    /// FCOMI: 1 < 3 sets CF only; FUCOMIP with a QNaN is unordered (ZF PF CF) and pops.
    @Test func compareIntoEFLAGS() throws {
        let m = try TestMachine(asm: "fld1\nfld1\nfadd %st(0),%st\nfadd %st(1),%st\nfld1\nfcomi %st(1),%st")
        m.run()
        #expect(m.cpu.eflags & (EFLAGS.zf | EFLAGS.pf | EFLAGS.cf) == EFLAGS.cf)
        let n = try TestMachine(asm: "fldz\nfldz\nfdiv %st(0),%st\nfucomip %st(1),%st")
        n.run()
        #expect(n.cpu.eflags & (EFLAGS.zf | EFLAGS.pf | EFLAGS.cf) == EFLAGS.zf | EFLAGS.pf | EFLAGS.cf)
        #expect(n.cpu.x87.top == 7)
    }

    /// FXAM of an empty register: C3 = 1, C2 = 0, C0 = 1 ("empty", SDM Vol. 2A FXAM).
    @Test func examineEmpty() throws {
        let m = try TestMachine(asm: "fxam")
        m.run()
        #expect(m.cpu.x87.statusFlags & (X87State.c3 | X87State.c2 | X87State.c0) == X87State.c3 | X87State.c0)
    }

    /// Division by zero with ZE unmasked: ES and B set, nothing stored; the next waiting
    /// instruction (FWAIT) raises #MF; FNSTSW before it does not.
    @Test func pendingExceptionRaisesMF() throws {
        let m = try TestMachine(asm: """
            movw $0x037b, 0x08050000
            fldcw 0x08050000
            fld1
            fldz
            fdivr %st(1),%st
            fnstsw %ax
            fwait
            """)
        let e = m.runExpectingException()
        #expect(e?.vector == .mf)
        #expect(m.cpu.eax & 0xFFFF & 0x80 != 0)            // ES in the status word FNSTSW stored
        #expect(m.cpu.x87.st(0) == X87Register(significand: 0, signExponent: 0))   // 0 kept: no result
        #expect(m.cpu.x87.linuxFPECode == 3)   // FPE_FLTDIV: what Linux puts in the SIGFPE's si_code
    }

    /// CR0.EM = 1: every x87 instruction raises #NM (SDM Vol. 3A, Table 2-2).
    @Test func emulationBitRaisesNM() throws {
        let m = try TestMachine(asm: "fld1")
        m.cpu.cr0 |= 4
        #expect(m.runExpectingException()?.vector == .nm)
    }

    /// FNSTENV (32-bit format): CW, SW, TW with the unused halves 1s, the last instruction
    /// pointer and opcode (FLD1 = D9 E8: 0x1E8), then all exceptions masked.
    @Test func storeEnvironment() throws {
        let m = try TestMachine(asm: "movw $0x0360, 0x08050100\nfldcw 0x08050100\nfld1\nfnstenv 0x08050000")
        m.run()
        #expect(try m.u32(0x0805_0000) == 0xFFFF_0360)
        #expect(try m.u32(0x0805_0004) == 0xFFFF_3800)
        #expect(try m.u32(0x0805_0008) == 0xFFFF_3FFF)
        #expect(try m.u32(0x0805_000C) == TestMachine.code + 15)   // FLD1 after MOVW (9 bytes) and FLDCW (6)
        #expect(try m.u32(0x0805_0010) >> 16 == 0x1E8)
        #expect(m.cpu.x87.controlWord == 0x037F)
    }
}
