import Machine
import X86

/// SHL/SAL, SHR, SAR, ROL and ROR by an immediate, by 1 or by CL (Intel SDM Vol. 2B,
/// "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR"), with the interpreter's flags
/// (`Interpreter+Shifts.swift`): the count masked to 5 bits; a masked count of 0 changes nothing,
/// flags and memory included (by CL: a branch over the whole instruction, which reads no memory
/// then); shifts record their lazy flags (`cc_op` SHL, SHR, SAR with the operand and the count);
/// rotates change only CF and OF (ROL: CF = the result's bit 0, OF = CF XOR its MSB; ROR: CF =
/// the MSB, OF = the MSB XOR the bit below it: the SDM's values for a count of 1, vsim's choice
/// for other counts) and store the flags materialized. RCL and RCR stay with `exec_insn`.
extension Lowering {
    /// Lowers a shift or rotate; false (nothing emitted) when it goes to `exec_insn`.
    mutating func lowerShift(_ i: Instruction) -> Bool {
        let size = i.operandSize
        let o0 = i.operand0
        switch o0 {
        case .memory: break
        case .register(let r) where r.kind == .gpr8 || r.kind == .gpr16 || r.kind == .gpr32: break
        default: return false
        }
        var count: RArg = .i(1)
        var byCL = false
        if i.operandCount >= 2 {
            switch i.operand1 {
            case .immediate(let c, _): count = .i(c & 31)
            case .register(let r) where r.kind == .gpr8 && r.number == 1: byCL = true
            default: return false
            }
        }
        if count.imm == 0 { return true }
        var skip: UInt32?
        if byCL {
            let c = op(.and, .r(.guest(1)), .i(31))
            count = c
            let l = label()
            brcond(c, .i(0), .eq, l)
            skip = l
        }
        let (a, addr) = readForUpdate(o0, size)
        switch i.mnemonic {
        case .shl, .sal, .shr, .sar:
            let r: RArg
            let kind: UInt32
            switch i.mnemonic {
            case .shl, .sal: r = masked(op(.shl, a, count), size); kind = LazyFlags.kShl
            case .shr: r = op(.shr, a, count); kind = LazyFlags.kShr
            default: r = masked(op(.sar, signExtended(a, size), count), size); kind = LazyFlags.kSar
            }
            write(o0, r, size, address: addr)
            setCC(kind, size, r, a, count)
        default:
            // count MOD the width: for 32 bits the masked count itself (1...31); for 8 and 16 bits
            // it may be 0, when a >> bits is 0 and the result is a (its flags still change).
            let bits = UInt32(size) * 8
            var t = count
            if size != 4 {
                if let c = t.imm { t = .i(c % bits) } else { t = op(.and, t, .i(bits - 1)) }
            }
            let back = op(.sub, .i(bits), t)
            let r: RArg
            let cf: RArg, of: RArg
            if i.mnemonic == .rol {
                r = masked(op(.or, op(.shl, a, t), op(.shr, a, back)), size)
                cf = op(.and, r, .i(1))
                of = op(.xor, op(.shr, r, .i(bits - 1)), cf)
            } else {
                r = masked(op(.or, op(.shr, a, t), op(.shl, a, back)), size)
                cf = op(.shr, r, .i(bits - 1))
                of = op(.and, op(.xor, cf, op(.shr, r, .i(bits - 2))), .i(1))
            }
            let old = call(.ccComputeAll)
            write(o0, r, size, address: addr)
            let kept = op(.and, old, .i(~(EFLAGS.cf | EFLAGS.of)))
            setFlags(op(.or, op(.or, kept, cf), op(.shl, of, .i(11))))
        }
        if let l = skip {
            emit(ROp(.label, x: l))
            ccOp = nil
        }
        return true
    }
}
