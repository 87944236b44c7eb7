import Foundation
import Testing
import Translation
import VSim

/// Shifts by CL and rotates (ROL, ROR) translated inline (Lowering+Shifts.swift): results and
/// status flags, undefined ones included, as the host CPU (an AMD EPYC, whose undefined flags
/// the interpreter follows) and the interpreter leave them, for counts 0 to 33 (a masked count of
/// 0 leaves the flags: SDM Vol. 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR), 8-, 16- and 32-bit
/// registers (AH too) and memory.
@Suite(.serialized) struct ShiftAndRotateTests {
    static func program() throws -> String {
        try VSim.resolve(.path(Support.packageRoot + "/Tests/TranslationTests/Programs/shiftcases.s")).executablePath
    }

    @Test func shiftCasesMatchHostAndInterpreter() throws {
        let path = try Self.program()
        let t = try Support.run(path, .translate)
        let i = try Support.run(path, .interpret)
        #expect(t.exitStatus == 0, "\(t.diagnostic ?? "")")
        #expect(t.output?.count == 28928)
        #expect(t.output == i.output, "output differs from interpret")
        #expect(t.instructions == i.instructions)
        if Support.hostRunsI386() {
            let n = try Support.run(path, .native)
            #expect(t.output == n.output, "output differs from the host CPU")
        }
    }

    @Test func lockstepCheckPasses() throws {
        let path = try Self.program()
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        let r = try LockstepCheck.run(program: .path(path), arguments: [], options: options)
        #expect(r.mismatch == nil)
        #expect(r.run.exitStatus == 0)
    }

    /// A shift by CL or a rotate goes through no `call exec_insn` (the block of a loop of them).
    @Test func noExecInsnInTheLoop() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                xorl %ebx, %ebx
                movl $1000, %esi
            1:  movl %esi, %ecx
                movl $0x9abcdef1, %eax
                roll %cl, %eax
                rorw $3, %ax
                shrl %cl, %eax
                sarb %cl, %al
                shlw %cl, %ax
                xorl %eax, %ebx
                decl %esi
                jnz 1b
                movl $1, %eax
                andl $0x7f, %ebx
                int $0x80
            """, name: "rot.s")
        let (t, stats) = try Support.runWithStats(path)
        let i = try Support.run(path, .interpret)
        #expect(t.exitStatus == i.exitStatus)
        if Support.hostRunsI386() { #expect(t.exitStatus == (try Support.run(path, .native)).exitStatus) }
        #expect(stats.helperInstructions == 1, "only the INT 0x80")
    }
}
