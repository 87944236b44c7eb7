import Testing
@testable import Machine

/// Self-modifying code must behave as on the CPU: a write to bytes of an instruction that was
/// already decoded is seen the next time that instruction is fetched.
@Suite("self-modifying code")
struct SelfModifyingCodeTests {
    /// `mov $1,%eax` runs once; the program then overwrites its immediate with 0x42 and jumps
    /// back: the second execution must load 0x42.
    @Test func immediateRewrittenAfterExecution() throws {
        let m = try TestMachine(asm: """
            L:  movl $1, %eax
                cmpl $0, %ebx
                jne done
                incl %ebx
                movb $0x42, 0x08048001
                jmp L
            done:
            """, codePermissions: .all)
        m.run()
        #expect(m.cpu.eax == 0x42)
        #expect(m.cpu.ebx == 1)
    }

    /// A store that changes the very next instruction: it must execute with its new bytes.
    @Test func nextInstructionRewritten() throws {
        // movb $0x05, 0x0804800b ; then at 0x08048007: mov $0x1,%eax (b8 01 00 00 00) whose
        // immediate byte (at +8) ... we patch the opcode target register byte instead:
        // 0x08048007: b8 01 00 00 00 → patched to b8 05 00 00 00 via the byte at 0x08048008.
        let m = try TestMachine([0xC6, 0x05, 0x08, 0x80, 0x04, 0x08, 0x05,   // movb $5, 0x08048008 (7 bytes)
                                 0xB8, 0x01, 0x00, 0x00, 0x00],               // mov $1, %eax
                                codePermissions: .all)
        m.run()
        #expect(m.cpu.eax == 5)
    }

    /// A loop body decoded and run 100 times is patched (ADD's immediate 1 → 3) and run again:
    /// 100*1 + 100*3 = 400.
    @Test func patchedAfterHotLoop() throws {
        let m = try TestMachine(asm: """
            start:
                xorl %eax, %eax
                xorl %ebx, %ebx
            again:
                movl $100, %ecx
            body:
                addl $1, %eax
                loop body
                incl %ebx
                cmpl $2, %ebx
                je done
                movb $3, 0x08048000 + (body - start) + 2
                jmp again
            done:
            """, codePermissions: .all)
        m.run()
        #expect(m.cpu.eax == 400)
    }

    /// Writes to a data page never disturb decoded code, and writes to a code page that do not
    /// touch decoded bytes keep the cache valid (behaviour is the same either way).
    @Test func dataWriteOnCodePage() throws {
        let m = try TestMachine(asm: """
                movl $5, %ecx
            1:  movl %ecx, 0x08048800
                loop 1b
                movl 0x08048800, %eax
            """, codePermissions: .all)
        m.run()
        #expect(m.cpu.eax == 1)
    }

    /// The loader API also invalidates: reloading code bytes after a run changes what runs.
    @Test func reloadInvalidates() throws {
        let m = try TestMachine([0xB8, 0x01, 0x00, 0x00, 0x00])
        m.run()
        #expect(m.cpu.eax == 1)
        try m.memory.load([0xB8, 0x07, 0x00, 0x00, 0x00], at: TestMachine.code)
        m.cpu.eip = TestMachine.code
        m.run()
        #expect(m.cpu.eax == 7)
    }
}
