/// ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NOT NEG, MUL IMUL DIV IDIV, CMPXCHG XADD,
/// and the BCD adjustments (Intel SDM Vol. 2A/2B, each instruction's pseudocode).
extension Interpreter {
    /// Result of ALU operation `k` (0…7 ADD OR ADC SBB AND SUB XOR CMP, 8 TEST), masked.
    /// `cin` is the carry-in for ADC/SBB; the arithmetic is on widened values, so a source of
    /// all ones plus a carry keeps its carry (fault class (c) of emulation.md §4).
    @inline(__always) func aluResult(_ k: UInt8, _ a: UInt32, _ b: UInt32, _ cin: UInt32, _ w: UInt8) -> UInt32 {
        let m = maskOf(w)
        switch k {
        case 0: return (a &+ b) & m
        case 1: return a | b
        case 2: return (a &+ b &+ cin) & m
        case 3: return (a &- b &- cin) & m
        case 4, 8: return a & b
        case 6: return a ^ b
        default: return (a &- b) & m   // SUB, CMP
        }
    }

    @inline(__always) func aluFlags(_ k: UInt8, _ w: UInt8, _ r: UInt32, _ a: UInt32, _ b: UInt32, _ cin: UInt32) {
        switch k {
        case 0: setCC(LazyFlags.kAdd, w, r, a, b)
        case 2: setCC(LazyFlags.kAdc, w, r, a, b); s[CPUState.iAux] = cin
        case 3: setCC(LazyFlags.kSbb, w, r, a, b); s[CPUState.iAux] = cin
        case 5, 7: setCC(LazyFlags.kSub, w, r, a, b)
        default: setCC(LazyFlags.kLogic, w, r, 0, 0)
        }
    }

    @inline(__always) func aluToReg(_ op: UnsafeMutablePointer<DecodedOp>, _ a: UInt32, _ b0: UInt32) throws(CPUException) {
        let k = op.pointee.sub, w = op.pointee.w
        let b = b0 & maskOf(w)
        let cin = (k == 2 || k == 3) ? carry : 0
        let r = aluResult(k, a, b, cin, w)
        if k < 7 { setR(op.pointee.r, op.pointee.size, r) }
        aluFlags(k, w, r, a, b, cin)
    }

    @inline(__always) func aluToMem(_ op: UnsafeMutablePointer<DecodedOp>, _ b0: UInt32) throws(CPUException) {
        let k = op.pointee.sub, w = op.pointee.w, sz = op.pointee.size
        let b = b0 & maskOf(w)
        let addr = ea(op)
        let cin = (k == 2 || k == 3) ? carry : 0
        if k >= 7 {   // CMP, TEST: read only
            let a = try rd(addr, sz)
            aluFlags(k, w, aluResult(k, a, b, cin, w), a, b, cin)
            return
        }
        let a = try rdRMW(addr, sz)
        let r = aluResult(k, a, b, cin, w)
        try wr(addr, sz, r)          // may fault: flags not yet committed
        aluFlags(k, w, r, a, b, cin)
    }

    /// INC DEC NOT NEG (sub 0…3). INC/DEC keep CF (saved in ccAux); NOT changes no flags.
    @inline(__always) func unary(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let w = op.pointee.w, sz = op.pointee.size, m = maskOf(w)
        let isMem = op.pointee.isMem
        let addr = isMem ? ea(op) : 0
        let a = isMem ? try rdRMW(addr, sz) : getR(op.pointee.rm, sz)
        let r: UInt32
        switch op.pointee.sub {
        case 0: r = (a &+ 1) & m
        case 1: r = (a &- 1) & m
        case 2: r = ~a & m
        default: r = (0 &- a) & m
        }
        let c = carry
        if isMem { try wr(addr, sz, r) } else { setR(op.pointee.rm, sz, r) }
        switch op.pointee.sub {
        case 0: setCC(LazyFlags.kInc, w, r, a, 1); s[CPUState.iAux] = c
        case 1: setCC(LazyFlags.kDec, w, r, a, 1); s[CPUState.iAux] = c
        case 3: setCC(LazyFlags.kSub, w, r, 0, a)
        default: break
        }
    }

