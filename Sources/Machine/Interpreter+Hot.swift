/// The hottest forms, shared by the two dispatches: ``exec(_:)`` (one instruction, EIP advanced
/// by it) and ``execInBlock(_:)`` (the block loop's own small `switch`, which leaves EIP alone
/// for all but control transfers: a block's body needs no EIP). Each is written once here.
/// Semantics: Intel SDM Vol. 2A-2B, each instruction's page; flags through ``LazyFlags``.
extension Interpreter {
    @inline(__always) func mov32RR(_ op: UnsafeMutablePointer<DecodedOp>) {
        setR32(op.pointee.r, r32(op.pointee.rm))
    }

    @inline(__always) func mov32RM(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let v = try rd32(ea(op))
        setR32(op.pointee.r, v)
    }

    @inline(__always) func mov32MR(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        try wr32(ea(op), r32(op.pointee.r))
    }

    @inline(__always) func mov32RI(_ op: UnsafeMutablePointer<DecodedOp>) {
        setR32(op.pointee.r, op.pointee.imm)
    }

    /// ADD/SUB/XOR/AND/OR r32, r32 or imm32 (`b`), and CMP/TEST (result not written).
    @inline(__always) func add32(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) {
        let a = r32(op.pointee.r), r = a &+ b
        setR32(op.pointee.r, r)
        setCC(LazyFlags.kAdd, 2, r, a, b)
    }

    @inline(__always) func sub32(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) {
        let a = r32(op.pointee.r), r = a &- b
        setR32(op.pointee.r, r)
        setCC(LazyFlags.kSub, 2, r, a, b)
    }

    @inline(__always) func cmp32(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) {
        let a = r32(op.pointee.r)
        setCC(LazyFlags.kSub, 2, a &- b, a, b)
    }

    /// CMP with a memory operand: `a - b` of the operand size sets the flags (SDM "CMP").
    @inline(__always) func cmpSized(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b0: UInt32) {
        let w = op.pointee.w, m = maskOf(w), b = b0 & m
        setCC(LazyFlags.kSub, w, (a &- b) & m, a, b)
    }

    @inline(__always) func logic32(_ op: UnsafeMutablePointer<DecodedOp>, _ r: UInt32, write: Bool) {
        if write { setR32(op.pointee.r, r) }
        setCC(LazyFlags.kLogic, 2, r, 0, 0)
    }

    /// INC/DEC r32: CF is kept (saved in ccAux from the previous lazy state).
    @inline(__always) func incDec32(_ op: UnsafeMutablePointer<DecodedOp>, dec: Bool) {
        let c = LazyFlags.carryFast(s)
        let a = r32(op.pointee.rm), r = dec ? a &- 1 : a &+ 1
        setR32(op.pointee.rm, r)
        setCC(dec ? LazyFlags.kDec : LazyFlags.kInc, 2, r, a, 1)
        s[CPUState.iAux] = c
    }

    /// INC/DEC r32 whose flags are dead (``H/inc32Rnf``).
    @inline(__always) func incDec32NoFlags(_ op: UnsafeMutablePointer<DecodedOp>, dec: Bool) {
        let a = r32(op.pointee.rm)
        setR32(op.pointee.rm, dec ? a &- 1 : a &+ 1)
    }

    /// IMUL r32, r32 whose flags are dead (``H/imul32RRnf``).
    @inline(__always) func imul32RRNoFlags(_ op: UnsafeMutablePointer<DecodedOp>) {
        setR32(op.pointee.r, r32(op.pointee.r) &* r32(op.pointee.rm))
    }

    /// IMUL r32, r/m32 (register form): CF = OF = the product does not fit; SF ZF AF PF kept.
    @inline(__always) func imul32RR(_ op: UnsafeMutablePointer<DecodedOp>) {
        let p = Int64(Int32(bitPattern: r32(op.pointee.r))) * Int64(Int32(bitPattern: r32(op.pointee.rm)))
        let r = UInt32(truncatingIfNeeded: p)
        setR32(op.pointee.r, r)
        setCC(LazyFlags.kMul, 2, r, LazyFlags.szapFast(s), 0)
        s[CPUState.iAux] = p != Int64(Int32(bitPattern: r)) ? 1 : 0
    }

    /// Jcc rel8/rel32: whether condition `sub` (the opcode's low nibble, SDM Vol. 1, Appendix B,
    /// "EFLAGS Condition Codes") holds. B/AE, E/NE, BE/A after CMP/SUB compare the operands
    /// (SDM Vol. 1, Table B-1); the rest is out of line, so that this stays small enough for
    /// the inliner to take it into the dispatches.
    @_transparent func jccTaken(_ op: UnsafeMutablePointer<DecodedOp>) -> Bool {
        let cc = op.pointee.sub
        if s[CPUState.iOp] >> 2 == LazyFlags.kSub && (cc >> 1) &- 1 < 3 {
            let a = s[CPUState.iSrc1], b = s[CPUState.iSrc2]
            let t = cc >> 1 == 1 ? a < b : cc >> 1 == 2 ? a == b : a <= b
            return t != (cc & 1 != 0)
        }
        return LazyFlags.conditionOutOfLine(cc, s)
    }

