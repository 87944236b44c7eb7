import Descriptions
/// The one- and two-byte opcode maps of the vsim subset (Intel SDM Vol. 2D, Appendix A,
/// Tables ), prefix scanning, and the LOCK check.
extension InstructionDecoder {

    mutating func decode() throws(DecodeError) -> Instruction {
        var b = try u8()
        prefixLoop: while true {
            let code: UInt64
            switch b {
            case 0x26: segment = .es; code = 1
            case 0x2E: segment = .cs; code = 2
            case 0x36: segment = .ss; code = 3
            case 0x3E: segment = .ds; code = 4
            case 0x64: segment = .fs; code = 5
            case 0x65: segment = .gs; code = 6
            case 0x66: prefixes.insert(.operandSize); opsize = 2; code = 7
            case 0x67: prefixes.insert(.addressSize); adsize = 2; code = 8
            case 0xF0: prefixes.insert(.lock); code = 9
            case 0xF2: prefixes.remove(.rep); prefixes.insert(.repne); code = 10
            case 0xF3: prefixes.remove(.repne); prefixes.insert(.rep); code = 11
            default: break prefixLoop
            }
            if code <= 6 { prefixes.insert(.segment) }
            if prefixCount < 16 { sequence |= code << UInt64(4 * prefixCount) }
            prefixCount += 1
            b = try u8()
        }
        opcode = UInt32(b)
        var insn = b == 0x0F ? try decodeTwoByte() : try decodeOneByte(b)
        // `make` is called with operands that were read while building its arguments, so the
        // final length is only known here.
        insn.length = UInt8(pos)
        if prefixes.contains(.lock) { try checkLock(insn) }
        return insn
    }

    /// LOCK is allowed only on the read-modify-write instructions listed in the Intel SDM
    /// (Vol. 2A, LOCK) with a memory destination; otherwise #UD.
    func checkLock(_ insn: Instruction) throws(DecodeError) {
        var lockable = false
        switch insn.mnemonic {
        case .add, .or, .adc, .sbb, .and, .sub, .xor, .inc, .dec, .neg, .not,
             .bts, .btr, .btc, .xchg, .cmpxchg, .xadd, .cmpxchg8b:
            if case .memory = insn.operand0 { lockable = true }
        default:
            break
        }
        if !lockable {
            throw invalid("LOCK prefix on an instruction that is not a read-modify-write of memory: #UD")
        }
    }

