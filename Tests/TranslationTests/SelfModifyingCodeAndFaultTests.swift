import Foundation
import Testing
import Translation
import VSim

/// Self-modifying code and faults in the middle of a block.
@Suite(.serialized) struct SelfModifyingCodeAndFaultTests {
    /// Patches an immediate it already executed (the loop's next turn must load the new value),
    /// then a branch target (the jump must go to the new place). On the CPU: exit 31.
    static let smc = """
            .section .smc,"awx"
            .globl _start
        _start:
            xorl %ebx, %ebx
            movl $3, %ecx
        1:
        imm:
            movl $1, %eax           # b8 01 00 00 00: the immediate is patched below
            addl %eax, %ebx
            movl $5, imm+1          # 1 on the first turn, then 5: ebx = 1 + 5 + 5
            decl %ecx
            jnz 1b
            movl $(target2 - jsite_end), jsite+1
        jsite:
            jmp target1             # e9 rel32: retargeted to target2 by the store above
        jsite_end:
        target1:
            movl $99, %ebx
            movl $1, %eax
            int $0x80
        target2:
            addl $20, %ebx          # 11 + 20
            movl $1, %eax
            int $0x80
        """

    @Test func selfModifyingProgramMatchesHost() throws {
        let path = try Support.build(SelfModifyingCodeAndFaultTests.smc, name: "smc.s")
        let (t, stats) = try Support.runWithStats(path)
        #expect(t.exitStatus == 31, "\(t.diagnostic ?? "")")
        #expect(t.exitStatus == (try Support.run(path, .interpret)).exitStatus)
        if Support.hostRunsI386() { #expect(t.exitStatus == (try Support.run(path, .native)).exitStatus) }
        #expect(stats.invalidations >= 1)
        #expect(stats.smcRetries >= 1)
    }

    /// One store into the running block's own page, worked out by hand:
    /// block A at _start = {movl $42,patch+1; movl $7,%ebx; movl $1,%eax; int $0x80} (the INT ends it).
    /// A runs its first instruction; the store's slow path finds A's page and leaves before
    /// writing (1 SMC retry); the main loop runs the store in the interpreter, whose write
    /// invalidates A (1 invalidation, 1 invalidating write); the lookup at `patch` translates
    /// block B = {movl $42,%ebx; movl $1,%eax; int $0x80}, which exits with 42 (2 blocks,
    /// 4 + 3 = 7 instructions translated, 4 instructions retired: 1 stepped, 1 by exec_insn).
    @Test func storeIntoRunningBlockCountsExactly() throws {
        let path = try Support.build("""
                .section .smc,"awx"
                .globl _start
            _start:
                movl $42, patch+1
            patch:
                movl $7, %ebx
                movl $1, %eax
                int $0x80
            """, name: "patch.s")
        let (t, s) = try Support.runWithStats(path)
        #expect(t.exitStatus == 42)
        if Support.hostRunsI386() { #expect(try Support.run(path, .native).exitStatus == 42) }
        #expect(s.blocksTranslated == 2)
        #expect(s.instructionsTranslated == 7)
        #expect(s.smcRetries == 1)
        #expect(s.invalidations == 1)
        #expect(s.invalidatingWrites == 1)
        #expect(s.instructionsExecuted == 4)
        #expect(s.instructionsStepped == 1)
        #expect(s.helperInstructions == 1)
    }

    /// DIV by zero after flag-setting instructions in the same block: #DE with the interpreter's
    /// registers, flags (from the XOR) and EIP (the DIV), nothing of the block after it.
    @Test func divideErrorMidBlock() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $7, %eax
                movl $3, %ecx
                addl %ecx, %eax
                xorl %edx, %edx
                movl $0, %ebx
                divl %ebx
                movl $5, %ecx
                movl $1, %eax
                int $0x80
            """, name: "de.s")
        let i = try Support.interpretDirect(path)
        let (t, _) = try Support.translateDirect(path)
        #expect(i.ending.hasPrefix("de"))
        #expect(t == i, "translate \(t)\ninterpret \(i)")
    }

    /// DIV r/m32 inline (`divu`/`remu`): a quotient that does not fit (EDX >= divisor) takes the
    /// slow path and raises #DE with the interpreter's state; a register and a memory divisor
    /// that fit give the interpreter's EAX, EDX and flags (DIV leaves the ADD's flags, which the
    /// JC after it reads).
    @Test(arguments: [("movl $5, %edx\n    movl $5, %ebx\n    divl %ebx", true),
                      ("movl $4, %edx\n    movl $5, %ebx\n    divl %ebx", false),
                      ("movl $4, %edx\n    divl dv", false),
                      ("movl $4, %edx\n    movl $0, dv\n    divl dv", true)])
    func divideInline(body: String, faults: Bool) throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $0xfffffff0, %eax
                movl $0x20, %ecx
                addl %ecx, %eax         # CF set
                movl $123456789, %eax
                \(body)
                jc 1f
                movl $9, %ecx
            1:  movl %eax, %ebx
                movl $1, %eax
                int $0x80
                .data
            dv: .long 7
            """, name: "div.s")
        let i = try Support.interpretDirect(path)
        let (t, _) = try Support.translateDirect(path)
        #expect(i.ending.hasPrefix("de") == faults, "\(i.ending)")
        #expect(t == i, "translate \(t)\ninterpret \(i)")
    }

