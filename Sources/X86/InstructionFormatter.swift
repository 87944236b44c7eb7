import Descriptions
/// The rules of binutils' i386 disassembler (opcodes/i386-dis.c) that decide objdump's text:
/// which prefixes an instruction "uses" (those are not printed as separate words), mnemonic
/// suffixes, operand order, and the spelling of memory operands.
struct InstructionFormatter {
    let insn: Instruction
    let intel: Bool
    let symbols: Symbolizer?

    /// 0x66 / 0x67 consumed by the instruction (else printed as `data16` / `addr16`).
    var dataUsed = false
    var addrUsed = false
    /// Segment prefixes consumed (bit n = SegmentRegister n).
    var segUsed: UInt8 = 0
    /// The last segment prefix prints as `notrack`, the active segment is ignored.
    var notrack = false
    /// The last F2 prints as `bnd` / `xacquire`; the last F3 as `rep` / `xrelease`.
    var lastF2Name: String?
    var lastF3Name: String?
    /// The last F3 is part of the instruction (PAUSE) and not printed.
    var f3Used = false

    init(_ insn: Instruction, intel: Bool, symbols: Symbolizer?) {
        self.insn = insn
        self.intel = intel
        self.symbols = symbols
    }

    // MARK: Pieces

    var v: UInt8 { insn.operandSize }
    var opcode: UInt32 { insn.opcode }

    func reg(_ r: Register) -> String {
        if intel {
            return r.kind == .debug ? "dr\(r.number)" : r.name
        }
        return "%" + r.name
    }


    func imm(_ value: UInt32) -> String { (intel ? "" : "$") + Hex.prefixed(UInt64(value)) }

    /// objdump's print_displacement: signed hex.
    func displacement(_ d: Int64) -> String {
        d < 0 ? "-" + Hex.prefixed(UInt64(-d)) : Hex.prefixed(UInt64(d))
    }

    func sizeSuffix(_ size: UInt8) -> String { size == 1 ? "b" : size == 2 ? "w" : "l" }

    func ptr(_ size: Int) -> String {
        switch size {
        case 1: return "BYTE PTR "
        case 2: return "WORD PTR "
        case 4: return "DWORD PTR "
        case 6: return "FWORD PTR "
        case 8: return "QWORD PTR "
        case 10: return "TBYTE PTR "
        default: return ""
        }
    }

    /// The active segment override, unless NOTRACK took it over.
    var activeSegment: SegmentRegister? { notrack ? nil : insn.segmentOverride }

    mutating func segmentText(_ seg: SegmentRegister?) -> String {
        guard let seg else { return "" }
        segUsed |= 1 << seg.rawValue
        return (intel ? "" : "%") + seg.name + ":"
    }

