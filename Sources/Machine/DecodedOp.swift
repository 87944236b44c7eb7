import X86

/// Execution handlers: one per instruction family *and operand form*, so the run loop switches
/// once on a byte instead of re-matching ``Operand`` enums (Bochs-style pre-resolved form).
/// Suffixes: R = register, M = memory, I = immediate, RM = register or memory (checked at run time).
enum H: UInt8 {
    case invalid = 0
    // ALU (sub = 0…7 ADD OR ADC SBB AND SUB XOR CMP, 8 TEST)
    case aluRR, aluRM, aluMR, aluRI, aluMI
    // Hot 32-bit specializations
    case add32RR, sub32RR, cmp32RR, xor32RR, and32RR, or32RR, test32RR, add32RI, sub32RI, cmp32RI
    case inc32R, dec32R, mov32RR, mov32RM, mov32MR, mov32RI, imul32RR
    // MOV r8, m8 and MOV m8, r8 (32-bit addressing only, as mov32RM and mov32MR)
    case mov8RM, mov8MR
    // CMP r/m, r and CMP r/m, imm with a memory operand, and CMP r, m (any size)
    case cmpMR, cmpMI, cmpRM
    // INC DEC NOT NEG (sub 0…3) on register or memory
    case unaryR, unaryM
    // MUL IMUL DIV IDIV with one r/m operand (sub 0…3)
    case mulDiv
    // IMUL r, r/m (sub 0) / IMUL r, r/m, imm (sub 1)
    case imul2
    case daa, das, aaa, aas, aam, aad
    // ROL ROR RCL RCR SHL SHR SAL SAR (sub 0…7); count: imm2, or CL when flag fCountCL
    case shift
    // SHLD (sub 0) / SHRD (sub 1)
    case shiftDouble
    // BT BTS BTR BTC (sub 0…3); bit offset from a register (fSrcReg) or imm
    case bitTest
    case bsf, bsr
    case setcc, cmovcc
    case movRR, movRM, movMR, movRI, movMI
    case movFromSeg, movToSeg
    case movzx, movsx, lea, xchg, xlat, bswap
    case pushR, pushM, pushI, pushSeg, popR, popM, popSeg
    case pusha, popa, pushf, popf, lahf, sahf, cbw, cwd, enter, leave, cmpxchg, xadd, cmpxchg8b
    case jmp, jmpRM, jcc, call, callRM, ret, retf, jmpFar, callFar
    case loop, loope, loopne, jcxz
    case movs, cmps, scas, lods, stos
    case clc, stc, cmc, cld, std, cli, sti
    case nop, int, int3, into, ud2, cpuid, rdtsc
    // Privileged at CPL 3: #GP(0) (sub: nothing)
    case privileged
    case iret
    case sgdt, sidt, sldt, str, smsw, lar, lsl, verr, verw
    case vmcall
    // The x87 FPU (Interpreter+X87.swift): sub = the Mnemonic, r = i of ST(i), imm = FOP (the
    // 11-bit opcode), imm2 = fX87ToSTi and the FCMOV condition (bits 8-11), size = memory bytes
    case x87
    // Not an instruction: what the ops of an invalidated block become (DecodedBlockCache); the
    // run loop leaves the block at this op, which has not run, with EIP at it.
    case exitBlock
    // Forms whose flags nothing reads (Interpreter+Blocks.swift, ``Interpreter/elideDeadFlags``):
    // only inside a block, where a later instruction sets all the flags before any reads them
    // and before any may fault. CMP and TEST with dead flags become `nop`.
    case imul32RRnf, inc32Rnf, dec32Rnf, add32RRnf, add32RInf, sub32RRnf, sub32RInf
    // CMP r32, r32 / CMP r32, imm, and CMP with a memory operand (any size), and the Jcc after
    // it, the last two instructions of a block, as one op (``Interpreter/linkBranches``):
    // sub = the condition as ``Interpreter/comparisonClass(_:)`` encodes it, imm2 = the target,
    // len = both instructions' (the Jcc's end).
    case cmpJcc32RR, cmpJcc32RI, cmpJccMR, cmpJccRM, cmpJccMI
    // CMP m8, r8 / CMP m8, imm8 with 32-bit addressing and the Jcc after it (as cmpJccMR, cmpJccMI)
    case cmpJcc8MR, cmpJcc8MI
    // Not an instruction: the op after the last instruction of a block that falls through
    // (Interpreter+Blocks.swift); `tag` = the address after the block, where EIP goes.
    case blockEnd
    // A Jcc, and CMP and the Jcc after it (as cmpJcc32RR ... cmpJcc8MI), whose target is an op of
    // the same block (Interpreter+Blocks.swift, ``Interpreter/linkBranches``): not taken, the block
    // goes on with the next op; taken, the block loop moves `imm2` bytes (an Int32 bit pattern)
    // and adds `len` (an Int8 bit pattern) to what is left of the slice. Forward, over
    // instructions the block skips: `len` > 0, they go back to the slice. Back to the block's
    // first op (a loop of one block): `len` = minus the block's count, taken again if they fit
    // in the slice, else the block ends with EIP at its start.
    case jccInBlock, cmpJcc32RRInBlock, cmpJcc32RIInBlock, cmpJccMRInBlock, cmpJccRMInBlock, cmpJccMIInBlock,
         cmpJcc8MRInBlock, cmpJcc8MIInBlock
    // Forms for one shape of memory operand (Interpreter+Blocks.swift,
    // ``Interpreter/specializeAddressing``), only inside a block and only in a segment whose
    // base is 0: the linear address without the parts the shape has not, nor the segment base.
    // `bi`: [base + index] (scale 1, no displacement); `bd`: [base + disp] (no index). The
    // fields are those of the general form.
    case mov8MRbi, cmpJcc8MRbi, cmpJcc8MRbiInBlock, mov32RMbd, mov32MRbd
}

