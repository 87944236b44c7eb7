import CHostX87
import X86

/// The x87 FPU (Intel SDM Vol. 1 chapter 8; Vol. 2 for each instruction): the register stack
/// with its tags, stack overflow and underflow (#IS: IE and SF, C1 = 1 for overflow, 0 for
/// underflow), masked and unmasked responses to the six exceptions, the status, control and tag
/// words, the FPU environment and state images, and FWAIT's #MF for a pending unmasked exception.
///
/// The arithmetic itself (rounding under the control word's RC and PC fields, the exception flags
/// and C1 an operation raises, transcendental results) is the host CPU's: each operation runs as
/// the same x87 instruction on the host under the guest's control word (`CHostX87`), so results
/// are bit-exact with a real x87 on operands of every class (denormals, infinities, NaNs, -0).
///
/// C0, C2 and C3 that the SDM leaves undefined after an instruction keep their values; FISTTP
/// (SSE3) is #UD, as on the CPU that vsim's CPUID describes.
extension Interpreter {
    typealias Bits = (UInt64, UInt64)

    @inline(__always) func bits(_ r: X87Register) -> Bits { (r.significand, UInt64(r.signExponent)) }
    @inline(__always) func register(_ b: Bits) -> X87Register {
        X87Register(significand: b.0, signExponent: UInt16(truncatingIfNeeded: b.1))
    }

    /// Runs `op` on the host's x87 under the guest's control word; returns the status word (the
    /// exception flags and condition codes the operation produced) and the results.
    func host(_ op: vsim_x87_op, _ a: Bits = (0, 0), _ b: Bits = (0, 0)) -> (sw: UInt16, r0: Bits, r1: Bits) {
        var a = a, b = b
        var r0: Bits = (0, 0), r1: Bits = (0, 0)
        let sw = withUnsafePointer(to: &a) { pa in
            withUnsafePointer(to: &b) { pb in
                withUnsafeMutablePointer(to: &r0) { p0 in
                    withUnsafeMutablePointer(to: &r1) { p1 in
                        vsim_x87_run(Int32(op.rawValue), cpu.x87.controlWord, pa, pb, p0, p1)
                    }
                }
            }
        }
        return (sw, r0, r1)
    }

    /// The no-wait instructions: they do not check for a pending unmasked exception.
    @inline(__always) static func x87NoWait(_ m: Mnemonic) -> Bool {
        switch m {
        case .fnstsw, .fnstcw, .fnstenv, .fnsave, .fninit, .fnclex, .fneni, .fndisi, .fnsetpm: return true
        default: return false
        }
    }

    /// The control instructions: they leave the last instruction and data pointers alone.
    @inline(__always) static func x87Control(_ m: Mnemonic) -> Bool {
        switch m {
        case .fnstsw, .fnstcw, .fnstenv, .fnsave, .fninit, .fnclex, .fneni, .fndisi, .fnsetpm, .fldcw, .fldenv,
             .frstor, .fwait: return true
        default: return false
        }
    }

