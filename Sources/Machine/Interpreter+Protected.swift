import X86

/// The system level of the interpreter (Intel SDM Vol. 3A, chapters 3, 5, 6): descriptors from
/// the guest's GDT and LDT, the privileged instructions at CPL 0, I/O through the ``IOBus``,
/// interrupt and exception delivery through the IDT with a stack switch from the TSS, and IRET
/// back to an outer ring. Active when ``Interpreter/system`` is set (``SystemMachine``); in
/// user-mode emulation none of this runs and the hot loop is the same code.
///
/// The model, where it is narrower than the SDM (documented in docs/system-machine.md):
/// segment limits are not checked and CS must have base 0 (flat code, as every vsim guest);
/// interrupt and trap gates only (task gates, call gates and 16-bit gates are outside the
/// subset: `#GP`); no I/O permission bitmap (IN/OUT need CPL <= IOPL); debug registers are
/// stored but raise no `#DB`; descriptor accessed bits are not set.
extension Interpreter {
    // MARK: descriptors

    /// The 8-byte descriptor `sel` names: in user-mode emulation from ``CPUState/descriptors``,
    /// in system mode from the GDT (or LDT when TI = 1) in guest memory, read as a supervisor
    /// access. nil when the selector is outside the table.
    func descriptor(_ sel: UInt16) throws(CPUException) -> UInt64? {
        guard let sys = system else {
            guard sel & 4 == 0 else { return nil }
            return cpu.descriptors[Int(sel >> 3)]
        }
        let index = UInt32(sel >> 3)
        let shadow = sel & 4 == 0 ? sys.descriptorShadow : nil
        if let shadow, let d = shadow.hostedDescriptor(index) { return d }
        var (base, limit) = sel & 4 == 0 ? (cpu.gdtr.base, UInt32(cpu.gdtr.limit)) : (sys.ldtBase, sys.ldtLimit)
        if let shadow { (base, limit) = shadow.guestTable() }
        if sel & 4 != 0 && cpu.ldtr & 0xFFFC == 0 { return nil }
        guard index * 8 + 7 <= limit else { return nil }
        let lo = try supervisorRead32(base &+ index * 8)
        let hi = try supervisorRead32(base &+ index * 8 &+ 4)
        let d = UInt64(hi) << 32 | UInt64(lo)
        return shadow.map { $0.shadow(d) } ?? d
    }

    /// Reads a 32-bit word as an implicit supervisor access (descriptor tables, TSS, IDT).
    func supervisorRead32(_ a: UInt32) throws(CPUException) -> UInt32 {
        let saved = memory.userMode
        memory.userMode = false
        defer { memory.userMode = saved }
        return try rd(a, 4)
    }

    func supervisorWrite32(_ a: UInt32, _ v: UInt32) throws(CPUException) {
        let saved = memory.userMode
        memory.userMode = false
        defer { memory.userMode = saved }
        try wr(a, 4, v)
    }

    /// Changes CPL (and the user/supervisor mode of memory accesses). Entering CPL 3 drops the
    /// decoded instructions of supervisor pages (see ``MMU``).
    func setCPL(_ n: UInt8) {
        let old = cpu.cpl
        cpu.cpl = n
        memory.userMode = n == 3
        if n == 3 && old != 3 { memory.mmu?.dropSupervisorCode() }
    }

    // MARK: privileged instructions

    /// Offers an unprivileged but VMM-relevant instruction (CPUID, RDTSC, SGDT ... VERW) to the
    /// hooks. nil: execute it normally; a Bool: what ``exec`` returns.
    func offerToVMM(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32, _ sys: SystemMachine) throws(CPUException) -> Bool? {
        guard let hooks = sys.hooks else { return nil }
        let insn = try decodeForTrace(op.pointee.tag)
        switch hooks.intercept(.instruction(insn, next: next), machine: sys) {
        case .proceed: return nil
        case .handled: return !sys.mustStop
        case .stop(let why): sys.stop = .vmm(why); return false
        }
    }

