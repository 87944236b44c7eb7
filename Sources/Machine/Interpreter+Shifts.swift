/// ROL ROR RCL RCR SHL/SAL SHR SAR, SHLD SHRD (Intel SDM Vol. 2B, "RCL/RCR/ROL/ROR",
/// "SAL/SAR/SHL/SHR", "SHLD", "SHRD").
///
/// The count is masked to 5 bits *before* any width logic; a masked count of 0 changes nothing,
/// flags included. RCL/RCR rotate through 9, 17 or 33 bits (count MOD 9 / MOD 17 for 8/16 bits).
/// Undefined flags (vsim's choice, matching the host's AMD EPYC): for counts other than 1, OF is
/// computed with a formula that gives the SDM's value for a count of 1; AF = 1 after
/// SHL/SHR/SAR/SHLD/SHRD with a non-zero count; rotates change only CF and OF.
extension Interpreter {
    func shift(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let count = (op.pointee.flags & DecodedOp.fCountCL != 0 ? s[GPR.ecx] : op.pointee.imm2) & 0x1F
        if count == 0 { return }
        let sz = op.pointee.size, w = op.pointee.w, m = maskOf(w), bits = UInt32(8) << UInt32(w)
        let sb = signOf(w)
        let isMem = op.pointee.isMem
        let addr = isMem ? ea(op) : 0
        let a = isMem ? try rdRMW(addr, sz) : getR(op.pointee.rm, sz)
        var r: UInt32
        var f: UInt32 = 0
        var lazyKind: UInt32 = 0
        switch op.pointee.sub {
        case 0: // ROL
            let t = count % bits
            r = t == 0 ? a : ((a << t) | (a >> (bits - t))) & m
            let cf = r & 1
            f = (statusFlags & ~(EFLAGS.cf | EFLAGS.of)) | cf | (((r & sb != 0 ? 1 : 0) ^ cf) != 0 ? EFLAGS.of : 0)
        case 1: // ROR
            let t = count % bits
            r = t == 0 ? a : ((a >> t) | (a << (bits - t))) & m
            let cf: UInt32 = r & sb != 0 ? 1 : 0
            let of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1
            f = (statusFlags & ~(EFLAGS.cf | EFLAGS.of)) | cf | (of != 0 ? EFLAGS.of : 0)
        case 2: // RCL through bits+1
            let t = UInt64(w == 2 ? count : count % (bits + 1))
            let old = statusFlags
            let width = UInt64(bits) + 1
            let v = UInt64(old & EFLAGS.cf) << UInt64(bits) | UInt64(a)
            let mask1 = (UInt64(1) << width) - 1
            let rot = t == 0 ? v : ((v << t) | (v >> (width - t))) & mask1
            r = UInt32(truncatingIfNeeded: rot) & m
            let cf = UInt32(truncatingIfNeeded: rot >> UInt64(bits)) & 1
            f = (old & ~(EFLAGS.cf | EFLAGS.of)) | cf | (((r & sb != 0 ? 1 : 0) ^ cf) != 0 ? EFLAGS.of : 0)
        case 3: // RCR through bits+1
            let t = UInt64(w == 2 ? count : count % (bits + 1))
            let old = statusFlags
            let width = UInt64(bits) + 1
            let v = UInt64(old & EFLAGS.cf) << UInt64(bits) | UInt64(a)
            let mask1 = (UInt64(1) << width) - 1
            let rot = t == 0 ? v : ((v >> t) | (v << (width - t))) & mask1
            r = UInt32(truncatingIfNeeded: rot) & m
            let cf = UInt32(truncatingIfNeeded: rot >> UInt64(bits)) & 1
            // OF = MSB(result) XOR MSB-1(result): for a count of 1 that is the SDM's
            // MSB(dest) XOR CF taken before the rotation; for larger counts the host AMD's value.
            let of = ((r ^ (r << 1)) & sb) != 0
            f = (old & ~(EFLAGS.cf | EFLAGS.of)) | cf | (of ? EFLAGS.of : 0)
        case 4, 6: // SHL/SAL
            r = UInt32(truncatingIfNeeded: UInt64(a) << UInt64(count)) & m
            lazyKind = LazyFlags.kShl
        case 5: // SHR
            r = a >> count
            lazyKind = LazyFlags.kShr
        default: // SAR
            r = UInt32(bitPattern: LazyFlags.signExtend(a, UInt32(w)) >> Int32(count)) & m
            lazyKind = LazyFlags.kSar
        }
        if isMem { try wr(addr, sz, r) } else { setR(op.pointee.rm, sz, r) }
        if lazyKind != 0 { setCC(lazyKind, w, r, a, count) } else { setFlags(f) }
    }