    /// MUL IMUL DIV IDIV with one explicit operand (sub 0…3).
    /// MUL/IMUL: CF = OF = "the upper half is significant"; SF ZF AF PF (undefined in the SDM)
    /// are left unchanged, as on the host's AMD CPU. DIV/IDIV: `#DE` for a zero divisor or a quotient that does not fit
    /// (IDIV's most negative quotient fits); all six status flags are left unchanged (undefined).
    func mulDiv(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w
        let src = try readRM(op, sz)
        let bits = UInt64(8) << UInt64(w)
        switch op.pointee.sub {
        case 0: // MUL
            let a = UInt64(getR(GPR.eaxOffset, sz)), p = a * UInt64(src)
            let lo = UInt32(truncatingIfNeeded: p) & maskOf(w), hi = UInt32(truncatingIfNeeded: p >> bits) & maskOf(w)
            writeWide(sz, lo, hi)
            setCC(LazyFlags.kMul, w, lo, statusFlags, 0)
            s[CPUState.iAux] = hi != 0 ? 1 : 0
        case 1: // IMUL
            let a = Int64(LazyFlags.signExtend(getR(GPR.eaxOffset, sz), UInt32(w)))
            let b = Int64(LazyFlags.signExtend(src, UInt32(w)))
            let p = a * b
            let lo = UInt32(truncatingIfNeeded: p) & maskOf(w)
            let hi = UInt32(truncatingIfNeeded: p >> Int64(bits)) & maskOf(w)
            writeWide(sz, lo, hi)
            setCC(LazyFlags.kMul, w, lo, statusFlags, 0)
            s[CPUState.iAux] = p != Int64(LazyFlags.signExtend(lo, UInt32(w))) ? 1 : 0
        case 2: // DIV
            guard src != 0 else { throw de("divide by zero") }
            let dividend: UInt64 = sz == 1 ? UInt64(s[GPR.eax] & 0xFFFF)
                : sz == 2 ? UInt64((s[GPR.edx] & 0xFFFF) << 16 | (s[GPR.eax] & 0xFFFF))
                : UInt64(s[GPR.edx]) << 32 | UInt64(s[GPR.eax])
            let q = dividend / UInt64(src), r = dividend % UInt64(src)
            guard q <= UInt64(maskOf(w)) else { throw de("quotient overflow") }
            writeQuotient(sz, UInt32(q), UInt32(r))
        default: // IDIV
            guard src != 0 else { throw de("divide by zero") }
            let dividend: Int64 = sz == 1 ? Int64(Int16(truncatingIfNeeded: s[GPR.eax]))
                : sz == 2 ? Int64(Int32(bitPattern: (s[GPR.edx] & 0xFFFF) << 16 | (s[GPR.eax] & 0xFFFF)))
                : Int64(bitPattern: UInt64(s[GPR.edx]) << 32 | UInt64(s[GPR.eax]))
            let d = Int64(LazyFlags.signExtend(src, UInt32(w)))
            if d == -1 && dividend == Int64.min { throw de("quotient overflow") }
            let q = dividend / d, r = dividend % d
            let lim = Int64(1) << (bits - 1)
            guard q >= -lim && q < lim else { throw de("quotient overflow") }
            writeQuotient(sz, UInt32(truncatingIfNeeded: q), UInt32(truncatingIfNeeded: r))
        }
    }

    private func de(_ why: String) -> CPUException {
        CPUException(vector: .de, detail: why)
    }

    /// AX, DX:AX or EDX:EAX = hi:lo.
    @inline(__always) func writeWide(_ sz: UInt8, _ lo: UInt32, _ hi: UInt32) {
        switch sz {
        case 1: setR(GPR.eaxOffset, 2, hi << 8 | lo)
        case 2: setR(GPR.eaxOffset, 2, lo); setR(GPR.edxOffset, 2, hi)
        default: s[GPR.eax] = lo; s[GPR.edx] = hi
        }
    }