    /// Linear address of a memory operand of a re-decoded instruction.
    func linearAddress(_ m: MemoryOperand) -> UInt32 {
        var a = (m.base.map { s[Int($0)] } ?? 0) &+ ((m.index.map { s[Int($0)] } ?? 0) << UInt32(m.scale.trailingZeroBitCount))
            &+ UInt32(bitPattern: m.displacement)
        if m.addressSize == 2 { a &= 0xFFFF }
        return a &+ segBase(m.segment.rawValue)
    }

    /// A privileged or I/O instruction in system mode. Re-decodes the instruction (these are
    /// rare, and ``DecodedOp`` keeps only the mnemonic for them). Returns false when the run loop
    /// must stop (HLT, the exit device, a port with no device, an instruction the VMM takes).
    func systemPrivileged(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32, _ sys: SystemMachine) throws(CPUException) -> Bool {
        let insn = try decodeForTrace(op.pointee.tag)
        let m = insn.mnemonic
        let ioInstruction = m == .in || m == .out || m == .ins || m == .outs
        if ioInstruction {
            if cpu.cpl > iopl { throw gp0("\(m) at CPL \(cpu.cpl) with IOPL \(iopl) (vsim models no I/O permission bitmap)") }
        } else if cpu.cpl > 0 {
            throw gp0("privileged instruction \("\(m)".uppercased()) at CPL \(cpu.cpl)")
        }
        if let hooks = sys.hooks {
            switch hooks.intercept(.instruction(insn, next: next), machine: sys) {
            case .proceed: break
            case .handled: return !sys.mustStop
            case .stop(let why): sys.stop = .vmm(why); return false
            }
        }
        return try executePrivileged(insn, next: next, sys)
    }

