/// The dispatch: one `switch` over the pre-resolved handler of a ``DecodedOp``.
/// Instruction families live in their own files (Arithmetic, Shifts, Bits, Strings, Stack,
/// Control, System, Protected); the hottest forms in Interpreter+Hot.swift, which the block
/// loop's own dispatch (``execInBlock(_:)``) shares.
extension Interpreter {
    /// Executes one instruction. Returns `false` when the run must stop (see ``pendingStop``).
    /// Every handler commits its results only after its last possible fault, so a thrown
    /// exception leaves the state as before the instruction (string instructions: as after the
    /// last completed iteration).
    @inline(__always)
    func exec(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) -> Bool {
        let next = op.pointee.tag &+ UInt32(op.pointee.len)
        // Handlers take `h` from here, never from `op` again: invalidating a block overwrites
        // its ops' handlers, perhaps while one of them runs (DecodedBlockCache).
        let h = op.pointee.h
        let k = hot
        switch h {
        // MARK: hot 32-bit forms (Interpreter+Hot.swift)
        case .mov32RR: k.mov32RR(op)
        case .mov32RM: try k.mov32RM(op, k.ea32(op))
        case .mov32MR: try k.mov32MR(op, k.ea32(op))
        case .mov32RI: k.mov32RI(op)
        case .mov8RM: try k.mov8RM(op)
        case .mov8MR: try k.mov8MR(op, k.ea32(op))
        // The shapes' forms are only made inside a block; their fields are the general form's.
        case .mov32RMbd: try k.mov32RM(op, k.ea32(op))
        case .mov32MRbd: try k.mov32MR(op, k.ea32(op))
        case .mov8MRbi: try k.mov8MR(op, k.ea32(op))
        case .add32RR: k.add32(op, k.r32(op.pointee.rm))
        case .add32RI: k.add32(op, op.pointee.imm)
        case .sub32RR: k.sub32(op, k.r32(op.pointee.rm))
        case .sub32RI: k.sub32(op, op.pointee.imm)
        case .cmp32RR: k.cmp32(op, k.r32(op.pointee.rm))
        case .cmp32RI: k.cmp32(op, op.pointee.imm)
        case .xor32RR: k.logic32(op, k.r32(op.pointee.r) ^ k.r32(op.pointee.rm), write: true)
        case .and32RR: k.logic32(op, k.r32(op.pointee.r) & k.r32(op.pointee.rm), write: true)
        case .or32RR: k.logic32(op, k.r32(op.pointee.r) | k.r32(op.pointee.rm), write: true)
        case .test32RR: k.logic32(op, k.r32(op.pointee.r) & k.r32(op.pointee.rm), write: false)
        case .inc32R: k.incDec32(op, dec: false)
        case .dec32R: k.incDec32(op, dec: true)
        case .imul32RR: k.imul32RR(op)
        case .inc32Rnf: k.incDec32NoFlags(op, dec: false)
        case .dec32Rnf: k.incDec32NoFlags(op, dec: true)
        case .imul32RRnf: k.imul32RRNoFlags(op)
        case .add32RRnf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &+ k.r32(op.pointee.rm))
        case .add32RInf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &+ op.pointee.imm)
        case .sub32RRnf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &- k.r32(op.pointee.rm))
        case .sub32RInf: k.setR32(op.pointee.r, k.r32(op.pointee.r) &- op.pointee.imm)
        case .cmpMR: k.cmpSized(op, try k.rd(k.ea(op), op.pointee.size), k.getR(op.pointee.r, op.pointee.size))
        case .cmpMI: k.cmpSized(op, try k.rd(k.ea(op), op.pointee.size), op.pointee.imm)
        case .cmpRM: k.cmpSized(op, k.getR(op.pointee.r, op.pointee.size), try k.rd(k.ea(op), op.pointee.size))
        case .jcc:
            eip = k.jccTaken(op) ? op.pointee.imm : next
            return true
        case .cmpJcc32RR: k.cmpJcc32(op, k.r32(op.pointee.rm)); return true
        case .cmpJcc32RI: k.cmpJcc32(op, op.pointee.imm); return true
        case .cmpJccMR: k.cmpJccSized(op, try k.rd(k.ea(op), op.pointee.size), k.getR(op.pointee.r, op.pointee.size)); return true
        case .cmpJccMI: k.cmpJccSized(op, try k.rd(k.ea(op), op.pointee.size), op.pointee.imm); return true
        case .cmpJccRM: k.cmpJccSized(op, k.getR(op.pointee.r, op.pointee.size), try k.rd(k.ea(op), op.pointee.size)); return true
        case .cmpJcc8MR: k.cmpJcc8(op, try k.rd8(k.ea32(op)), k.r8(op.pointee.r)); return true
        case .cmpJcc8MI: k.cmpJcc8(op, try k.rd8(k.ea32(op)), op.pointee.imm & 0xFF); return true
        case .cmpJcc8MRbi: k.cmpJcc8(op, try k.rd8(k.ea32(op)), k.r8(op.pointee.r)); return true

        // MARK: general forms
        case .aluRR:
            let sz = op.pointee.size
            try aluToReg(op, getR(op.pointee.r, sz), getR(op.pointee.rm, sz))
        case .aluRM:
            let b = try rd(ea(op), op.pointee.size)
            try aluToReg(op, getR(op.pointee.r, op.pointee.size), b)
        case .aluRI:
            try aluToReg(op, getR(op.pointee.r, op.pointee.size), op.pointee.imm)
        case .aluMR:
            try aluToMem(op, getR(op.pointee.r, op.pointee.size))
        case .aluMI:
            try aluToMem(op, op.pointee.imm)
        case .unaryR, .unaryM:
            try unary(op)
        case .mulDiv:
            try mulDiv(op)
        case .imul2:
            try imul2(op)
        case .daa: daa()
        case .das: das()
        case .aaa: aaa()
        case .aas: aas()
        case .aam: try aam(op)
        case .aad: aad(op)
        case .shift:
            try shift(op)
        case .shiftDouble:
            try shiftDouble(op)
        case .bitTest:
            try bitTest(op)
        case .bsf, .bsr:
            try bitScan(op, h)
        case .setcc:
            let v: UInt32 = cond(op.pointee.sub) ? 1 : 0
            if op.pointee.isMem { try wr(ea(op), 1, v) } else { setR(op.pointee.rm, 1, v) }
        case .cmovcc:
            let v = try readRM(op, op.pointee.size)
            if cond(op.pointee.sub) { setR(op.pointee.r, op.pointee.size, v) }
        case .movRR:
            setR(op.pointee.r, op.pointee.size, getR(op.pointee.rm, op.pointee.size))
        case .movRM:
            let v = try rd(ea(op), op.pointee.size)
            setR(op.pointee.r, op.pointee.size, v)
        case .movMR:
            try wr(ea(op), op.pointee.size, getR(op.pointee.r, op.pointee.size))
        case .movRI:
            setR(op.pointee.r, op.pointee.size, op.pointee.imm)
        case .movMI:
            try wr(ea(op), op.pointee.size, op.pointee.imm)
        case .movFromSeg:
            let sel = UInt32(cpu.segments[Int(op.pointee.r)])
            if op.pointee.isMem { try wr(ea(op), 2, sel) } else { setR(op.pointee.rm, op.pointee.size, sel) }
        case .movToSeg:
            let sel = try readRM(op, 2)
            try loadSegment(op.pointee.r, UInt16(truncatingIfNeeded: sel))
        case .movzx: try k.movzx(op)
        case .movsx:
            let v = try readRM(op, op.pointee.sub)
            let x = op.pointee.sub == 1 ? UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: v)))
                                        : UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: v)))
            setR(op.pointee.r, op.pointee.size, x)
        case .lea:
            setR(op.pointee.r, op.pointee.size, offset(op))
        case .xchg:
            let sz = op.pointee.size
            if op.pointee.isMem {
                let a = ea(op)
                let v = try rdRMW(a, sz)
                try wr(a, sz, getR(op.pointee.r, sz))
                setR(op.pointee.r, sz, v)
            } else {
                let a = getR(op.pointee.r, sz), b = getR(op.pointee.rm, sz)
                setR(op.pointee.r, sz, b)
                setR(op.pointee.rm, sz, a)
            }
        case .xlat:
            let base = op.pointee.addr16 ? s[GPR.ebx] & 0xFFFF : s[GPR.ebx]
            let off = op.pointee.addr16 ? (base &+ (s[GPR.eax] & 0xFF)) & 0xFFFF : base &+ (s[GPR.eax] & 0xFF)
            let v = try rd(off &+ segBase(op.pointee.seg), 1)
            setR(GPR.eaxOffset, 1, v)
        case .bswap:
            if op.pointee.size == 4 {
                setR32(op.pointee.r, r32(op.pointee.r).byteSwapped)
            } else {
                setR(op.pointee.r, 2, 0)   // BSWAP r16: undefined (SDM); vsim writes 0
            }
        case .pushR:
            try push(getR(op.pointee.r, op.pointee.size), op.pointee.size)
        case .pushI:
            try push(op.pointee.imm, op.pointee.size)
        case .pushM:
            let v = try rd(ea(op), op.pointee.size)
            try push(v, op.pointee.size)
        case .pushSeg:
            try push(UInt32(cpu.segments[Int(op.pointee.r)]), op.pointee.size)
        case .popR:
            let v = try pop(op.pointee.size)
            setR(op.pointee.r, op.pointee.size, v)
        case .popM:
            try popToMemory(op)
        case .popSeg:
            let sz = op.pointee.size
            let v = try rd(s[GPR.esp] &+ segBase(2), sz)
            try loadSegment(op.pointee.r, UInt16(truncatingIfNeeded: v))
            s[GPR.esp] = s[GPR.esp] &+ UInt32(sz)
        case .pusha: try pusha(op)
        case .popa: try popa(op)
        case .pushf:
            try push(eflagsForPush(), op.pointee.size)
        case .popf:
            let v = try pop(op.pointee.size)
            writeEflags(v, size: op.pointee.size)
            if trapFlagSet { eip = next; return false }   // leave the fast slice: Interpreter+SingleStep
        case .lahf:
            setR(GPR.ahOffset, 1, (statusFlags & (EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf | EFLAGS.cf)) | EFLAGS.reserved1)
        case .sahf:
            let ah = getR(GPR.ahOffset, 1)
            let keep = statusFlags & EFLAGS.of
            setFlags(keep | (ah & (EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf | EFLAGS.cf)))
        case .cbw:
            if op.pointee.size == 2 { setR(GPR.eaxOffset, 2, UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: s[GPR.eax])))) }
            else { s[GPR.eax] = UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: s[GPR.eax]))) }
        case .cwd:
            if op.pointee.size == 2 { setR(GPR.edxOffset, 2, s[GPR.eax] & 0x8000 != 0 ? 0xFFFF : 0) }
            else { s[GPR.edx] = s[GPR.eax] & 0x8000_0000 != 0 ? 0xFFFF_FFFF : 0 }
        case .enter: try enter(op)
        case .leave:
            let sz = op.pointee.size
            let frame = s[GPR.ebp]   // the stack is 32-bit (SS.B = 1): ESP <- EBP whatever the operand size
            let v = try rd(frame &+ segBase(2), sz)
            s[GPR.esp] = frame &+ UInt32(sz)
            setR(GPR.ebpOffset, sz, v)
        case .cmpxchg: try cmpxchg(op)
        case .cmpxchg8b: try cmpxchg8b(op)
        case .xadd: try xadd(op)

        // MARK: control flow (Interpreter+Control.swift)
        case .jmp: jmp(op); return true
        case .jmpRM: try jmpIndirect(op); return true
        case .call: try call(op, next: next); return true
        case .callRM: try callIndirect(op, next: next); return true
        case .ret: try ret(op); return true
        case .retf: try farReturn(op); return true
        case .jmpFar, .callFar: try farTransfer(op, h, next: next); return true
        case .loop, .loope, .loopne: loop(op, h, next: next); return true
        case .jcxz: jcxz(op, next: next); return true

        // MARK: strings
        case .movs: try movs(op)
        case .cmps: try cmps(op)
        case .scas: try scas(op)
        case .lods: try lods(op)
        case .stos: try stos(op)

        // MARK: flags
        case .clc: setFlags(statusFlags & ~EFLAGS.cf)
        case .stc: setFlags(statusFlags | EFLAGS.cf)
        case .cmc: setFlags(statusFlags ^ EFLAGS.cf)
        case .cld: flagsRest &= ~EFLAGS.df
        case .std: flagsRest |= EFLAGS.df
        case .cli, .sti:
            guard iopl >= cpu.cpl else { throw gp0("\(h == .cli ? "CLI" : "STI") with IOPL \(iopl) < CPL \(cpu.cpl)") }
            if h == .cli { flagsRest &= ~EFLAGS.if } else { flagsRest |= EFLAGS.if }

        // MARK: other
        case .nop: break
        case .int: return try softwareInterrupt(op, next: next)
        case .int3:
            eip = next
            throw CPUException(vector: .bp, eip: next, detail: "INT3 breakpoint")
        case .into:
            if statusFlags & EFLAGS.of != 0 {
                eip = next
                throw CPUException(vector: .of, eip: next, detail: "INTO with OF=1")
            }
        case .ud2: throw CPUException(vector: .ud, detail: "UD2")
        case .cpuid:
            if let sys = system, sys.hooks != nil, let go = try offerToVMM(op, next: next, sys) { return go }
            cpuid()
        case .rdtsc:
            if let sys = system, sys.hooks != nil, let go = try offerToVMM(op, next: next, sys) { return go }
            if cpu.cr4 & 4 != 0 && cpu.cpl > 0 { throw gp0("RDTSC with CR4.TSD=1 at CPL \(cpu.cpl)") }
            s[GPR.eax] = UInt32(truncatingIfNeeded: instructionsExecuted)
            s[GPR.edx] = UInt32(truncatingIfNeeded: instructionsExecuted >> 32)
        case .privileged: if !(try privileged(op, next: next)) { return false }
        case .iret: try iret(op); return true
        case .sgdt, .sidt, .sldt, .str, .smsw, .lar, .lsl, .verr, .verw:
            if let sys = system, sys.hooks != nil, let go = try offerToVMM(op, next: next, sys) { return go }
            try sensitive(op, h)
        case .vmcall: throw CPUException(vector: .ud, detail: "VMCALL outside VMX non-root operation")
        case .x87: try x87(op)
        case .invalid: throw CPUException(vector: .ud, detail: "invalid instruction")
        case .blockEnd:
            // Only in a block, where ``execInBlock(_:)`` runs it; here it would go on at `tag`.
            eip = op.pointee.tag
            return true
        case .exitBlock,
             // Only in a block, where ``execInBlock(_:_:)`` runs them (they branch to an op of it);
             // here they leave as an invalidated block's op does, to run again from their bytes.
             .jccInBlock, .cmpJcc32RRInBlock, .cmpJcc32RIInBlock, .cmpJccMRInBlock, .cmpJccRMInBlock,
             .cmpJccMIInBlock, .cmpJcc8MRInBlock, .cmpJcc8MIInBlock, .cmpJcc8MRbiInBlock:
            eip = op.pointee.tag
            blockLeft = true
            return false
        }
        eip = next
        return true
    }
}
