/// MOVS CMPS SCAS LODS STOS with REP/REPE/REPNE (Intel SDM Vol. 2B, "REP/REPE/REPZ/REPNE/REPNZ").
///
/// Source DS:ESI (segment override allowed), destination ES:EDI; SI/DI/CX instead under 0x67.
/// DF = 1 walks downwards. With a REP prefix and a zero counter nothing happens (no flags
/// changed). Each iteration commits ESI/EDI/ECX, so a fault in the middle leaves the progress
/// made so far and EIP at the string instruction: re-executing it continues, as on the CPU.
/// F2 (REPNE) on MOVS/LODS/STOS acts as REP.
extension Interpreter {
    @inline(__always) func sIdx(_ reg: Int, _ a16: Bool) -> UInt32 { a16 ? s[reg] & 0xFFFF : s[reg] }

    @inline(__always) func sAdvance(_ reg: Int, _ a16: Bool, _ d: UInt32) {
        if a16 { s[reg] = (s[reg] & 0xFFFF_0000) | ((s[reg] &+ d) & 0xFFFF) } else { s[reg] = s[reg] &+ d }
    }

    @inline(__always) func sDelta(_ sz: UInt8) -> UInt32 {
        flagsRest & EFLAGS.df != 0 ? 0 &- UInt32(sz) : UInt32(sz)
    }

    @inline(__always) func isRep(_ op: UnsafeMutablePointer<DecodedOp>) -> Bool {
        op.pointee.flags & (DecodedOp.fRep | DecodedOp.fRepne) != 0
    }

    func movs(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, a16 = op.pointee.addr16, d = sDelta(sz)
        let srcBase = segBase(op.pointee.seg), dstBase = segBase(0)
        let rep = isRep(op)
        while true {
            if rep && sIdx(1, a16) == 0 { return }
            let v = try rd(sIdx(6, a16) &+ srcBase, sz)
            try wr(sIdx(7, a16) &+ dstBase, sz, v)
            sAdvance(6, a16, d)
            sAdvance(7, a16, d)
            if !rep { return }
            sAdvance(1, a16, 0 &- 1)
        }
    }

    func stos(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, a16 = op.pointee.addr16, d = sDelta(sz)
        let dstBase = segBase(0)
        let v = getR(GPR.eaxOffset, sz)
        let rep = isRep(op)
        while true {
            if rep && sIdx(1, a16) == 0 { return }
            try wr(sIdx(7, a16) &+ dstBase, sz, v)
            sAdvance(7, a16, d)
            if !rep { return }
            sAdvance(1, a16, 0 &- 1)
        }
    }

    func lods(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, a16 = op.pointee.addr16, d = sDelta(sz)
        let srcBase = segBase(op.pointee.seg)
        let rep = isRep(op)
        while true {
            if rep && sIdx(1, a16) == 0 { return }
            let v = try rd(sIdx(6, a16) &+ srcBase, sz)
            setR(GPR.eaxOffset, sz, v)
            sAdvance(6, a16, d)
            if !rep { return }
            sAdvance(1, a16, 0 &- 1)
        }
    }

    /// CMPS: flags as CMP [DS:ESI], [ES:EDI]. REPE (F3) repeats while equal, REPNE (F2) while not.
    func cmps(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w, a16 = op.pointee.addr16, d = sDelta(sz)
        let srcBase = segBase(op.pointee.seg), dstBase = segBase(0)
        let repe = op.pointee.flags & DecodedOp.fRep != 0, repne = op.pointee.flags & DecodedOp.fRepne != 0
        while true {
            if (repe || repne) && sIdx(1, a16) == 0 { return }
            let a = try rd(sIdx(6, a16) &+ srcBase, sz)
            let b = try rd(sIdx(7, a16) &+ dstBase, sz)
            sAdvance(6, a16, d)
            sAdvance(7, a16, d)
            let r = (a &- b) & maskOf(w)
            setCC(LazyFlags.kSub, w, r, a, b)
            if !(repe || repne) { return }
            sAdvance(1, a16, 0 &- 1)
            if repe && r != 0 { return }
            if repne && r == 0 { return }
        }
    }

    /// SCAS: flags as CMP accumulator, [ES:EDI].
    func scas(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w, a16 = op.pointee.addr16, d = sDelta(sz)
        let dstBase = segBase(0)
        let acc = getR(GPR.eaxOffset, sz)
        let repe = op.pointee.flags & DecodedOp.fRep != 0, repne = op.pointee.flags & DecodedOp.fRepne != 0
        while true {
            if (repe || repne) && sIdx(1, a16) == 0 { return }
            let b = try rd(sIdx(7, a16) &+ dstBase, sz)
            sAdvance(7, a16, d)
            let r = (acc &- b) & maskOf(w)
            setCC(LazyFlags.kSub, w, r, acc, b)
            if !(repe || repne) { return }
            sAdvance(1, a16, 0 &- 1)
            if repe && r != 0 { return }
            if repne && r == 0 { return }
        }
    }
}