    /// Executes privileged instruction `insn` at CPL 0 (or an I/O instruction CPL <= IOPL
    /// allows). The modeled VMM calls this too, to run a guest instruction it decided to perform.
    func executePrivileged(_ insn: Instruction, next: UInt32, _ sys: SystemMachine) throws(CPUException) -> Bool {
        switch insn.mnemonic {
        case .hlt:
            sys.halted = true
            eip = next
            return false
        case .in, .out:
            let isIn = insn.mnemonic == .in
            let portOp = isIn ? insn.operand1 : insn.operand0
            let port: UInt16
            if case .immediate(let v, _) = portOp { port = UInt16(v & 0xFF) } else { port = UInt16(truncatingIfNeeded: s[GPR.edx]) }
            let size = insn.operandSize
            if isIn {
                guard let v = sys.io.read(port: port, size: size) else {
                    sys.stop = .noDevice(port: port, write: false, eip: op(insn))
                    return false
                }
                setR(GPR.eaxOffset, size, v)
            } else {
                guard let r = sys.io.write(port: port, size: size, value: getR(GPR.eaxOffset, size)) else {
                    sys.stop = .noDevice(port: port, write: true, eip: op(insn))
                    return false
                }
                if case .exit(let status) = r {
                    eip = next
                    sys.stop = .exited(status: status)
                    return false
                }
            }
        case .ins, .outs:
            return try stringIO(insn, next: next, sys)
        case .lgdt, .lidt:
            guard case .memory(let mo) = insn.operand0 else { throw CPUException(vector: .ud, detail: "LGDT/LIDT with a register operand") }
            let a = linearAddress(mo)
            let limit = UInt16(truncatingIfNeeded: try rd(a, 2))
            var base = try rd(a &+ 2, 4)
            if insn.operandSize == 2 { base &= 0x00FF_FFFF }
            let t = DescriptorTableRegister(base: base, limit: limit)
            if insn.mnemonic == .lgdt { cpu.gdtr = t } else { cpu.idtr = t }
        case .lldt:
            let sel = UInt16(truncatingIfNeeded: try operandValue(insn.operand0, 2))
            if sel & 0xFFFC == 0 {
                cpu.ldtr = sel; sys.ldtBase = 0; sys.ldtLimit = 0
            } else {
                guard sel & 4 == 0, let d = try descriptor(sel) else { throw gpSel(sel, "LLDT selector 0x\(String(sel, radix: 16)) not in the GDT") }
                let hi = UInt32(truncatingIfNeeded: d >> 32)
                guard hi & 0x1F00 == 0x0200 else { throw gpSel(sel, "LLDT of a descriptor that is not an LDT") }
                guard hi & 0x8000 != 0 else { throw CPUException(vector: .np, errorCode: UInt32(sel & 0xFFFC), detail: "LDT descriptor not present") }
                cpu.ldtr = sel; sys.ldtBase = CPUState.descriptorBase(d); sys.ldtLimit = CPUState.descriptorLimit(d)
            }
        case .ltr:
            let sel = UInt16(truncatingIfNeeded: try operandValue(insn.operand0, 2))
            guard sel & 0xFFFC != 0 else { throw gp0("LTR with a null selector") }
            guard sel & 4 == 0, let d = try descriptor(sel) else { throw gpSel(sel, "LTR selector 0x\(String(sel, radix: 16)) not in the GDT") }
            let hi = UInt32(truncatingIfNeeded: d >> 32)
            guard hi & 0x1F00 == 0x0900 else {
                throw gpSel(sel, hi & 0x1F00 == 0x0B00 ? "LTR of a busy TSS" : "LTR of a descriptor that is not an available 32-bit TSS")
            }
            guard hi & 0x8000 != 0 else { throw CPUException(vector: .np, errorCode: UInt32(sel & 0xFFFC), detail: "TSS descriptor not present") }
            try supervisorWrite32(cpu.gdtr.base &+ UInt32(sel >> 3) * 8 &+ 4, hi | 0x0200)   // busy
            cpu.tr = sel; sys.trBase = CPUState.descriptorBase(d); sys.trLimit = CPUState.descriptorLimit(d)
        case .lmsw:
            let v = try operandValue(insn.operand0, 2) & 0xF
            // LMSW loads PE MP EM TS; it cannot clear PE.
            try writeCR0((cpu.cr0 & ~0xE) | v | (cpu.cr0 & CR0.pe), sys)
        case .clts:
            cpu.cr0 &= ~CR0.ts
        case .mov:
            guard case .register(let r0) = insn.operand0, case .register(let r1) = insn.operand1 else {
                throw CPUException(vector: .ud, detail: "MOV to/from a special register without registers")
            }
            if r0.kind == .control {
                try writeControlRegister(r0.number, s[Int(r1.number)], sys)
            } else if r0.kind == .debug {
                sys.debugRegisters[Int(r0.number & 7)] = s[Int(r1.number)]
            } else if r1.kind == .control {
                s[Int(r0.number)] = try readControlRegister(r1.number)
            } else {
                s[Int(r0.number)] = sys.debugRegisters[Int(r1.number & 7)]
            }
        case .invlpg:
            guard case .memory(let mo) = insn.operand0 else { throw CPUException(vector: .ud, detail: "INVLPG with a register operand") }
            memory.mmu?.flush(linearAddress(mo))
        case .wbinvd, .invd:
            break   // no caches are modeled
        case .rdmsr:
            guard let v = sys.msrs[s[GPR.ecx]] else { throw gp0("RDMSR of MSR 0x\(String(s[GPR.ecx], radix: 16)), which vsim does not model") }
            let value = s[GPR.ecx] == 0x10 ? sys.clock : v
            s[GPR.eax] = UInt32(truncatingIfNeeded: value); s[GPR.edx] = UInt32(truncatingIfNeeded: value >> 32)
        case .wrmsr:
            guard sys.msrs[s[GPR.ecx]] != nil, s[GPR.ecx] != 0x10 else { throw gp0("WRMSR of MSR 0x\(String(s[GPR.ecx], radix: 16)), which vsim does not model as writable") }
            sys.msrs[s[GPR.ecx]] = UInt64(s[GPR.edx]) << 32 | UInt64(s[GPR.eax])
        default:
            throw CPUException(vector: .ud, detail: "\(insn.mnemonic) is not a privileged instruction vsim models")
        }
        eip = next
        return true
    }

    private func op(_ insn: Instruction) -> UInt32 { insn.address }