    /// SHLD (sub 0) / SHRD (sub 1) r/m, r, imm8|CL. For a 16-bit operand and a count of 16 or more
    /// (result and flags undefined in the SDM) vsim does what the host's AMD CPU does: it shifts
    /// through a 48-bit pattern, and CF and OF follow the rules below (the corpus checks them).
    func shiftDouble(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let count = (op.pointee.flags & DecodedOp.fCountCL != 0 ? s[GPR.ecx] : op.pointee.imm2) & 0x1F
        if count == 0 { return }
        let sz = op.pointee.size, w = op.pointee.w, m = maskOf(w)
        let isMem = op.pointee.isMem
        let addr = isMem ? ea(op) : 0
        let d = isMem ? try rdRMW(addr, sz) : getR(op.pointee.rm, sz)
        let src = getR(op.pointee.r, sz)
        let c = UInt64(count)
        let r: UInt32, cf: UInt32
        if sz == 2 {
            // SHLD shifts through dest:src:src, SHRD through src:src:dest (48 bits), which is what
            // this host's AMD EPYC returns for counts 17…31.
            if op.pointee.sub == 0 {
                let v = UInt64(d) << 32 | UInt64(src) << 16 | UInt64(src)
                r = UInt32(truncatingIfNeeded: v >> (32 - c)) & m
                cf = UInt32(truncatingIfNeeded: v >> (48 - c)) & 1
            } else {
                let v = UInt64(src) << 32 | UInt64(src) << 16 | UInt64(d)
                r = UInt32(truncatingIfNeeded: v >> c) & m
                cf = UInt32(truncatingIfNeeded: v >> (c - 1)) & 1
            }
        } else {
            if op.pointee.sub == 0 {
                let v = UInt64(d) << 32 | UInt64(src)
                r = UInt32(truncatingIfNeeded: v >> (32 - c))
                cf = UInt32(truncatingIfNeeded: v >> (64 - c)) & 1
            } else {
                let v = UInt64(src) << 32 | UInt64(d)
                r = UInt32(truncatingIfNeeded: v >> c)
                cf = UInt32(truncatingIfNeeded: v >> (c - 1)) & 1
            }
        }
        let sb = signOf(w)
        // OF: SHLD MSB(result) XOR CF, SHRD MSB(result) XOR MSB-1(result) — the SDM's "sign
        // change" for a count of 1, extended to larger counts as the host AMD CPU does; AF = 1.
        var of: UInt32 = op.pointee.sub == 0 ? (((r & sb != 0 ? 1 : 0) ^ cf) != 0 ? EFLAGS.of : 0)
                                             : (((r ^ (r << 1)) & sb) != 0 ? EFLAGS.of : 0)
        var carry = cf
        if sz == 2 && count >= 16 {
            // 16-bit counts of 16 and more (the SDM leaves result and flags undefined), as the
            // host's AMD CPU: SHLD by 16 sets OF = CF; by 17-31 both SHLD and SHRD clear CF, and
            // SHLD clears OF (measured with random operands on every count).
            if op.pointee.sub == 0 { of = count == 16 ? (cf != 0 ? EFLAGS.of : 0) : 0 }
            if count > 16 { carry = 0 }
        }
        if isMem { try wr(addr, sz, r) } else { setR(op.pointee.rm, sz, r) }
        setFlags(carry | of | EFLAGS.af | LazyFlags.zfsfpf(r, UInt32(w)))
    }
}
