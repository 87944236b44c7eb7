import Testing
@testable import Machine

/// The worked cases of emulation.md §4, one test each. Expected values come from the Intel SDM
/// pseudocode and hand calculation (reasoning in the comments), not from vsim.
@Suite("emulation.md §4 worked cases")
struct WorkedCasesTests {
    /// 1. `67 E2 FD` (LOOP to itself under 0x67) with ECX=0x00010001: the counter is CX (SDM
    /// LOOP: "IF AddressSize = 16 THEN Count is CX"). CX=1 → decremented to 0 → not taken; the
    /// upper half of ECX is untouched: ECX=0x00010000 after exactly one LOOP.
    @Test func loopUnder67CountsInCX() throws {
        let m = try TestMachine([0x67, 0xE2, 0xFD])
        m.cpu.ecx = 0x0001_0001
        #expect(m.run() == .exited(status: 0))
        #expect(m.cpu.ecx == 0x0001_0000)
        #expect(m.interp.instructionsExecuted == 2)   // LOOP + INT 0x80
    }

    /// 1b. Same loop with CX=3: three LOOPs (CX 3→2→1→0), ECX high half kept.
    @Test func loopUnder67IteratesCX() throws {
        let m = try TestMachine([0x67, 0xE2, 0xFD])
        m.cpu.ecx = 0x0005_0003
        m.run()
        #expect(m.cpu.ecx == 0x0005_0000)
        #expect(m.interp.instructionsExecuted == 4)
    }

    /// 2. LOOP decrements first, then tests: ECX=1 → ECX=0 and not taken. JECXZ/JCXZ only test:
    /// no decrement, no flag change (SDM Jcc "Flags Affected: None").
    @Test func loopDecrementsThenTestsAndJecxzTouchesNothing() throws {
        // loop target is itself; with ECX=1 it falls through once.
        let m = try TestMachine([0xE2, 0xFE])
        m.cpu.ecx = 1
        m.run()
        #expect(m.cpu.ecx == 0)
        #expect(m.interp.instructionsExecuted == 2)

        // stc; cmp to make flags CF=1 (1 - 2 borrows): then jecxz with ECX=0 must jump, keep flags.
        let j = try TestMachine(asm: """
            movl $1, %eax
            cmpl $2, %eax
            pushf
            popl %ebx
            jecxz 1f
            movl $0xbad, %esi
            1:  pushf
            popl %edx
            """)
        j.cpu.ecx = 0
        j.run()
        #expect(j.cpu.esi == 0)               // jumped
        #expect(j.cpu.ecx == 0)               // not decremented
        #expect(j.cpu.edx == j.cpu.ebx)       // flags identical
        #expect(j.cpu.edx & 1 == 1)           // CF from 1-2
    }

    /// 2b. JCXZ (67 E3) tests CX, not ECX: ECX=0x00010000 → CX=0 → taken; JECXZ (E3) with the
    /// same ECX is not taken.
    @Test func jcxzTestsCXNotECX() throws {
        // 67 e3 05: jcxz +5 over "mov $0xbad,%esi" (5 bytes)
        let m = try TestMachine([0x67, 0xE3, 0x05, 0xBE, 0xAD, 0x0B, 0, 0])
        m.cpu.ecx = 0x0001_0000
        m.run()
        #expect(m.cpu.esi == 0)
        let n = try TestMachine([0xE3, 0x05, 0xBE, 0xAD, 0x0B, 0, 0])
        n.cpu.ecx = 0x0001_0000
        n.run()
        #expect(n.cpu.esi == 0xBAD)
        #expect(n.cpu.ecx == 0x0001_0000)
    }

    /// 3. `shr r8, cl` with CL=0: the masked count is 0, so no flag changes (SDM SAL/SAR/SHL/SHR:
    /// "If the count is 0, the flags are not affected"), and the operand is unchanged.
    @Test func shiftByZeroChangesNoFlags() throws {
        // Make every status flag known: 0x7F + 1 in AL → 0x80: OF=1 SF=1 AF=1, CF=0 ZF=0 PF=0.
        // Then stc to set CF. shr %cl,%al with CL=0 must leave all of them.
        let m = try TestMachine(asm: """
            movb $0x7f, %al
            addb $1, %al
            stc
            pushf
            popl %ebx
            movl $0, %ecx
            shrb %cl, %al
            pushf
            popl %edx
            """)
        m.run()
        #expect(m.cpu.eax & 0xFF == 0x80)
        #expect(m.cpu.ebx & statusMask == 0x891)   // OF|SF|AF|CF
        #expect(m.cpu.edx == m.cpu.ebx)
        // CL=0x20 masks to 0 too.
        let m2 = try TestMachine(asm: """
            movb $0x7f, %al
            addb $1, %al
            pushf
            popl %ebx
            movb $0x20, %cl
            shrb %cl, %al
            pushf
            popl %edx
            """)
        m2.run()
        #expect(m2.cpu.eax & 0xFF == 0x80)
        #expect(m2.cpu.edx == m2.cpu.ebx)
    }

