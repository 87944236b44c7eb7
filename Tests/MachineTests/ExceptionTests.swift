import Testing
@testable import Machine

/// Fault classes: vector, error code, EIP, CR2, and precise state (SDM Vol. 3A, 6.15).
@Suite("exceptions")
struct ExceptionTests {
    @Test func divideByZeroIsDEAtTheDiv() throws {
        let m = try TestMachine([0x90, 0xF7, 0xF1])   // nop; div %ecx
        m.cpu.eax = 10; m.cpu.ecx = 0
        let e = m.runExpectingException()
        #expect(e?.vector == .de)
        #expect(e?.eip == TestMachine.code + 1)
        #expect(e?.errorCode == nil)
        #expect(m.interp.instructionsExecuted == 1)
    }

    /// IDIV: -2^31 / 1 = -2^31 fits (most negative quotient); -2^31 / -1 = 2^31 does not → #DE.
    @Test func idivMostNegativeQuotientFits() throws {
        let m = try TestMachine([0xF7, 0xF9])   // idiv %ecx
        m.cpu.edx = 0xFFFF_FFFF; m.cpu.eax = 0x8000_0000; m.cpu.ecx = 1
        #expect(m.run() == .exited(status: 0))
        #expect(m.cpu.eax == 0x8000_0000 && m.cpu.edx == 0)
        let n = try TestMachine([0xF7, 0xF9])
        n.cpu.edx = 0xFFFF_FFFF; n.cpu.eax = 0x8000_0000; n.cpu.ecx = 0xFFFF_FFFF
        #expect(n.runExpectingException()?.vector == .de)
        // 8 bits: AX = -128 / 1 → AL = 0x80, AH = 0; AX = -129 (0xFF7F) / 1 → #DE.
        let b = try TestMachine([0xF6, 0xF9])   // idiv %cl
        b.cpu.eax = 0xFF80; b.cpu.ecx = 1
        b.run()
        #expect(b.cpu.eax & 0xFFFF == 0x0080)
        let c = try TestMachine([0xF6, 0xF9])
        c.cpu.eax = 0xFF7F; c.cpu.ecx = 1
        #expect(c.runExpectingException()?.vector == .de)
        // 7 / -2 = -3 remainder 1 (truncation toward zero; remainder has the dividend's sign).
        let d = try TestMachine([0xF7, 0xF9])
        d.cpu.eax = 7; d.cpu.edx = 0; d.cpu.ecx = 0xFFFF_FFFE
        d.run()
        #expect(d.cpu.eax == 0xFFFF_FFFD && d.cpu.edx == 1)
    }

    @Test func aamZeroIsDE() throws {
        let m = try TestMachine([0xD4, 0x00])
        #expect(m.runExpectingException()?.vector == .de)
        // AAM 10 on AL=0x3F (63): AH = 6, AL = 3.
        let n = try TestMachine([0xD4, 0x0A])
        n.cpu.eax = 0x3F
        n.run()
        #expect(n.cpu.eax & 0xFFFF == 0x0603)
    }

    @Test func ud2AndOutsideSubsetAreUD() throws {
        let m = try TestMachine([0x0F, 0x0B])
        let e = m.runExpectingException()
        #expect(e?.vector == .ud && e?.eip == TestMachine.code)
        // SSE ADDPS (0F 58 C1): outside the subset; the detail names the bytes.
        let f = try TestMachine([0x90, 0x0F, 0x58, 0xC1])
        let e2 = f.runExpectingException()
        #expect(e2?.vector == .ud)
        #expect(e2?.eip == TestMachine.code + 1)
        #expect(e2?.detail.contains("outside the vsim subset") == true)
        #expect(e2?.detail.contains("0f 58 c1") == true)
    }