    /// AL/AH, AX/DX or EAX/EDX = quotient/remainder.
    @inline(__always) func writeQuotient(_ sz: UInt8, _ q: UInt32, _ r: UInt32) {
        switch sz {
        case 1: setR(GPR.eaxOffset, 2, (r & 0xFF) << 8 | (q & 0xFF))
        case 2: setR(GPR.eaxOffset, 2, q); setR(GPR.edxOffset, 2, r)
        default: s[GPR.eax] = q; s[GPR.edx] = r
        }
    }

    /// IMUL r, r/m (sub 0) and IMUL r, r/m, imm (sub 1): truncated signed product;
    /// CF = OF = the product does not fit the destination.
    func imul2(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w
        let src = try readRM(op, sz)
        let other = op.pointee.sub == 1 ? op.pointee.imm : getR(op.pointee.r, sz)
        let p = Int64(LazyFlags.signExtend(src & maskOf(w), UInt32(w))) * Int64(LazyFlags.signExtend(other & maskOf(w), UInt32(w)))
        let lo = UInt32(truncatingIfNeeded: p) & maskOf(w)
        setR(op.pointee.r, sz, lo)
        setCC(LazyFlags.kMul, w, lo, statusFlags, 0)
        s[CPUState.iAux] = p != Int64(LazyFlags.signExtend(lo, UInt32(w))) ? 1 : 0
    }

    /// CMPXCHG r/m, r: compares the accumulator with the destination (flags as CMP acc, dest);
    /// equal: dest = src; else acc = dest. A memory destination is always written (with its own
    /// value when unequal), as the locked read-modify-write of the CPU does.
    func cmpxchg(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w
        let acc = getR(GPR.eaxOffset, sz)
        let isMem = op.pointee.isMem
        let addr = isMem ? ea(op) : 0
        let d = isMem ? try rdRMW(addr, sz) : getR(op.pointee.rm, sz)
        let src = getR(op.pointee.r, sz)
        let equal = acc == d
        if isMem { try wr(addr, sz, equal ? src : d) }
        else if equal { setR(op.pointee.rm, sz, src) }
        if !equal { setR(GPR.eaxOffset, sz, d) }
        setCC(LazyFlags.kSub, w, (acc &- d) & maskOf(w), acc, d)
    }

    /// CMPXCHG8B m64: compares EDX:EAX with the quadword; equal: ZF = 1 and m64 = ECX:EBX;
    /// else ZF = 0 and EDX:EAX = m64. The quadword is always written (with its own value when
    /// unequal), so a read-only page faults either way, as on the CPU. Other flags unchanged.
    func cmpxchg8b(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let addr = ea(op)
        try checkWritable(addr, 8)
        let lo = try rdRMW(addr, 4), hi = try rdRMW(addr &+ 4, 4)
        let equal = lo == s[GPR.eax] && hi == s[GPR.edx]
        let f = statusFlags & ~EFLAGS.zf
        if equal {
            try wr(addr, 4, s[GPR.ebx]); try wr(addr &+ 4, 4, s[GPR.ecx])
        } else {
            try wr(addr, 4, lo); try wr(addr &+ 4, 4, hi)
            s[GPR.eax] = lo; s[GPR.edx] = hi
        }
        setFlags(f | (equal ? EFLAGS.zf : 0))
    }

    /// XADD r/m, r: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP; flags as ADD.
    func xadd(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, w = op.pointee.w
        let isMem = op.pointee.isMem
        let addr = isMem ? ea(op) : 0
        let d = isMem ? try rdRMW(addr, sz) : getR(op.pointee.rm, sz)
        let src = getR(op.pointee.r, sz)
        let t = (d &+ src) & maskOf(w)
        if isMem { try wr(addr, sz, t); setR(op.pointee.r, sz, d) }
        else { setR(op.pointee.r, sz, d); setR(op.pointee.rm, sz, t) }
        setCC(LazyFlags.kAdd, w, t, d, src)
    }

    // MARK: BCD (Intel SDM Vol. 2A: DAA, DAS, AAA, AAS, AAM, AAD)