    /// One x87 instruction (``H/x87``).
    func x87(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let m = Mnemonic(rawValue: op.pointee.sub).unsafelyUnwrapped
        // CR0.EM and CR0.TS (SDM Vol. 3A, 2.5 and Table 2-2): #NM; FWAIT only with TS and MP.
        let cr0 = cpu.cr0
        if m != .fwait && cr0 & 0x4 != 0 { throw CPUException(vector: .nm, detail: "x87 instruction with CR0.EM=1") }
        if cr0 & 0x8 != 0 && (m != .fwait || cr0 & 0x2 != 0) {
            throw CPUException(vector: .nm, detail: "x87 instruction with CR0.TS=1")
        }
        if !Self.x87NoWait(m) && cpu.x87.statusFlags & X87State.es != 0 {
            throw CPUException(vector: .mf, detail: "pending unmasked x87 exception (status word 0x"
                               + String(cpu.x87.statusWord, radix: 16) + ")")
        }
        let i = Int(op.pointee.r)
        switch m {
        case .fwait, .fnop, .fneni, .fndisi, .fnsetpm: break
        case .fld, .fild, .fbld, .fld1, .fldl2t, .fldl2e, .fldpi, .fldlg2, .fldln2, .fldz:
            try x87Load(op, m, i)
        case .fst, .fstp, .fist, .fistp, .fbstp:
            try x87Store(op, m, i)
        case .fisttp:
            throw CPUException(vector: .ud, detail: "FISTTP is an SSE3 instruction, which vsim's CPUID does not report")
        case .fadd, .faddp, .fiadd, .fmul, .fmulp, .fimul, .fsub, .fsubp, .fisub, .fsubr, .fsubrp, .fisubr,
             .fdiv, .fdivp, .fidiv, .fdivr, .fdivrp, .fidivr:
            try x87Arithmetic(op, m, i)
        case .fcom, .fcomp, .fcompp, .ficom, .ficomp, .fucom, .fucomp, .fucompp, .fcomi, .fcomip, .fucomi,
             .fucomip, .ftst:
            try x87Compare(op, m, i)
        case .fxam: x87Examine()
        case .fcmovcc:
            // An empty operand is a stack underflow whether or not the condition holds (as the host).
            if cpu.x87.isEmpty(0) || cpu.x87.isEmpty(i) {
                if x87StackFault(overflow: false) { cpu.x87.setST(0, .indefinite) }
            } else if cond(UInt8(truncatingIfNeeded: op.pointee.imm2 >> 8)) {
                cpu.x87.setST(0, cpu.x87.st(i))
            }
            setC1(false)
        case .fxch:
            var x = cpu.x87
            if x.isEmpty(0) || x.isEmpty(i) {
                guard x87StackFault(overflow: false) else { break }
                x = cpu.x87
                if x.isEmpty(0) { x.setST(0, .indefinite) }
                if x.isEmpty(i) { x.setST(i, .indefinite) }
            }
            let a = x.st(0), b = x.st(i)
            x.setST(0, b); x.setST(i, a)
            cpu.x87 = x
            setC1(false)
        case .ffree: cpu.x87.emptyMask |= 1 << cpu.x87.physical(i)
        case .ffreep:
            cpu.x87.emptyMask |= 1 << cpu.x87.physical(i)
            cpu.x87.pop()
        case .fincstp: cpu.x87.top = (cpu.x87.top + 1) & 7; setC1(false)
        case .fdecstp: cpu.x87.top = (cpu.x87.top + 7) & 7; setC1(false)
        case .fchs, .fabs:
            if cpu.x87.isEmpty(0) {
                if x87StackFault(overflow: false) { cpu.x87.setST(0, .indefinite) }
                break
            }
            var v = cpu.x87.st(0)
            v.signExponent = m == .fchs ? v.signExponent ^ 0x8000 : v.signExponent & 0x7FFF
            cpu.x87.setST(0, v)
            setC1(false)
        case .fsqrt, .frndint, .f2xm1, .fsin, .fcos:
            let hop: vsim_x87_op = m == .fsqrt ? VSIM_X87_SQRT : m == .frndint ? VSIM_X87_RNDINT
                : m == .f2xm1 ? VSIM_X87_F2XM1 : m == .fsin ? VSIM_X87_SIN : VSIM_X87_COS
            x87Unary(hop, codes: m == .fsin || m == .fcos ? X87State.c1 | X87State.c2 : X87State.c1)
        case .fprem, .fprem1, .fscale:
            let hop: vsim_x87_op = m == .fprem ? VSIM_X87_PREM : m == .fprem1 ? VSIM_X87_PREM1 : VSIM_X87_SCALE
            x87Binary(hop, into: 0, pop: false, codes: m == .fscale ? X87State.c1 : X87State.conditionCodes)
        case .fpatan, .fyl2x, .fyl2xp1:
            let hop: vsim_x87_op = m == .fpatan ? VSIM_X87_PATAN : m == .fyl2x ? VSIM_X87_YL2X : VSIM_X87_YL2XP1
            x87Binary(hop, into: 1, pop: true, codes: X87State.c1)
        case .fptan, .fsincos, .fxtract:
            x87UnaryPush(m)
        case .fnstsw:
            if op.pointee.isMem { try wr(ea(op), 2, UInt32(cpu.x87.statusWord)) }
            else { setR(GPR.eaxOffset, 2, UInt32(cpu.x87.statusWord)) }
        case .fnstcw: try wr(ea(op), 2, UInt32(cpu.x87.controlWord))
        case .fldcw:
            let v = try rd(ea(op), 2)
            cpu.x87.controlWord = Self.x87ControlWord(UInt16(truncatingIfNeeded: v))
            cpu.x87.updateSummary()
        case .fninit: cpu.x87.reset()
        case .fnclex:
            cpu.x87.statusFlags &= ~(0x3F | X87State.sf | X87State.es | X87State.busy)
        case .fnstenv, .fnsave: try x87StoreEnvironment(op, save: m == .fnsave)
        case .fldenv, .frstor: try x87LoadEnvironment(op, restore: m == .frstor)
        default:
            throw CPUException(vector: .ud, detail: "\(m) is not an x87 instruction")
        }
        if !Self.x87Control(m) {
            // The last instruction and data pointers (SDM Vol. 1, 8.1.8).
            cpu.x87.lastInstructionPointer = op.pointee.tag
            cpu.x87.lastCodeSelector = cpu.segments[1]
            cpu.x87.lastOpcode = UInt16(truncatingIfNeeded: op.pointee.imm)
            if op.pointee.isMem {
                cpu.x87.lastDataPointer = offset(op)
                cpu.x87.lastDataSelector = cpu.segments[Int(op.pointee.seg)]
            }
        }
    }

