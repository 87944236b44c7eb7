import Testing
@testable import Machine

/// String instructions with REP prefixes, DF, and the address-size prefix (SDM Vol. 2B "REP",
/// "MOVS", "CMPS", "SCAS", "LODS", "STOS").
@Suite("strings")
struct StringTests {
    static let src = TestMachine.data, dst = TestMachine.data + 0x100

    @Test func repMovsbForward() throws {
        let m = try TestMachine([0xF3, 0xA4])   // rep movsb
        try m.memory.load([1, 2, 3, 4, 5, 6], at: Self.src)
        m.cpu.esi = Self.src; m.cpu.edi = Self.dst; m.cpu.ecx = 5
        m.run()
        #expect(try m.bytes(Self.dst, 6) == [1, 2, 3, 4, 5, 0])
        #expect(m.cpu.ecx == 0 && m.cpu.esi == Self.src + 5 && m.cpu.edi == Self.dst + 5)
        #expect(m.interp.instructionsExecuted == 2)   // one REP MOVSB, one INT
    }

    /// DF=1: addresses decrement; copying from the last element down.
    @Test func repMovsdBackwardWithDF() throws {
        let m = try TestMachine([0xFD, 0xF3, 0xA5, 0xFC])   // std; rep movsl; cld
        try m.memory.load([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0], at: Self.src)
        m.cpu.esi = Self.src + 8; m.cpu.edi = Self.dst + 8; m.cpu.ecx = 3
        m.run()
        #expect(try m.u32(Self.dst) == 1 && m.u32(Self.dst + 4) == 2 && m.u32(Self.dst + 8) == 3)
        #expect(m.cpu.esi == Self.src - 4 && m.cpu.edi == Self.dst - 4)
        #expect(m.cpu.eflags & EFLAGS.df == 0)
    }

    /// ECX=0 with REP: no iteration, no register or flag change.
    @Test func repWithZeroCountDoesNothing() throws {
        let m = try TestMachine(asm: """
            movl $0x7f, %eax
            addl $1, %eax
            pushf
            popl %ebx
            xorl %ecx, %ecx
            movl $0x08050000, %edi
            movl $0x08050100, %esi
            movl $0x7f, %eax
            addl $1, %eax
            repe cmpsb
            pushf
            popl %edx
            rep stosl
            """)
        m.run()
        #expect(m.cpu.edx == m.cpu.ebx)     // flags of ADD, not of CMPS
        #expect(m.cpu.edi == 0x0805_0000 && m.cpu.esi == 0x0805_0100)
        #expect(try m.u32(0x0805_0000) == 0)
    }

    /// REPE CMPSB stops after the first difference: "abcX" vs "abcY": 4 iterations, ECX = 10-4,
    /// ZF=0, CF=1 ('X' < 'Y').
    @Test func repeCmpsStopsAtMismatch() throws {
        let m = try TestMachine([0xF3, 0xA6])
        try m.memory.load(Array("abcXefgh".utf8), at: Self.src)
        try m.memory.load(Array("abcYefgh".utf8), at: Self.dst)
        m.cpu.esi = Self.src; m.cpu.edi = Self.dst; m.cpu.ecx = 10
        m.run()
        #expect(m.cpu.ecx == 6 && m.cpu.esi == Self.src + 4 && m.cpu.edi == Self.dst + 4)
        #expect(m.cpu.eflags & (EFLAGS.zf | EFLAGS.cf) == EFLAGS.cf)
    }

    /// REPNE SCASB finds the terminating zero (strlen idiom): "hello\0", ECX=-1 → ECX = -1 - 6.
    @Test func repneScasbFindsZero() throws {
        let m = try TestMachine([0xF2, 0xAE])
        try m.memory.load(Array("hello\0".utf8), at: Self.src)
        m.cpu.edi = Self.src; m.cpu.ecx = 0xFFFF_FFFF; m.cpu.eax = 0
        m.run()
        #expect(m.cpu.ecx == 0xFFFF_FFFF - 6)
        #expect(m.cpu.edi == Self.src + 6)
        #expect(m.cpu.eflags & EFLAGS.zf != 0)
    }

    /// Under 0x67 the string instruction uses SI, DI and CX: ECX=0x00010003 copies 3 bytes and
    /// leaves ECX=0x00010000; the indices wrap at 16 bits (ESI/EDI high halves untouched).
    @Test func addressSizePrefixUsesCXSIDI() throws {
        let m = try TestMachine([0x67, 0xF3, 0xA4])   // rep movsb (addr16)
        // Flat segments: SI/DI are offsets 0x0000-0xFFFF; map page 0 area at 0x1000 for them.
        try m.memory.map(address: 0x0000_1000, size: 0x2000, permissions: .readWrite)
        try m.memory.load([9, 8, 7, 6], at: 0x1000)
        m.cpu.esi = 0xABCD_1000; m.cpu.edi = 0x1234_2000; m.cpu.ecx = 0x0001_0003
        m.run()
        #expect(try m.bytes(0x2000, 4) == [9, 8, 7, 0])
        #expect(m.cpu.ecx == 0x0001_0000)
        #expect(m.cpu.esi == 0xABCD_1003 && m.cpu.edi == 0x1234_2003)
    }

    @Test func lodsAndStosWidths() throws {
        let m = try TestMachine([0x66, 0xAD, 0x66, 0xAB, 0xAC])   // lodsw; stosw; lodsb
        try m.memory.load([0x34, 0x12, 0x56], at: Self.src)
        m.cpu.esi = Self.src; m.cpu.edi = Self.dst; m.cpu.eax = 0xFFFF_FFFF
        m.run()
        #expect(m.cpu.eax == 0xFFFF_1256)
        #expect(try m.bytes(Self.dst, 3) == [0x34, 0x12, 0])
        #expect(m.cpu.esi == Self.src + 3 && m.cpu.edi == Self.dst + 2)
    }
}
