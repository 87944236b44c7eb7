import Machine
import X86

/// How a lowered instruction ends the block, if it does.
public enum BlockEnd: Equatable, Sendable {
    /// The block goes on with the next instruction.
    case none
    /// A control transfer: the block's exits are already emitted.
    case jump
    /// An instruction that needs the main loop (INT n, segment loads, far transfers, ...):
    /// run by `exec_insn`, then `exit_tb` back to the main loop.
    case mainLoop
}

extension Lowering {
    /// Instructions run by `call exec_insn` that must end the block and return to the main loop:
    /// they can stop the guest (INT n), or change what the block's mode assumed (segment bases).
    static func needsMainLoop(_ i: Instruction) -> Bool {
        switch i.mnemonic {
        case .int, .int3, .into, .iret, .retf, .jmpf, .callf, .ud2, .hlt, .in, .out, .ins, .outs,
             .lgdt, .lidt, .lldt, .ltr, .lmsw, .clts, .invlpg, .wbinvd, .invd, .rdmsr, .wrmsr,
             .cli, .sti, .vmcall, .popf:
            return true
        case .mov:
            if case .register(let r) = i.operand0, r.kind != .gpr8 && r.kind != .gpr16 && r.kind != .gpr32 { return true }
            if case .register(let r) = i.operand1, r.kind == .control || r.kind == .debug { return true }
            return false
        case .pop:
            if case .register(let r) = i.operand0, r.kind == .segment { return true }
            return false
        default: return false
        }
    }

    /// Control transfers (the block ends after them).
    static func isControlTransfer(_ i: Instruction) -> Bool {
        switch i.mnemonic {
        case .jmp, .jcc, .call, .ret, .loop, .loope, .loopne, .jcxz, .retf, .jmpf, .callf, .iret: return true
        default: return false
        }
    }

    /// Emits the two-way ending `goto_tb slot; mov eip, target; exit_tb slot`.
    mutating func gotoTB(_ slot: UInt32, _ target: UInt32) {
        emit(ROp(.gotoTB, c: slot))
        mov(.eip, .i(target))
        emit(ROp(.exitTB, c: slot))
    }

    /// Ends the block with a jump to a computed target.
    mutating func lookupAndGoto(_ target: RArg) {
        mov(.eip, target)
        emit(ROp(.lookupAndGoto))
    }

    /// Conditional ending: `take` true → slot 1 (target), else slot 0 (next).
    mutating func branch(_ cond: (RArg, RArg, RCond), target: UInt32, next: UInt32, skipIfZero: RArg? = nil) {
        let taken = label()
        let notTaken = label()
        if let c = skipIfZero { brcond(c, .i(0), .eq, notTaken) }
        brcond(cond.0, cond.1, cond.2, taken)
        emit(ROp(.label, x: notTaken))
        gotoTB(0, next)
        emit(ROp(.label, x: taken))
        gotoTB(1, target)
    }

    /// Lowers one instruction (its `insn_start` first). Instructions not worth inlining become
    /// `call exec_insn`.
    public mutating func lower(_ i: Instruction, index: Int) -> BlockEnd {
        self.index = index
        emit(ROp(.insnStart, c: i.address, x: UInt32(index)))
        if !Lowering.needsMainLoop(i), lowerInline(i) {
            return Lowering.isControlTransfer(i) ? .jump : .none
        }
        // exec_insn: EIP and every lazy flag must be in place; the helper sets EIP.
        mov(.eip, .i(i.address))
        emit(ROp(.call, a: .i(i.address), c: UInt32(RHelper.execInsn.rawValue), x: UInt32(index)))
        ccOp = nil
        if Lowering.needsMainLoop(i) {
            emit(ROp(.exitTB, c: 3))
            return .mainLoop
        }
        if Lowering.isControlTransfer(i) {
            emit(ROp(.lookupAndGoto))
            return .jump
        }
        return .none
    }