    /// The control word as the FPU keeps it: bits 6 and 12 (the 287's infinity control) read as
    /// 1 and 0 as on the host, bits 13-15 are 0.
    static func x87ControlWord(_ v: UInt16) -> UInt16 { v & 0x1F3F | 0x0040 }

    // MARK: exceptions

    @inline(__always) func setC1(_ on: Bool) {
        if on { cpu.x87.statusFlags |= X87State.c1 } else { cpu.x87.statusFlags &= ~X87State.c1 }
    }

    /// Stack overflow (a push onto a full register) or underflow (an empty source): IE and SF,
    /// C1 = 1 for overflow, 0 for underflow (SDM Vol. 1, 8.5.1.1). Returns whether IE is masked
    /// (the caller then produces the QNaN indefinite; unmasked, it changes nothing).
    func x87StackFault(overflow: Bool) -> Bool {
        cpu.x87.statusFlags |= X87State.ie | X87State.sf
        setC1(overflow)
        cpu.x87.updateSummary()
        return cpu.x87.controlWord & X87State.ie != 0
    }

    /// Merges the exception flags of a host status word; `keep` selects the condition codes that
    /// the instruction defines (taken from the host too). Returns whether an exception in
    /// `blocking` is unmasked: the instruction then leaves its destination and the stack alone.
    func x87Merge(_ sw: UInt16, keep: UInt16, blocking: UInt16 = X87State.ie | X87State.de | X87State.ze) -> Bool {
        var x = cpu.x87
        x.statusFlags = (x.statusFlags & ~keep) | (sw & keep) | (sw & 0x3F)
        x.updateSummary()
        cpu.x87 = x
        return sw & 0x3F & blocking & ~x.controlWord != 0
    }

    /// Whether a push would overflow: ST(7) (the register that becomes ST(0)) is not empty.
    @inline(__always) func x87Full() -> Bool { !cpu.x87.isEmpty(7) }

    // MARK: memory formats

