import Testing
@testable import Machine

/// Edge semantics of individual instructions (SDM Vol. 2 pseudocode; values by hand).
@Suite("instructions")
struct InstructionTests {
    /// BT with a register bit offset on memory addresses a bit string: offset 35 is bit 3 of the
    /// dword at EA+4; offset -1 is bit 31 of the dword at EA-4 (SDM BT, "Bit(BitBase, BitOffset)").
    @Test func btBitStringBeyondOperand() throws {
        let m = try TestMachine(asm: """
            movl $35, %ecx
            btl %ecx, 0x08050010
            setc %al
            movl $-1, %ecx
            btsl %ecx, 0x08050010
            setc %ah
            """)
        try m.memory.load([0, 0, 0, 0, 0x08, 0, 0, 0], at: 0x0805_0010)
        m.run()
        #expect(m.cpu.eax & 0xFFFF == 0x0001)            // bit 35 set, bit -1 was clear
        #expect(try m.u32(0x0805_000C) == 0x8000_0000)   // BTS set bit 31 of the dword at EA-4
        // Immediate offsets are taken modulo the width: btl $35 tests bit 3 of EA itself.
        let n = try TestMachine(asm: "btl $35, 0x08050010\nsetc %al")
        try n.memory.load([0x08], at: 0x0805_0010)
        n.run()
        #expect(n.cpu.eax & 0xFF == 1)
    }

    /// RCL on 8 bits rotates through 9 bits: a count of 9 is a full turn (value and CF kept);
    /// RCL by 1 with CF=1 on 0x80 gives 0x01 and CF=1, OF = MSB(result) XOR CF = 1.
    @Test func rclThroughNineBits() throws {
        let m = try TestMachine(asm: "movb $0x5a, %al\nstc\nrclb $9, %al\nsetc %bl")
        m.run()
        #expect(m.cpu.eax & 0xFF == 0x5A && m.cpu.ebx & 0xFF == 1)
        let n = try TestMachine(asm: "movb $0x80, %al\nstc\nrclb $1, %al")
        n.run()
        #expect(n.cpu.eax & 0xFF == 0x01)
        #expect(n.cpu.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
        // RCR on 16 bits by 17 is a full turn.
        let r = try TestMachine(asm: "movw $0x1234, %ax\nclc\nrcrw $17, %ax")
        r.run()
        #expect(r.cpu.eax & 0xFFFF == 0x1234)
    }

    /// Shift counts are masked to 5 bits before the width: shlb $9 on 0xFF gives 0 with CF=0
    /// (the last bit out is bit -1); shll $33 is a shift by 1.
    @Test func shiftCountMasking() throws {
        let m = try TestMachine(asm: "movb $0xff, %al\nshlb $9, %al\nsetc %bl\nmovl $1, %ecx\nshll $33, %ecx")
        m.run()
        #expect(m.cpu.eax & 0xFF == 0 && m.cpu.ebx & 0xFF == 0)
        #expect(m.cpu.ecx == 2)
    }

    /// SHLD/SHRD 32-bit: shld $4 of 0x12345678 with 0x9ABCDEF0 → 0x23456789.
    @Test func shldShrd() throws {
        let m = try TestMachine(asm: """
            movl $0x12345678, %eax
            movl $0x9abcdef0, %ebx
            shldl $4, %ebx, %eax
            movl $0x12345678, %ecx
            shrdl $8, %ebx, %ecx
            """)
        m.run()
        #expect(m.cpu.eax == 0x2345_6789)
        #expect(m.cpu.ecx == 0xF012_3456)
    }

    /// PUSH/POP width follows the operand size: 66 50 pushes 2 bytes, 66 58 pops 2.
    @Test func pushPopOperandSize() throws {
        let m = try TestMachine([0x66, 0x50, 0x66, 0x5B])   // pushw %ax; popw %bx
        m.cpu.eax = 0x1111_2222; m.cpu.ebx = 0x3333_4444
        m.run()
        #expect(m.cpu.ebx == 0x3333_2222)
        #expect(m.cpu.esp == TestMachine.stackTop)
        let n = try TestMachine([0x66, 0x6A, 0xFF])   // pushw $-1
        n.run()
        #expect(n.cpu.esp == TestMachine.stackTop - 2)
        #expect(try n.bytes(TestMachine.stackTop - 2, 2) == [0xFF, 0xFF])
    }

