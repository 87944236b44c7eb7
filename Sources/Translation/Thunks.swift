/// The code shared by every block, at offsets in the code buffer (emitted once, after the enter
/// trampoline and the epilogue): each thunk saves the caller-saved registers that generated code
/// keeps values in, calls its helper (SysV ABI, `rdi` = the context, ``Ctx``), restores them and
/// returns. A block reaches a thunk with a 5-byte `call rel32` instead of carrying the whole
/// sequence inline (which made each memory access's slow path about 100 bytes, twice over for
/// 2- and 4-byte accesses, and each `call exec_insn` about 110).
///
/// A helper that must leave generated code (a fault, the guest stopping, an invalidated block)
/// returns its exit code (``ExitKind``, as a block's own exits) with bit 63 (``leave``) set; the
/// thunk then drops its return address and jumps to the epilogue with the code in rax.
struct Thunks {
    /// The shared epilogue (stores the guest registers, returns to the main loop with rax).
    var epilogue = 0
    /// ecx = guest address, rdx = ``packAccess(size:flags:insn:block:)``; returns the value in eax.
    var load = 0
    /// ecx = guest address, eax = value, rdx = ``packAccess(size:flags:insn:block:)``.
    var store = 0
    /// rdx = block << 32 | the block's instructions << 16 | the instruction's index; writes the guest registers back first and
    /// reloads them after (the interpreter reads and writes them in `CPUState.raw`).
    var execInsn = 0
    /// `rep_movs`, `rep_stos`: as ``execInsn``, with ecx = the element size (1, 2, 4).
    var repMovs = 0
    var repStos = 0
    /// The lazy-flag helpers; ecx = the argument (`cc_cond`: the condition); result in eax.
    var ccComputeAll = 0
    var ccCond = 0
    var ccCarry = 0

    /// What a memory helper needs to know about the access, in one 64-bit immediate:
    /// bits 0-7 size (1, 2, 4), 8-15 the `ld` flags, 16-31 the instruction's index in its block,
    /// 32-63 the block's number.
    static func packAccess(size: UInt32, flags: UInt32, insn: Int, block: UInt32) -> UInt64 {
        UInt64(size & 0xFF) | UInt64(flags & 0xFF) << 8 | UInt64(insn & 0xFFFF) << 16 | UInt64(block) << 32
    }

    /// Bit 63 of a helper's result: leave generated code, with the rest as the exit code.
    static let leave: UInt64 = 1 << 63

    /// Host addresses of the helpers (C calling convention).
    struct Helpers {
        var load: UInt64
        var store: UInt64
        var execInsn: UInt64
        var repMovs: UInt64
        var repStos: UInt64
        var ccComputeAll: UInt64
        var ccCond: UInt64
        var ccCarry: UInt64
    }

    /// Emits the thunks into `a`, whose offset 0 will be code-buffer offset `base`; `epilogue`
    /// is the epilogue's code-buffer offset.
    static func emit(_ a: inout X64Assembler, base: Int, epilogue: Int, helpers h: Helpers) -> Thunks {
        var t = Thunks()
        t.epilogue = epilogue
        let saved = HostCodeGenerator.callerSaved
        // In generated code rsp is 16-byte aligned; the call to a thunk pushes 8 bytes, the six
        // saved registers 48 more, so 8 more keep the helper's call aligned (SysV ABI).
        func save(_ a: inout X64Assembler) {
            for r in saved { a.push(r) }
            a.aluRI64(5, .rsp, 8)
        }
        func restore(_ a: inout X64Assembler) {
            a.aluRI64(0, .rsp, 8)
            for r in saved.reversed() { a.pop(r) }
        }
        /// After the helper: leave through the epilogue when bit 63 of rax is set, else return.
        func returnOrLeave(_ a: inout X64Assembler) {
            a.testRR64(.rax, .rax)
            let leave = a.jcc(.s)
            a.ret()
            a.patch(leave, to: a.offset)
            a.btr64(.rax, 63)
            a.aluRI64(0, .rsp, 8)          // the return address into the block
            let j = a.jmp()
            a.patch(j, to: epilogue - base)
        }
        // Flags a chained jump left pending (``Ctx/pending``): written by the predecessor's
        // stub before anything can see them. rax, rcx and rdx are the thunk's arguments.
        func writePendingFlags(_ a: inout X64Assembler) {
            let pending = HMem(base: .r12, disp: Ctx.pending)
            a.aluMI(7, pending, 0)
            let none = a.jcc(.e)
            a.push(.rax)
            a.movRM(.rax, pending)
            a.addRM64(.rax, HMem(base: .r12, disp: Ctx.codeBase))
            a.callR(.rax)
            a.pop(.rax)
            a.movMI(pending, 0)
            a.patch(none, to: a.offset)
        }
        // Memory: helper(ctx, address, value, packed) -> value, or the exit code | leave.
        t.load = base + a.offset
        writePendingFlags(&a)
        save(&a)
        a.movRR64(.rdi, .r12)
        a.movRR(.rsi, .rcx)
        a.movRR64(.rcx, .rdx)
        a.movRI(.rdx, 0)
        a.movRI64(.rax, h.load)
        a.callR(.rax)
        restore(&a)
        returnOrLeave(&a)
        t.store = base + a.offset
        writePendingFlags(&a)
        save(&a)
        a.movRR64(.rdi, .r12)
        a.movRR(.rsi, .rcx)
        a.movRR64(.rcx, .rdx)
        a.movRR(.rdx, .rax)
        a.movRI64(.rax, h.store)
        a.callR(.rax)
        restore(&a)
        returnOrLeave(&a)
        // exec_insn: helper(ctx, packed, counter) -> 0, or the exit code | leave; rep_movs and
        // rep_stos: helper(ctx, packed, counter, size), rcx passed through. Only the
        // temporaries' registers are saved: the guest registers come back from CPUState.raw.
        func runsInstruction(_ a: inout X64Assembler, _ helper: UInt64) -> Int {
            let at = base + a.offset
            HostCodeGenerator.storeGuestRegisters(&a)
            a.push(.rsi)
            a.push(.rdi)
            a.aluRI64(5, .rsp, 8)
            a.movRR64(.rdi, .r12)
            a.movRR64(.rsi, .rdx)
            a.movRR64(.rdx, .rbp)
            a.movRI64(.rax, helper)
            a.callR(.rax)
            a.aluRI64(0, .rsp, 8)
            a.pop(.rdi)
            a.pop(.rsi)
            HostCodeGenerator.loadGuestRegisters(&a)
            returnOrLeave(&a)
            return at
        }
        t.execInsn = runsInstruction(&a, h.execInsn)
        t.repMovs = runsInstruction(&a, h.repMovs)
        t.repStos = runsInstruction(&a, h.repStos)
        // The lazy-flag helpers: helper(ctx, argument) -> eax.
        for (k, helper) in [h.ccComputeAll, h.ccCond, h.ccCarry].enumerated() {
            let at = base + a.offset
            switch k {
            case 0: t.ccComputeAll = at
            case 1: t.ccCond = at
            default: t.ccCarry = at
            }
            save(&a)
            a.movRR64(.rdi, .r12)
            a.movRR(.rsi, .rcx)
            a.movRI64(.rax, helper)
            a.callR(.rax)
            restore(&a)
            a.ret()
        }
        return t
    }
}