    /// A ModRM memory operand; `size` selects Intel's `BYTE/WORD/DWORD PTR` prefix (0: none).
    mutating func modrmMemory(_ m: MemoryOperand, size: Int) -> String {
        var s = intel ? ptr(size) : ""
        s += segmentText(activeSegment)
        let modrm = m.modrm ?? 0
        let mod = modrm >> 6, rm = modrm & 7
        let disp = Int64(m.displacement)
        if m.addressSize == 2 {
            addrUsed = true
            let names = intel ? ["bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx"]
                : ["%bx,%si", "%bx,%di", "%bp,%si", "%bp,%di", "%si", "%di", "%bp", "%bx"]
            if !intel && (mod != 0 || rm == 6) { s += displacement(disp) }
            if mod != 0 || rm != 6 {
                s += intel ? "[" : "("
                s += names[Int(rm)]
                if intel && (disp != 0 || mod != 0) {
                    if disp >= 0 { s += "+" + displacement(disp) } else { s += displacement(disp) }
                }
                s += intel ? "]" : ")"
            } else if intel {
                if activeSegment == nil { s += "ds:" }
                s += Hex.prefixed(UInt64(UInt16(truncatingIfNeeded: disp)))
            }
            return s
        }
        let havesib = rm == 4 && m.sib != nil
        let sib = m.sib ?? 0
        let scale = havesib ? sib >> 6 : 0
        let index = havesib ? (sib >> 3) & 7 : 4
        let base = havesib ? sib & 7 : rm
        let havebase = !(mod == 0 && base == 5)
        let haveindex = index != 4
        let needindex = havesib && !havebase && !haveindex
        let havedisp = havebase || needindex || (havesib && (haveindex || scale != 0))
        let regs = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
        let pct = intel ? "" : "%"
        if !intel && (mod != 0 || base == 5) {
            s += havedisp ? displacement(disp) : Hex.prefixed(UInt64(UInt32(truncatingIfNeeded: disp)))
        }
        if havedisp {
            s += intel ? "[" : "("
            if havebase { s += pct + regs[Int(base)] }
            if havesib && (scale != 0 || needindex || haveindex || (havebase && base != 4)) {
                if !intel || havebase { s += intel ? "+" : "," }
                s += pct + (haveindex ? regs[Int(index)] : "eiz")
                s += (intel ? "*" : ",") + String(1 << scale)
            }
            if intel && (disp != 0 || mod != 0 || base == 5) {
                if disp >= 0 { s += "+" + displacement(disp) } else { s += displacement(disp) }
            }
            s += intel ? "]" : ")"
        } else if intel {
            if activeSegment == nil { s += "ds:" }
            s += Hex.prefixed(UInt64(UInt32(truncatingIfNeeded: disp)))
        }
        return s
    }

    /// A moffs operand (A0–A3): objdump does not count 0x67 as used here.
    mutating func offsetMemory(_ m: MemoryOperand) -> String {
        var s = segmentText(activeSegment)
        if intel && activeSegment == nil { s += "ds:" }
        let mask: UInt32 = m.addressSize == 2 ? 0xFFFF : 0xFFFF_FFFF
        return s + Hex.prefixed(UInt64(UInt32(bitPattern: m.displacement) & mask))
    }

    /// The implicit string operands: `%es:(%edi)`, `%ds:(%esi)`, `%ds:(%ebx)`.
    mutating func implicitMemory(_ m: MemoryOperand, size: Int, fixedES: Bool) -> String {
        var s = intel ? ptr(size) : ""
        if fixedES {
            s += intel ? "es:" : "%es:"
        } else {
            s += segmentText(activeSegment ?? .ds)
            if activeSegment == nil { segUsed &= ~(1 << SegmentRegister.ds.rawValue) }
        }
        if insn.addressSize == 2 { addrUsed = true }
        let r = Register(insn.addressSize == 2 ? .gpr16 : .gpr32, m.base ?? 0)
        return s + (intel ? "[" + r.name + "]" : "(" + reg(r) + ")")
    }

    mutating func operand(_ op: Operand, size: Int = -1) -> String {
        switch op {
        case .none: return ""
        case .register(let r): return reg(r)
        case .immediate(let value, _): return imm(value)
        case .memory(let m):
            if m.modrm == nil { return offsetMemory(m) }
            return modrmMemory(m, size: size < 0 ? Int(v) : size)
        case .relative(let target): return branchTarget(target)
        case .farPointer(let selector, let offset):
            return intel ? Hex.prefixed(UInt64(selector)) + ":" + Hex.prefixed(UInt64(offset))
                : "$" + Hex.prefixed(UInt64(selector)) + ",$" + Hex.prefixed(UInt64(offset))
        }
    }