    /// POP to memory addressed by ESP uses the incremented ESP (SDM POP).
    @Test func popIntoESPRelativeMemory() throws {
        let m = try TestMachine([0x6A, 0x05, 0x6A, 0x07, 0x8F, 0x04, 0x24])   // push 5; push 7; pop (%esp)
        m.run()
        #expect(m.cpu.esp == TestMachine.stackTop - 4)
        #expect(try m.u32(TestMachine.stackTop - 4) == 7)
    }

    @Test func pushaPopaAndEnterLeave() throws {
        let m = try TestMachine(asm: """
            movl $1, %eax
            movl $2, %ecx
            pushal
            movl $0, %eax
            movl $0, %ecx
            movl $0x55, %esp
            movl %esp, %ebx
            """)
        m.run()
        // pusha stored EAX at top-4 and the original ESP at top-20.
        #expect(try m.u32(TestMachine.stackTop - 4) == 1)
        #expect(try m.u32(TestMachine.stackTop - 20) == TestMachine.stackTop)
        let p = try TestMachine(asm: "movl $1, %eax\nmovl $2, %edi\npushal\nxorl %eax, %eax\nxorl %edi, %edi\npopal")
        p.run()
        #expect(p.cpu.eax == 1 && p.cpu.edi == 2 && p.cpu.esp == TestMachine.stackTop)
        // enter $8, $0 then leave: EBP restored, ESP back.
        let e = try TestMachine(asm: "movl $0x1234, %ebp\nenter $8, $0\nmovl %ebp, %esi\nmovl %esp, %edi\nleave")
        e.run()
        #expect(e.cpu.esi == TestMachine.stackTop - 4)
        #expect(e.cpu.edi == TestMachine.stackTop - 12)
        #expect(e.cpu.ebp == 0x1234 && e.cpu.esp == TestMachine.stackTop)
    }

    /// CALL/RET, RET imm16, indirect JMP/CALL through memory.
    @Test func callRet() throws {
        let m = try TestMachine(asm: """
                pushl $9
                call f
                jmp done
            f:  movl 4(%esp), %eax
                ret $4
            done:
            """)
        m.run()
        #expect(m.cpu.eax == 9 && m.cpu.esp == TestMachine.stackTop)
    }

    /// DAA after adding BCD 0x19 + 0x28 = 0x41 → 0x47 (AF set by 9+8), CF=0.
    /// DAS after 0x47 - 0x28 = 0x1F → 0x19.  AAA: AL=0x0B → AX=0x0101 with CF=AF=1.
    @Test func bcd() throws {
        let m = try TestMachine(asm: "movb $0x19, %al\naddb $0x28, %al\ndaa\nmovb %al, %bl\nsubb $0x28, %al\ndas\nmovb %al, %bh")
        m.run()
        #expect(m.cpu.ebx & 0xFFFF == 0x1947)
        let a = try TestMachine(asm: "movw $0x000b, %ax\naaa")
        a.run()
        #expect(a.cpu.eax & 0xFFFF == 0x0101)
        #expect(a.cpu.eflags & (EFLAGS.cf | EFLAGS.af) == EFLAGS.cf | EFLAGS.af)
        // AAD 10: AH=7, AL=5 → AL=75=0x4B, AH=0.
        let d = try TestMachine(asm: "movw $0x0705, %ax\naad")
        d.run()
        #expect(d.cpu.eax & 0xFFFF == 0x004B)
    }

    @Test func cmpxchgAndXadd() throws {
        let m = try TestMachine(asm: """
            movl $5, %eax
            movl $5, %ebx
            movl $9, %ecx
            cmpxchgl %ecx, %ebx
            sete %dl
            movl $1, %eax
            cmpxchgl %ecx, %ebx
            sete %dh
            movl $3, %esi
            movl $4, %edi
            xaddl %esi, %edi
            """)
        m.run()
        #expect(m.cpu.ebx == 9)            // first: equal → EBX = ECX
        #expect(m.cpu.eax == 9)            // second: unequal → EAX = EBX
        #expect(m.cpu.edx & 0xFFFF == 0x0001)
        #expect(m.cpu.esi == 4 && m.cpu.edi == 7)
    }

