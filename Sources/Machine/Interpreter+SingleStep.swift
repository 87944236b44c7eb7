/// EFLAGS.TF single-stepping (Intel SDM Vol. 3B, 18.3.1.4 "Single-Step Exception Condition"):
/// when TF is set at the start of an instruction, a trap-class #DB follows it, with EIP at the
/// next instruction (DR6.BS). An instruction that faults raises its fault instead; INT n does
/// not trap (the CPU clears TF on entering the handler, and Linux returns from `int $0x80`
/// without a trap, as the host shows). POPF that sets TF traps after the instruction after it,
/// since TF is looked at before each instruction. In user mode Linux delivers the trap as
/// SIGTRAP with si_code TRAP_TRACE and si_addr = that next EIP (arch/x86/kernel/traps.c
/// exc_debug_user, `get_si_code`).
///
/// The hot loop never looks at TF: POPF ends the fast slice when it sets TF (Interpreter+Execute),
/// and ``Interpreter/run(maxInstructions:deadline:)`` and ``Interpreter/step()`` take this slow
/// path while TF is set; the translator steps through the interpreter while ``CPUState/trapFlag``.
extension Interpreter {
    static let singleStepDetail = "single-step trap (EFLAGS.TF): SIGTRAP, si_code TRAP_TRACE"

    /// Whether TF is set (the next instruction is to be single-stepped).
    @inline(__always) var trapFlagSet: Bool { s[CPUState.iFlags] & EFLAGS.tf != 0 }

    /// Runs one instruction honouring TF: the instruction's own stop, or the single-step #DB
    /// after it when TF was set at its start; nil when the guest goes on.
    func stepWithTrapFlag() -> StopReason? {
        let traced = trapFlagSet
        let start = s[CPUState.iEIP]
        if let r = runSingle(1) { return r }
        guard traced else { return nil }
        let op = cache + Int(start & Interpreter.cacheMask)
        if op.pointee.tag == start && op.pointee.h == .int { return nil }
        return .exception(CPUException(vector: .db, eip: s[CPUState.iEIP], detail: Self.singleStepDetail))
    }
}

extension CPUException {
    /// Whether this is the single-step trap of EFLAGS.TF (Linux: SIGTRAP with si_code TRAP_TRACE).
    public var isSingleStepTrap: Bool { vector == .db && detail == Interpreter.singleStepDetail }
}
