/// Instruction breakpoints for a debugger (the REPL), like the debug registers DR0-DR3 with
/// R/W = 00: before the instruction at one of ``Interpreter/breakpoints`` executes, the
/// interpreter stops with `#DB` (``CPUException/isDebuggerBreakpoint``), EIP at the instruction,
/// nothing done. They cost nothing in the hot loop: an instruction at a breakpoint is never kept
/// in the decoded-instruction cache nor in a pre-decoded block (a block ends before it), so it
/// always misses, and only a miss looks at the set.
/// (A debugger steps off a breakpoint with the set empty.) In user-mode emulation the exception
/// reaches the caller as a fault; the system-level machine returns before delivering it
/// (``SystemMachine/stoppedAtBreakpoint``).
extension Interpreter {
    /// Drops the cached instructions (and the blocks holding them) at `addresses`, so that the
    /// next fetch there misses.
    func dropCached(_ addresses: Set<UInt32>) {
        for a in addresses {
            blocks.invalidate(address: a, count: 1)
            let slot = cache + Int(a & Interpreter.cacheMask)
            if slot.pointee.tag == a { slot.pointee.tag = ~(a & Interpreter.cacheMask) }
        }
    }
}

extension CPUException {
    static let debuggerBreakpointDetail = "debugger breakpoint"

    /// The `#DB` of a debugger breakpoint at `eip` (the instruction there has not run).
    public static func debuggerBreakpoint(at eip: UInt32) -> CPUException {
        CPUException(vector: .db, eip: eip, detail: debuggerBreakpointDetail)
    }

    /// Whether this is an ``Interpreter/breakpoints`` stop rather than an exception of the guest.
    public var isDebuggerBreakpoint: Bool { vector == .db && detail == Self.debuggerBreakpointDetail }
}