    func x87Read(_ a: UInt32, _ n: Int) throws(CPUException) -> Bits {
        var lo: UInt64 = 0, hi: UInt64 = 0
        var k = 0
        while k < n {
            if n - k >= 4 {
                let v = UInt64(try rd(a &+ UInt32(k), 4))
                if k < 8 { lo |= v << (8 * UInt64(k)) } else { hi |= v << (8 * UInt64(k - 8)) }
                k += 4
            } else {
                let v = UInt64(try rd(a &+ UInt32(k), 2))
                if k < 8 { lo |= v << (8 * UInt64(k)) } else { hi |= v << (8 * UInt64(k - 8)) }
                k += 2
            }
        }
        return (lo, hi)
    }

    func x87Write(_ a: UInt32, _ n: Int, _ v: Bits) throws(CPUException) {
        try checkWritable(a, UInt32(n))
        var k = 0
        while k < n {
            let word = k < 8 ? v.0 >> (8 * UInt64(k)) : v.1 >> (8 * UInt64(k - 8))
            if n - k >= 4 { try wr(a &+ UInt32(k), 4, UInt32(truncatingIfNeeded: word)); k += 4 }
            else { try wr(a &+ UInt32(k), 2, UInt32(truncatingIfNeeded: word)); k += 2 }
        }
    }

    /// A memory source operand of an arithmetic or compare instruction: its bits and its format
    /// for ``hostArithmetic(_:_:_:_:)``, which runs the memory form itself on the host.
    func x87MemorySource(_ op: UnsafeMutablePointer<DecodedOp>, integer: Bool) throws(CPUException) -> (vsim_x87_format, Bits) {
        let size = Int(op.pointee.size)
        let v = try x87Read(ea(op), size)
        let format: vsim_x87_format = integer ? (size == 2 ? VSIM_X87_M16INT : VSIM_X87_M32INT)
            : (size == 4 ? VSIM_X87_M32FP : VSIM_X87_M64FP)
        return (format, v)
    }

    /// ADD MUL SUB SUBR DIV DIVR COM of ST(0) = `a` with a source `b` in `format` on the host.
    func hostArithmetic(_ op: vsim_x87_op, _ format: vsim_x87_format, _ a: Bits, _ b: Bits) -> (sw: UInt16, r0: Bits) {
        var a = a, b = b
        var r0: Bits = (0, 0)
        let sw = withUnsafePointer(to: &a) { pa in
            withUnsafePointer(to: &b) { pb in
                withUnsafeMutablePointer(to: &r0) { p0 in
                    vsim_x87_arith(Int32(op.rawValue), Int32(format.rawValue), cpu.x87.controlWord, pa, pb, p0)
                }
            }
        }
        return (sw, r0)
    }

    // MARK: loads and stores

    func x87Load(_ op: UnsafeMutablePointer<DecodedOp>, _ m: Mnemonic, _ i: Int) throws(CPUException) {
        var value: X87Register
        var sw: UInt16 = 0
        switch m {
        case .fld where !op.pointee.isMem:
            if cpu.x87.isEmpty(i) {
                guard x87StackFault(overflow: false) else { return }
                value = .indefinite
            } else {
                value = cpu.x87.st(i)
            }
        case .fld, .fild, .fbld:
            let size = Int(op.pointee.size)
            let v = try x87Read(ea(op), size)
            if m == .fld && size == 10 {
                value = register(v)
            } else {
                let hop: vsim_x87_op
                switch (m, size) {
                case (.fld, 4): hop = VSIM_X87_LD_F32
                case (.fld, _): hop = VSIM_X87_LD_F64
                case (.fild, 2): hop = VSIM_X87_LD_I16
                case (.fild, 4): hop = VSIM_X87_LD_I32
                case (.fild, _): hop = VSIM_X87_LD_I64
                default: hop = VSIM_X87_LD_BCD
                }
                let r = host(hop, v)
                sw = r.sw
                value = register(r.r0)
            }
        default:
            let hop: vsim_x87_op
            switch m {
            case .fld1: hop = VSIM_X87_LD1
            case .fldl2t: hop = VSIM_X87_LDL2T
            case .fldl2e: hop = VSIM_X87_LDL2E
            case .fldpi: hop = VSIM_X87_LDPI
            case .fldlg2: hop = VSIM_X87_LDLG2
            case .fldln2: hop = VSIM_X87_LDLN2
            default: hop = VSIM_X87_LDZ
            }
            value = register(host(hop).r0)
        }
        if x87Full() {
            guard x87StackFault(overflow: true) else { return }
            cpu.x87.push(.indefinite)
            return
        }
        // An unmasked DE (a denormal m32fp/m64fp) still loads the value, as the host does; an
        // unmasked IE (an SNaN) loads nothing.
        if x87Merge(sw, keep: X87State.c1, blocking: X87State.ie) { return }
        setC1(false)
        cpu.x87.push(value)
    }

