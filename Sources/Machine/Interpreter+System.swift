import X86

/// INT n, CPUID, privileged and sensitive-unprivileged instructions, segment loads, far
/// transfers and IRET, as an i386 at CPL 3 with a flat Linux-like GDT (``CPUState/descriptors``).
extension Interpreter {
    func gp0(_ why: String) -> CPUException {
        CPUException(vector: .gp, errorCode: 0, detail: why)
    }

    func gpSel(_ sel: UInt16, _ why: String) -> CPUException {
        CPUException(vector: .gp, errorCode: UInt32(sel & 0xFFFC), detail: why)
    }

    /// INT n: served by ``interruptHandler`` with EIP past the INT. Without a handler the IDT
    /// gate is taken as inaccessible at CPL 3: `#GP(n*8+2)` (IDT bit set in the error code), which
    /// Linux turns into SIGSEGV.
    func softwareInterrupt(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32) throws(CPUException) -> Bool {
        let v = UInt8(truncatingIfNeeded: op.pointee.imm)
        if let sys = system { return try systemSoftwareInterrupt(v, next: next, sys) }
        guard let h = interruptHandler else {
            throw CPUException(vector: .gp, errorCode: UInt32(v) * 8 + 2,
                               detail: "INT 0x\(String(v, radix: 16)) with no handler for the vector")
        }
        eip = next
        switch h.softwareInterrupt(v, cpu: cpu, memory: memory) {
        case .resume:
            return true
        case .stop(let status):
            pendingStop = .exited(status: status)
            return false
        case .exception(let e):
            if e.vector != .bp && e.vector != .of { eip = op.pointee.tag }
            throw e
        }
    }

    /// CPUID (SDM Vol. 2A "CPUID"). vsim's model: leaf 0 = max leaf 1 and vendor "VSimVSimVSim";
    /// leaf 1: EAX = 0x00000600 (family 6, model 0, stepping 0), EBX = ECX = 0, EDX = FPU (bit 0,
    /// the x87 of Interpreter+X87.swift) | TSC (bit 4) | CX8 (bit 8, CMPXCHG8B) | CMOV (bit 15;
    /// with FPU: FCMOVcc and FCOMI). No SSE: no FXSR, and no SSE3 (FISTTP is #UD). Other
    /// leaves: all zeros (so no leaf 7: no BMI1, and no LZCNT in 80000001h; F3 0F BC/BD run as
    /// BSF/BSR).
    func cpuid() {
        let vsim: UInt32 = 0x6D69_5356   // "VSim" little-endian
        switch s[GPR.eax] {
        case 0: s[GPR.eax] = 1; s[GPR.ebx] = vsim; s[GPR.edx] = vsim; s[GPR.ecx] = vsim
        case 1: s[GPR.eax] = 0x600; s[GPR.ebx] = 0; s[GPR.ecx] = 0; s[GPR.edx] = 1 | (1 << 4) | (1 << 8) | (1 << 15)
        default: s[GPR.eax] = 0; s[GPR.ebx] = 0; s[GPR.ecx] = 0; s[GPR.edx] = 0
        }
    }

    /// Privileged instructions (SDM Vol. 3A, 5.9) and IN/OUT/INS/OUTS (IOPL-sensitive, no I/O
    /// permission bitmap modeled): `#GP(0)` at CPL 3. In system mode: Interpreter+Protected.swift.
    /// Returns false when the run loop must stop.
    func privileged(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32) throws(CPUException) -> Bool {
        if let sys = system { return try systemPrivileged(op, next: next, sys) }
        let name = Mnemonic(rawValue: op.pointee.sub).map { "\($0)".uppercased() } ?? "?"
        if cpu.cpl > 0 {
            throw gp0("privileged instruction \(name) at CPL \(cpu.cpl)")
        }
        throw CPUException(vector: .ud, detail: "\(name) at CPL 0 is not modeled yet")
    }