    /// A store to a read-only page right after a flag-setting ADD: #PF (write, user: code 7) with
    /// the ADD's flags and registers, EIP at the store; and a read-modify-write to the same
    /// page faults as a write before changing anything.
    @Test(arguments: ["movl %eax, (%esi)", "addl %ecx, (%esi)", "incl 4(%esi)", "pushl (%edi)"])
    func badStoreAfterFlagSettingInstruction(store: String) throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $ro, %esi
                movl $0x7ffffffe, %eax
                movl $3, %ecx
                addl %ecx, %eax         # OF SF AF PF set, CF ZF clear
                leal -16(%esp), %edi
                movl $0xbffffff0, %esp
                addl $0x40000100, %esp  # ESP above the stack top: PUSH faults
                \(store)
                movl $1, %eax
                int $0x80
                .section .rodata
            ro: .long 1, 2
            """, name: "pf.s")
        let i = try Support.interpretDirect(path)
        let (t, _) = try Support.translateDirect(path)
        #expect(i.ending.hasPrefix("pf"))
        #expect(t == i, "translate \(t)\ninterpret \(i)")
    }

    /// A loop whose first instruction is a memory access, run until that access faults a page
    /// past the end of .bss: the flags at the #PF are those of the previous iteration's CMP (the
    /// back edge leaves them pending, for the access's slow path to write: docs/risc-target.md,
    /// "Pending flags"), so EFLAGS, EIP, the registers and the count must be the interpreter's.
    /// One loop of one block (a store, as the sieve's crossing-out loop) and one of two blocks
    /// (a load and a branch, then INC, CMP and the back edge, as the sieve's counting loop).
    @Test(arguments: ["""
        loop:   movb %bl, (%edi,%eax)
                addl %ecx, %eax
                cmpl %ebp, %eax
                jbe loop
        """, """
        loop:   cmpb %bl, (%edi,%eax)
                je 1f
                incl %edx
        1:      addl %ecx, %eax
                cmpl %ebp, %eax
                jbe loop
        """])
    func faultAtLoopHeaderWithPendingFlags(loop: String) throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $buf, %edi
                xorl %eax, %eax
                xorl %edx, %edx
                movl $7, %ebx
                movl $64, %ecx          # PF clear at the #PF, set after the first iteration
                movl $0x7fffffff, %ebp  # never reached: the access faults first
            \(loop)
                movl $1, %eax
                int $0x80
                .bss
            buf: .space 20000
            """, name: "pending.s")
        let i = try Support.interpretDirect(path)
        let (t, _) = try Support.translateDirect(path)
        #expect(i.ending.hasPrefix("pf"))
        #expect(i.instructions > 1000)
        #expect(t == i, "translate \(t)\ninterpret \(i)")
    }

    /// Guest pages with host protections (docs/risc-target.md, "Guest pages with host
    /// protections"): in user mode a load or store of generated code has no inline check, and an
    /// access the page does not allow is a host SIGSEGV sent to that access's slow path. Each
    /// loop below runs hundreds of chained iterations on the fast path, then one access the page
    /// does not allow: a write to an unmapped page, to a read-only page (mprotect), to a page
    /// holding code, a 4-byte write that crosses into a read-only page, and a read of an unmapped
    /// and of a PROT_NONE page. The #PF (or, for the code page, the run to its exit) must leave
    /// the interpreter's EIP, EFLAGS (the previous iteration's CMP, left pending), registers, CR2
    /// and count, with the host fault taken (and without host protections: the same again).
    @Test(arguments: [
        ("unmapped write", "", "loop:   movl %ebx, (%edi,%eax)\n        addl %ecx, %eax\n        cmpl %ebp, %eax\n        jbe loop"),
        ("read-only write", "mprotect", "loop:   movb %bl, (%edi,%eax)\n        addl %ecx, %eax\n        cmpl %ebp, %eax\n        jbe loop"),
        ("crossing write", "mprotect", "        movl $3, %ecx\nloop:   movl %ebx, (%edi,%eax)\n        addl %ecx, %eax\n        cmpl %ebp, %eax\n        jbe loop"),
        ("unmapped read", "", "loop:   cmpb %bl, (%edi,%eax)\n        je 1f\n        incl %edx\n1:      addl %ecx, %eax\n        cmpl %ebp, %eax\n        jbe loop"),
        ("PROT_NONE read", "mprotect0", "loop:   movzwl (%edi,%eax), %esi\n        addl %ecx, %eax\n        cmpl %ebp, %eax\n        jbe loop"),
    ])
    func hostFaultFromHotLoop(what: String, protect: String, loop: String) throws {
        // buf: 3 pages, page-aligned, the last 4 KiB of .bss (the page after it is unmapped);
        // with `mprotect`, its second page becomes read-only (PROT_READ) or PROT_NONE first.
        let prot = protect == "mprotect0" ? 0 : 1
        let path = try Support.build("""
                .globl _start
            _start:
                \(protect.isEmpty ? "" : "movl $125, %eax\n    movl $buf+4096, %ebx\n    movl $4096, %ecx\n    movl $\(prot), %edx\n    int $0x80")
                movl $buf, %edi
                xorl %eax, %eax
                xorl %edx, %edx
                movl $7, %ebx
                movl $4, %ecx
                movl $0x7fffffff, %ebp  # never reached: an access faults first
            \(loop)
                movl $1, %eax
                int $0x80
                .bss
                .balign 4096
            buf: .space 3 * 4096
            """, name: "hostfault.s")
        let i = try Support.interpretDirect(path)
        let (t, engine) = try Support.translateDirectEngine(path)
        #expect(i.ending.hasPrefix("pf"), "\(what): \(i.ending)")
        #expect(i.instructions > 1000)
        #expect(t == i, "\(what): translate \(t)\ninterpret \(i)")
        #expect(engine.hostChecked)
        #expect(engine.hostFaultsRedirected >= 1, "\(what)")
        let (inline, plain) = try Support.translateDirectEngine(path, hostChecks: false)
        #expect(!plain.hostChecked)
        #expect(plain.hostFaultsRedirected == 0)
        #expect(inline == i, "\(what) (inline checks): translate \(inline)\ninterpret \(i)")
    }

    /// Stores into a page holding code from a hot loop: data beside the code (the page is host
    /// read-only, so every store is a host fault sent to the slow path, which writes it and
    /// invalidates nothing), then one store over an instruction of a block already run (which
    /// is invalidated and retranslated). Exit status, registers and count as the interpreter's
    /// and the CPU's (exit 40 natively).
    @Test func storesIntoCodePageFromHotLoop() throws {
        let path = try Support.build("""
                .section .smc,"awx"
                .globl _start
            _start:
                xorl %eax, %eax
                movl $data, %edi
                movl $500, %ecx
            loop:
                movl %eax, (%edi)       # beside the code: no invalidation
                addl $3, %eax
                decl %ecx
                jnz loop
                call patched
                movb $40, patched+1     # the immediate of the block run above
                call patched
                movl %eax, %ebx
                movl $1, %eax
                int $0x80
            patched:
                movl $9, %eax           # b8 09 00 00 00
                ret
            data:
                .long 0
            """, name: "codepage.s")
        let i = try Support.interpretDirect(path)
        let (t, engine) = try Support.translateDirectEngine(path)
        #expect(i.ending == "exit 40", "\(i.ending)")
        #expect(t == i, "translate \(t)\ninterpret \(i)")
        #expect(engine.hostFaultsRedirected >= 500)
        #expect(engine.statistics.invalidations >= 1)
        if Support.hostRunsI386() { #expect(try Support.run(path, .native).exitStatus == 40) }
    }
}