    func branchTarget(_ target: UInt32) -> String {
        var t = target
        // objdump does not truncate an 8-bit displacement under 0x66 (i386-dis.c OP_J, b_mode).
        let op = opcode
        if insn.operandSize == 2 && (op == 0xEB || (0x70...0x7F).contains(op) || (0xE0...0xE3).contains(op)) {
            let next = insn.nextAddress
            let candidates = [(next & 0xFFFF_0000) | t, ((next & 0xFFFF_0000) | t) &+ 0x10000,
                              ((next & 0xFFFF_0000) | t) &- 0x10000]
            t = candidates.min { dist($0, next) < dist($1, next) }!
        }
        let h = String(t, radix: 16)
        if let symbols, let (name, offset) = symbols.symbol(for: t) {
            // The symbol lies at t - offset: at or below t gives `+0x…`, above t (a target before
            // the first symbol) `-0x…`, each the unsigned distance (objdump_print_addr_with_sym).
            let symbolAddress = t &- offset
            let off = offset == 0 ? "" : symbolAddress < t ? "+0x" + String(offset, radix: 16)
                : "-0x" + String(symbolAddress - t, radix: 16)
            return h + " <" + name + off + ">"
        }
        return "0x" + h
    }

    func dist(_ a: UInt32, _ b: UInt32) -> UInt32 { min(a &- b, b &- a) }

    var isMemory0: Bool { if case .memory = insn.operand0 { return true } else { return false } }

    func isGPR(_ op: Operand) -> Bool {
        if case .register(let r) = op { return r.kind == .gpr8 || r.kind == .gpr16 || r.kind == .gpr32 }
        return false
    }

    // MARK: The instruction

