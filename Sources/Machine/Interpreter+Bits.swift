/// BT BTS BTR BTC, BSF BSR (Intel SDM Vol. 2A, "BT", "BSF", "BSR").
extension Interpreter {
    /// BT/BTS/BTR/BTC (sub 0…3). With a memory operand and a *register* bit offset the operand
    /// is a bit string: the offset is signed and may address memory outside the operand
    /// (EA + size * floor(offset / bits)); an immediate offset is taken modulo the width.
    /// CF = the selected bit; ZF unchanged; OF SF AF PF undefined — vsim leaves them unchanged.
    func bitTest(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w
        let bits = UInt32(8) << UInt32(w)
        let raw = op.pointee.flags & DecodedOp.fSrcReg != 0 ? getR(op.pointee.r, sz) : op.pointee.imm
        let sub = op.pointee.sub
        var v: UInt32, bit: UInt32, addr: UInt32 = 0
        let isMem = op.pointee.isMem
        if isMem {
            addr = ea(op)
            if op.pointee.flags & DecodedOp.fSrcReg != 0 {
                let off = Int64(LazyFlags.signExtend(raw, UInt32(w)))
                let unit = off >> Int64(3 + w)          // floor division by the width in bits
                addr = addr &+ UInt32(truncatingIfNeeded: unit * Int64(sz))
                bit = UInt32(truncatingIfNeeded: off) & (bits - 1)
            } else {
                bit = raw & (bits - 1)
            }
            v = sub == 0 ? try rd(addr, sz) : try rdRMW(addr, sz)
        } else {
            bit = raw & (bits - 1)
            v = getR(op.pointee.rm, sz)
        }
        let cf = (v >> bit) & 1
        let newFlags = (statusFlags & ~EFLAGS.cf) | cf
        if sub != 0 {
            switch sub {
            case 1: v |= 1 << bit
            case 2: v &= ~(1 << bit)
            default: v ^= 1 << bit
            }
            if isMem { try wr(addr, sz, v) } else { setR(op.pointee.rm, sz, v) }
        }
        setFlags(newFlags)
    }

    /// BSF/BSR. Source 0: ZF = 1 and the destination is unchanged (what Intel and AMD CPUs do;
    /// the SDM says "undefined"). The other flags are undefined; vsim does what the host's AMD CPU
    /// does: CF OF SF AF = 0 and PF = parity of the index (source 0: PF = 1, as for an index 0).
    func bitScan(_ op: UnsafeMutablePointer<DecodedOp>, _ h: H) throws(CPUException) {
        let sz = op.pointee.size
        let v = try readRM(op, sz)
        if v == 0 {
            setFlags(EFLAGS.zf | EFLAGS.pf)
            return
        }
        let idx: UInt32 = h == .bsf ? UInt32(v.trailingZeroBitCount) : UInt32(31 - v.leadingZeroBitCount)
        setR(op.pointee.r, sz, idx)
        setFlags(LazyFlags.pf(idx))
    }
}