    /// Value of a register or memory operand of `size` bytes (re-decoded instruction).
    func operandValue(_ o: Operand, _ size: UInt8) throws(CPUException) -> UInt32 {
        switch o {
        case .register(let r): return r.kind == .gpr32 || r.kind == .gpr16 ? getR(r.number * 4, size) : 0
        case .memory(let m): return try rd(linearAddress(m), size)
        case .immediate(let v, _): return v
        default: return 0
        }
    }

    func readControlRegister(_ n: UInt8) throws(CPUException) -> UInt32 {
        switch n {
        case 0: return cpu.cr0
        case 2: return cpu.cr2
        case 3: return cpu.cr3
        case 4: return cpu.cr4
        default: throw CPUException(vector: .ud, detail: "MOV from CR\(n)")
        }
    }

    func writeControlRegister(_ n: UInt8, _ v: UInt32, _ sys: SystemMachine) throws(CPUException) {
        switch n {
        case 0: try writeCR0(v, sys)
        case 2: cpu.cr2 = v
        case 3:
            cpu.cr3 = v & ~0xFE7   // PCD PWT and the base are kept
            memory.mmu?.flushAll()
        case 4:
            let known = CR4.tsd | CR4.pse | CR4.pge | CR4.umip
            guard v & ~known == 0 else { throw gp0("MOV to CR4 sets bits vsim does not model (0x\(String(v & ~known, radix: 16)))") }
            cpu.cr4 = v
            memory.mmu?.flushAll()
        default: throw CPUException(vector: .ud, detail: "MOV to CR\(n)")
        }
    }

    func writeCR0(_ v: UInt32, _ sys: SystemMachine) throws(CPUException) {
        guard v & CR0.pe != 0 else { throw gp0("clearing CR0.PE (real mode is outside the vsim subset)") }
        if v & CR0.pg != 0 && v & CR0.pe == 0 { throw gp0("CR0.PG without PE") }
        let old = cpu.cr0
        cpu.cr0 = (v & (CR0.pe | CR0.mp | CR0.em | CR0.ts | CR0.ne | CR0.wp | CR0.am | CR0.pg | (3 << 29))) | CR0.et
        if (old ^ cpu.cr0) & (CR0.pg | CR0.wp) != 0 { memory.mmu?.flushAll() }
    }

    /// INS/OUTS with an optional REP prefix (ES:EDI / DS:ESI, DF honoured).
    func stringIO(_ insn: Instruction, next: UInt32, _ sys: SystemMachine) throws(CPUException) -> Bool {
        let size = insn.operandSize
        let port = UInt16(truncatingIfNeeded: s[GPR.edx])
        let rep = insn.prefixes.contains(.rep) || insn.prefixes.contains(.repne)
        let a16 = insn.addressSize == 2
        let step = cpu.df ? UInt32(0) &- UInt32(size) : UInt32(size)
        while !rep || (a16 ? s[GPR.ecx] & 0xFFFF : s[GPR.ecx]) != 0 {
            if insn.mnemonic == .ins {
                let di = a16 ? s[GPR.edi] & 0xFFFF : s[GPR.edi]
                let a = di &+ segBase(0)
                try checkWritable(a, UInt32(size))
                guard let v = sys.io.read(port: port, size: size) else {
                    sys.stop = .noDevice(port: port, write: false, eip: insn.address)
                    return false
                }
                try wr(a, size, v)
                if a16 { setR(GPR.ediOffset, 2, di &+ step) } else { s[GPR.edi] = di &+ step }
            } else {
                let si = a16 ? s[GPR.esi] & 0xFFFF : s[GPR.esi]
                var seg = SegmentRegister.ds.rawValue
                if let o = insn.segmentOverride { seg = o.rawValue }
                let v = try rd(si &+ segBase(seg), size)
                guard let r = sys.io.write(port: port, size: size, value: v) else {
                    sys.stop = .noDevice(port: port, write: true, eip: insn.address)
                    return false
                }
                if a16 { setR(GPR.esiOffset, 2, si &+ step) } else { s[GPR.esi] = si &+ step }
                if case .exit(let status) = r {
                    sys.stop = .exited(status: status)
                    eip = next
                    return false
                }
            }
            if !rep { break }
            if a16 { setR(GPR.ecxOffset, 2, (s[GPR.ecx] &- 1) & 0xFFFF) } else { s[GPR.ecx] &-= 1 }
        }
        eip = next
        return true
    }