    mutating func format() -> String {
        var name = ""
        var ops: [String] = []  // Intel order
        var reverse = true
        dataUsed = v == 2
        let cc = insn.condition.suffix
        let att = !intel
        let m = insn.mnemonic

        // The prefixes that rename themselves (i386-dis.c NOTRACK_Fixup, BND_Fixup, HLE_Fixup*,
        // REP_Fixup).
        let seq = prefixSeq
        let hasDS = seq.contains(4), hasCS = seq.contains(2)
        let ffIndirect = opcode == 0xFF && (m == .call || m == .jmp)
        if ffIndirect && hasDS { notrack = true }
        let bndBranch = opcode == 0xE8 || opcode == 0xE9 || opcode == 0xEB || opcode == 0xC2
            || opcode == 0xC3 || (0x70...0x7F).contains(opcode) || (0x0F80...0x0F8F).contains(opcode) || ffIndirect
        if bndBranch { lastF2Name = "bnd" }
        if insn.prefixes.contains(.lock) {
            lastF2Name = "xacquire"
            lastF3Name = "xrelease"
        } else if (opcode == 0x86 || opcode == 0x87) && isMemory0 {
            lastF2Name = "xacquire"
            lastF3Name = "xrelease"
        } else if [0x88, 0x89, 0xC6, 0xC7].contains(opcode) && isMemory0
                    && (seq.lastIndex(of: 11) ?? -1) > (seq.lastIndex(of: 10) ?? -1) {
            lastF3Name = "xrelease"
        }

        switch m {
        case .add, .or, .adc, .sbb, .and, .sub, .xor, .cmp, .inc, .dec, .not, .neg, .mul, .div,
             .idiv, .test, .rol, .ror, .rcl, .rcr, .shl, .shr, .sal, .sar, .imul, .mov, .bt, .bts,
             .btr, .btc, .nop:
            name = m == .sal ? "shl" : "\(m)"
            if m == .nop && opcode == 0x90 {
                // i386-dis.c PREFIX_90: when the last of F2/F3 is F3 it is `pause` and takes that
                // F3 (0x66 then stays unused: `data16 pause`); otherwise `nop` / `xchg %ax,%ax`.
                if insn.prefixes.contains(.rep) {
                    name = "pause"
                    f3Used = true
                    dataUsed = false
                } else if v == 2 {
                    name = "xchg"; ops = [reg(Register(.gpr16, 0)), reg(Register(.gpr16, 0))]
                }
                break
            }
            // F3 0F 1E is a prefix-table entry in i386-dis.c (RDSSP/ENDBR): for its NOP forms a
            // 0x66 still sizes the operand but is printed as `data16`.
            if m == .nop && opcode == 0x0F1E && insn.prefixes.contains(.rep) { dataUsed = false }
            let suffixForms: Set<UInt32> = [0x80, 0x81, 0x82, 0x83, 0xC6, 0xC7, 0xC0, 0xC1, 0xD0, 0xD1,
                                            0xD2, 0xD3, 0xF6, 0xF7, 0xFE, 0xFF, 0x0FBA, 0x0F18, 0x0F19,
                                            0x0F1C, 0x0F1D, 0x0F1E, 0x0F1F]
            if att && isMemory0 && suffixForms.contains(opcode) { name += sizeSuffix(v) }
            if opcode == 0x8C || opcode == 0x8E {
                // MOV to/from a segment register: memory is always a word; the prefix only
                // selects the width of a general register.
                dataUsed = opcode == 0x8C ? !isMemory0 && v == 2
                    : isGPR(insn.operand1) && regWidth(insn.operand1) == 2
                ops = [operand(insn.operand0, size: 2), operand(insn.operand1, size: 2)]
                break
            }
            if opcode == 0x0F20 || opcode == 0x0F21 || opcode == 0x0F22 || opcode == 0x0F23 {
                dataUsed = false
            }
            if (0xD0...0xD1).contains(opcode) {
                ops = [operand(insn.operand0)]
                if intel { ops.append("1") }
                break
            }
            for op in insn.operands { ops.append(operand(op)) }
        case .movzx, .movsx:
            let srcSize = opcode & 1 == 0 ? 1 : 2
            name = att ? (m == .movzx ? "movz" : "movs") + sizeSuffix(UInt8(srcSize)) + sizeSuffix(v) : "\(m)"
            ops = [operand(insn.operand0), operand(insn.operand1, size: srcSize)]
        case .lea:
            name = "lea"
            ops = [operand(insn.operand0), operand(insn.operand1, size: 0)]
        case .tzcnt, .lzcnt:
            // F3 is part of the opcode (i386-dis.c PREFIX_0FBC/0FBD): not printed.
            name = "\(m)"
            f3Used = true
            for op in insn.operands { ops.append(operand(op)) }
        case .endbr32, .endbr64:
            name = "\(m)"
            f3Used = true
            dataUsed = false
        case .rdssp:
            name = "rdsspd"
            f3Used = true
            dataUsed = false
            ops = [operand(insn.operand0)]
        case .prefetch:
            var reg = 0
            if case .memory(let mem) = insn.operand0 { reg = Int(((mem.modrm ?? 0) >> 3) & 7) }
            name = ["prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2"][reg & 3]
            dataUsed = false
            ops = [operand(insn.operand0, size: 1)]
        case .cmpxchg8b:
            name = "cmpxchg8b"
            dataUsed = false
            ops = [operand(insn.operand0, size: 8)]
        case .xchg, .cmpxchg, .xadd, .shld, .shrd, .bsf, .bsr, .bswap, .lar, .lsl:
            name = "\(m)"
            let memSize = (m == .lar || m == .lsl) ? 2 : Int(v)
            for op in insn.operands { ops.append(operand(op, size: memSize)) }
        case .cmovcc:
            name = "cmov" + cc
            for op in insn.operands { ops.append(operand(op)) }
        case .setcc:
            name = "set" + cc
            ops = [operand(insn.operand0, size: 1)]
        case .push, .pop:
            name = "\(m)"
            // objdump: `pushw $0x1`, `pushw %es`, AT&T `pushw (%eax)`; Intel names the memory
            // size with WORD PTR instead.
            if v == 2 && !isGPR(insn.operand0) && !(intel && isMemory0) { name += "w" }
            ops = [operand(insn.operand0)]
        case .pusha, .popa, .pushf, .popf, .iret, .ret, .enter, .leave:
            name = "\(m)" + (v == 2 ? "w" : "")
            for op in insn.operands { ops.append(operand(op)) }
            if m == .enter { reverse = false }
        case .retf:
            name = (att ? "lret" : "retf") + (v == 2 ? "w" : "")
            for op in insn.operands { ops.append(operand(op)) }
        case .cbw:
            name = att ? (v == 2 ? "cbtw" : "cwtl") : (v == 2 ? "cbw" : "cwde")
        case .cwd:
            name = att ? (v == 2 ? "cwtd" : "cltd") : (v == 2 ? "cwd" : "cdq")
        case .jmp, .call:
            name = "\(m)"
            if opcode == 0xEB {
                dataUsed = false
            } else if v == 2 && !isGPR(insn.operand0) && !(intel && isMemory0) {
                name += "w"
            }
            if case .relative = insn.operand0 {
                ops = [operand(insn.operand0)]
            } else {
                ops = [(att ? "*" : "") + operand(insn.operand0)]
            }
        case .jmpf, .callf:
            name = (att ? "l" : "") + (m == .jmpf ? "jmp" : "call") + (att && v == 2 ? "w" : "")
            ops = [operand(insn.operand0, size: v == 2 ? 4 : 6)]
            if att, case .memory = insn.operand0 { ops[0] = "*" + ops[0] }
        case .jcc:
            name = "j" + cc
            if (0x70...0x7F).contains(opcode) { dataUsed = false }
            name += branchHint(hasCS: hasCS, hasDS: hasDS)
            ops = [operand(insn.operand0)]
        case .loop, .loope, .loopne, .jcxz:
            dataUsed = false
            if m == .jcxz {
                name = insn.addressSize == 2 ? "jcxz" : "jecxz"
                addrUsed = true
            } else {
                name = "\(m)"
                if att && insn.addressSize == 2 { name += "w"; addrUsed = true }
            }
            name += branchHint(hasCS: hasCS, hasDS: hasDS)
            ops = [operand(insn.operand0)]
        case .movs, .cmps, .ins, .outs, .stos, .lods, .scas:
            name = "\(m)"
            if att && (m == .movs || m == .cmps || m == .ins || m == .outs) { name += sizeSuffix(v) }
            if m != .cmps && m != .scas { lastF3Name = "rep" }
            for op in insn.operands {
                if case .memory(let mem) = op {
                    ops.append(implicitMemory(mem, size: Int(v), fixedES: mem.base == 7 && mem.segmentOverride == .es))
                } else if case .register(let r) = op, r.kind == .gpr16, r.number == 2, m == .ins || m == .outs {
                    ops.append(att ? "(%dx)" : "dx")
                } else {
                    ops.append(operand(op))
                }
            }
        case .xlat:
            name = "xlat"
            if case .memory(let mem) = insn.operand0 { ops = [implicitMemory(mem, size: 1, fixedES: false)] }
        case .in, .out:
            name = "\(m)"
            for op in insn.operands {
                if case .register(let r) = op, r.kind == .gpr16, r.number == 2 {
                    ops.append(att ? "(%dx)" : "dx")
                } else {
                    ops.append(operand(op))
                }
            }
        case .lgdt, .lidt, .sgdt, .sidt:
            name = "\(m)" + (v == 2 ? "w" : att ? "l" : "d")
            ops = [operand(insn.operand0, size: 0)]
        case .invlpg:
            name = "invlpg"
            dataUsed = false
            ops = [operand(insn.operand0, size: 1)]
        case .sldt, .str, .smsw:
            name = "\(m)"
            dataUsed = v == 2 && !isMemory0
            ops = [operand(insn.operand0, size: 2)]
        case .lldt, .ltr, .verr, .verw, .lmsw:
            name = "\(m)"
            dataUsed = false
            ops = [operand(insn.operand0, size: 2)]
        case .int, .aam, .aad:
            name = "\(m)"
            dataUsed = false
            ops = [operand(insn.operand0)]
        case .fld, .fst, .fstp, .fild, .fist, .fistp, .fisttp, .fbld, .fbstp,
             .fadd, .faddp, .fiadd, .fmul, .fmulp, .fimul, .fsub, .fsubp, .fisub, .fsubr, .fsubrp, .fisubr,
             .fdiv, .fdivp, .fidiv, .fdivr, .fdivrp, .fidivr, .fcom, .fcomp, .fcompp, .ficom, .ficomp,
             .fucom, .fucomp, .fucompp, .fcomi, .fcomip, .fucomi, .fucomip, .ftst, .fxam, .fcmovcc, .fxch,
             .ffree, .ffreep, .fincstp, .fdecstp, .fnop, .fld1, .fldl2t, .fldl2e, .fldpi, .fldlg2, .fldln2,
             .fldz, .fchs, .fabs, .fsqrt, .frndint, .fprem, .fprem1, .fscale, .fxtract, .f2xm1, .fyl2x,
             .fyl2xp1, .fptan, .fpatan, .fsin, .fcos, .fsincos, .fnstsw, .fnstcw, .fldcw, .fnstenv, .fldenv,
             .fnsave, .frstor, .fninit, .fnclex, .fneni, .fndisi, .fnsetpm, .fwait:
            (name, ops) = formatX87()
        case .int3, .into, .hlt, .cmc, .clc, .stc, .cli, .sti, .cld, .std, .clts, .invd, .wbinvd,
             .wrmsr, .rdmsr, .rdtsc, .cpuid, .ud2, .vmcall, .daa, .das, .aaa, .aas, .sahf, .lahf:
            name = "\(m)"
            dataUsed = false
        }

        if intel || !reverse { } else { ops.reverse() }
        let prefixText = prefixWords()
        var text = prefixText + name
        if !ops.isEmpty {
            if text.count < 6 { text += String(repeating: " ", count: 6 - text.count) }
            text += " " + ops.joined(separator: ",")
        }
        return text
    }

