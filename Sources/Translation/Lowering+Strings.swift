import Machine
import X86

/// MOVS, STOS and LODS (Intel SDM Vol. 2B; the interpreter's `Interpreter+Strings.swift`).
/// CMPS, SCAS, 16-bit addresses and a REP LODS stay with `exec_insn`.
extension Lowering {
    /// Lowers MOVS, STOS or LODS; false (nothing emitted) when it goes to `exec_insn`.
    ///
    /// - Without REP: inline, one element: `ld` at ESI (MOVS, LODS), `st` at EDI (MOVS, STOS),
    ///   then ESI/EDI advanced by the element size, negated when EFLAGS.DF is set (computed from
    ///   the `eflags` register: `and t, eflags, $0x400; shr t, t, k; sub delta, $size, t`).
    /// - With REP (F3, or F2, which acts as REP on these): `call rep_movs` / `call rep_stos` with
    ///   the element size, in a flat mode with the source segment based at 0 (not FS or GS);
    ///   the helper runs the instruction itself when its fast case does not hold.
    mutating func lowerString(_ i: Instruction) -> Bool {
        guard i.addressSize == 4 else { return false }
        let size = i.operandSize
        let rep = i.prefixes.contains(.rep) || i.prefixes.contains(.repne)
        let memory: [MemoryOperand] = [i.operand0, i.operand1].compactMap { if case .memory(let m) = $0 { return m } else { return nil } }
        if rep {
            guard flat, i.mnemonic != .lods, memory.allSatisfy({ $0.segment != .fs && $0.segment != .gs }) else { return false }
            // EIP in place for the interpreter (the helper's fallback); the flags stay as they are.
            mov(.eip, .i(i.address))
            let h: RHelper = i.mnemonic == .movs ? .repMovs : .repStos
            emit(ROp(.call, a: .i(i.address), b: .i(UInt32(size)), c: UInt32(h.rawValue), x: UInt32(index)))
            return true
        }
        // delta = DF ? -size : size, from DF (bit 10) shifted down to 2 * size (bits 1-3).
        func delta() -> RArg {
            let df = op(.and, .r(.eflags), .i(EFLAGS.df))
            let twice = op(.shr, df, .i(UInt32(10 - (2 * Int(size)).trailingZeroBitCount)))
            return op(.sub, .i(UInt32(size)), twice)
        }
        switch i.mnemonic {
        case .movs:
            guard case .memory(let dst) = i.operand0, case .memory(let src) = i.operand1 else { return false }
            let v = load(address(src), size)
            store(v, address(dst), size)
            let d = delta()
            mov(.guest(6), op(.add, .r(.guest(6)), d))
            mov(.guest(7), op(.add, .r(.guest(7)), d))
        case .stos:
            guard case .memory(let dst) = i.operand0, case .register(let acc) = i.operand1 else { return false }
            let v = readReg(acc)
            store(v, address(dst), size)
            mov(.guest(7), op(.add, .r(.guest(7)), delta()))
        case .lods:
            guard case .register(let acc) = i.operand0, case .memory(let src) = i.operand1 else { return false }
            let v = load(address(src), size)
            let d = delta()
            writeReg(acc, v)
            mov(.guest(6), op(.add, .r(.guest(6)), d))
        default:
            return false
        }
        return true
    }
}