    /// CMP r32, b and the Jcc after it (``H/cmpJcc32RR``): the flags as CMP sets them, and the
    /// condition (SDM Vol. 1, Table B-1) decided on the operands where it is a comparison.
    @inline(__always) func cmpJcc32(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) {
        let a = r32(op.pointee.r)
        setCC(LazyFlags.kSub, 2, a &- b, a, b)
        let cc = op.pointee.sub
        let t: Bool
        switch cc >> 1 {
        case 1: t = a < b                                                  // B
        case 2: t = a == b                                                 // E
        case 3: t = a <= b                                                 // BE
        case 6: t = Int32(bitPattern: a) < Int32(bitPattern: b)            // L
        case 7: t = Int32(bitPattern: a) <= Int32(bitPattern: b)           // LE
        default: eip = LazyFlags.conditionOutOfLine(cc, s) ? op.pointee.imm2 : op.pointee.disp; return
        }
        eip = t != (cc & 1 != 0) ? op.pointee.imm2 : op.pointee.disp
    }

    /// The block loop's dispatch: the hot forms in place, EIP untouched unless the instruction
    /// transfers control; anything else through ``execOutOfLine(_:)`` with EIP at the
    /// instruction, as ``exec(_:)`` expects. Returns what ``exec(_:)`` returns.
    @inline(__always)
    func execInBlock(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) -> Bool {
        switch op.pointee.h {
        case .mov32RR: mov32RR(op)
        case .mov32RM: try mov32RM(op)
        case .mov32MR: try mov32MR(op)
        case .mov32RI: mov32RI(op)
        case .add32RR: add32(op, r32(op.pointee.rm))
        case .add32RI: add32(op, op.pointee.imm)
        case .sub32RR: sub32(op, r32(op.pointee.rm))
        case .sub32RI: sub32(op, op.pointee.imm)
        case .cmp32RR: cmp32(op, r32(op.pointee.rm))
        case .cmp32RI: cmp32(op, op.pointee.imm)
        case .xor32RR: logic32(op, r32(op.pointee.r) ^ r32(op.pointee.rm), write: true)
        case .and32RR: logic32(op, r32(op.pointee.r) & r32(op.pointee.rm), write: true)
        case .or32RR: logic32(op, r32(op.pointee.r) | r32(op.pointee.rm), write: true)
        case .test32RR: logic32(op, r32(op.pointee.r) & r32(op.pointee.rm), write: false)
        case .inc32R: incDec32(op, dec: false)
        case .dec32R: incDec32(op, dec: true)
        case .imul32RR: imul32RR(op)
        case .inc32Rnf: incDec32NoFlags(op, dec: false)
        case .dec32Rnf: incDec32NoFlags(op, dec: true)
        case .imul32RRnf: imul32RRNoFlags(op)
        case .add32RRnf: setR32(op.pointee.r, r32(op.pointee.r) &+ r32(op.pointee.rm))
        case .add32RInf: setR32(op.pointee.r, r32(op.pointee.r) &+ op.pointee.imm)
        case .sub32RRnf: setR32(op.pointee.r, r32(op.pointee.r) &- r32(op.pointee.rm))
        case .sub32RInf: setR32(op.pointee.r, r32(op.pointee.r) &- op.pointee.imm)
        case .jcc: eip = jccTaken(op) ? op.pointee.imm : op.pointee.tag &+ UInt32(op.pointee.len)
        case .jmp: eip = op.pointee.imm
        case .cmpJcc32RR: cmpJcc32(op, r32(op.pointee.rm))
        case .cmpJcc32RI: cmpJcc32(op, op.pointee.imm)
        case .nop: break
        case .cmpMR: cmpSized(op, try rd(ea(op), op.pointee.size), getR(op.pointee.r, op.pointee.size))
        case .cmpMI: cmpSized(op, try rd(ea(op), op.pointee.size), op.pointee.imm)
        case .cmpRM: cmpSized(op, getR(op.pointee.r, op.pointee.size), try rd(ea(op), op.pointee.size))
        // the general forms most frequent in compiled code
        case .movRM:
            let v = try rd(ea(op), op.pointee.size)
            setR(op.pointee.r, op.pointee.size, v)
        case .movMR: try wr(ea(op), op.pointee.size, getR(op.pointee.r, op.pointee.size))
        case .movMI: try wr(ea(op), op.pointee.size, op.pointee.imm)
        case .aluRM:
            let b = try rd(ea(op), op.pointee.size)
            try aluToReg(op, getR(op.pointee.r, op.pointee.size), b)
        case .aluMR: try aluToMem(op, getR(op.pointee.r, op.pointee.size))
        case .aluRI: try aluToReg(op, getR(op.pointee.r, op.pointee.size), op.pointee.imm)
        case .lea: setR(op.pointee.r, op.pointee.size, offset(op))
        default:
            eip = op.pointee.tag
            return try execOutOfLine(op)
        }
        return true
    }

    /// ``exec(_:)`` as a call, for the block loop's uncommon instructions.
    @inline(never)
    func execOutOfLine(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) -> Bool {
        try exec(op)
    }
}
