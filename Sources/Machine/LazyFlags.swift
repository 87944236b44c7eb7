/// Lazy condition codes: how CF PF AF ZF SF OF are recomputed from the last flag-setting
/// operation (Intel SDM Vol. 1, 3.4.3.1 and each instruction's "Flags Affected").
///
/// `ccOp = kind << 2 | w`, with `w` = 0, 1, 2 for 8-, 16-, 32-bit operands. `ccRes` is the result
/// masked to the width; `ccSrc1`/`ccSrc2` the operands (masked); `ccAux` a carry-in or a saved
/// flag. Kind `eflags` means the six flags are stored, materialized, in `ccRes`.
///
/// Choices where the SDM leaves a flag undefined, made to match this host's AMD EPYC (measured
/// by running the same instructions natively; see the Machine tests):
/// - AND/OR/XOR/TEST: AF = 0.
/// - SHL/SHR/SAR with a non-zero count: AF = 1. OF for counts above 1 uses the same formula as
///   for 1: SHL MSB(result) XOR CF; SHR MSB(result) XOR MSB-1(result) (so 0); SAR 0.
/// - MUL/IMUL: SF ZF AF PF unchanged (kind `mul` keeps the previous six flags in `ccSrc1`).
public enum LazyFlags {
    public static let kEflags: UInt32 = 0, kAdd: UInt32 = 1, kAdc: UInt32 = 2, kSub: UInt32 = 3,
        kSbb: UInt32 = 4, kLogic: UInt32 = 5, kInc: UInt32 = 6, kDec: UInt32 = 7, kShl: UInt32 = 8,
        kShr: UInt32 = 9, kSar: UInt32 = 10, kMul: UInt32 = 11
    public static let opEflags: UInt32 = 0

    @inline(__always) static func width(_ op: UInt32) -> UInt32 { op & 3 }
    @inline(__always) static func signBit(_ w: UInt32) -> UInt32 { 1 &<< ((8 &<< w) &- 1) }
    @inline(__always) static func bits(_ w: UInt32) -> UInt32 { 8 &<< w }

    static let parityTable: [UInt8] = (0..<256).map { UInt8($0).nonzeroBitCount & 1 == 0 ? 1 : 0 }

    /// PF (bit 2) for the low byte of `r`: set when it has an even number of 1 bits.
    @inline(__always) static func pf(_ r: UInt32) -> UInt32 {
        // 0x9669 is the 16-entry even-parity bitmap of a nibble.
        let x = (r ^ (r >> 4)) & 0xF
        return ((0x9669 >> x) & 1) << 2
    }

    @inline(__always) static func zfsfpf(_ r: UInt32, _ w: UInt32) -> UInt32 {
        (r == 0 ? EFLAGS.zf : 0) | (r & signBit(w) != 0 ? EFLAGS.sf : 0) | pf(r)
    }

    /// CF of the lazy state (cheaper than a full materialization).
    @inline(__always) static func carry(_ s: UnsafeMutablePointer<UInt32>) -> UInt32 {
        let op = s[CPUState.iOp], r = s[CPUState.iRes], a = s[CPUState.iSrc1], b = s[CPUState.iSrc2]
        switch op >> 2 {
        case kEflags: return r & 1
        case kAdd: return r < a ? 1 : 0
        case kAdc: return (s[CPUState.iAux] != 0 ? r <= a : r < a) ? 1 : 0
        case kSub: return a < b ? 1 : 0
        case kSbb: return (s[CPUState.iAux] != 0 ? a <= b : a < b) ? 1 : 0
        case kLogic: return 0
        case kInc, kDec: return s[CPUState.iAux] & 1
        case kShl: return (UInt32(truncatingIfNeeded: (UInt64(a) << UInt64(b)) >> UInt64(bits(op & 3)))) & 1
        case kShr: return (a >> (b &- 1)) & 1
        case kSar: return UInt32(bitPattern: signExtend(a, op & 3) >> Int32(b &- 1)) & 1
        case kMul: return s[CPUState.iAux] != 0 ? 1 : 0
        default: return 0
        }
    }

    /// CF of the lazy state, with the kinds the hot handlers meet most (SUB/CMP, ADD, the
    /// logical ones) computed in place and the rest by ``carry(_:)`` out of line: small enough
    /// to be inlined into the interpreter's dispatch, which a full `switch` is not.
    @inline(__always) static func carryFast(_ s: UnsafeMutablePointer<UInt32>) -> UInt32 {
        let k = s[CPUState.iOp] >> 2
        if k == kSub { return s[CPUState.iSrc1] < s[CPUState.iSrc2] ? 1 : 0 }
        if k == kAdd { return s[CPUState.iRes] < s[CPUState.iSrc1] ? 1 : 0 }
        if k == kLogic { return 0 }
        return carrySlow(s)
    }

    @inline(never) static func carrySlow(_ s: UnsafeMutablePointer<UInt32>) -> UInt32 { carry(s) }

    /// SF ZF AF PF of the lazy state (what MUL and IMUL keep, ``kMul``), with SUB/CMP and ADD
    /// computed in place (small enough to inline) and the rest by ``materialize(_:)``.
    @inline(__always) static func szapFast(_ s: UnsafeMutablePointer<UInt32>) -> UInt32 {
        let op = s[CPUState.iOp], k = op >> 2
        if k == kSub || k == kAdd {
            let r = s[CPUState.iRes], a = s[CPUState.iSrc1], b = s[CPUState.iSrc2]
            return zfsfpf(r, op & 3) | ((a ^ b ^ r) & EFLAGS.af)
        }
        return materialize(s) & (EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf)
    }