    mutating func decodeOneByte(_ b: UInt8) throws(DecodeError) -> Instruction {
        let v = opsize
        switch b {
        case 0x00...0x3F where b & 7 < 6:
            let m = Mnemonic(rawValue: b >> 3)!
            switch b & 7 {
            case 0: try readModRM(); return make(m, size: 1, try E(1), G(1))
            case 1: try readModRM(); return make(m, size: v, try E(v), G(v))
            case 2: try readModRM(); return make(m, size: 1, G(1), try E(1))
            case 3: try readModRM(); return make(m, size: v, G(v), try E(v))
            case 4: return make(m, size: 1, .register(gpr(1, 0)), try imm(1))
            default: return make(m, size: v, .register(gpr(v, 0)), try imm(v))
            }
        case 0x06, 0x0E, 0x16, 0x1E:
            return make(.push, size: v, .register(Register(.segment, b >> 3)))
        case 0x07, 0x17, 0x1F:
            return make(.pop, size: v, .register(Register(.segment, b >> 3)))
        case 0x27: return make(.daa, size: 1)
        case 0x2F: return make(.das, size: 1)
        case 0x37: return make(.aaa, size: 1)
        case 0x3F: return make(.aas, size: 1)
        case 0x40...0x47: return make(.inc, size: v, .register(gpr(v, b & 7)))
        case 0x48...0x4F: return make(.dec, size: v, .register(gpr(v, b & 7)))
        case 0x50...0x57: return make(.push, size: v, .register(gpr(v, b & 7)))
        case 0x58...0x5F: return make(.pop, size: v, .register(gpr(v, b & 7)))
        case 0x60: return make(.pusha, size: v)
        case 0x61: return make(.popa, size: v)
        case 0x62:
            try readModRM()
            if mod == 3 { throw outsideUnknownLength("evex") }
            try skipModRMOperand()
            throw outside("bound")
        case 0x63:
            try readModRM(); try skipModRMOperand()
            throw outside("arpl")
        case 0x68: return make(.push, size: v, try imm(v))
        case 0x69: try readModRM(); return make(.imul, size: v, G(v), try E(v), try imm(v))
        case 0x6A: return make(.push, size: v, try immS8(v))
        case 0x6B: try readModRM(); return make(.imul, size: v, G(v), try E(v), try immS8(v))
        case 0x6C: return make(.ins, size: 1, stringDestination, Self.dx)
        case 0x6D: return make(.ins, size: v, stringDestination, Self.dx)
        case 0x6E: return make(.outs, size: 1, Self.dx, stringSource)
        case 0x6F: return make(.outs, size: v, Self.dx, stringSource)
        case 0x70...0x7F:
            return make(.jcc, size: v, condition: Condition(rawValue: b & 15)!, try rel(1))
        case 0x80, 0x82:
            try readModRM()
            return make(Mnemonic(rawValue: regField)!, size: 1, try E(1), try imm(1))
        case 0x81:
            try readModRM()
            return make(Mnemonic(rawValue: regField)!, size: v, try E(v), try imm(v))
        case 0x83:
            try readModRM()
            return make(Mnemonic(rawValue: regField)!, size: v, try E(v), try immS8(v))
        case 0x84: try readModRM(); return make(.test, size: 1, try E(1), G(1))
        case 0x85: try readModRM(); return make(.test, size: v, try E(v), G(v))
        case 0x86: try readModRM(); return make(.xchg, size: 1, try E(1), G(1))
        case 0x87: try readModRM(); return make(.xchg, size: v, try E(v), G(v))
        case 0x88: try readModRM(); return make(.mov, size: 1, try E(1), G(1))
        case 0x89: try readModRM(); return make(.mov, size: v, try E(v), G(v))
        case 0x8A: try readModRM(); return make(.mov, size: 1, G(1), try E(1))
        case 0x8B: try readModRM(); return make(.mov, size: v, G(v), try E(v))
        case 0x8C:
            try readModRM()
            if regField > 5 { throw invalid("MOV from segment register \(regField) (no such register): #UD") }
            let sreg = Operand.register(Register(.segment, regField))
            if mod == 3 { return make(.mov, size: v, .register(gpr(v, rmField)), sreg) }
            return make(.mov, size: 2, .memory(try memory()), sreg)
        case 0x8D:
            try readModRM()
            return make(.lea, size: v, G(v), try M("LEA"))
        case 0x8E:
            try readModRM()
            if regField > 5 || regField == 1 {
                throw invalid(regField == 1 ? "MOV to CS: #UD" : "MOV to segment register \(regField) (no such register): #UD")
            }
            return make(.mov, size: 2, .register(Register(.segment, regField)), try E(v))
        case 0x8F:
            try readModRM()
            if regField != 0 { throw invalid("8F /\(regField) is not POP: #UD") }
            return make(.pop, size: v, try E(v))
        case 0x90:
            // With F3 (the last of F2/F3) this is PAUSE, a NOP with a spin-loop hint (Intel SDM
            // Vol. 2B, PAUSE): `.nop` with `.rep`, printed `pause`.
            return make(.nop, size: v)
        case 0x91...0x97:
            return make(.xchg, size: v, .register(gpr(v, b & 7)), .register(gpr(v, 0)))
        case 0x98: return make(.cbw, size: v)
        case 0x99: return make(.cwd, size: v)
        case 0x9A:
            let offset = v == 2 ? UInt32(try u16()) : try u32()
            return make(.callf, size: v, .farPointer(selector: try u16(), offset: offset))
        case 0x9B:
            // WAIT/FWAIT is an instruction of its own, also before an x87 instruction (objdump
            // prints `9b df e0` as one `fstsw %ax`; the CPU executes, and single-steps, two:
            // Intel SDM Vol. 2A FSTSW, "an assembler mnemonic for FWAIT followed by FNSTSW").
            return make(.fwait, size: v)
        case 0x9C: return make(.pushf, size: v)
        case 0x9D: return make(.popf, size: v)
        case 0x9E: return make(.sahf, size: 1)
        case 0x9F: return make(.lahf, size: 1)
        case 0xA0...0xA3:
            let disp = adsize == 2 ? Int32(Int16(bitPattern: try u16())) : Int32(bitPattern: try u32())
            let mem = Operand.memory(MemoryOperand(base: nil, index: nil, displacement: disp,
                                                   displacementSize: adsize, addressSize: adsize,
                                                   segmentOverride: segment))
            let size: UInt8 = b & 1 == 0 ? 1 : v
            let acc = Operand.register(gpr(size, 0))
            return b < 0xA2 ? make(.mov, size: size, acc, mem) : make(.mov, size: size, mem, acc)
        case 0xA4: return make(.movs, size: 1, stringDestination, stringSource)
        case 0xA5: return make(.movs, size: v, stringDestination, stringSource)
        case 0xA6: return make(.cmps, size: 1, stringSource, stringDestination)
        case 0xA7: return make(.cmps, size: v, stringSource, stringDestination)
        case 0xA8: return make(.test, size: 1, .register(gpr(1, 0)), try imm(1))
        case 0xA9: return make(.test, size: v, .register(gpr(v, 0)), try imm(v))
        case 0xAA: return make(.stos, size: 1, stringDestination, .register(gpr(1, 0)))
        case 0xAB: return make(.stos, size: v, stringDestination, .register(gpr(v, 0)))
        case 0xAC: return make(.lods, size: 1, .register(gpr(1, 0)), stringSource)
        case 0xAD: return make(.lods, size: v, .register(gpr(v, 0)), stringSource)
        case 0xAE: return make(.scas, size: 1, .register(gpr(1, 0)), stringDestination)
        case 0xAF: return make(.scas, size: v, .register(gpr(v, 0)), stringDestination)
        case 0xB0...0xB7: return make(.mov, size: 1, .register(gpr(1, b & 7)), try imm(1))
        case 0xB8...0xBF: return make(.mov, size: v, .register(gpr(v, b & 7)), try imm(v))
        case 0xC0:
            try readModRM()
            return make(Mnemonic(rawValue: Mnemonic.rol.rawValue + regField)!, size: 1, try E(1), try imm(1))
        case 0xC1:
            try readModRM()
            return make(Mnemonic(rawValue: Mnemonic.rol.rawValue + regField)!, size: v, try E(v), try imm(1))
        case 0xC2: return make(.ret, size: v, try imm(2))
        case 0xC3: return make(.ret, size: v)
        case 0xC4, 0xC5:
            try readModRM()
            if mod == 3 { throw outsideUnknownLength("vex") }
            try skipModRMOperand()
            throw outside(b == 0xC4 ? "les" : "lds")
        case 0xC6:
            try readModRM()
            if modrm == 0xF8 { _ = try u8(); throw outside("xabort") }
            if regField != 0 { throw invalid("C6 /\(regField) is not MOV: #UD") }
            return make(.mov, size: 1, try E(1), try imm(1))
        case 0xC7:
            try readModRM()
            if modrm == 0xF8 { if v == 2 { _ = try u16() } else { _ = try u32() }; throw outside("xbegin") }
            if regField != 0 { throw invalid("C7 /\(regField) is not MOV: #UD") }
            return make(.mov, size: v, try E(v), try imm(v))
        case 0xC8:
            let frame = try imm(2)
            return make(.enter, size: v, frame, try imm(1))
        case 0xC9: return make(.leave, size: v)
        case 0xCA: return make(.retf, size: v, try imm(2))
        case 0xCB: return make(.retf, size: v)
        case 0xCC: return make(.int3, size: v)
        case 0xCD: return make(.int, size: v, try imm(1))
        case 0xCE: return make(.into, size: v)
        case 0xCF: return make(.iret, size: v)
        case 0xD0...0xD3:
            try readModRM()
            let size: UInt8 = b & 1 == 0 ? 1 : v
            let count: Operand = b < 0xD2 ? .immediate(1, size: 1) : Self.cl
            return make(Mnemonic(rawValue: Mnemonic.rol.rawValue + regField)!, size: size, try E(size), count)
        case 0xD4: return make(.aam, size: 1, try imm(1))
        case 0xD5: return make(.aad, size: 1, try imm(1))
        case 0xD6: throw outside("salc")
        case 0xD7:
            return make(.xlat, size: 1, .memory(MemoryOperand(base: 3, index: nil, addressSize: adsize,
                                                               segmentOverride: segment)))
        case 0xD8...0xDF:
            return try decodeX87(b)
        case 0xE0: return make(.loopne, size: v, try rel(1))
        case 0xE1: return make(.loope, size: v, try rel(1))
        case 0xE2: return make(.loop, size: v, try rel(1))
        case 0xE3: return make(.jcxz, size: v, try rel(1))
        case 0xE4: return make(.in, size: 1, .register(gpr(1, 0)), try imm(1))
        case 0xE5: return make(.in, size: v, .register(gpr(v, 0)), try imm(1))
        case 0xE6: return make(.out, size: 1, try imm(1), .register(gpr(1, 0)))
        case 0xE7: return make(.out, size: v, try imm(1), .register(gpr(v, 0)))
        case 0xE8: return make(.call, size: v, try rel(v))
        case 0xE9: return make(.jmp, size: v, try rel(v))
        case 0xEA:
            let offset = v == 2 ? UInt32(try u16()) : try u32()
            return make(.jmpf, size: v, .farPointer(selector: try u16(), offset: offset))
        case 0xEB: return make(.jmp, size: v, try rel(1))
        case 0xEC: return make(.in, size: 1, .register(gpr(1, 0)), Self.dx)
        case 0xED: return make(.in, size: v, .register(gpr(v, 0)), Self.dx)
        case 0xEE: return make(.out, size: 1, Self.dx, .register(gpr(1, 0)))
        case 0xEF: return make(.out, size: v, Self.dx, .register(gpr(v, 0)))
        case 0xF1: throw outside("int1")
        case 0xF4: return make(.hlt, size: v)
        case 0xF5: return make(.cmc, size: v)
        case 0xF6, 0xF7:
            try readModRM()
            let size: UInt8 = b == 0xF6 ? 1 : v
            let dst = try E(size)
            switch regField {
            case 0, 1: return make(.test, size: size, dst, try imm(size))
            case 2: return make(.not, size: size, dst)
            case 3: return make(.neg, size: size, dst)
            case 4: return make(.mul, size: size, dst)
            case 5: return make(.imul, size: size, dst)
            case 6: return make(.div, size: size, dst)
            default: return make(.idiv, size: size, dst)
            }
        case 0xF8: return make(.clc, size: v)
        case 0xF9: return make(.stc, size: v)
        case 0xFA: return make(.cli, size: v)
        case 0xFB: return make(.sti, size: v)
        case 0xFC: return make(.cld, size: v)
        case 0xFD: return make(.std, size: v)
        case 0xFE:
            try readModRM()
            switch regField {
            case 0: return make(.inc, size: 1, try E(1))
            case 1: return make(.dec, size: 1, try E(1))
            default: throw invalid("FE /\(regField) is undefined: #UD")
            }
        case 0xFF:
            try readModRM()
            switch regField {
            case 0: return make(.inc, size: v, try E(v))
            case 1: return make(.dec, size: v, try E(v))
            case 2: return make(.call, size: v, try E(v))
            case 3: return make(.callf, size: v, try M("far CALL"))
            case 4: return make(.jmp, size: v, try E(v))
            case 5: return make(.jmpf, size: v, try M("far JMP"))
            case 6: return make(.push, size: v, try E(v))
            default: throw invalid("FF /7 is undefined: #UD")
            }
        default:
            // 0x0F and the prefix bytes never get here.
            throw invalid("unexpected opcode")
        }
    }