    /// Loads segment register `seg` (0…5 = ES CS SS DS FS GS) with selector `sel` at the current
    /// CPL, checking it against ``CPUState/descriptors`` as the CPU checks the GDT
    /// (SDM "MOV", "POP": #GP(selector) for a bad selector; a null selector is allowed for
    /// DS ES FS GS and raises #GP(0) for SS).
    func loadSegment(_ seg: UInt8, _ sel: UInt16) throws(CPUException) {
        if seg == 1 { throw CPUException(vector: .ud, detail: "MOV/POP to CS") }
        let cpl = UInt16(cpu.cpl)
        if sel & 0xFFFC == 0 {
            if seg == 2 { throw gp0("null selector loaded into SS") }
            cpu.segments[Int(seg)] = sel
            s[CPUState.iSegBase + Int(seg)] = 0
            return
        }
        guard let d = try descriptor(sel) else {
            throw gpSel(sel, "selector 0x\(String(sel, radix: 16)) not in the GDT")
        }
        let hi = UInt32(truncatingIfNeeded: d >> 32)
        if hi & 0x8000 == 0 { throw CPUException(vector: seg == 2 ? .ss : .np, errorCode: UInt32(sel & 0xFFFC), detail: "segment 0x\(String(sel, radix: 16)) not present") }
        let dpl = UInt16((hi >> 13) & 3), rpl = sel & 3
        let isCode = hi & (1 << 11) != 0, readable = hi & (1 << 9) != 0, writable = !isCode && hi & (1 << 9) != 0
        guard hi & (1 << 12) != 0 else { throw gpSel(sel, "system descriptor loaded into a segment register") }
        if seg == 2 {
            guard writable && rpl == cpl && dpl == cpl else { throw gpSel(sel, "selector 0x\(String(sel, radix: 16)) not a writable data segment at CPL \(cpl)") }
        } else {
            guard !isCode || readable else { throw gpSel(sel, "execute-only code segment") }
            let conforming = isCode && hi & (1 << 10) != 0
            guard conforming || (dpl >= cpl && dpl >= rpl) else { throw gpSel(sel, "segment DPL \(dpl) below CPL/RPL") }
        }
        cpu.segments[Int(seg)] = sel
        s[CPUState.iSegBase + Int(seg)] = CPUState.descriptorBase(d)
    }

    /// Checks a far-transfer target code selector at the same privilege level.
    func checkCodeSelector(_ sel: UInt16) throws(CPUException) {
        let cpl = UInt16(cpu.cpl)
        guard sel & 0xFFFC != 0 else { throw gp0("null code selector") }
        guard let d = try descriptor(sel) else {
            throw gpSel(sel, "selector 0x\(String(sel, radix: 16)) not in the GDT")
        }
        let hi = UInt32(truncatingIfNeeded: d >> 32)
        let dpl = UInt16((hi >> 13) & 3)
        if system != nil && CPUState.descriptorBase(d) != 0 { throw gpSel(sel, "code segment with a non-zero base is outside the vsim subset") }
        guard hi & (1 << 12) != 0, hi & (1 << 11) != 0 else { throw gpSel(sel, "not a code segment (gates are not modeled)") }
        guard hi & (1 << 22) != 0 else { throw gpSel(sel, "16-bit or 64-bit code segment is outside the vsim subset") }
        let conforming = hi & (1 << 10) != 0
        guard conforming ? dpl <= cpl : (dpl == cpl && sel & 3 <= cpl) else {
            throw gpSel(sel, "privilege change through a far transfer")
        }
    }

    /// JMP ptr16:32 / m16:32 and CALL likewise, to a code segment at the current privilege.
    func farTransfer(_ op: UnsafeMutablePointer<DecodedOp>, _ h: H, next: UInt32) throws(CPUException) {
        let sz = op.pointee.size
        var off: UInt32, sel: UInt16
        if op.pointee.flags & DecodedOp.fImm != 0 {
            off = op.pointee.imm; sel = UInt16(truncatingIfNeeded: op.pointee.imm2)
        } else {
            let a = ea(op)
            off = try rd(a, sz)
            sel = UInt16(truncatingIfNeeded: try rd(a &+ UInt32(sz), 2))
        }
        try checkCodeSelector(sel)
        if h == .callFar {
            let ss = segBase(2), n = UInt32(sz)
            try checkWritable(s[GPR.esp] &- 2 * n &+ ss, 2 * n)
            try push(UInt32(cpu.segments[1]), sz)
            try push(next, sz)
        }
        if sz == 2 { off &= 0xFFFF }
        cpu.segments[1] = (sel & 0xFFFC) | UInt16(cpu.cpl)
        eip = off
    }