    // MARK: interrupts and exceptions

    /// INT n at any CPL in system mode: offered to the hooks, then delivered through the IDT
    /// (gate DPL checked against CPL: `#GP(n*8+2)` otherwise). EIP is still the INT's.
    func systemSoftwareInterrupt(_ v: UInt8, next: UInt32, _ sys: SystemMachine) throws(CPUException) -> Bool {
        if let hooks = sys.hooks {
            switch hooks.intercept(.softwareInterrupt(vector: v, eip: eip, next: next), machine: sys) {
            case .proceed: break
            case .handled: return !sys.mustStop && !sys.consumeSliceEnd()
            case .stop(let why): sys.stop = .vmm(why); return false
            }
        }
        try deliver(vector: v, errorCode: nil, returnEIP: next, software: true, external: false)
        sys.delivered[v, default: 0] &+= 1
        return true
    }

    /// Delivers interrupt or exception `vector` through the IDT (SDM Vol. 3A, 6.12.1): an
    /// interrupt or trap gate, to a code segment of DPL <= CPL; to an inner ring the stack is
    /// switched to SS:ESP of that ring from the TSS and the old SS:ESP pushed; then EFLAGS, CS,
    /// EIP and the error code. TF, NT, RF are cleared, and IF too through an interrupt gate.
    /// Throws the exception delivery itself raises; nothing has changed then.
    public func deliver(vector: UInt8, errorCode: UInt32?, returnEIP: UInt32, software: Bool, external: Bool) throws(CPUException) {
        let ext: UInt32 = external ? 1 : 0
        let gateCode = UInt32(vector) * 8 + 2 + ext
        let idt = cpu.idtr
        guard UInt32(vector) * 8 + 7 <= UInt32(idt.limit) else {
            throw CPUException(vector: .gp, errorCode: gateCode, detail: "vector 0x\(String(vector, radix: 16)) is beyond the IDT limit 0x\(String(idt.limit, radix: 16))")
        }
        let lo = try supervisorRead32(idt.base &+ UInt32(vector) * 8)
        let hi = try supervisorRead32(idt.base &+ UInt32(vector) * 8 &+ 4)
        let type = (hi >> 8) & 0x1F, gateDPL = UInt8((hi >> 13) & 3)
        guard type == 0x0E || type == 0x0F else {
            throw CPUException(vector: .gp, errorCode: gateCode, detail: "IDT entry 0x\(String(vector, radix: 16)) is not a 32-bit interrupt or trap gate (type \(type)); task and 16-bit gates are outside the vsim subset")
        }
        if software && gateDPL < cpu.cpl {
            throw CPUException(vector: .gp, errorCode: gateCode, detail: "INT 0x\(String(vector, radix: 16)) at CPL \(cpu.cpl) through a gate of DPL \(gateDPL)")
        }
        guard hi & 0x8000 != 0 else {
            throw CPUException(vector: .np, errorCode: gateCode, detail: "IDT gate 0x\(String(vector, radix: 16)) not present")
        }
        let sel = UInt16(truncatingIfNeeded: lo >> 16)
        let offset = (lo & 0xFFFF) | (hi & 0xFFFF_0000)
        guard sel & 0xFFFC != 0 else { throw CPUException(vector: .gp, errorCode: ext, detail: "IDT gate 0x\(String(vector, radix: 16)) has a null code selector") }
        guard let cd = try descriptor(sel) else { throw CPUException(vector: .gp, errorCode: UInt32(sel & 0xFFFC) | ext, detail: "gate selector 0x\(String(sel, radix: 16)) not in the GDT") }
        let chi = UInt32(truncatingIfNeeded: cd >> 32)
        let codeDPL = UInt8((chi >> 13) & 3)
        guard chi & 0x1800 == 0x1800, codeDPL <= cpu.cpl else {
            throw CPUException(vector: .gp, errorCode: UInt32(sel & 0xFFFC) | ext, detail: "gate selector 0x\(String(sel, radix: 16)) is not a code segment of DPL <= CPL \(cpu.cpl)")
        }
        guard chi & 0x8000 != 0 else { throw CPUException(vector: .np, errorCode: UInt32(sel & 0xFFFC) | ext, detail: "handler code segment not present") }
        guard CPUState.descriptorBase(cd) == 0 else { throw CPUException(vector: .gp, errorCode: UInt32(sel & 0xFFFC) | ext, detail: "code segment with a non-zero base is outside the vsim subset") }
        let conforming = chi & 0x0400 != 0
        let newCPL = conforming ? cpu.cpl : codeDPL
        let flags = eflagsForPush() | (flagsRest & EFLAGS.rf)
        var frame: [UInt32] = []
        var newSS = cpu.segments[2], newSSBase = segBase(2), newESP = s[GPR.esp]
        if newCPL < cpu.cpl {
            guard let sys = system else { throw gp0("inner-ring interrupt outside system mode") }
            let slot = 4 &+ 8 * UInt32(newCPL)
            guard sys.trLimit >= slot &+ 7, cpu.tr & 0xFFFC != 0 else {
                throw CPUException(vector: .ts, errorCode: UInt32(cpu.tr & 0xFFFC) | ext, detail: "no stack for ring \(newCPL) in the TSS (TR 0x\(String(cpu.tr, radix: 16)))")
            }
            newESP = try supervisorRead32(sys.trBase &+ slot)
            newSS = UInt16(truncatingIfNeeded: try supervisorRead32(sys.trBase &+ slot &+ 4))
            guard newSS & 0xFFFC != 0, UInt8(newSS & 3) == newCPL, let sd = try descriptor(newSS) else {
                throw CPUException(vector: .ts, errorCode: UInt32(newSS & 0xFFFC) | ext, detail: "TSS stack selector 0x\(String(newSS, radix: 16)) for ring \(newCPL) is invalid")
            }
            let shi = UInt32(truncatingIfNeeded: sd >> 32)
            guard shi & 0x1A00 == 0x1200, UInt8((shi >> 13) & 3) == newCPL else {
                throw CPUException(vector: .ts, errorCode: UInt32(newSS & 0xFFFC) | ext, detail: "TSS stack segment 0x\(String(newSS, radix: 16)) is not a writable data segment of DPL \(newCPL)")
            }
            newSSBase = CPUState.descriptorBase(sd)
            frame = [UInt32(cpu.segments[2]), s[GPR.esp]]
        }
        frame += [flags, UInt32(cpu.segments[1]), returnEIP]
        if let e = errorCode { frame.append(e) }
        // Push the frame as an access at the new privilege level: all or nothing.
        let savedMode = memory.userMode
        memory.userMode = newCPL == 3
        let top = newESP &- 4 * UInt32(frame.count)
        do throws(CPUException) {
            try checkWritable(top &+ newSSBase, 4 * UInt32(frame.count))
            var a = newESP
            for w in frame {
                a &-= 4
                try wr(a &+ newSSBase, 4, w)
            }
        } catch {
            memory.userMode = savedMode
            throw error
        }
        // Commit.
        if newCPL < cpu.cpl {
            cpu.segments[2] = newSS
            s[CPUState.iSegBase + 2] = newSSBase
        }
        s[GPR.esp] = top
        cpu.segments[1] = (sel & 0xFFFC) | UInt16(newCPL)
        s[CPUState.iSegBase + 1] = 0
        var clear = EFLAGS.tf | EFLAGS.nt | EFLAGS.rf | EFLAGS.vm
        if type == 0x0E { clear |= EFLAGS.if }
        flagsRest &= ~clear
        setCPL(newCPL)
        eip = offset
    }