    /// 4. `shl eax, cl` with EAX=0x3C, CL=2: 0x3C << 2 = 0xF0 (four 1 bits in the low byte → even
    /// → PF=1); the last bit out is bit 30 of 0x3C = 0 → CF=0; ZF=SF=0. PF must read 1 through PUSHF.
    @Test func shlPFThroughPushf() throws {
        let m = try TestMachine(asm: """
            movl $0x3c, %eax
            movb $2, %cl
            shll %cl, %eax
            pushf
            popl %edx
            """)
        m.run()
        #expect(m.cpu.eax == 0xF0)
        #expect(m.cpu.edx & EFLAGS.pf != 0)
        #expect(m.cpu.edx & (EFLAGS.cf | EFLAGS.zf | EFLAGS.sf) == 0)
        #expect(m.cpu.eflags & EFLAGS.pf != 0)
    }

    /// 5. `imul ebx` with EAX=2, EBX=0x7FFFFFFF: 2 * (2^31 - 1) = 2^32 - 2 = 0x00000000_FFFFFFFE
    /// as a signed 64-bit value; EAX=0xFFFFFFFE reads as -2 sign-extended, which differs from the
    /// full product, so CF=OF=1 (SDM IMUL one-operand form).
    @Test func imulOneOperandOverflow() throws {
        let m = try TestMachine([0xF7, 0xEB])   // imul %ebx
        m.cpu.eax = 2
        m.cpu.ebx = 0x7FFF_FFFF
        m.run()
        #expect(m.cpu.edx == 0)
        #expect(m.cpu.eax == 0xFFFF_FFFE)
        #expect(m.cpu.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
    }

    /// 6. `div bx` with DX:AX=0xFFFF:0xFFFF, BX=1: quotient 0xFFFFFFFF > 0xFFFF → #DE (SDM DIV:
    /// "IF temp > FFFFH THEN #DE"), at the DIV's EIP, registers unchanged.
    @Test func divQuotientOverflowRaisesDE() throws {
        let m = try TestMachine([0x66, 0xF7, 0xF3])   // div %bx
        m.cpu.edx = 0xFFFF
        m.cpu.eax = 0xFFFF
        m.cpu.ebx = 1
        let e = m.runExpectingException()
        #expect(e?.vector == .de)
        #expect(e?.eip == TestMachine.code)
        #expect(m.cpu.eax == 0xFFFF && m.cpu.edx == 0xFFFF)
        #expect(m.cpu.eip == TestMachine.code)
    }

    /// 7. BSF/BSR with a zero source: ZF=1, destination unchanged.
    @Test func bitScanZeroSource() throws {
        let m = try TestMachine(asm: """
            movl $0x12345678, %eax
            xorl %ebx, %ebx
            bsfl %ebx, %eax
            pushf
            popl %esi
            movl $0x87654321, %ecx
            bsrl %ebx, %ecx
            pushf
            popl %edi
            """)
        m.run()
        #expect(m.cpu.eax == 0x1234_5678)
        #expect(m.cpu.ecx == 0x8765_4321)
        #expect(m.cpu.esi & EFLAGS.zf != 0)
        #expect(m.cpu.edi & EFLAGS.zf != 0)
        // Non-zero source: BSF 0x00F0 → 4, BSR → 7, ZF=0.
        let n = try TestMachine(asm: "movl $0xf0, %ebx\nbsfl %ebx, %eax\nbsrl %ebx, %ecx")
        n.run()
        #expect(n.cpu.eax == 4 && n.cpu.ecx == 7)
        #expect(n.cpu.eflags & EFLAGS.zf == 0)
    }

    /// 8. ADC/SBB with source 0xFFFFFFFF and CF=1 (SDM ADC: DEST + SRC + CF on full precision).
    /// ADC: 5 + 0xFFFFFFFF + 1 = 0x1_00000005 → EAX=5, CF=1; signed 5 + (-1) + 1 = 5 → OF=0;
    /// low nibbles 5 + F + 1 = 0x15 → carry out of bit 3 → AF=1.
    /// SBB: 5 - 0xFFFFFFFF - 1 = 5 - 2^32 → EAX=5 with a borrow → CF=1; signed 5 - (-1) - 1 = 5 →
    /// OF=0; low nibbles 5 - F - 1 < 0 → AF=1.
    @Test func adcSbbWithAllOnesAndCarry() throws {
        let m = try TestMachine(asm: """
            movl $5, %eax
            stc
            adcl $0xffffffff, %eax
            pushf
            popl %ebx
            movl $5, %ecx
            stc
            sbbl $0xffffffff, %ecx
            pushf
            popl %edx
            """)
        m.run()
        #expect(m.cpu.eax == 5)
        #expect(m.cpu.ebx & (EFLAGS.cf | EFLAGS.of | EFLAGS.af) == EFLAGS.cf | EFLAGS.af)
        #expect(m.cpu.ecx == 5)
        #expect(m.cpu.edx & (EFLAGS.cf | EFLAGS.of | EFLAGS.af) == EFLAGS.cf | EFLAGS.af)
    }

    /// 8b. The same on 8 bits with a register source: AL=0x7F + BL=0xFF + CF=1 = 0x17F → AL=0x7F,
    /// CF=1; signed 127 + (-1) + 1 = 127 → OF=0; F + F + 1 = 0x1F → AF=1.
    @Test func adc8WithAllOnesAndCarry() throws {
        let m = try TestMachine(asm: "movb $0x7f, %al\nmovb $0xff, %bl\nstc\nadcb %bl, %al")
        m.run()
        #expect(m.cpu.eax & 0xFF == 0x7F)
        #expect(m.cpu.eflags & (EFLAGS.cf | EFLAGS.of | EFLAGS.af) == EFLAGS.cf | EFLAGS.af)
    }
}