    func regWidth(_ op: Operand) -> Int { if case .register(let r) = op { return r.width } else { return 0 } }

    /// AT&T branch hints `,pt` (DS) / `,pn` (CS) on conditional branches (i386-dis.c 'H').
    mutating func branchHint(hasCS: Bool, hasDS: Bool) -> String {
        guard !intel, hasCS != hasDS else { return "" }
        // objdump then drops the last segment prefix, whichever it is.
        if let active = insn.segmentOverride { segUsed |= 1 << active.rawValue }
        return hasDS ? ",pt" : ",pn"
    }

    /// The prefix codes in order (see ``Instruction/prefixSequence``).
    var prefixSeq: [UInt8] {
        var result: [UInt8] = []
        var s = insn.prefixSequence
        while s & 15 != 0 {
            result.append(UInt8(s & 15))
            s >>= 4
        }
        return result
    }

    /// The prefixes objdump prints as words before the mnemonic.
    func prefixWords() -> String {
        let seq = prefixSeq
        if seq.isEmpty { return "" }
        let lastSeg = seq.lastIndex { $0 >= 1 && $0 <= 6 }
        let last66 = seq.lastIndex(of: 7), last67 = seq.lastIndex(of: 8)
        let lastF2 = seq.lastIndex(of: 10), lastF3 = seq.lastIndex(of: 11)
        var out = ""
        for (i, code) in seq.enumerated() {
            var word: String?
            switch code {
            case 1...6:
                if i == lastSeg {
                    if notrack {
                        word = "notrack"
                    } else if let active = insn.segmentOverride, segUsed & (1 << active.rawValue) != 0 {
                        word = nil
                    } else {
                        word = SegmentRegister(rawValue: code - 1)!.name
                    }
                } else {
                    word = SegmentRegister(rawValue: code - 1)!.name
                }
            case 7: word = (i == last66 && dataUsed) ? nil : "data16"
            case 8: word = (i == last67 && addrUsed) ? nil : "addr16"
            case 9: word = "lock"
            case 10: word = i == lastF2 ? (lastF2Name ?? "repnz") : "repnz"
            default: word = i == lastF3 ? (f3Used ? nil : lastF3Name ?? "repz") : "repz"
            }
            if let word { out += word + " " }
        }
        return out
    }
}