    /// IRET(D) in system mode (SDM "IRET", protected mode): to the same or an outer ring. To an
    /// outer ring it also pops ESP and SS, and nulls DS ES FS GS if their DPL is below the new
    /// CPL. EFLAGS is restored as POPF does at the *old* CPL (IOPL only from CPL 0, IF only when
    /// CPL <= IOPL).
    func protectedIret(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        if flagsRest & EFLAGS.nt != 0 { throw gp0("IRET with NT=1 (task return) is outside the vsim subset") }
        let sz = op.pointee.size, n = UInt32(sz), ss = segBase(2)
        let off = try rd(s[GPR.esp] &+ ss, sz)
        let sel = UInt16(truncatingIfNeeded: try rd(s[GPR.esp] &+ n &+ ss, sz))
        let fl = try rd(s[GPR.esp] &+ 2 * n &+ ss, sz)
        let rpl = UInt8(sel & 3)
        guard sel & 0xFFFC != 0 else { throw gp0("IRET to a null code selector") }
        guard rpl >= cpu.cpl else { throw gpSel(sel, "IRET to an inner ring (RPL \(rpl) < CPL \(cpu.cpl))") }
        guard let cd = try descriptor(sel) else { throw gpSel(sel, "IRET selector 0x\(String(sel, radix: 16)) not in the GDT") }
        let chi = UInt32(truncatingIfNeeded: cd >> 32)
        let dpl = UInt8((chi >> 13) & 3), conforming = chi & 0x0400 != 0
        guard chi & 0x1800 == 0x1800, conforming ? dpl <= rpl : dpl == rpl else {
            throw gpSel(sel, "IRET to 0x\(String(sel, radix: 16)), not a code segment of DPL \(rpl)")
        }
        guard chi & 0x8000 != 0 else { throw CPUException(vector: .np, errorCode: UInt32(sel & 0xFFFC), detail: "IRET code segment not present") }
        guard CPUState.descriptorBase(cd) == 0 else { throw gpSel(sel, "code segment with a non-zero base is outside the vsim subset") }
        if rpl == cpu.cpl {
            s[GPR.esp] = s[GPR.esp] &+ 3 * n
            cpu.segments[1] = sel
            writeEflags(fl, size: sz)
            eip = sz == 2 ? off & 0xFFFF : off
            return
        }
        let newESP = try rd(s[GPR.esp] &+ 3 * n &+ ss, sz)
        let newSS = UInt16(truncatingIfNeeded: try rd(s[GPR.esp] &+ 4 * n &+ ss, sz))
        guard newSS & 0xFFFC != 0, UInt8(newSS & 3) == rpl, let sd = try descriptor(newSS) else {
            throw gpSel(newSS, "IRET stack selector 0x\(String(newSS, radix: 16)) invalid for ring \(rpl)")
        }
        let shi = UInt32(truncatingIfNeeded: sd >> 32)
        guard shi & 0x1A00 == 0x1200, UInt8((shi >> 13) & 3) == rpl else {
            throw gpSel(newSS, "IRET stack segment 0x\(String(newSS, radix: 16)) is not a writable data segment of DPL \(rpl)")
        }
        guard shi & 0x8000 != 0 else { throw CPUException(vector: .ss, errorCode: UInt32(newSS & 0xFFFC), detail: "IRET stack segment not present") }
        writeEflags(fl, size: sz)   // with the old CPL's rules
        cpu.segments[1] = sel
        cpu.segments[2] = newSS
        s[CPUState.iSegBase + 2] = CPUState.descriptorBase(sd)
        s[GPR.esp] = newESP
        eip = sz == 2 ? off & 0xFFFF : off
        setCPL(rpl)
        for seg in [0, 3, 4, 5] {
            let ds = cpu.segments[seg]
            guard ds & 0xFFFC != 0, let d = try? descriptor(ds) else { continue }
            let h = UInt32(truncatingIfNeeded: d >> 32)
            let dataOrNonConforming = h & 0x0800 == 0 || h & 0x0400 == 0
            if dataOrNonConforming && UInt8((h >> 13) & 3) < rpl {
                cpu.segments[seg] = 0
                s[CPUState.iSegBase + seg] = 0
            }
        }
    }
}
