import Testing
@testable import Machine

/// Lazy condition codes observed through PUSHF and LAHF right after each flag-producing family.
/// Expected flags computed by hand from the SDM definitions:
/// CF=0x1 PF=0x4 AF=0x10 ZF=0x40 SF=0x80 OF=0x800.
@Suite("lazy flags")
struct LazyFlagsTests {
    /// Runs `code` then `pushf; popl %edx; lahf` and returns (EFLAGS & status, AH).
    func observe(_ code: String) throws -> (UInt32, UInt32) {
        let m = try TestMachine(asm: code + "\npushf\npopl %edx\nlahf")
        #expect(m.run() == .exited(status: 0))
        // LAHF must agree with PUSHF on SF ZF AF PF CF (AH bit 1 is always 1).
        let ah = (m.cpu.eax >> 8) & 0xFF
        #expect(ah == (m.cpu.edx & 0xD5) | 0x02)
        #expect(m.cpu.eflags & statusMask == m.cpu.edx & statusMask)
        return (m.cpu.edx & statusMask, ah)
    }

    /// 0x80 + 0x80 = 0x100: AL=0, CF=1, ZF=1, PF=1 (0 has even parity), OF=1 (two negatives
    /// gave a non-negative), AF=0 (0+0 in the low nibble), SF=0.
    @Test func add8() throws {
        #expect(try observe("movb $0x80, %al\naddb $0x80, %al").0 == 0x845)
    }

    /// 3 - 5 = 0xFFFFFFFE: CF=1 (borrow), SF=1, AF=1 (3 < 5 in the low nibble), PF: 0xFE has
    /// seven 1 bits → PF=0, OF=0, ZF=0.
    @Test func sub32() throws {
        #expect(try observe("movl $3, %eax\nsubl $5, %eax").0 == 0x91)
    }

    /// CMP 16-bit 0x8000 - 1 = 0x7FFF: OF=1 (negative minus positive gave positive), AF=1
    /// (0 - 1 borrows in the low nibble), PF: 0xFF → 1, CF=0, SF=0, ZF=0.
    @Test func cmp16() throws {
        #expect(try observe("movw $0x8000, %ax\ncmpw $1, %ax").0 == 0x814)
    }

    /// INC keeps CF: stc; 0x7FFFFFFF + 1 = 0x80000000: OF=1 SF=1 AF=1, PF (low byte 0) = 1,
    /// CF=1 (kept), ZF=0.
    @Test func incKeepsCarry() throws {
        #expect(try observe("stc\nmovl $0x7fffffff, %eax\nincl %eax").0 == 0x895)
    }

    /// DEC keeps CF=0: 1 - 1 = 0: ZF=1 PF=1, AF=0, OF=0, SF=0.
    @Test func decToZero() throws {
        #expect(try observe("clc\nmovl $1, %eax\ndecl %eax").0 == 0x44)
    }

    /// NEG 1 = 0xFFFFFFFF: CF=1 (source non-zero), SF=1, PF=1 (0xFF), AF=1, OF=0, ZF=0.
    @Test func neg() throws {
        #expect(try observe("movl $1, %eax\nnegl %eax").0 == 0x95)
    }

    /// XOR r,r = 0: ZF=1 PF=1, CF=OF=0 (defined), AF=0 (vsim's choice for logic ops), SF=0.
    @Test func logic() throws {
        #expect(try observe("stc\nmovl $5, %eax\nxorl %eax, %eax").0 == 0x44)
    }

    /// SHR 0x81 by 1 (8-bit) = 0x40: CF=1 (bit 0 out), OF=1 (MSB of the original), PF: 0x40 → odd
    /// → 0, ZF=0, SF=0; AF=1 (vsim matches the host AMD CPU; undefined in the SDM).
    @Test func shr8() throws {
        #expect(try observe("movb $0x81, %al\nshrb $1, %al").0 & 0x8C5 == 0x801)
    }

    /// SAR 0x80000000 by 31 = 0xFFFFFFFF: CF=0 (bit 30 out), SF=1, PF=1, ZF=0; OF=0 (SAR).
    @Test func sar32() throws {
        #expect(try observe("movl $0x80000000, %eax\nsarl $31, %eax").0 & 0x8C5 == 0x84)
    }

    /// MUL 0x10000 * 0x10000 = 0x1_00000000: EDX=1 → CF=OF=1.
    @Test func mul32() throws {
        let (f, _) = try observe("movl $0x10000, %eax\nmovl $0x10000, %ecx\nmull %ecx")
        #expect(f & 0x801 == 0x801)
    }

    /// SAHF then LAHF round-trips SF ZF AF PF CF; OF is kept.
    @Test func sahf() throws {
        let (f, ah) = try observe("movb $0x7f, %al\naddb $1, %al\nmovb $0xd5, %ah\nsahf")
        #expect(ah == 0xD7)
        #expect(f == 0x8D5)   // OF=1 from the ADD kept
    }

    /// ADC consumes the lazy CF of a SUB: 0 - 1 sets CF; 0 + 0 + CF = 1.
    @Test func adcConsumesLazyCarry() throws {
        let m = try TestMachine(asm: "xorl %eax, %eax\nsubl $1, %eax\nmovl $0, %ebx\nadcl $0, %ebx")
        m.run()
        #expect(m.cpu.ebx == 1)
    }

    /// Jcc and SETcc read lazy flags: signed/unsigned comparisons of 0x80 and 0x01 on 8 bits.
    @Test func setccAfterCmp8() throws {
        // cmpb $1, %al with AL=0x80: unsigned 128 > 1 (A), signed -128 < 1 (L).
        let m = try TestMachine(asm: "movb $0x80, %al\ncmpb $1, %al\nseta %bl\nsetl %bh\nsetp %cl\nsetns %ch")
        m.run()
        #expect(m.cpu.ebx & 0xFFFF == 0x0101)
        // 0x80 - 1 = 0x7F: 7 bits → PF=0; SF=0 → NS=1.
        #expect(m.cpu.ecx & 0xFFFF == 0x0100)
    }

    /// The lazy state survives a fault: flags read after a #PF are those of the last completed
    /// instruction.
    @Test func flagsAtFault() throws {
        let m = try TestMachine(asm: "movl $0, %eax\ncmpl $1, %eax\nmovl 0x10000000, %eax")
        _ = m.runExpectingException()
        // 0 - 1: CF=1 SF=1 AF=1 PF=1 (0xFF).
        #expect(m.cpu.eflags & statusMask == 0x95)
    }
}