    /// Inline lowering; false (and nothing emitted) when the instruction goes to `exec_insn`.
    mutating func lowerInline(_ i: Instruction) -> Bool {
        let size = i.operandSize
        let o0 = i.operand0, o1 = i.operand1
        let next = i.nextAddress
        func isGPR(_ o: Operand) -> Bool {
            if case .register(let r) = o { return r.kind == .gpr8 || r.kind == .gpr16 || r.kind == .gpr32 }
            return false
        }
        func isMemOrGPR(_ o: Operand) -> Bool {
            if case .memory = o { return true }
            return isGPR(o)
        }
        func isImm(_ o: Operand) -> Bool { if case .immediate = o { return true } else { return false } }

        switch i.mnemonic {
        case .nop, .endbr32, .endbr64, .rdssp, .prefetch:
            return true

        case .mov:
            guard isMemOrGPR(o0), isMemOrGPR(o1) || isImm(o1) else { return false }
            let v = read(o1, size)
            write(o0, v, size, address: nil)
            return true

        case .movzx, .movsx:
            guard case .register(let d) = o0 else { return false }
            var srcSize: UInt8 = (i.opcode & 1) == 0 ? 1 : 2
            if case .register(let r) = o1 { srcSize = UInt8(r.width) }
            let v = read(o1, srcSize, signed: i.mnemonic == .movsx)
            writeReg(d, v)
            return true

        case .lea:
            guard case .register(let d) = o0, case .memory(let m) = o1 else { return false }
            writeReg(d, offset(m))
            return true

        case .add, .or, .and, .sub, .xor, .cmp, .test:
            guard isMemOrGPR(o0) else { return false }
            let k = i.mnemonic
            var addr: RArg? = nil
            let a: RArg
            if case .memory(let m) = o0 {
                addr = address(m)
                a = load(addr!, size, forUpdate: k != .cmp && k != .test)
            } else {
                a = read(o0, size)
            }
            let b = read(o1, size)
            let r: RArg
            switch k {
            case .add: r = masked(op(.add, a, b), size)
            case .sub, .cmp: r = masked(op(.sub, a, b), size)
            case .or: r = op(.or, a, b)
            case .xor: r = op(.xor, a, b)
            default: r = op(.and, a, b)
            }
            if k != .cmp && k != .test { write(o0, r, size, address: addr) }
            switch k {
            case .add: setCC(LazyFlags.kAdd, size, r, a, b)
            case .sub, .cmp: setCC(LazyFlags.kSub, size, r, a, b)
            default: setCC(LazyFlags.kLogic, size, r, .i(0), .i(0))
            }
            return true

        case .adc, .sbb:
            // The carry-in first (it may be a `call cc_carry`), then the operands as ADD/SUB;
            // the lazy flags as the interpreter's: kind ADC/SBB, the operands, cc_aux = carry-in.
            guard isMemOrGPR(o0) else { return false }
            let cin = carry()
            var addr: RArg? = nil
            let a: RArg
            if case .memory(let m) = o0 {
                addr = address(m)
                a = load(addr!, size, forUpdate: true)
            } else {
                a = read(o0, size)
            }
            let b = read(o1, size)
            let isAdc = i.mnemonic == .adc
            let r = masked(op(isAdc ? .add : .sub, op(isAdc ? .add : .sub, a, b), cin), size)
            write(o0, r, size, address: addr)
            setCC(isAdc ? LazyFlags.kAdc : LazyFlags.kSbb, size, r, a, b)
            mov(.ccAux, cin)
            return true

        case .inc, .dec, .neg, .not:
            guard isMemOrGPR(o0) else { return false }
            let (a, addr) = readForUpdate(o0, size)
            let r: RArg
            switch i.mnemonic {
            case .inc: r = masked(op(.add, a, .i(1)), size)
            case .dec: r = masked(op(.sub, a, .i(1)), size)
            case .not: r = masked(op(.xor, a, .i(0xFFFF_FFFF)), size)
            default: r = masked(op(.sub, .i(0), a), size)
            }
            let c: RArg? = (i.mnemonic == .inc || i.mnemonic == .dec) ? carry() : nil
            write(o0, r, size, address: addr)
            switch i.mnemonic {
            case .inc, .dec:
                setCC(i.mnemonic == .inc ? LazyFlags.kInc : LazyFlags.kDec, size, r, a, .i(1))
                mov(.ccAux, c!)
            case .neg: setCC(LazyFlags.kSub, size, r, .i(0), a)
            default: break
            }
            return true

        case .imul where i.operandCount >= 2 && size != 1:
            guard case .register(let d) = o0 else { return false }
            let src = read(o1, size, signed: true)
            let other: RArg = i.operandCount == 3 ? read(i.operand2, size, signed: true) : read(o0, size, signed: true)
            let lo = op(.mul, src, other)
            let overflow: RArg
            if size == 4 {
                let hi = op(.mulsh, src, other)
                overflow = setcond(hi, op(.sar, lo, .i(31)), .ne)
            } else {
                overflow = setcond(lo, unary(.ext16s, lo), .ne)
            }
            let r = masked(lo, size)
            let flags = call(.ccComputeAll)
            writeReg(d, r)
            setCC(LazyFlags.kMul, size, r, flags, .i(0))
            mov(.ccAux, overflow)
            return true

        case .mul where size == 4, .imul where size == 4 && i.operandCount == 1:
            guard isMemOrGPR(o0) else { return false }
            let src = read(o0, 4)
            let lo = op(.mul, .r(.guest(0)), src)
            let hi = op(i.mnemonic == .mul ? .muluh : .mulsh, .r(.guest(0)), src)
            let overflow = i.mnemonic == .mul ? setcond(hi, .i(0), .ne) : setcond(hi, op(.sar, lo, .i(31)), .ne)
            let flags = call(.ccComputeAll)
            mov(.guest(0), lo)
            mov(.guest(2), hi)
            setCC(LazyFlags.kMul, 4, lo, flags, .i(0))
            mov(.ccAux, overflow)
            return true

        case .div where size == 4:
            // EDX:EAX / r/m32 with one host DIV each for the quotient and the remainder, when
            // it cannot fault (divisor not 0, EDX below it: the quotient fits); otherwise the
            // interpreter runs it and raises #DE. The status flags are left as they were (the
            // interpreter's choice for these undefined flags), so `ccOp` stays known.
            guard isMemOrGPR(o0) else { return false }
            let src = read(o0, 4)
            let slow = label(), done = label()
            brcond(src, .i(0), .eq, slow)
            brcond(.r(.guest(2)), src, .geu, slow)
            let q = op(.divu, .r(.guest(2)), src)
            let r = op(.remu, .r(.guest(2)), src)
            mov(.guest(0), q)
            mov(.guest(2), r)
            emit(ROp(.br, x: done))
            emit(ROp(.label, x: slow))
            mov(.eip, .i(i.address))
            emit(ROp(.call, a: .i(i.address), c: UInt32(RHelper.execInsn.rawValue), x: UInt32(index)))
            emit(ROp(.label, x: done))
            return true

        case .shl, .sal, .shr, .sar, .rol, .ror:
            return lowerShift(i)

        case .push:
            guard isMemOrGPR(o0) || isImm(o0) else { return false }
            let v = read(o0, size)
            push(v, size)
            return true

        case .pop:
            guard case .register(let r) = o0, isGPR(o0) else { return false }
            let v = load(stackAddress(.r(.guest(4))), size)
            mov(.guest(4), op(.add, .r(.guest(4)), .i(UInt32(size))))
            writeReg(r, v)
            return true

        case .leave where size == 4:
            let v = load(stackAddress(.r(.guest(5))), 4)
            mov(.guest(4), op(.add, .r(.guest(5)), .i(4)))
            mov(.guest(5), v)
            return true

        case .xchg:
            guard case .register(let r0) = o0, case .register(let r1) = o1, isGPR(o0), isGPR(o1) else { return false }
            let a = readReg(r0), b = readReg(r1)
            let keep = temp()
            mov(keep, a)
            writeReg(r0, b)
            writeReg(r1, .r(keep))
            return true

        case .cbw:
            if size == 2 {
                writeReg(Register(.gpr16, 0), unary(.ext8s, .r(.guest(0))))
            } else {
                mov(.guest(0), unary(.ext16s, .r(.guest(0))))
            }
            return true

        case .cwd:
            if size == 2 {
                writeReg(Register(.gpr16, 2), op(.sar, unary(.ext16s, .r(.guest(0))), .i(15)))
            } else {
                mov(.guest(2), op(.sar, .r(.guest(0)), .i(31)))
            }
            return true

        case .setcc:
            guard isMemOrGPR(o0) else { return false }
            var addr: RArg? = nil
            if case .memory(let m) = o0 { addr = address(m) }
            let c = condition(i.condition.rawValue)
            let v = setcond(c.0, c.1, c.2)
            write(o0, v, 1, address: addr)
            return true

        case .cmovcc:
            guard case .register(let d) = o0 else { return false }
            let v = read(o1, size)
            let skip = label()
            let c = condition(i.condition.rawValue)
            brcond(c.0, c.1, c.2.inverted, skip)
            writeReg(d, v)
            emit(ROp(.label, x: skip))
            return true

        case .clc, .stc, .cmc:
            let f = call(.ccComputeAll)
            let g: RArg
            switch i.mnemonic {
            case .clc: g = op(.and, f, .i(~EFLAGS.cf))
            case .stc: g = op(.or, f, .i(EFLAGS.cf))
            default: g = op(.xor, f, .i(EFLAGS.cf))
            }
            setFlags(g)
            return true

        case .movs, .stos, .lods:
            return lowerString(i)

        case .cld:
            mov(.eflags, op(.and, .r(.eflags), .i(~EFLAGS.df)))
            return true
        case .std:
            mov(.eflags, op(.or, .r(.eflags), .i(EFLAGS.df)))
            return true

        // MARK: control transfers
        case .jmp:
            if case .relative(let t) = o0 { gotoTB(0, t); return true }
            guard isMemOrGPR(o0) else { return false }
            lookupAndGoto(read(o0, size))
            return true

        case .jcc:
            guard case .relative(let t) = o0 else { return false }
            branch(condition(i.condition.rawValue), target: t, next: next)
            return true

        case .call:
            let ret: UInt32 = size == 2 ? next & 0xFFFF : next
            if case .relative(let t) = o0 {
                push(.i(ret), size)
                gotoTB(0, t)
                return true
            }
            guard isMemOrGPR(o0) else { return false }
            let target = read(o0, size)
            push(.i(ret), size)
            lookupAndGoto(target)
            return true

        case .ret:
            var extra: UInt32 = 0
            if case .immediate(let v, _) = o0 { extra = v & 0xFFFF }
            let target = load(stackAddress(.r(.guest(4))), size)
            mov(.guest(4), op(.add, .r(.guest(4)), .i(UInt32(size) + extra)))
            lookupAndGoto(target)
            return true

        case .loop, .loope, .loopne:
            guard case .relative(let t) = o0 else { return false }
            let zfCond: (RArg, RArg, RCond)? = i.mnemonic == .loop ? nil : condition(i.mnemonic == .loope ? 4 : 5)
            let counter: RArg
            if i.addressSize == 2 {
                let c = op(.sub, unary(.ext16u, .r(.guest(1))), .i(1))
                writeReg(Register(.gpr16, 1), c)
                counter = unary(.ext16u, c)
            } else {
                mov(.guest(1), op(.sub, .r(.guest(1)), .i(1)))
                counter = .r(.guest(1))
            }
            if let z = zfCond {
                branch(z, target: t, next: next, skipIfZero: counter)
            } else {
                branch((counter, .i(0), .ne), target: t, next: next)
            }
            return true

        case .jcxz:
            guard case .relative(let t) = o0 else { return false }
            let counter: RArg = i.addressSize == 2 ? unary(.ext16u, .r(.guest(1))) : .r(.guest(1))
            branch((counter, .i(0), .eq), target: t, next: next)
            return true

        default:
            return false
        }
    }

    /// Writes `v` to a register or memory destination (`address`: already computed for a
    /// read-modify-write).
    mutating func write(_ o: Operand, _ v: RArg, _ size: UInt8, address addr: RArg?) {
        switch o {
        case .register(let r): writeReg(r, v)
        case .memory(let m): store(v, addr ?? address(m), size)
        default: break
        }
    }
}