    /// INT3 is a trap: #BP reported with EIP of the *next* instruction (SDM Vol. 3A, 6.5).
    @Test func int3IsATrapWithNextEIP() throws {
        let m = try TestMachine([0x90, 0xCC, 0x90])
        let e = m.runExpectingException()
        #expect(e?.vector == .bp)
        #expect(e?.eip == TestMachine.code + 2)
        #expect(m.cpu.eip == TestMachine.code + 2)
    }

    /// INTO with OF=1: #OF trap (next EIP); with OF=0 nothing.
    @Test func intoTrapsOnOverflow() throws {
        let m = try TestMachine(asm: "movb $0x7f, %al\naddb $1, %al\ninto\nnop")
        let e = m.runExpectingException()
        #expect(e?.vector == .of)
        #expect(e?.eip == TestMachine.code + 5)   // mov(2) add(2) into(1)
        let n = try TestMachine(asm: "movb $1, %al\naddb $1, %al\ninto")
        #expect(n.run() == .exited(status: 0))
    }

    /// Privileged instructions at CPL 3: #GP(0) at the instruction.
    @Test(arguments: [[0xF4] as [UInt8], [0xFA], [0xFB], [0xE4, 0x60], [0xEE], [0x0F, 0x20, 0xC0],
                      [0x0F, 0x01, 0x15, 0, 0, 5, 8], [0x0F, 0x30], [0x0F, 0x09], [0x0F, 0x06]])
    func privilegedIsGP0(_ code: [UInt8]) throws {
        let m = try TestMachine(code)
        let e = m.runExpectingException()
        #expect(e?.vector == .gp)
        #expect(e?.errorCode == 0)
        #expect(e?.eip == TestMachine.code)
        #expect(e?.linuxSignal == 11)
    }

    /// INT n for a vector the platform does not serve: the handler raises #GP(n*8+2), EIP at the INT.
    @Test func unservedIntIsGP() throws {
        let m = try TestMachine([0xCD, 0x81])
        let e = m.runExpectingException()
        #expect(e?.vector == .gp && e?.errorCode == 0x81 * 8 + 2)
        #expect(e?.eip == TestMachine.code)
    }

    /// Write to a read-only page: #PF, error code 7 (P=1 present, W=1 write, U=1 user), CR2 =
    /// the address; memory and flags as before (the ADD's flags are not committed).
    @Test func writeToReadOnlyPageIsPFAndPrecise() throws {
        let m = try TestMachine(asm: """
            movl $0x7f, %eax
            cmpl $0x80, %eax
            addl %eax, 0x08048000
            """)
        let before = try m.u32(TestMachine.code)
        let e = m.runExpectingException()
        #expect(e?.vector == .pf)
        #expect(e?.errorCode == 7)
        #expect(e?.faultAddress == TestMachine.code)
        #expect(m.cpu.cr2 == TestMachine.code)
        #expect(e?.eip == TestMachine.code + 10)   // mov(5) cmp(5)
        #expect(try m.u32(TestMachine.code) == before)
        // flags still those of CMP 0x7f - 0x80: CF=1 SF=1 AF=1 (0xF - 0 ... borrow? 0x7F-0x80 = 0xFFFFFFFF)
        // 0x7F - 0x80: low nibbles F - 0 → no borrow → AF=0; result 0xFFFFFFFF → SF=1 PF=1; CF=1; OF=0.
        #expect(m.cpu.eflags & statusMask == EFLAGS.cf | EFLAGS.sf | EFLAGS.pf)
    }