    func x87Store(_ op: UnsafeMutablePointer<DecodedOp>, _ m: Mnemonic, _ i: Int) throws(CPUException) {
        let pop = m == .fstp || m == .fistp || m == .fbstp
        if !op.pointee.isMem {
            // FST/FSTP ST(i): a copy, no conversion.
            if cpu.x87.isEmpty(0) {
                guard x87StackFault(overflow: false) else { return }
                cpu.x87.setST(i, .indefinite)
            } else {
                cpu.x87.setST(i, cpu.x87.st(0))
                setC1(false)
            }
            if pop { cpu.x87.pop() }
            return
        }
        let size = Int(op.pointee.size)
        let a = ea(op)
        if cpu.x87.isEmpty(0) {
            guard x87StackFault(overflow: false) else { return }
            // The masked response stores the indefinite of the memory format.
            let v: Bits
            switch (m, size) {
            case (.fst, 4), (.fstp, 4): v = (0xFFC0_0000, 0)
            case (.fst, 8), (.fstp, 8): v = (0xFFF8_0000_0000_0000, 0)
            case (.fstp, 10): v = bits(.indefinite)
            case (.fbstp, _): v = (0xC000_0000_0000_0000, 0xFFFF)
            default: v = (size == 2 ? 0x8000 : size == 4 ? 0x8000_0000 : 0x8000_0000_0000_0000, 0)
            }
            try x87Write(a, size, v)
            if pop { cpu.x87.pop() }
            return
        }
        let value = cpu.x87.st(0)
        if m == .fstp && size == 10 {
            try x87Write(a, 10, bits(value))
            setC1(false)
            cpu.x87.pop()
            return
        }
        let hop: vsim_x87_op
        switch (m, size) {
        case (.fst, 4), (.fstp, 4): hop = VSIM_X87_ST_F32
        case (.fst, _), (.fstp, _): hop = VSIM_X87_ST_F64
        case (.fbstp, _): hop = VSIM_X87_ST_BCD
        case (_, 2): hop = VSIM_X87_ST_I16
        case (_, 4): hop = VSIM_X87_ST_I32
        default: hop = VSIM_X87_ST_I64
        }
        let r = host(hop, bits(value))
        // Unmasked IE, OE or UE with a memory destination: nothing stored, nothing popped.
        let blocked = r.sw & 0x3F & (X87State.ie | X87State.oe | X87State.ue) & ~cpu.x87.controlWord != 0
        if !blocked { try x87Write(a, size, r.r0) }
        _ = x87Merge(r.sw, keep: X87State.c1)
        if !blocked && pop { cpu.x87.pop() }
    }

    // MARK: arithmetic