    /// CPUID: the documented vendor string and feature bits (FPU, TSC, CX8, CMOV).
    @Test func cpuid() throws {
        let m = try TestMachine([0x31, 0xC0, 0x0F, 0xA2])
        m.run()
        let vendor = [m.cpu.ebx, m.cpu.edx, m.cpu.ecx].flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        #expect(String(decoding: vendor, as: UTF8.self) == "VSimVSimVSim")
        #expect(m.cpu.eax == 1)
        let n = try TestMachine([0xB8, 1, 0, 0, 0, 0x0F, 0xA2])
        n.run()
        #expect(n.cpu.edx == 1 | (1 << 4) | (1 << 8) | (1 << 15))
    }

    /// RDTSC returns the instructions retired before it: here 3 NOPs.
    @Test func rdtscCountsInstructions() throws {
        let m = try TestMachine([0x90, 0x90, 0x90, 0x0F, 0x31])
        m.run()
        #expect(m.cpu.eax == 3 && m.cpu.edx == 0)
    }

    /// Sensitive but unprivileged at CPL 3: values of the modeled flat Linux-like machine (the
    /// same values this host's Linux returns to a 32-bit process through UMIP emulation).
    @Test func sensitiveInstructions() throws {
        let m = try TestMachine(asm: """
            sgdt 0x08050000
            sidt 0x08050008
            smsw %eax
            str %ebx
            movl %cs, %ecx
            movl %ss, %edx
            movl $0x23, %esi
            larl %esi, %edi
            lsll %esi, %esi
            """)
        m.run()
        #expect(try m.bytes(0x0805_0000, 6) == [0, 0, 0, 0, 0xFE, 0xFF])
        #expect(try m.bytes(0x0805_0008, 6) == [0, 0, 0, 0, 0xFF, 0xFF])
        #expect(m.cpu.eax == 0x8005_0033 && m.cpu.ebx == 0x40)
        #expect(m.cpu.ecx == 0x23 && m.cpu.edx == 0x2B)
        #expect(m.cpu.edi == 0x00CF_FB00 && m.cpu.esi == 0xFFFF_FFFF)
        // LAR of a selector not in the GDT: ZF=0, destination unchanged.
        let n = try TestMachine(asm: "movl $0x10, %esi\nmovl $0xdead, %edi\nlarl %esi, %edi\nsetz %al")
        n.run()
        #expect(n.cpu.edi == 0xDEAD && n.cpu.eax & 0xFF == 0)
    }

    /// Segment loads: DS=0x2B and the null selector are fine; an unknown selector is #GP(sel).
    @Test func segmentLoads() throws {
        let m = try TestMachine(asm: "movl $0x2b, %eax\nmovl %eax, %ds\nmovl $0, %eax\nmovl %eax, %fs")
        #expect(m.run() == .exited(status: 0))
        let n = try TestMachine(asm: "movl $0x33, %eax\nmovl %eax, %ds")
        let e = n.runExpectingException()
        #expect(e?.vector == .gp && e?.errorCode == 0x30)
        // A TLS descriptor with base 0x08050000 loaded into GS relocates gs: accesses.
        let t = try TestMachine(asm: "movl $0x63, %eax\nmovl %eax, %gs\nmovl %gs:4, %ebx")
        t.cpu.descriptors[12] = CPUState.makeDescriptor(base: 0x0805_0000, limit: 0xFFFFF, access: 0xF3)
        try t.memory.load([0x78, 0x56, 0x34, 0x12], at: 0x0805_0004)
        t.run()
        #expect(t.cpu.ebx == 0x1234_5678)
    }

    /// POPF at CPL 3 with IOPL 0 silently keeps IF and IOPL (sensitive, not privileged).
    @Test func popfDropsPrivilegedBits() throws {
        let m = try TestMachine(asm: "pushl $0x3000\npopf\npushf\npopl %eax")
        m.run()
        #expect(m.cpu.eax & EFLAGS.iopl == 0)
        #expect(m.cpu.eax & EFLAGS.if != 0)
        #expect(m.cpu.eax & 2 != 0)
    }

    @Test func movzxMovsxXlatBswap() throws {
        let m = try TestMachine(asm: """
            movl $0x1234ff80, %eax
            movzbl %al, %ebx
            movsbl %al, %ecx
            movswl %ax, %edx
            bswap %eax
            movl $0x08050000, %ebx
            movb $2, %al
            xlat
            """)
        try m.memory.load([10, 11, 12], at: 0x0805_0000)
        m.run()
        #expect(m.cpu.ecx == 0xFFFF_FF80 && m.cpu.edx == 0xFFFF_FF80)
        #expect(m.cpu.eax == 0x80FF_340C)
    }
}