    @inline(__always) static func signExtend(_ v: UInt32, _ w: UInt32) -> Int32 {
        let sh = 32 &- (8 &<< w) // 24, 16, 0 for w = 0, 1, 2
        return Int32(bitPattern: v &<< sh) &>> Int32(sh)
    }

    /// The six status flags (other bits 0) of the lazy state.
    public static func materialize(_ s: UnsafeMutablePointer<UInt32>) -> UInt32 {
        let op = s[CPUState.iOp], r = s[CPUState.iRes], a = s[CPUState.iSrc1], b = s[CPUState.iSrc2]
        let w = op & 3
        let sb = signBit(w)
        switch op >> 2 {
        case kEflags:
            return r & EFLAGS.arithmetic
        case kAdd, kAdc:
            let cf = carry(s)
            let of: UInt32 = ((a ^ r) & (b ^ r) & sb) != 0 ? EFLAGS.of : 0
            return cf | zfsfpf(r, w) | ((a ^ b ^ r) & EFLAGS.af) | of
        case kSub, kSbb:
            let cf = carry(s)
            let of: UInt32 = ((a ^ b) & (a ^ r) & sb) != 0 ? EFLAGS.of : 0
            return cf | zfsfpf(r, w) | ((a ^ b ^ r) & EFLAGS.af) | of
        case kLogic:
            return zfsfpf(r, w)
        case kInc:
            let of: UInt32 = r == sb ? EFLAGS.of : 0
            return (s[CPUState.iAux] & 1) | zfsfpf(r, w) | ((a ^ r) & EFLAGS.af) | of
        case kDec:
            let of: UInt32 = r == sb &- 1 ? EFLAGS.of : 0
            return (s[CPUState.iAux] & 1) | zfsfpf(r, w) | ((a ^ r) & EFLAGS.af) | of
        case kShl:
            let cf = carry(s)
            let of: UInt32 = ((r & sb != 0 ? 1 : 0) ^ cf) != 0 ? EFLAGS.of : 0
            return cf | zfsfpf(r, w) | of | EFLAGS.af
        case kShr:
            // MSB(result) XOR MSB-1(result): MSB of the operand for a count of 1, 0 for more.
            let of: UInt32 = ((r ^ (r << 1)) & sb) != 0 ? EFLAGS.of : 0
            return carry(s) | zfsfpf(r, w) | of | EFLAGS.af
        case kSar:
            return carry(s) | zfsfpf(r, w) | EFLAGS.af
        case kMul:
            // CF = OF = significant upper half; SF ZF AF PF as before the multiply (ccSrc1).
            let o: UInt32 = s[CPUState.iAux] != 0 ? (EFLAGS.cf | EFLAGS.of) : 0
            return o | (a & (EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf))
        default:
            return r & EFLAGS.arithmetic
        }
    }

    /// Evaluates condition `cc` (0…15, Intel SDM Vol. 1, Table B-1) on the lazy state.
    @inline(__always) static func condition(_ cc: UInt8, _ s: UnsafeMutablePointer<UInt32>) -> Bool {
        let op = s[CPUState.iOp]
        let k = op >> 2
        // Fast paths: CMP/SUB compare operands directly; ZF of anything but `eflags` is res == 0.
        if k == kSub {
            let a = s[CPUState.iSrc1], b = s[CPUState.iSrc2]
            let t: Bool
            switch cc >> 1 {
            case 1: t = a < b                                      // B
            case 2: t = a == b                                     // E
            case 3: t = a <= b                                     // BE
            case 6: t = signExtend(a, op & 3) < signExtend(b, op & 3)   // L
            case 7: t = signExtend(a, op & 3) <= signExtend(b, op & 3)  // LE
            default: return slowCondition(cc, s)
            }
            return t != (cc & 1 != 0)
        }
        if k != kEflags && (cc >> 1) == 2 {
            return (s[CPUState.iRes] == 0) != (cc & 1 != 0)
        }
        return slowCondition(cc, s)
    }

    /// ``condition(_:_:)`` as a call (for the interpreter's dispatches, which inline only the
    /// CMP/SUB fast path).
    @inline(never) static func conditionOutOfLine(_ cc: UInt8, _ s: UnsafeMutablePointer<UInt32>) -> Bool {
        condition(cc, s)
    }

    static func slowCondition(_ cc: UInt8, _ s: UnsafeMutablePointer<UInt32>) -> Bool {
        let f = materialize(s)
        return test(cc, flags: f)
    }

    /// Condition `cc` on materialized flags `f`.
    @inline(__always) public static func test(_ cc: UInt8, flags f: UInt32) -> Bool {
        let t: Bool
        switch cc >> 1 {
        case 0: t = f & EFLAGS.of != 0
        case 1: t = f & EFLAGS.cf != 0
        case 2: t = f & EFLAGS.zf != 0
        case 3: t = f & (EFLAGS.cf | EFLAGS.zf) != 0
        case 4: t = f & EFLAGS.sf != 0
        case 5: t = f & EFLAGS.pf != 0
        case 6: t = (f & EFLAGS.sf != 0) != (f & EFLAGS.of != 0)
        default: t = f & EFLAGS.zf != 0 || ((f & EFLAGS.sf != 0) != (f & EFLAGS.of != 0))
        }
        return t != (cc & 1 != 0)
    }

    static func describe(_ op: UInt32) -> String {
        let names = ["EFLAGS", "ADD", "ADC", "SUB", "SBB", "LOGIC", "INC", "DEC", "SHL", "SHR", "SAR", "MUL"]
        let k = Int(op >> 2)
        let n = k < names.count ? names[k] : "?"
        return k == 0 ? n : n + String(8 << (op & 3))
    }
}