    func x87Arithmetic(_ op: UnsafeMutablePointer<DecodedOp>, _ m: Mnemonic, _ i: Int) throws(CPUException) {
        let hop: vsim_x87_op
        switch m {
        case .fadd, .faddp, .fiadd: hop = VSIM_X87_ADD
        case .fmul, .fmulp, .fimul: hop = VSIM_X87_MUL
        case .fsub, .fsubp, .fisub: hop = VSIM_X87_SUB
        case .fsubr, .fsubrp, .fisubr: hop = VSIM_X87_SUBR
        case .fdiv, .fdivp, .fidiv: hop = VSIM_X87_DIV
        default: hop = VSIM_X87_DIVR
        }
        let pop = m == .faddp || m == .fmulp || m == .fsubp || m == .fsubrp || m == .fdivp || m == .fdivrp
        let toSTi = op.pointee.imm2 & DecodedOp.fX87ToSTi != 0
        let dest = toSTi ? i : 0
        var srcBits: Bits = (0, 0)
        var format = VSIM_X87_REG
        if op.pointee.isMem {
            let integer = m == .fiadd || m == .fimul || m == .fisub || m == .fisubr || m == .fidiv || m == .fidivr
            (format, srcBits) = try x87MemorySource(op, integer: integer)
            if cpu.x87.isEmpty(0) {
                if x87StackFault(overflow: false) { cpu.x87.setST(0, .indefinite) }
                return
            }
        } else {
            let src = toSTi ? 0 : i
            if cpu.x87.isEmpty(dest) || cpu.x87.isEmpty(src) {
                guard x87StackFault(overflow: false) else { return }
                cpu.x87.setST(dest, .indefinite)
                if pop { cpu.x87.pop() }
                return
            }
            srcBits = bits(cpu.x87.st(src))
        }
        let r = hostArithmetic(hop, format, bits(cpu.x87.st(dest)), srcBits)
        if x87Merge(r.sw, keep: X87State.c1) { return }
        cpu.x87.setST(dest, register(r.r0))
        if pop { cpu.x87.pop() }
    }

    /// ST(0) = f(ST(0)).
    func x87Unary(_ hop: vsim_x87_op, codes: UInt16) {
        if cpu.x87.isEmpty(0) {
            if x87StackFault(overflow: false) { cpu.x87.setST(0, .indefinite) }
            return
        }
        let r = host(hop, bits(cpu.x87.st(0)))
        if x87Merge(r.sw, keep: codes) { return }
        cpu.x87.setST(0, register(r.r0))
    }

    /// FPREM, FPREM1, FSCALE (result in ST(0)); FPATAN, FYL2X, FYL2XP1 (result in ST(1), then pop).
    func x87Binary(_ hop: vsim_x87_op, into dest: Int, pop: Bool, codes: UInt16) {
        if cpu.x87.isEmpty(0) || cpu.x87.isEmpty(1) {
            guard x87StackFault(overflow: false) else { return }
            cpu.x87.setST(dest, .indefinite)
            if pop { cpu.x87.pop() }
            return
        }
        let r = host(hop, bits(cpu.x87.st(0)), bits(cpu.x87.st(1)))
        var keep = codes
        if (hop == VSIM_X87_PREM || hop == VSIM_X87_PREM1) && register(r.r0).exponent == 0x7FFF
            && register(r.r0).significand << 1 != 0 {
            // A NaN result (an invalid or NaN operand) writes no quotient bits: C0 and C3 keep
            // their values, C1 and C2 are cleared (as the host does).
            keep = X87State.c1 | X87State.c2
        }
        if x87Merge(r.sw, keep: keep) { return }
        cpu.x87.setST(dest, register(r.r0))
        if pop { cpu.x87.pop() }
    }

    /// FPTAN (ST(0) = tan, push 1.0), FSINCOS (ST(0) = sin, push cos), FXTRACT (ST(0) = exponent,
    /// push significand).
    func x87UnaryPush(_ m: Mnemonic) {
        if cpu.x87.isEmpty(0) || x87Full() {
            guard x87StackFault(overflow: !cpu.x87.isEmpty(0)) else { return }
            cpu.x87.setST(0, .indefinite)
            cpu.x87.push(.indefinite)
            return
        }
        let hop: vsim_x87_op = m == .fptan ? VSIM_X87_PTAN : m == .fsincos ? VSIM_X87_SINCOS : VSIM_X87_XTRACT
        let r = host(hop, bits(cpu.x87.st(0)))
        let codes = m == .fxtract ? X87State.c1 : X87State.c1 | X87State.c2
        if x87Merge(r.sw, keep: codes) { return }
        // C2 = 1: the operand is out of range (|x| >= 2^63); ST(0) is unchanged, nothing pushed.
        if m != .fxtract && r.sw & X87State.c2 != 0 { return }
        cpu.x87.setST(0, register(r.r0))
        cpu.x87.push(register(r.r1))
    }

