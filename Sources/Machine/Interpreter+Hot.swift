/// The hottest forms, shared by the two dispatches: ``exec(_:)`` (one instruction, EIP advanced
/// by it) and ``execInBlock(_:)`` (the block loop's own small `switch`, which leaves EIP alone
/// for all but control transfers: a block's body needs no EIP). Each is written once here.
/// Semantics: Intel SDM Vol. 2A-2B, each instruction's page; flags through ``LazyFlags``.
/// They run on a ``HotContext`` (the block loop's, in host registers; ``Interpreter/hot`` for
/// ``Interpreter/exec(_:)``).
extension HotContext {
    @inline(__always) func mov32RR(_ op: UnsafeMutablePointer<DecodedOp>) {
        setR32(op.pointee.r, r32(op.pointee.rm))
    }

    /// MOV r32, m32 (32-bit addressing) of the operand at `a` (``ea32(_:)``, or a shape's).
    @inline(__always) func mov32RM(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32) throws(CPUException) {
        let v = try rd32(a)
        setR32(op.pointee.r, v)
    }

    /// MOV m32, r32 (32-bit addressing) to the operand at `a` (``ea32(_:)``, or a shape's).
    @inline(__always) func mov32MR(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32) throws(CPUException) {
        try wr32(a, r32(op.pointee.r))
    }

    /// MOV r8, m8 (``H/mov8RM``; 32-bit addressing).
    @inline(__always) func mov8RM(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let v = try rd8(ea32(op))
        (sb + Int(op.pointee.r)).storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
    }

    /// MOV m8, r8 (``H/mov8MR``; 32-bit addressing) to the operand at `a` (``ea32(_:)``, or a
    /// shape's).
    @inline(__always) func mov8MR(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32) throws(CPUException) {
        try wr8(a, r8(op.pointee.r))
    }

