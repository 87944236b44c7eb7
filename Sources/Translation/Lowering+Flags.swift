import Machine
import X86

/// Lazy condition codes in the front end (docs/risc-target.md, "Condition codes").
extension Lowering {
    /// Records a flag-setting operation: `cc_op` = kind and width, the result and the operands,
    /// exactly as the interpreter stores them (so helpers and the interpreter read the same state).
    /// LOGIC records only the result: its flags do not depend on the operands.
    mutating func setCC(_ kind: UInt32, _ size: UInt8, _ res: RArg, _ a: RArg, _ b: RArg) {
        let opv = kind << 2 | Lowering.w(size)
        mov(.ccOp, .i(opv))
        mov(.ccRes, res)
        if kind != LazyFlags.kLogic {
            mov(.ccSrc1, a)
            mov(.ccSrc2, b)
        }
        ccOp = opv
    }

    /// Status flags stored materialized (cc_op = EFLAGS).
    mutating func setFlags(_ f: RArg) {
        mov(.ccOp, .i(LazyFlags.opEflags))
        mov(.ccRes, f)
        ccOp = LazyFlags.opEflags
    }

    /// CF of the current lazy state, 0 or 1.
    mutating func carry() -> RArg {
        guard let k = ccOp.map({ $0 >> 2 }) else { return call(.ccCarry) }
        switch k {
        case LazyFlags.kAdd: return setcond(.r(.ccRes), .r(.ccSrc1), .ltu)
        case LazyFlags.kSub: return setcond(.r(.ccSrc1), .r(.ccSrc2), .ltu)
        case LazyFlags.kLogic: return .i(0)
        case LazyFlags.kInc, LazyFlags.kDec: return op(.and, .r(.ccAux), .i(1))
        case LazyFlags.kEflags: return op(.and, .r(.ccRes), .i(1))
        case LazyFlags.kMul: return setcond(.r(.ccAux), .i(0), .ne)
        default: return call(.ccCarry)
        }
    }

    /// The sign-extended result of the current lazy state (for SF tests).
    mutating func signedRes(_ size: UInt8) -> RArg { signExtended(.r(.ccRes), size) }

    /// x86 condition `cc` (0…15) as a comparison `a cond b`, from the translation-time `cc_op`
    /// when it allows a direct comparison, else through `call cc_cond`.
    mutating func condition(_ cc: UInt8) -> (RArg, RArg, RCond) {
        let negate = cc & 1 != 0
        func result(_ t: (RArg, RArg, RCond)) -> (RArg, RArg, RCond) { negate ? (t.0, t.1, t.2.inverted) : t }
        if let opv = ccOp {
            let k = opv >> 2
            let size: UInt8 = [1, 2, 4][Int(opv & 3)]
            let test = cc >> 1
            switch k {
            case LazyFlags.kSub:
                switch test {
                case 1: return result((.r(.ccSrc1), .r(.ccSrc2), .ltu))
                case 2: return result((.r(.ccSrc1), .r(.ccSrc2), .eq))
                case 3: return result((.r(.ccSrc1), .r(.ccSrc2), .leu))
                case 4: return result((signedRes(size), .i(0), .lt))
                case 6: return result((signExtended(.r(.ccSrc1), size), signExtended(.r(.ccSrc2), size), .lt))
                case 7: return result((signExtended(.r(.ccSrc1), size), signExtended(.r(.ccSrc2), size), .le))
                default: break
                }
            case LazyFlags.kLogic:
                switch test {
                case 0: return result((.i(0), .i(0), .ne))                 // OF = 0
                case 1: return result((.i(0), .i(0), .ne))                 // CF = 0
                case 2, 3: return result((.r(.ccRes), .i(0), .eq))         // ZF (CF = 0)
                case 4, 6: return result((signedRes(size), .i(0), .lt))    // SF (OF = 0)
                case 7: return result((signedRes(size), .i(0), .le))       // ZF or SF
                default: break
                }
            case LazyFlags.kAdd, LazyFlags.kAdc, LazyFlags.kInc, LazyFlags.kDec,
                 LazyFlags.kShl, LazyFlags.kShr, LazyFlags.kSar:
                if test == 2 { return result((.r(.ccRes), .i(0), .eq)) }
                if test == 4 { return result((signedRes(size), .i(0), .lt)) }
                if test == 1 && k == LazyFlags.kAdd { return result((.r(.ccRes), .r(.ccSrc1), .ltu)) }
            case LazyFlags.kEflags:
                let bit: UInt32? = [EFLAGS.of, EFLAGS.cf, EFLAGS.zf, EFLAGS.cf | EFLAGS.zf, EFLAGS.sf, EFLAGS.pf, nil, nil][Int(test)]
                if let bit {
                    let t = op(.and, .r(.ccRes), .i(bit))
                    return result((t, .i(0), .ne))
                }
            default: break
            }
        }
        let t = call(.ccCond, .i(UInt32(cc)))
        return (t, .i(0), .ne)
    }
}