/// The compact, pre-resolved form of one instruction, kept in the decoded-instruction cache.
///
/// Register operands are stored as *byte offsets* into ``CPUState/raw`` (EAX at 0, AH at 1,
/// ECX at 4, ...), so 8/16/32-bit registers are read and written with one unaligned load/store
/// of the operand's width. Memory operands: `base`/`index` are 0…7, or 8 = the always-zero
/// word (no register); EA = raw[base] + raw[index] << scale + disp (masked to 16 bits under
/// 0x67), plus the base of segment `seg`.
struct DecodedOp {
    /// EIP of the instruction; a non-matching tag means the cache slot is empty.
    var tag: UInt32 = 0
    var h: H = .invalid
    /// Length in bytes.
    var len: UInt8 = 0
    /// Operand size in bytes (1, 2, 4).
    var size: UInt8 = 4
    /// Operand-size class for lazy flags: 0, 1, 2 for 8, 16, 32 bits.
    var w: UInt8 = 2
    /// Register operand (byte offset into raw).
    var r: UInt8 = 0
    /// r/m operand when it is a register (byte offset into raw).
    var rm: UInt8 = 0
    var base: UInt8 = 8
    var index: UInt8 = 8
    var scale: UInt8 = 0
    var seg: UInt8 = 3
    /// Sub-operation, condition code, or second-operand size.
    var sub: UInt8 = 0
    var flags: UInt8 = 0
    var disp: UInt32 = 0
    var imm: UInt32 = 0
    var imm2: UInt32 = 0

    static let fAddr16: UInt8 = 1, fRep: UInt8 = 2, fRepne: UInt8 = 4, fMem: UInt8 = 8,
        fCountCL: UInt8 = 16, fSrcReg: UInt8 = 32, fImm: UInt8 = 64
    /// x87 (in `imm2`): ST(i) is the destination (DC/DE register forms).
    static let fX87ToSTi: UInt32 = 2

    @inline(__always) var isMem: Bool { flags & DecodedOp.fMem != 0 }
    @inline(__always) var addr16: Bool { flags & DecodedOp.fAddr16 != 0 }
}