    /// MOVZX r16/r32, r/m8 or r/m16 (SDM "MOVZX"): `sub` is the source's size.
    @inline(__always) func movzx(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let v = try readRM(op, op.pointee.sub)
        setR(op.pointee.r, op.pointee.size, v)
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

    /// Whether the Jcc of a fused CMP and Jcc is taken after a CMP of `a` with `b` at width `w`
    /// (0, 1, 2: 8, 16, 32 bits; both already masked to it). `c` is what
    /// ``Interpreter/comparisonClass(_:)`` made of the Jcc's condition: where the condition is a
    /// comparison of the operands (SDM Vol. 1, Table B-1), bits 0-2 say which (1 below, 2 equal,
    /// 3 below or equal, 4 less, 5 less or equal) and bit 3 negates it; else (0) bits 4-7 are
    /// the condition, read from the flags the CMP has just set (SDM Vol. 1, Appendix B, "EFLAGS
    /// Condition Codes"). One well-predicted branch on the class costs fewer host instructions
    /// than deciding every class without branches.
    @inline(__always) func compareTaken(_ c: UInt8, _ a: UInt32, _ b: UInt32, _ w: UInt8) -> Bool {
        let t: Bool
        switch c & 7 {
        case 1: t = a < b
        case 2: t = a == b
        case 3: t = a <= b
        case 4: let f = signOf(w); t = (a ^ f) < (b ^ f)
        case 5: let f = signOf(w); t = (a ^ f) <= (b ^ f)
        default: return LazyFlags.conditionOutOfLine(c >> 4, s)
        }
        return t != (c & 8 != 0)
    }

    /// CMP r32, b and the Jcc after it (``H/cmpJcc32RR``): the flags as CMP sets them, and the
    /// condition decided on the operands (``compareTaken(_:_:_:_:)``). The fused op's `len` is
    /// that of both instructions: it goes on at `tag + len` when the branch is not taken.
    @inline(__always) func cmpJcc32(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) {
        eip = cmp32Taken(op, b) ? op.pointee.imm2 : op.pointee.tag &+ UInt32(op.pointee.len)
    }

    /// CMP r32, b: sets the flags and returns whether the fused Jcc's condition holds (the
    /// shared part of ``cmpJcc32(_:_:)`` and ``H/cmpJcc32RRInBlock``).
    @inline(__always) func cmp32Taken(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) -> Bool {
        let a = r32(op.pointee.r)
        setCC(LazyFlags.kSub, 2, a &- b, a, b)
        return compareTaken(op.pointee.sub, a, b, 2)
    }

    /// CMP with a memory operand (any size) and the Jcc after it (``H/cmpJccMR``, ``H/cmpJccRM``,
    /// ``H/cmpJccMI``), as ``cmpJcc32(_:_:)``: `a - b` of the operand size sets the flags.
    @inline(__always) func cmpJccSized(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b0: UInt32) {
        eip = cmpSizedTaken(op, a, b0) ? op.pointee.imm2 : op.pointee.tag &+ UInt32(op.pointee.len)
    }

    /// CMP of the operand size: sets the flags and returns whether the fused Jcc's condition
    /// holds (the shared part of ``cmpJccSized(_:_:_:)`` and ``H/cmpJccMRInBlock`` ...).
    @inline(__always) func cmpSizedTaken(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b0: UInt32) -> Bool {
        let w = op.pointee.w, m = maskOf(w), b = b0 & m
        setCC(LazyFlags.kSub, w, (a &- b) & m, a, b)
        return compareTaken(op.pointee.sub, a, b, w)
    }

    /// CMP m8, b and the Jcc after it (``H/cmpJcc8MR``, ``H/cmpJcc8MI``), as ``cmpJccSized(_:_:_:)``.
    @inline(__always) func cmpJcc8(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b: UInt32) {
        eip = cmp8Taken(op, a, b) ? op.pointee.imm2 : op.pointee.tag &+ UInt32(op.pointee.len)
    }

    /// CMP m8, b: sets the flags and returns whether the fused Jcc's condition holds (the
    /// shared part of ``cmpJcc8(_:_:_:)`` and ``H/cmpJcc8MRInBlock``, ``H/cmpJcc8MIInBlock``).
    @inline(__always) func cmp8Taken(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b: UInt32) -> Bool {
        setCC(LazyFlags.kSub, 0, (a &- b) & 0xFF, a, b)
        return compareTaken(op.pointee.sub, a, b, 0)
    }
}

extension Interpreter {
    /// The block loop's dispatch: the hot forms in place, EIP untouched unless the instruction
    /// transfers control. Returns ``BlockStep/next`` to go on with the next op,
    /// ``BlockStep/end`` when the block is done (EIP set: a control transfer or ``H/blockEnd``),
    /// ``BlockStep/slow`` for every other form, which the loop runs through
    /// ``execOutOfLine(_:)`` with EIP at the instruction, as ``exec(_:)`` expects. The hot forms
    /// run on `k` (the loop's pointers, in host registers); the interpreter itself (`self`,
    /// which the caller holds) serves the general ALU forms, without reference counting.
    @inline(__always)
    func execInBlock(_ op: UnsafeMutablePointer<DecodedOp>, _ k: HotContext) throws(CPUException) -> BlockStep {
        let h = op.pointee.h
        switch h {
        case .mov32RR: k.mov32RR(op)
        case .mov32RM: try k.mov32RM(op, k.ea32(op))
        case .mov32MR: try k.mov32MR(op, k.ea32(op))
        case .mov32RI: k.mov32RI(op)
        case .mov8RM: try k.mov8RM(op)
        case .mov8MR: try k.mov8MR(op, k.ea32(op))
        case .movzx: try k.movzx(op)
        case .mov32RMbd: try k.mov32RM(op, k.ea32bd(op))
        case .mov32MRbd: try k.mov32MR(op, k.ea32bd(op))
        case .mov8MRbi: try k.mov8MR(op, k.ea32bi(op))
        case .add32RR: k.add32(op, k.r32(op.pointee.rm))
        case .add32RI: k.add32(op, op.pointee.imm)
        case .sub32RR: k.sub32(op, k.r32(op.pointee.rm))
        case .sub32RI: k.sub32(op, op.pointee.imm)
        case .cmp32RR: k.cmp32(op, k.r32(op.pointee.rm))
        case .cmp32RI: k.cmp32(op, op.pointee.imm)
        case .xor32RR: k.logic32(op, k.r32(op.pointee.r) ^ k.r32(op.pointee.rm), write: true)
        case .and32RR: k.logic32(op, k.r32(op.pointee.r) & k.r32(op.pointee.rm), write: true)
        case .or32RR: k.logic32(op, k.r32(op.pointee.r) | k.r32(op.pointee.rm), write: true)
        case .test32RR: k.logic32(op, k.r32(op.pointee.r) & k.r32(op.pointee.rm), write: false)
        case .inc32R: k.incDec32(op, dec: false)
        case .dec32R: k.incDec32(op, dec: true)
        case .imul32RR: k.imul32RR(op)
        case .inc32Rnf: k.incDec32NoFlags(op, dec: false)
        case .dec32Rnf: k.incDec32NoFlags(op, dec: true)
        case .imul32RRnf: k.imul32RRNoFlags(op)
        case .add32RRnf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &+ k.r32(op.pointee.rm))
        case .add32RInf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &+ op.pointee.imm)
        case .sub32RRnf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &- k.r32(op.pointee.rm))
        case .sub32RInf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &- op.pointee.imm)
        case .jcc: k.eip = k.jccTaken(op) ? op.pointee.imm : op.pointee.tag &+ UInt32(op.pointee.len); return .end
        case .jmp: k.eip = op.pointee.imm; return .end
        case .cmpJcc32RR: k.cmpJcc32(op, k.r32(op.pointee.rm)); return .end
        case .cmpJcc32RI: k.cmpJcc32(op, op.pointee.imm); return .end
        case .cmpJccMR: k.cmpJccSized(op, try k.rd(k.ea(op), op.pointee.size), k.getR(op.pointee.r, op.pointee.size)); return .end
        case .cmpJccMI: k.cmpJccSized(op, try k.rd(k.ea(op), op.pointee.size), op.pointee.imm); return .end
        case .cmpJccRM: k.cmpJccSized(op, k.getR(op.pointee.r, op.pointee.size), try k.rd(k.ea(op), op.pointee.size)); return .end
        case .cmpJcc8MR: k.cmpJcc8(op, try k.rd8(k.ea32(op)), k.r8(op.pointee.r)); return .end
        case .cmpJcc8MI: k.cmpJcc8(op, try k.rd8(k.ea32(op)), op.pointee.imm & 0xFF); return .end
        case .cmpJcc8MRbi: k.cmpJcc8(op, try k.rd8(k.ea32bi(op)), k.r8(op.pointee.r)); return .end
        case .blockEnd: k.eip = op.pointee.tag; return .end
        // Branches to an op of the same block: taken, the loop moves to it (``BlockStep/branch``).
        case .jccInBlock: if k.jccTaken(op) { return .branch }
        case .cmpJcc32RRInBlock: if k.cmp32Taken(op, k.r32(op.pointee.rm)) { return .branch }
        case .cmpJcc32RIInBlock: if k.cmp32Taken(op, op.pointee.imm) { return .branch }
        case .cmpJccMRInBlock:
            if k.cmpSizedTaken(op, try k.rd(k.ea(op), op.pointee.size), k.getR(op.pointee.r, op.pointee.size)) { return .branch }
        case .cmpJccMIInBlock: if k.cmpSizedTaken(op, try k.rd(k.ea(op), op.pointee.size), op.pointee.imm) { return .branch }
        case .cmpJccRMInBlock:
            if k.cmpSizedTaken(op, k.getR(op.pointee.r, op.pointee.size), try k.rd(k.ea(op), op.pointee.size)) { return .branch }
        case .cmpJcc8MRInBlock:
            if k.cmp8Taken(op, try k.rd8(k.ea32(op)), k.r8(op.pointee.r)) { return .branch }
        case .cmpJcc8MIInBlock: if k.cmp8Taken(op, try k.rd8(k.ea32(op)), op.pointee.imm & 0xFF) { return .branch }
        case .cmpJcc8MRbiInBlock:
            if k.cmp8Taken(op, try k.rd8(k.ea32bi(op)), k.r8(op.pointee.r)) { return .branch }
        // (A store, not `break`: an empty case would make the dispatch its own jump-table target,
        // a loop of one block, which LLVM does not tail-duplicate into the handlers.)
        case .nop: k.eip = op.pointee.tag
        case .cmpMR: k.cmpSized(op, try k.rd(k.ea(op), op.pointee.size), k.getR(op.pointee.r, op.pointee.size))
        case .cmpMI: k.cmpSized(op, try k.rd(k.ea(op), op.pointee.size), op.pointee.imm)
        case .cmpRM: k.cmpSized(op, k.getR(op.pointee.r, op.pointee.size), try k.rd(k.ea(op), op.pointee.size))
        // the general forms most frequent in compiled code
        case .movRM:
            let v = try k.rd(k.ea(op), op.pointee.size)
            k.setR(op.pointee.r, op.pointee.size, v)
        case .movMR: try k.wr(k.ea(op), op.pointee.size, k.getR(op.pointee.r, op.pointee.size))
        case .movMI: try k.wr(k.ea(op), op.pointee.size, op.pointee.imm)
        case .aluRM:
            let b = try k.rd(k.ea(op), op.pointee.size)
            if _slowPath(aluToRegInBlock(op, k.getR(op.pointee.r, op.pointee.size), b)) { throw takeBlockFault() }
        case .aluMR: if _slowPath(aluToMemInBlock(op, k.getR(op.pointee.r, op.pointee.size))) { throw takeBlockFault() }
        case .aluRI:
            if _slowPath(aluToRegInBlock(op, k.getR(op.pointee.r, op.pointee.size), op.pointee.imm)) { throw takeBlockFault() }
        case .lea: k.setR(op.pointee.r, op.pointee.size, k.offset(op))
        // Every other form, named (no `default`: the jump table then needs no range check).
        case .invalid, .aluRR, .aluMI, .unaryR, .unaryM, .mulDiv, .imul2, .daa, .das, .aaa, .aas, .aam, .aad,
             .shift, .shiftDouble, .bitTest, .bsf, .bsr, .setcc, .cmovcc, .movRR, .movRI, .movFromSeg,
             .movToSeg, .movsx, .xchg, .xlat, .bswap, .pushR, .pushM, .pushI, .pushSeg, .popR, .popM, .popSeg,
             .pusha, .popa, .pushf, .popf, .lahf, .sahf, .cbw, .cwd, .enter, .leave, .cmpxchg, .xadd,
             .cmpxchg8b, .jmpRM, .call, .callRM, .ret, .retf, .jmpFar, .callFar, .loop, .loope, .loopne, .jcxz,
             .movs, .cmps, .scas, .lods, .stos, .clc, .stc, .cmc, .cld, .std, .cli, .sti, .int, .int3, .into,
             .ud2, .cpuid, .rdtsc, .privileged, .iret, .sgdt, .sidt, .sldt, .str, .smsw, .lar, .lsl, .verr,
             .verw, .vmcall, .x87, .exitBlock:
            return .slow
        }
        return .next
    }

    /// ``exec(_:)`` as a call, for the block loop's uncommon instructions: ``BlockStep/next``
    /// when the block goes on with the next op, ``BlockStep/end`` when the instruction ends the
    /// block (``endsBlock(_:)``), ``BlockStep/slow`` when the run must stop (``exec(_:)``
    /// returned false), or ``BlockStep/fault`` when it raised an exception, which it leaves in
    /// ``blockFault`` (``takeBlockFault()``). The handler is read here, before the op runs (it
    /// may be overwritten while it runs: an invalidation), so that the block loop keeps no copy
    /// of it in a register across its ops. The exception is not thrown: no call the block loop
    /// makes throws (``HotContext/rdSlow(_:_:write:)``), so the host's error register (r12 on
    /// x86-64) holds one of the loop's values, and the step comes back in a register.
    @inline(never)
    func execOutOfLine(_ op: UnsafeMutablePointer<DecodedOp>) -> BlockStep {
        let h = op.pointee.h
        do throws(CPUException) {
            guard try exec(op) else { return .slow }
        } catch {
            blockFault = error
            return .fault
        }
        guard Interpreter.endsBlock(h) else { return .next }
        if Interpreter.mayLoadSegments(h) { noteSegmentBases() }
        return .end
    }

    /// ``aluToReg(_:_:_:)`` as a call for the block loop: true when it raised an exception,
    /// left in ``blockFault`` (``execOutOfLine(_:)`` says why).
    @inline(never)
    func aluToRegInBlock(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b: UInt32) -> Bool {
        do throws(CPUException) { try aluToReg(op, a, b) } catch { blockFault = error; return true }
        return false
    }

    /// ``aluToMem(_:_:)`` as a call for the block loop: true when it raised an exception, left
    /// in ``blockFault``.
    @inline(never)
    func aluToMemInBlock(_ op: UnsafeMutablePointer<DecodedOp>, _ b: UInt32) -> Bool {
        do throws(CPUException) { try aluToMem(op, b) } catch { blockFault = error; return true }
        return false
    }

    /// The exception an out-of-line call of the block loop left in ``blockFault``, which it
    /// empties.
    @inline(never)
    func takeBlockFault() -> CPUException {
        defer { blockFault = nil }
        return blockFault!
    }
}

/// What the block loop does after an op (``Interpreter/execInBlock(_:_:)``).
enum BlockStep: UInt8 {
    /// Run the next op of the block.
    case next
    /// The block is done; EIP is where the guest goes on.
    case end
    /// A branch to an op of the same block was taken (``H/jccInBlock`` ...): the loop moves
    /// `imm2` bytes and gives back or takes `len` instructions.
    case branch
    /// Run the op through ``Interpreter/execOutOfLine(_:)`` (every form the block loop's
    /// `switch` does not hold): the loop commits the instruction count and sets EIP for it first.
    /// From ``Interpreter/execOutOfLine(_:)``: the run must stop after the op.
    case slow
    /// From ``Interpreter/execOutOfLine(_:)``: the op raised an exception, which it left in
    /// ``Interpreter/blockFault``.
    case fault
}