    /// Read of an unmapped address: #PF error code 4 (P=0, read, user).
    @Test func readUnmappedIsPF4() throws {
        let m = try TestMachine([0x8B, 0x05, 0x00, 0x00, 0x00, 0x10])   // mov 0x10000000,%eax
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 4 && e?.faultAddress == 0x1000_0000)
        // Write to unmapped: error code 6.
        let w = try TestMachine([0xA3, 0x00, 0x00, 0x00, 0x10])          // mov %eax,0x10000000
        let e2 = w.runExpectingException()
        #expect(e2?.vector == .pf && e2?.errorCode == 6)
    }

    /// A 4-byte write straddling a writable and a read-only page faults on the second page and
    /// writes nothing (CR2 = first byte on the read-only page).
    @Test func pageCrossingWriteChecksBothPages() throws {
        let m = try TestMachine([0xA3, 0xFE, 0xFF, 0x05, 0x08])   // mov %eax,0x0805fffe
        try m.memory.map(address: 0x0806_0000, size: 0x1000, permissions: .read)
        m.cpu.eax = 0xAABB_CCDD
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 7 && e?.faultAddress == 0x0806_0000)
        #expect(try m.bytes(0x0805_FFFE, 2) == [0, 0])
        // Read straddling into an unmapped page: #PF(4) at the unmapped page.
        let r = try TestMachine([0xA1, 0xFE, 0xFF, 0x05, 0x08])   // mov 0x0805fffe,%eax
        let e2 = r.runExpectingException()
        #expect(e2?.vector == .pf && e2?.errorCode == 4 && e2?.faultAddress == 0x0806_0000)
        // A straddling read that is allowed works.
        let ok = try TestMachine([0xA1, 0xFE, 0xFF, 0x05, 0x08])
        try ok.memory.map(address: 0x0806_0000, size: 0x1000, permissions: .read)
        try ok.memory.load([1, 2], at: 0x0805_FFFE)
        try ok.memory.load([3, 4], at: 0x0806_0000)
        ok.run()
        #expect(ok.cpu.eax == 0x0403_0201)
    }

    /// Read-modify-write to a read-only page reports a *write* fault (W=1).
    @Test func rmwOnReadOnlyPageIsWriteFault() throws {
        let m = try TestMachine([0xFF, 0x05, 0x00, 0x80, 0x04, 0x08])   // incl 0x08048000
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 7)
    }

    /// Fetch from an unmapped page: #PF(4) with CR2 = EIP; an instruction crossing into an
    /// unmapped page faults at the page boundary.
    @Test func fetchFaults() throws {
        let m = try TestMachine([0xE9, 0xFB, 0x7F, 0xFB, 0x07])   // jmp 0x10000000
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 4 && e?.faultAddress == 0x1000_0000 && e?.eip == 0x1000_0000)
        // b8 xx xx xx xx at 0x08048ffd: 3 bytes on the page, 2 beyond (unmapped).
        let c = try TestMachine(Array(repeating: 0x90, count: 0xFFD) + [0xB8, 1, 2], appendExit: false)
        let e2 = c.runExpectingException()
        #expect(e2?.vector == .pf && e2?.faultAddress == 0x0804_9000 && e2?.eip == 0x0804_8FFD)
    }

    /// String instruction faulting mid-way keeps its progress: REP STOSB over 8 bytes whose last
    /// 3 are on a read-only page stops after 5 with ECX=3, EDI at the fault, EIP at the STOS.
    @Test func repStosFaultKeepsProgress() throws {
        let m = try TestMachine([0xF3, 0xAA])   // rep stosb
        try m.memory.map(address: 0x0806_0000, size: 0x1000, permissions: .read)
        m.cpu.edi = 0x0805_FFFB; m.cpu.ecx = 8; m.cpu.eax = 0x5A
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.faultAddress == 0x0806_0000)
        #expect(m.cpu.ecx == 3 && m.cpu.edi == 0x0806_0000)
        #expect(e?.eip == TestMachine.code)
        #expect(try m.bytes(0x0805_FFFB, 5) == [0x5A, 0x5A, 0x5A, 0x5A, 0x5A])
    }

    @Test func exceptionDescription() {
        let e = CPUException(vector: .pf, errorCode: 7, faultAddress: 0x0804_9123, eip: 0x0804_900A,
                             detail: "write to read-only page 0x08049123")
        #expect(e.description == "#PF(0x7) at eip 0x0804900a: write to read-only page 0x08049123")
    }
}