    mutating func decodeTwoByte() throws(DecodeError) -> Instruction {
        let b = try u8()
        opcode = 0x0F00 | UInt32(b)
        let v = opsize
        switch b {
        case 0x00:
            try readModRM()
            switch regField {
            case 0, 1:
                let m: Mnemonic = regField == 0 ? .sldt : .str
                if mod == 3 { return make(m, size: v, .register(gpr(v, rmField))) }
                return make(m, size: 2, .memory(try memory()))
            case 2: return make(.lldt, size: 2, try E(2))
            case 3: return make(.ltr, size: 2, try E(2))
            case 4: return make(.verr, size: 2, try E(2))
            case 5: return make(.verw, size: 2, try E(2))
            default: throw invalid("0F 00 /\(regField) is undefined: #UD")
            }
        case 0x01:
            try readModRM()
            if mod == 3 {
                switch modrm {
                case 0xC1:
                    opcode = 0x0F01C1
                    return make(.vmcall, size: v)
                case 0xE0...0xE7: return make(.smsw, size: v, .register(gpr(v, rmField)))
                case 0xF0...0xF7: return make(.lmsw, size: 2, .register(gpr(2, rmField)))
                default:
                    guard let name = OutsideSubset.group7Name(modrm) else {
                        throw invalid("0F 01 \(Hex.byte(modrm)) is undefined in 32-bit mode: #UD")
                    }
                    throw outside(name)
                }
            }
            switch regField {
            case 0: return make(.sgdt, size: v, .memory(try memory()))
            case 1: return make(.sidt, size: v, .memory(try memory()))
            case 2: return make(.lgdt, size: v, .memory(try memory()))
            case 3: return make(.lidt, size: v, .memory(try memory()))
            case 4: return make(.smsw, size: 2, .memory(try memory()))
            case 5:
                if prefixes.contains(.rep) { try skipModRMOperand(); throw outside("rstorssp") }
                throw invalid("0F 01 /5 with a memory operand is undefined: #UD")
            case 6: return make(.lmsw, size: 2, .memory(try memory()))
            default: return make(.invlpg, size: v, .memory(try memory()))
            }
        case 0x02, 0x03:
            try readModRM()
            let m: Mnemonic = b == 0x02 ? .lar : .lsl
            return make(m, size: v, G(v), try E(v))
        case 0x06: return make(.clts, size: v)
        case 0x08: return make(.invd, size: v)
        case 0x09: return make(.wbinvd, size: v)
        case 0x0B: return make(.ud2, size: v)
        case 0x18...0x1F where b != 0x1A && b != 0x1B:
            // The hint space (Intel SDM Vol. 2B, NOP; 0F 1A/1B are MPX, outside the subset):
            // a NOP with a ModRM operand on every CPU, except the forms named here, which
            // execute as NOPs too on vsim's CPU (no CET, prefetches have no visible effect).
            try readModRM()
            if b == 0x1C && mod != 3 && regField == 0 { try skipModRMOperand(); throw outside("cldemote") }
            if b == 0x1E && mod == 3 && prefixes.contains(.rep) {
                if modrm == 0xFB { return make(.endbr32, size: v) }
                if modrm == 0xFA { return make(.endbr64, size: v) }
                if regField == 1 { return make(.rdssp, size: 4, .register(gpr(4, rmField))) }
            }
            if b == 0x18 && mod != 3 && regField < 4 { return make(.prefetch, size: 1, .memory(try memory())) }
            return make(.nop, size: v, try E(v))
        case 0x20...0x23:
            // The mod field is ignored: these always name a register (Intel SDM Vol. 2B, MOV).
            try readModRM()
            let n = regField
            if b & 1 == 0 && (n == 1 || n > 4) {
                throw invalid("MOV with CR\(n) (no such control register): #UD")
            }
            let special = Operand.register(Register(b & 1 == 0 ? .control : .debug, n))
            let reg = Operand.register(gpr(4, rmField))
            return b < 0x22 ? make(.mov, size: 4, reg, special) : make(.mov, size: 4, special, reg)
        case 0x30: return make(.wrmsr, size: v)
        case 0x31: return make(.rdtsc, size: v)
        case 0x32: return make(.rdmsr, size: v)
        case 0x40...0x4F:
            try readModRM()
            return make(.cmovcc, size: v, condition: Condition(rawValue: b & 15)!, G(v), try E(v))
        case 0x80...0x8F:
            return make(.jcc, size: v, condition: Condition(rawValue: b & 15)!, try rel(v))
        case 0x90...0x9F:
            try readModRM()
            return make(.setcc, size: 1, condition: Condition(rawValue: b & 15)!, try E(1))
        case 0xA0, 0xA8: return make(.push, size: v, .register(Register(.segment, b == 0xA0 ? 4 : 5)))
        case 0xA1, 0xA9: return make(.pop, size: v, .register(Register(.segment, b == 0xA1 ? 4 : 5)))
        case 0xA2: return make(.cpuid, size: v)
        case 0xA3, 0xAB, 0xB3, 0xBB:
            try readModRM()
            let m: Mnemonic = b == 0xA3 ? .bt : b == 0xAB ? .bts : b == 0xB3 ? .btr : .btc
            return make(m, size: v, try E(v), G(v))
        case 0xA4, 0xAC:
            try readModRM()
            let dst = try E(v)
            return make(b == 0xA4 ? .shld : .shrd, size: v, dst, G(v), try imm(1))
        case 0xA5, 0xAD:
            try readModRM()
            return make(b == 0xA5 ? .shld : .shrd, size: v, try E(v), G(v), Self.cl)
        case 0xAF:
            try readModRM()
            return make(.imul, size: v, G(v), try E(v))
        case 0xB0: try readModRM(); return make(.cmpxchg, size: 1, try E(1), G(1))
        case 0xB1: try readModRM(); return make(.cmpxchg, size: v, try E(v), G(v))
        case 0xB6, 0xB7, 0xBE, 0xBF:
            try readModRM()
            let m: Mnemonic = b < 0xB8 ? .movzx : .movsx
            return make(m, size: v, G(v), try E(b & 1 == 0 ? 1 : 2))
        case 0xBA:
            try readModRM()
            let m: Mnemonic
            switch regField {
            case 4: m = .bt
            case 5: m = .bts
            case 6: m = .btr
            case 7: m = .btc
            default: throw invalid("0F BA /\(regField) is undefined: #UD")
            }
            let dst = try E(v)
            return make(m, size: v, dst, try imm(1))
        case 0xBC, 0xBD:
            try readModRM()
            // F3 (the last of F2/F3) selects TZCNT/LZCNT; vsim's CPUID has no BMI1/LZCNT, so they
            // run as the BSF/BSR that such a CPU executes (the REP prefix ignored).
            if prefixes.contains(.rep) { return make(b == 0xBC ? .tzcnt : .lzcnt, size: v, G(v), try E(v)) }
            return make(b == 0xBC ? .bsf : .bsr, size: v, G(v), try E(v))
        case 0xC7:
            try readModRM()
            if regField == 1 && mod != 3 { return make(.cmpxchg8b, size: v, .memory(try memory())) }
            try skipModRMOperand()
            throw outside(OutsideSubset.twoByteName(b, prefixes))
        case 0xC0: try readModRM(); return make(.xadd, size: 1, try E(1), G(1))
        case 0xC1: try readModRM(); return make(.xadd, size: v, try E(v), G(v))
        case 0xC8...0xCF: return make(.bswap, size: v, .register(gpr(v, b & 7)))
        default:
            return try outsideTwoByte(b)
        }
    }

    /// The rest of the two-byte map: system/SSE/MMX/3DNow! encodings outside the subset (length
    /// from the opcode map, Intel SDM Vol. 2D, Tables ), or undefined (#UD).
    mutating func outsideTwoByte(_ b: UInt8) throws(DecodeError) -> Instruction {
        switch OutsideSubset.twoByteForm(b) {
        case .undefined:
            throw invalid("0F \(Hex.byte(b)) is undefined: #UD")
        case .noOperands:
            throw outside(OutsideSubset.twoByteName(b, prefixes))
        case .modrm(let immediate):
            try readModRM()
            try skipModRMOperand()
            for _ in 0..<immediate { _ = try u8() }
            throw outside(OutsideSubset.twoByteName(b, prefixes))
        case .threeByte(let immediate):
            _ = try u8()
            try readModRM()
            try skipModRMOperand()
            for _ in 0..<immediate { _ = try u8() }
            throw outside(b == 0x38 ? "0f 38 map (ssse3/sse4)" : "0f 3a map (sse4)")
        }
    }
}