    /// RETF [imm16]: same-privilege far return.
    func farReturn(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, n = UInt32(sz), ss = segBase(2)
        let off = try rd(s[GPR.esp] &+ ss, sz)
        let sel = UInt16(truncatingIfNeeded: try rd(s[GPR.esp] &+ n &+ ss, sz))
        if sel & 3 != UInt16(cpu.cpl) { throw gpSel(sel, "far return to another privilege level") }
        try checkCodeSelector(sel)
        s[GPR.esp] = s[GPR.esp] &+ 2 * n &+ (op.pointee.imm & 0xFFFF)
        cpu.segments[1] = sel
        eip = off
    }

    /// IRET(D) at the same privilege level: pops EIP, CS, EFLAGS (EFLAGS as POPF does at this
    /// CPL). NT = 1 (task return) is not modeled: `#GP(0)`.
    func iret(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        if system != nil { try protectedIret(op); return }
        if flagsRest & EFLAGS.nt != 0 { throw gp0("IRET with NT=1 (task return) is not modeled") }
        let sz = op.pointee.size, n = UInt32(sz), ss = segBase(2)
        let off = try rd(s[GPR.esp] &+ ss, sz)
        let sel = UInt16(truncatingIfNeeded: try rd(s[GPR.esp] &+ n &+ ss, sz))
        let fl = try rd(s[GPR.esp] &+ 2 * n &+ ss, sz)
        if sel & 3 != UInt16(cpu.cpl) { throw gpSel(sel, "IRET to another privilege level") }
        try checkCodeSelector(sel)
        s[GPR.esp] = s[GPR.esp] &+ 3 * n
        cpu.segments[1] = sel
        writeEflags(fl, size: sz)
        eip = off
    }

    /// SGDT SIDT SLDT STR SMSW LAR LSL VERR VERW: unprivileged on i386 (no UMIP); they return
    /// the modeled values in ``CPUState`` (see its documentation for the defaults).
    func sensitive(_ op: UnsafeMutablePointer<DecodedOp>, _ h: H) throws(CPUException) {
        let isMem = op.pointee.isMem
        if cpu.cr4 & CR4.umip != 0 && cpu.cpl > 0 && h.rawValue >= H.sgdt.rawValue && h.rawValue <= H.smsw.rawValue {
            throw gp0("\("\(h)".uppercased()) at CPL \(cpu.cpl) with CR4.UMIP=1")
        }
        switch h {
        case .sgdt, .sidt:
            let t = h == .sgdt ? cpu.gdtr : cpu.idtr
            let a = ea(op)
            try checkWritable(a, 6)
            try wr(a, 2, UInt32(t.limit))
            try wr(a &+ 2, 4, t.base)
        case .sldt, .str, .smsw:
            let v: UInt32 = h == .sldt ? UInt32(cpu.ldtr) : h == .str ? UInt32(cpu.tr) : cpu.cr0
            if isMem { try wr(ea(op), 2, v) } else { setR(op.pointee.rm, op.pointee.size, v) }
        case .lar, .lsl, .verr, .verw:
            let sel = UInt16(truncatingIfNeeded: try readRM(op, 2))
            var ok = false
            var result: UInt32 = 0
            if sel & 0xFFFC != 0, let d = try descriptor(sel) {
                let hi = UInt32(truncatingIfNeeded: d >> 32)
                let dpl = UInt8((hi >> 13) & 3), rpl = UInt8(sel & 3)
                let isCode = hi & (1 << 11) != 0, conforming = isCode && hi & (1 << 10) != 0
                let visible = hi & (1 << 12) != 0 && (conforming || (dpl >= cpu.cpl && dpl >= rpl))
                switch h {
                case .lar: ok = visible; result = hi & 0x00FF_FF00
                case .lsl: ok = visible; result = CPUState.descriptorLimit(d)
                case .verr: ok = visible && (!isCode || hi & (1 << 9) != 0)
                default: ok = visible && !isCode && hi & (1 << 9) != 0
                }
            }
            if ok && (h == .lar || h == .lsl) {
                let sz = op.pointee.size
                setR(op.pointee.r, sz, sz == 2 && h == .lar ? result & 0xFF00 : result)
            }
            let f = statusFlags
            setFlags(ok ? f | EFLAGS.zf : f & ~EFLAGS.zf)
        default:
            break
        }
    }
}