    // MARK: comparisons

    /// FCOM, FUCOM, FICOM and their pops, FCOMI and FUCOMI (EFLAGS), FTST. The condition codes
    /// (or flags) are set even when the exception is unmasked (unordered for an invalid operand
    /// or an empty register), as the host does.
    func x87Compare(_ op: UnsafeMutablePointer<DecodedOp>, _ m: Mnemonic, _ i: Int) throws(CPUException) {
        let pops = m == .fcompp || m == .fucompp ? 2
            : m == .fcomp || m == .ficomp || m == .fucomp || m == .fcomip || m == .fucomip ? 1 : 0
        let toFlags = m == .fcomi || m == .fcomip || m == .fucomi || m == .fucomip
        let unordered = m == .fucom || m == .fucomp || m == .fucompp || m == .fucomi || m == .fucomip
        var srcBits: Bits = (0, 0)
        var format = VSIM_X87_REG
        var empty = cpu.x87.isEmpty(0)
        if op.pointee.isMem {
            (format, srcBits) = try x87MemorySource(op, integer: m == .ficom || m == .ficomp)
        } else if m != .ftst {
            let src = m == .fcompp || m == .fucompp ? 1 : i
            empty = empty || cpu.x87.isEmpty(src)
            srcBits = bits(cpu.x87.st(src))
        }
        let c320 = X87State.c3 | X87State.c2 | X87State.c0
        var codes: UInt16
        var proceed = true
        if empty {
            proceed = x87StackFault(overflow: false)
            codes = c320   // unordered
        } else {
            let a = bits(cpu.x87.st(0))
            let sw: UInt16
            if m == .ftst { sw = host(VSIM_X87_TST, a).sw }
            else if unordered { sw = host(VSIM_X87_UCOM, a, srcBits).sw }
            else { sw = hostArithmetic(VSIM_X87_COM, format, a, srcBits).sw }
            proceed = !x87Merge(sw, keep: 0, blocking: X87State.ie | X87State.de)
            codes = sw & c320
        }
        setC1(false)
        if toFlags {
            // FCOMI: ZF PF CF = C3 C2 C0; OF SF AF cleared (SDM Vol. 2A FCOMI).
            var f: UInt32 = 0
            if codes & X87State.c3 != 0 { f |= EFLAGS.zf }
            if codes & X87State.c2 != 0 { f |= EFLAGS.pf }
            if codes & X87State.c0 != 0 { f |= EFLAGS.cf }
            setFlags(f)
        } else {
            cpu.x87.statusFlags = cpu.x87.statusFlags & ~c320 | codes
        }
        if proceed { for _ in 0..<pops { cpu.x87.pop() } }
    }

    /// FXAM: the class of ST(0) in C3 C2 C0 and its sign in C1; "empty" for an empty register.
    func x87Examine() {
        let c = X87State.conditionCodes
        if cpu.x87.isEmpty(0) {
            let sign = cpu.x87.st(0).isNegative ? X87State.c1 : 0
            cpu.x87.statusFlags = cpu.x87.statusFlags & ~c | X87State.c3 | X87State.c0 | sign
            return
        }
        let r = host(VSIM_X87_XAM, bits(cpu.x87.st(0)))
        cpu.x87.statusFlags = cpu.x87.statusFlags & ~c | r.sw & c
    }

    // MARK: the FPU environment and state (SDM Vol. 1, 8.1.10 and Figures 8-9 to 8-12)