/// Byte offset of register `reg` in ``CPUState/raw``.
@inline(__always) func regOffset(_ reg: Register) -> UInt8 {
    switch reg.kind {
    case .gpr8: return (reg.number & 3) * 4 + (reg.number >> 2)
    default: return (reg.number & 7) * 4
    }
}

extension DecodedOp {
    /// Lowers a decoded ``Instruction`` to the pre-resolved form.
    init(_ i: Instruction) {
        self.init()
        tag = i.address
        len = i.length
        size = i.operandSize
        w = i.operandSize == 1 ? 0 : i.operandSize == 2 ? 1 : 2
        if i.addressSize == 2 { flags |= DecodedOp.fAddr16 }
        if i.prefixes.contains(.rep) { flags |= DecodedOp.fRep }
        if i.prefixes.contains(.repne) { flags |= DecodedOp.fRepne }
        seg = i.segmentOverride?.rawValue ?? SegmentRegister.ds.rawValue
        sub = 0

        let ops = [i.operand0, i.operand1, i.operand2].prefix(Int(i.operandCount))
        // Classify the r/m-like operand (first memory operand, else the first register).
        func setMem(_ m: MemoryOperand) {
            flags |= DecodedOp.fMem
            base = m.base ?? 8
            index = m.index ?? 8
            scale = UInt8(m.scale.trailingZeroBitCount)
            disp = UInt32(bitPattern: m.displacement)
            seg = m.segment.rawValue
            if m.addressSize == 2 { flags |= DecodedOp.fAddr16 }
        }
        var o0: Operand = ops.count > 0 ? ops[0] : .none
        var o1: Operand = ops.count > 1 ? ops[1] : .none
        let o2: Operand = ops.count > 2 ? ops[2] : .none
        _ = o2

        func immValue(_ o: Operand) -> UInt32? {
            if case .immediate(let v, _) = o { return v }
            return nil
        }
        func regOf(_ o: Operand) -> Register? {
            if case .register(let r) = o { return r }
            return nil
        }
        func memOf(_ o: Operand) -> MemoryOperand? {
            if case .memory(let m) = o { return m }
            return nil
        }
        /// Fills rm (register or memory) from operand o.
        func setRM(_ o: Operand) {
            if let m = memOf(o) { setMem(m) } else if let r = regOf(o) { rm = regOffset(r) }
        }

        let m = i.mnemonic
        switch m {
        case .add, .or, .adc, .sbb, .and, .sub, .xor, .cmp, .test:
            sub = m == .test ? 8 : (m.rawValue - Mnemonic.add.rawValue)
            if let r0 = regOf(o0) {
                r = regOffset(r0)
                if let r1 = regOf(o1) { h = .aluRR; rm = regOffset(r1) }
                else if let mm = memOf(o1) { h = .aluRM; setMem(mm) }
                else { h = .aluRI; imm = immValue(o1) ?? 0 }
            } else if let mm = memOf(o0) {
                setMem(mm)
                if let r1 = regOf(o1) { h = .aluMR; r = regOffset(r1) } else { h = .aluMI; imm = immValue(o1) ?? 0 }
            }
            if size == 4 && h == .aluRR {
                switch sub {
                case 0: h = .add32RR
                case 1: h = .or32RR
                case 4: h = .and32RR
                case 5: h = .sub32RR
                case 6: h = .xor32RR
                case 7: h = .cmp32RR
                case 8: h = .test32RR
                default: break
                }
            } else if sub == 7 && h == .aluMR {
                h = .cmpMR
            } else if sub == 7 && h == .aluMI {
                h = .cmpMI
            } else if sub == 7 && h == .aluRM {
                h = .cmpRM
            } else if size == 4 && h == .aluRI {
                switch sub {
                case 0: h = .add32RI
                case 5: h = .sub32RI
                case 7: h = .cmp32RI
                default: break
                }
            }
        case .inc, .dec, .not, .neg:
            sub = [Mnemonic.inc: 0, .dec: 1, .not: 2, .neg: 3][m]!
            if let mm = memOf(o0) { setMem(mm); h = .unaryM } else if let r0 = regOf(o0) {
                rm = regOffset(r0); h = .unaryR
                if size == 4 && sub == 0 { h = .inc32R } else if size == 4 && sub == 1 { h = .dec32R }
            }
        case .mul, .div, .idiv:
            h = .mulDiv
            sub = m == .mul ? 0 : m == .div ? 2 : 3
            setRM(o0)
        case .imul:
            if i.operandCount == 1 {
                h = .mulDiv; sub = 1; setRM(o0)
            } else {
                h = .imul2
                if let r0 = regOf(o0) { r = regOffset(r0) }
                setRM(o1)
                if i.operandCount == 3 { sub = 1; imm = immValue(o2) ?? 0 }
                if size == 4 && sub == 0 && !isMem { h = .imul32RR }
            }
        case .daa: h = .daa
        case .das: h = .das
        case .aaa: h = .aaa
        case .aas: h = .aas
        case .aam: h = .aam; imm = immValue(o0) ?? 10
        case .aad: h = .aad; imm = immValue(o0) ?? 10
        case .rol, .ror, .rcl, .rcr, .shl, .shr, .sal, .sar:
            h = .shift
            sub = m.rawValue - Mnemonic.rol.rawValue
            if sub == 6 { sub = 4 }  // SAL == SHL
            setRM(o0)
            if i.operandCount < 2 { imm2 = 1 }
            else if let c = immValue(o1) { imm2 = c }
            else { flags |= DecodedOp.fCountCL }
        case .shld, .shrd:
            h = .shiftDouble
            sub = m == .shld ? 0 : 1
            setRM(o0)
            if let r1 = regOf(o1) { r = regOffset(r1) }
            if let c = immValue(o2) { imm2 = c } else { flags |= DecodedOp.fCountCL }
        case .bt, .bts, .btr, .btc:
            h = .bitTest
            sub = m.rawValue - Mnemonic.bt.rawValue
            setRM(o0)
            if let r1 = regOf(o1) { r = regOffset(r1); flags |= DecodedOp.fSrcReg } else { imm = immValue(o1) ?? 0 }
        case .bsf, .bsr, .tzcnt, .lzcnt:
            // TZCNT/LZCNT run as BSF/BSR: vsim's CPUID reports neither BMI1 nor LZCNT.
            h = m == .bsf || m == .tzcnt ? .bsf : .bsr
            if let r0 = regOf(o0) { r = regOffset(r0) }
            setRM(o1)
        case .setcc:
            h = .setcc; sub = i.condition.rawValue; size = 1; w = 0
            setRM(o0)
        case .cmovcc:
            h = .cmovcc; sub = i.condition.rawValue
            if let r0 = regOf(o0) { r = regOffset(r0) }
            setRM(o1)
        case .mov:
            if let r0 = regOf(o0), r0.kind == .segment {
                h = .movToSeg; r = r0.number; size = 2; setRM(o1)
            } else if let r1 = regOf(o1), r1.kind == .segment {
                h = .movFromSeg; r = r1.number; setRM(o0)
                if isMem { size = 2 }
            } else if let r0 = regOf(o0), r0.kind == .control || r0.kind == .debug {
                h = .privileged; sub = m.rawValue
            } else if let r1 = regOf(o1), r1.kind == .control || r1.kind == .debug {
                h = .privileged; sub = m.rawValue
            } else if let r0 = regOf(o0) {
                r = regOffset(r0)
                if let r1 = regOf(o1) { h = .movRR; rm = regOffset(r1) }
                else if let mm = memOf(o1) { h = .movRM; setMem(mm) }
                else { h = .movRI; imm = immValue(o1) ?? 0 }
            } else if let mm = memOf(o0) {
                setMem(mm)
                if let r1 = regOf(o1) { h = .movMR; r = regOffset(r1) } else { h = .movMI; imm = immValue(o1) ?? 0 }
            }
            // The specialized forms: the memory ones only with 32-bit addressing (``Interpreter/ea32(_:)``).
            if size == 4 {
                switch h {
                case .movRR: h = .mov32RR
                case .movRM where !addr16: h = .mov32RM
                case .movMR where !addr16: h = .mov32MR
                case .movRI: h = .mov32RI
                default: break
                }
            } else if size == 1 && !addr16 {
                switch h {
                case .movRM: h = .mov8RM
                case .movMR: h = .mov8MR
                default: break
                }
            }
        case .movzx, .movsx:
            h = m == .movzx ? .movzx : .movsx
            if let r0 = regOf(o0) { r = regOffset(r0) }
            setRM(o1)
            // Source width: from the register, else from the opcode (0F B6/BE byte, B7/BF word).
            if let r1 = regOf(o1) { sub = UInt8(r1.width) } else { sub = (i.opcode & 1) == 0 ? 1 : 2 }
        case .lea:
            h = .lea
            if let r0 = regOf(o0) { r = regOffset(r0) }
            setRM(o1)
        case .xchg:
            h = .xchg
            if let r0 = regOf(o0), let r1 = regOf(o1) { r = regOffset(r1); rm = regOffset(r0) }
            else if let mm = memOf(o0) { setMem(mm); if let r1 = regOf(o1) { r = regOffset(r1) } }
            else if let mm = memOf(o1) { setMem(mm); if let r0 = regOf(o0) { r = regOffset(r0) } }
        case .xlat:
            h = .xlat; size = 1; w = 0
            seg = i.segmentOverride?.rawValue ?? SegmentRegister.ds.rawValue
        case .bswap:
            h = .bswap
            if let r0 = regOf(o0) { r = regOffset(r0) }
        case .push:
            if let r0 = regOf(o0) {
                if r0.kind == .segment { h = .pushSeg; r = r0.number } else { h = .pushR; r = regOffset(r0) }
            } else if let mm = memOf(o0) { h = .pushM; setMem(mm) }
            else { h = .pushI; imm = immValue(o0) ?? 0 }
        case .pop:
            if let r0 = regOf(o0) {
                if r0.kind == .segment { h = .popSeg; r = r0.number } else { h = .popR; r = regOffset(r0) }
            } else if let mm = memOf(o0) { h = .popM; setMem(mm) }
        case .pusha: h = .pusha
        case .popa: h = .popa
        case .pushf: h = .pushf
        case .popf: h = .popf
        case .lahf: h = .lahf
        case .sahf: h = .sahf
        case .cbw: h = .cbw
        case .cwd: h = .cwd
        case .enter:
            h = .enter
            imm = immValue(o0) ?? 0
            imm2 = immValue(o1) ?? 0
        case .leave: h = .leave
        case .cmpxchg:
            h = .cmpxchg; setRM(o0)
            if let r1 = regOf(o1) { r = regOffset(r1) }
        case .xadd:
            h = .xadd; setRM(o0)
            if let r1 = regOf(o1) { r = regOffset(r1) }
        case .jmp, .call:
            if case .relative(let t) = o0 { h = m == .jmp ? .jmp : .call; imm = t }
            else { h = m == .jmp ? .jmpRM : .callRM; setRM(o0) }
        case .jcc:
            h = .jcc; sub = i.condition.rawValue
            if case .relative(let t) = o0 { imm = t }
        case .ret:
            h = .ret; imm = immValue(o0) ?? 0
        case .retf:
            h = .retf; imm = immValue(o0) ?? 0
        case .jmpf, .callf:
            h = m == .jmpf ? .jmpFar : .callFar
            if case .farPointer(let sel, let off) = o0 { imm = off; imm2 = UInt32(sel); flags |= DecodedOp.fImm }
            else { setRM(o0) }
        case .loop, .loope, .loopne, .jcxz:
            h = m == .loop ? .loop : m == .loope ? .loope : m == .loopne ? .loopne : .jcxz
            if case .relative(let t) = o0 { imm = t }
        case .movs, .cmps, .scas, .lods, .stos:
            h = [Mnemonic.movs: H.movs, .cmps: .cmps, .scas: .scas, .lods: .lods, .stos: .stos][m]!
            seg = i.segmentOverride?.rawValue ?? SegmentRegister.ds.rawValue
            flags &= ~DecodedOp.fMem
        case .ins, .outs, .hlt, .in, .out, .lgdt, .lidt, .lldt, .ltr, .lmsw, .clts, .invlpg, .wbinvd,
             .invd, .rdmsr, .wrmsr:
            h = .privileged; sub = m.rawValue
        case .clc: h = .clc
        case .stc: h = .stc
        case .cmc: h = .cmc
        case .cld: h = .cld
        case .std: h = .std
        case .cli: h = .cli
        case .sti: h = .sti
        case .nop, .endbr32, .endbr64, .rdssp, .prefetch: h = .nop
        case .cmpxchg8b: h = .cmpxchg8b; setRM(o0)
        case .int: h = .int; imm = immValue(o0) ?? 0
        case .int3: h = .int3
        case .into: h = .into
        case .ud2: h = .ud2
        case .cpuid: h = .cpuid
        case .rdtsc: h = .rdtsc
        case .iret: h = .iret
        case .sgdt, .sidt, .sldt, .str, .smsw, .lar, .lsl, .verr, .verw:
            h = [Mnemonic.sgdt: H.sgdt, .sidt: .sidt, .sldt: .sldt, .str: .str, .smsw: .smsw,
                 .lar: .lar, .lsl: .lsl, .verr: .verr, .verw: .verw][m]!
            if m == .lar || m == .lsl {
                if let r0 = regOf(o0) { r = regOffset(r0) }
                setRM(o1)
            } else {
                setRM(o0)
            }
        case .vmcall: h = .vmcall
        case .fld, .fst, .fstp, .fild, .fist, .fistp, .fisttp, .fbld, .fbstp,
             .fadd, .faddp, .fiadd, .fmul, .fmulp, .fimul, .fsub, .fsubp, .fisub, .fsubr, .fsubrp, .fisubr,
             .fdiv, .fdivp, .fidiv, .fdivr, .fdivrp, .fidivr, .fcom, .fcomp, .fcompp, .ficom, .ficomp,
             .fucom, .fucomp, .fucompp, .fcomi, .fcomip, .fucomi, .fucomip, .ftst, .fxam, .fcmovcc, .fxch,
             .ffree, .ffreep, .fincstp, .fdecstp, .fnop, .fld1, .fldl2t, .fldl2e, .fldpi, .fldlg2, .fldln2,
             .fldz, .fchs, .fabs, .fsqrt, .frndint, .fprem, .fprem1, .fscale, .fxtract, .f2xm1, .fyl2x,
             .fyl2xp1, .fptan, .fpatan, .fsin, .fcos, .fsincos, .fnstsw, .fnstcw, .fldcw, .fnstenv, .fldenv,
             .fnsave, .frstor, .fninit, .fnclex, .fneni, .fndisi, .fnsetpm, .fwait:
            h = .x87
            sub = m.rawValue
            imm2 |= UInt32(i.condition.rawValue) << 8
            for o in ops {
                if let r0 = regOf(o), r0.kind == .fpu, r0.number < 8 { r = r0.number }
            }
            if let r0 = regOf(o0), r0.kind == .fpu, r0.number < 8, i.operandCount == 2 { imm2 |= DecodedOp.fX87ToSTi }
            if let mm = memOf(o0) {
                setMem(mm)
                size = i.operandSize
                imm = (i.opcode & 7) << 8 | UInt32(mm.modrm ?? 0)
            } else {
                size = 0
                imm = i.opcode > 0xFF ? ((i.opcode >> 8) & 7) << 8 | (i.opcode & 0xFF) : 0
            }
        }
        o0 = .none; o1 = .none
    }
}