    /// DAA. OF is undefined in the SDM; vsim clears it.
    func daa() {
        let f = statusFlags
        let oldAL = s[GPR.eax] & 0xFF, oldCF = f & EFLAGS.cf
        var al = oldAL, cf: UInt32 = 0, af: UInt32 = 0
        if al & 0x0F > 9 || f & EFLAGS.af != 0 {
            let t = al + 6
            cf = oldCF | (t > 0xFF ? 1 : 0)
            al = t & 0xFF
            af = EFLAGS.af
        }
        if oldAL > 0x99 || oldCF != 0 { al = (al + 0x60) & 0xFF; cf = 1 }
        setR(GPR.eaxOffset, 1, al)
        setFlags(cf | af | LazyFlags.zfsfpf(al, 0))
    }

    /// DAS. OF is undefined in the SDM; vsim clears it.
    func das() {
        let f = statusFlags
        let oldAL = s[GPR.eax] & 0xFF, oldCF = f & EFLAGS.cf
        var al = oldAL, cf: UInt32 = 0, af: UInt32 = 0
        if al & 0x0F > 9 || f & EFLAGS.af != 0 {
            cf = oldCF | (al < 6 ? 1 : 0)
            al = (al &- 6) & 0xFF
            af = EFLAGS.af
        }
        if oldAL > 0x99 || oldCF != 0 { al = (al &- 0x60) & 0xFF; cf = 1 }
        setR(GPR.eaxOffset, 1, al)
        setFlags(cf | af | LazyFlags.zfsfpf(al, 0))
    }

    /// AAA: AX = AX + 106H when adjusting (SDM). OF SF ZF PF undefined: vsim computes SF ZF PF
    /// from the final AL and clears OF.
    func aaa() {
        let f = statusFlags
        var ax = s[GPR.eax] & 0xFFFF
        var cfaf: UInt32 = 0
        if ax & 0x0F > 9 || f & EFLAGS.af != 0 {
            ax = (ax &+ 0x106) & 0xFFFF
            cfaf = EFLAGS.af | EFLAGS.cf
        }
        ax &= 0xFF0F
        setR(GPR.eaxOffset, 2, ax)
        setFlags(cfaf | LazyFlags.zfsfpf(ax & 0xFF, 0))
    }

    /// AAS: AX = AX - 6, AH = AH - 1 when adjusting (SDM). Undefined flags as for AAA.
    func aas() {
        let f = statusFlags
        var ax = s[GPR.eax] & 0xFFFF
        var cfaf: UInt32 = 0
        if ax & 0x0F > 9 || f & EFLAGS.af != 0 {
            ax = (ax &- 6) & 0xFFFF
            ax = (ax &- 0x100) & 0xFFFF
            cfaf = EFLAGS.af | EFLAGS.cf
        }
        ax &= 0xFF0F
        setR(GPR.eaxOffset, 2, ax)
        setFlags(cfaf | LazyFlags.zfsfpf(ax & 0xFF, 0))
    }

    /// AAM imm8: AH = AL / imm8, AL = AL mod imm8; imm8 = 0 raises `#DE`. OF AF CF undefined:
    /// vsim clears them.
    func aam(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let base = op.pointee.imm & 0xFF
        guard base != 0 else { throw CPUException(vector: .de, detail: "AAM with a zero base") }
        let al = s[GPR.eax] & 0xFF
        let q = al / base, r = al % base
        setR(GPR.eaxOffset, 2, q << 8 | r)
        setFlags(LazyFlags.zfsfpf(r, 0))
    }

    /// AAD imm8: AL = (AL + AH * imm8) & FFH, AH = 0. OF AF CF undefined: vsim clears them.
    func aad(_ op: UnsafeMutablePointer<DecodedOp>) {
        let base = op.pointee.imm & 0xFF
        let al = s[GPR.eax] & 0xFF, ah = (s[GPR.eax] >> 8) & 0xFF
        let r = (al &+ ah &* base) & 0xFF
        setR(GPR.eaxOffset, 2, r)
        setFlags(LazyFlags.zfsfpf(r, 0))
    }
}