    /// FNSTENV / FNSAVE in the 32-bit protected-mode format (28 / 108 bytes) or, under 0x66, the
    /// 16-bit one (14 / 94 bytes). The unused upper halves read as 1s, as on the host.
    func x87StoreEnvironment(_ op: UnsafeMutablePointer<DecodedOp>, save: Bool) throws(CPUException) {
        let a = ea(op)
        let x = cpu.x87
        let small = op.pointee.size == 14 || op.pointee.size == 94
        var words: [UInt32]
        if small {
            words = [UInt32(x.controlWord), UInt32(x.statusWord), UInt32(x.fullTagWord),
                     x.lastInstructionPointer & 0xFFFF, UInt32(x.lastCodeSelector),
                     x.lastDataPointer & 0xFFFF, UInt32(x.lastDataSelector)]
        } else {
            words = [0xFFFF_0000 | UInt32(x.controlWord), 0xFFFF_0000 | UInt32(x.statusWord),
                     0xFFFF_0000 | UInt32(x.fullTagWord), x.lastInstructionPointer,
                     UInt32(x.lastCodeSelector) | UInt32(x.lastOpcode & 0x7FF) << 16,
                     x.lastDataPointer, 0xFFFF_0000 | UInt32(x.lastDataSelector)]
        }
        let step: UInt32 = small ? 2 : 4
        let envSize = step * 7
        try checkWritable(a, UInt32(op.pointee.size))
        for (k, w) in words.enumerated() { try wr(a &+ UInt32(k) * step, UInt8(step), w) }
        if save {
            for k in 0..<8 {
                try x87Write(a &+ envSize &+ UInt32(10 * k), 10, bits(x.st(k)))
            }
            cpu.x87.reset()
        } else {
            // FNSTENV then masks all floating-point exceptions.
            cpu.x87.controlWord |= 0x3F
            cpu.x87.updateSummary()
        }
    }

    /// FLDENV / FRSTOR: the inverse; a tag of 11 marks a register empty, any other tag non-empty
    /// (the FPU recomputes the rest from the contents).
    func x87LoadEnvironment(_ op: UnsafeMutablePointer<DecodedOp>, restore: Bool) throws(CPUException) {
        let a = ea(op)
        let small = op.pointee.size == 14 || op.pointee.size == 94
        let step: UInt32 = small ? 2 : 4
        var w: [UInt32] = []
        for k in 0..<7 { w.append(try rd(a &+ UInt32(k) * step, UInt8(step))) }
        var regs: [X87Register] = []
        if restore {
            for k in 0..<8 { regs.append(register(try x87Read(a &+ step * 7 &+ UInt32(10 * k), 10))) }
        }
        var x = cpu.x87
        x.controlWord = Self.x87ControlWord(UInt16(truncatingIfNeeded: w[0]))
        x.statusWord = UInt16(truncatingIfNeeded: w[1])
        let tags = UInt16(truncatingIfNeeded: w[2])
        x.emptyMask = 0
        for k in 0..<8 where (tags >> (2 * UInt16(k))) & 3 == 3 { x.emptyMask |= 1 << k }
        if small {
            x.lastInstructionPointer = w[3] & 0xFFFF; x.lastCodeSelector = UInt16(truncatingIfNeeded: w[4])
            x.lastDataPointer = w[5] & 0xFFFF; x.lastDataSelector = UInt16(truncatingIfNeeded: w[6])
        } else {
            x.lastInstructionPointer = w[3]; x.lastCodeSelector = UInt16(truncatingIfNeeded: w[4])
            x.lastOpcode = UInt16(truncatingIfNeeded: w[4] >> 16) & 0x7FF
            x.lastDataPointer = w[5]; x.lastDataSelector = UInt16(truncatingIfNeeded: w[6])
        }
        for (k, r) in regs.enumerated() { x[physical: x.physical(k)] = r }
        x.updateSummary()
        cpu.x87 = x
    }
}
