import Descriptions

/// The x87 escape opcodes D8-DF (Intel SDM Vol. 2D, A.4 "Escape Opcode Instructions", Tables
/// with a memory operand the ModRM reg field selects the instruction and the
/// memory format; with a register (mod = 11) the whole ModRM byte does.
extension InstructionDecoder {
    /// Memory forms by escape byte (D8…DF) and reg field: the mnemonic and the memory size in
    /// bytes (0: the FPU environment or state, sized by the operand size).
    static let x87Memory: [[(Mnemonic, UInt8)?]] = [
        [(.fadd, 4), (.fmul, 4), (.fcom, 4), (.fcomp, 4), (.fsub, 4), (.fsubr, 4), (.fdiv, 4), (.fdivr, 4)],
        [(.fld, 4), nil, (.fst, 4), (.fstp, 4), (.fldenv, 0), (.fldcw, 2), (.fnstenv, 0), (.fnstcw, 2)],
        [(.fiadd, 4), (.fimul, 4), (.ficom, 4), (.ficomp, 4), (.fisub, 4), (.fisubr, 4), (.fidiv, 4), (.fidivr, 4)],
        [(.fild, 4), (.fisttp, 4), (.fist, 4), (.fistp, 4), nil, (.fld, 10), nil, (.fstp, 10)],
        [(.fadd, 8), (.fmul, 8), (.fcom, 8), (.fcomp, 8), (.fsub, 8), (.fsubr, 8), (.fdiv, 8), (.fdivr, 8)],
        [(.fld, 8), (.fisttp, 8), (.fst, 8), (.fstp, 8), (.frstor, 0), nil, (.fnsave, 0), (.fnstsw, 2)],
        [(.fiadd, 2), (.fimul, 2), (.ficom, 2), (.ficomp, 2), (.fisub, 2), (.fisubr, 2), (.fidiv, 2), (.fidivr, 2)],
        [(.fild, 2), (.fisttp, 2), (.fist, 2), (.fistp, 2), (.fbld, 10), (.fild, 8), (.fbstp, 10), (.fistp, 8)],
    ]

    /// D8-DF: the escape byte `b` has been read.
    mutating func decodeX87(_ b: UInt8) throws(DecodeError) -> Instruction {
        try readModRM()
        let r = regField, i = rmField
        if mod != 3 {
            guard let (m, size) = Self.x87Memory[Int(b - 0xD8)][Int(r)] else {
                try skipModRMOperand()
                throw invalid("\(Hex.byte(b)) /\(r) with a memory operand is undefined: #UD")
            }
            let mem = Operand.memory(try memory())
            let bytes: UInt8 = size != 0 ? size : m == .fldenv || m == .fnstenv ? (opsize == 2 ? 14 : 28)
                : (opsize == 2 ? 94 : 108)
            return make(m, size: bytes, mem)
        }
        // Register forms are selected by the whole ModRM byte, which joins the opcode (0xD9E8).
        opcode = opcode << 8 | UInt32(modrm)
        let st = Operand.register(Register(.fpu, 8)), sti = Operand.register(Register(.fpu, i))
        let v = opsize
        func undefined() -> DecodeError { invalid("\(Hex.byte(b)) \(Hex.byte(modrm)) is undefined: #UD") }
        let arith: [Mnemonic] = [.fadd, .fmul, .fcom, .fcomp, .fsub, .fsubr, .fdiv, .fdivr]
        switch b {
        case 0xD8:
            let m = arith[Int(r)]
            return r == 2 || r == 3 ? make(m, size: v, sti) : make(m, size: v, st, sti)
        case 0xD9:
            switch r {
            case 0: return make(.fld, size: v, sti)
            case 1: return make(.fxch, size: v, sti)
            case 2:
                guard i == 0 else { throw undefined() }
                return make(.fnop, size: v)
            case 3: return make(.fstp, size: v, sti)   // D9 D8+i: reserved alias of FSTP
            default:
                let table: [Mnemonic?] = [
                    .fchs, .fabs, nil, nil, .ftst, .fxam, nil, nil,
                    .fld1, .fldl2t, .fldl2e, .fldpi, .fldlg2, .fldln2, .fldz, nil,
                    .f2xm1, .fyl2x, .fptan, .fpatan, .fxtract, .fprem1, .fdecstp, .fincstp,
                    .fprem, .fyl2xp1, .fsqrt, .fsincos, .frndint, .fscale, .fsin, .fcos,
                ]
                guard let m = table[Int(modrm - 0xE0)] else { throw undefined() }
                return make(m, size: v)
            }
        case 0xDA:
            if r < 4 {
                let c: [Condition] = [.b, .e, .be, .p]
                return make(.fcmovcc, size: v, condition: c[Int(r)], st, sti)
            }
            guard modrm == 0xE9 else { throw undefined() }
            return make(.fucompp, size: v)
        case 0xDB:
            switch r {
            case 0...3:
                let c: [Condition] = [.ae, .ne, .a, .np]
                return make(.fcmovcc, size: v, condition: c[Int(r)], st, sti)
            case 4:
                switch modrm {
                case 0xE0: return make(.fneni, size: v)
                case 0xE1: return make(.fndisi, size: v)
                case 0xE2: return make(.fnclex, size: v)
                case 0xE3: return make(.fninit, size: v)
                case 0xE4: return make(.fnsetpm, size: v)
                default: throw undefined()
                }
            case 5: return make(.fucomi, size: v, st, sti)
            case 6: return make(.fcomi, size: v, st, sti)
            default: throw undefined()
            }
        case 0xDC:
            // DC D0+i / D8+i: reserved aliases of FCOM / FCOMP.
            if r == 2 || r == 3 { return make(arith[Int(r)], size: v, sti) }
            // The reverse forms: ST(i) is the destination; E0+i is FSUBR (Intel's names).
            let m: [Mnemonic] = [.fadd, .fmul, .fcom, .fcomp, .fsubr, .fsub, .fdivr, .fdiv]
            return make(m[Int(r)], size: v, sti, st)
        case 0xDD:
            switch r {
            case 0: return make(.ffree, size: v, sti)
            case 1: return make(.fxch, size: v, sti)   // DD C8+i: reserved alias of FXCH
            case 2: return make(.fst, size: v, sti)
            case 3: return make(.fstp, size: v, sti)
            case 4: return make(.fucom, size: v, sti)
            case 5: return make(.fucomp, size: v, sti)
            default: throw undefined()
            }
        case 0xDE:
            switch r {
            case 2: return make(.fcomp, size: v, sti)  // DE D0+i: reserved alias of FCOMP
            case 3:
                guard i == 1 else { throw undefined() }
                return make(.fcompp, size: v)
            default:
                let m: [Mnemonic] = [.faddp, .fmulp, .fcomp, .fcompp, .fsubrp, .fsubp, .fdivrp, .fdivp]
                return make(m[Int(r)], size: v, sti, st)
            }
        default: // DF
            switch r {
            case 0: return make(.ffreep, size: v, sti)
            case 1: return make(.fxch, size: v, sti)   // DF C8+i: reserved alias of FXCH
            case 2, 3: return make(.fstp, size: v, sti) // DF D0+i, D8+i: reserved aliases of FSTP
            case 4:
                guard modrm == 0xE0 else { throw undefined() }
                return make(.fnstsw, size: 2, .register(Register(.gpr16, 0)))
            case 5: return make(.fucomip, size: v, st, sti)
            case 6: return make(.fcomip, size: v, st, sti)
            default: throw undefined()
            }
        }
    }
}
