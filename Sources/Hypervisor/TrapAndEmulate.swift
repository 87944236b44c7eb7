import Machine
import X86
import Descriptions

/// Classic trap-and-emulate (`--mode trap`), the design Popek and Goldberg describe and x86
/// breaks (Robin and Irvine 2000): the unmodified guest kernel runs *deprivileged* at ring 1,
/// its programs at ring 3, the VMM at ring 0.
///
/// - Every privileged instruction of the kernel faults with `#GP` (CPL 1 > 0, or IOPL 0 < CPL
///   for CLI STI IN OUT) into the VMM, which decodes it and emulates it against the **virtual
///   CPU**: virtual IF, CR0, CR3, CR4, GDTR, IDTR, TR and LDTR, and the devices (it performs the
///   port access on the machine's UART, exit device and timer).
/// - Every exception, `int $0x80` and timer interrupt goes to the VMM first (the real IDT is the
///   VMM's), which **reflects** it into the guest kernel: it reads the gate from the guest's
///   IDT, switches to the guest's ring-0 stack from the guest's TSS (as ring 1), pushes the frame
///   with the *virtual* IF, and enters the handler at ring 1. A timer interrupt that finds
///   virtual IF = 0 waits.
/// - The real GDT is the VMM's **shadow**: the guest's descriptors with DPL 0 compressed to 1,
///   so the kernel's own selectors work at ring 1. Loading SS with a selector of RPL 0 faults and
///   is emulated (the VMM loads it with RPL 1).
///
/// What it cannot see, as on a real i386 (the holes): SGDT, SIDT, SLDT, STR and SMSW run at
/// ring 1 without a fault and return the VMM's GDTR (base ``monitorBase``), IDTR, LDTR, TR and
/// real CR0 (TS, NE, MP set by the VMM); PUSHF shows the real IF (1) and IOPL; POPF and IRET at
/// ring 1 silently keep IF, so a kernel's `pushf; cli; ...; popf` leaves virtual IF = 0 and the
/// VMM never learns that interrupts should be on again (it infers IF = 1 only when it next finds
/// the guest at ring 3); `push %cs`, `mov %cs`, `mov %ss` show RPL 1; LAR, LSL, VERR and VERW
/// answer from the shadow descriptors (DPL 1). With ``umip`` (CR4.UMIP, `--umip`) the first five
/// fault at ring 1 and the VMM emulates them with the virtual values.
///
/// Memory: the guest's page tables are the ones the MMU walks (one guest, guest-physical =
/// host-physical), but the VMM *traces* them as a shadow-paging VMM must: from the CR3 load on,
/// the page directory and every page table it points to are write-protected, and each guest
/// write to an entry is a hidden page fault the VMM emulates ("#PF: traced page-table write";
/// Adams and Agesen's *ptemod*). Building the tables before loading CR3 costs nothing; growing
/// the heap later costs one trap per entry (compare `pv`, where mmu_update batches them). The
/// MMU walks the VMM's shadow page table (``ShadowPageTables``), built lazily: the first touch of
/// each page in an address space is one more hidden page fault (`#PF: hidden (shadow fill)`).
public class TrapAndEmulateVMM: SystemHooks, DescriptorShadow {
    /// Where the VMM's own GDT, IDT and TSS live (the top 4 MiB of the address space, the
    /// monitor's area); what SGDT and SIDT reveal to the guest.
    public static let monitorBase: UInt32 = 0xFFC0_0000
    /// The VMM's task register selector (what STR reveals).
    public static let monitorTR: UInt16 = 0x00E0
    /// CR0 bits the VMM keeps set in the real CR0 (what SMSW reveals).
    public static let monitorCR0Bits: UInt32 = CR0.mp | CR0.ts | CR0.ne

    public unowned let machine: SystemMachine
    public let log: VMMLog
    public let cost: CostModel
    public let umip: Bool

    // The virtual CPU.
    public internal(set) var virtualIF = false
    public internal(set) var virtualCR0: UInt32
    public internal(set) var virtualCR3: UInt32 = 0
    public internal(set) var virtualCR4: UInt32 = 0
    public internal(set) var virtualGDTR = DescriptorTableRegister(base: 0, limit: 0)
    public internal(set) var virtualIDTR = DescriptorTableRegister(base: 0, limit: 0)
    public internal(set) var virtualTR: UInt16 = 0
    public internal(set) var virtualLDTR: UInt16 = 0
    /// Base of the guest's TSS (from its GDT at LTR).
    var guestTSSBase: UInt32 = 0
    /// The shadow page tables whose missing entries are the hidden page faults.
    public let shadow = ShadowPageTables()
    /// A virtual interrupt waiting for virtual IF = 1.
    public internal(set) var pendingInterrupt: UInt8?
    /// Virtual interrupts that were pending when another came (merged).
    public internal(set) var mergedInterrupts: UInt64 = 0

    /// Takes over `machine` (in the boot state): the guest now runs at ring 1.
    public init(machine: SystemMachine, log: VMMLog, cost: CostModel, umip: Bool = false) {
        self.machine = machine
        self.log = log
        self.cost = cost
        self.umip = umip
        let cpu = machine.cpu
        virtualCR0 = cpu.cr0
        virtualIF = cpu.eflags & EFLAGS.if != 0
        machine.hooks = self
        machine.descriptorShadow = self
        machine.setCPL(1)
        cpu.segments = cpu.segments.map { $0 & 0xFFFC == 0 ? $0 : $0 | 1 }
        cpu.eflags = (cpu.eflags | EFLAGS.if) & ~EFLAGS.iopl   // the VMM keeps interrupts on, IOPL 0
        cpu.cr0 = virtualCR0 | Self.monitorCR0Bits
        cpu.cr4 = umip ? CR4.umip : 0
        cpu.gdtr = DescriptorTableRegister(base: Self.monitorBase, limit: 0)
        cpu.idtr = DescriptorTableRegister(base: Self.monitorBase + 0x1000, limit: 0x7FF)
        cpu.tr = Self.monitorTR
        cpu.ldtr = 0
        machine.mmu.fillObserver = { [weak self] a in self?.shadowFilled(a) }
    }

    // MARK: DescriptorShadow

    public func guestTable() -> (base: UInt32, limit: UInt32) { (virtualGDTR.base, UInt32(virtualGDTR.limit)) }

    /// Ring compression: a code or data descriptor of DPL 0 becomes DPL 1.
    public func shadow(_ d: UInt64) -> UInt64 {
        let s = d & (1 << 44) != 0, dpl = (d >> 45) & 3
        return s && dpl == 0 ? d | (1 << 45) : d
    }

    // MARK: SystemHooks

    public func intercept(_ event: SystemEvent, machine m: SystemMachine) -> InterceptResult {
        let cpu = m.cpu
        switch event {
        case .instruction:
            // CPUID, RDTSC and the sensitive-unprivileged instructions run without a trap: that is
            // the hole. (Privileged ones never get here: at ring 1 they fault first.)
            return .proceed
        case .softwareInterrupt(let v, let eip, let next):
            let text = instructionText(eip)
            observeGuestMode()
            return reflect(vector: v, errorCode: nil, returnEIP: next, software: true, reason: "int 0x\(Hex.plain(v))", eip: eip, text: text)
        case .externalInterrupt(let v):
            observeGuestMode()
            if virtualIF {
                return reflect(vector: v, errorCode: nil, returnEIP: cpu.eip, software: false, reason: "interrupt 0x\(Hex.plain(v))", eip: cpu.eip, text: "")
            }
            if pendingInterrupt != nil { mergedInterrupts &+= 1 }
            pendingInterrupt = v
            record(.trap, "interrupt 0x\(Hex.plain(v))", cpu.eip, "", "held: virtual IF = 0", cost.trapRoundTrip)
            return .handled
        case .interruptWindow:
            return interruptWindowOpened()
        case .exception(let e):
            if let r = unshadowWrite(e) { return r }
            if e.vector == .pf, let a = e.faultAddress, (e.errorCode ?? 0) & 3 == 3, m.mmu.isTraced(a),
               let r = emulateTracedWrite(e) { return r }
            if cpu.cpl == 1, e.vector == .gp || e.vector == .ud, let r = emulate(e) { return r }
            if let r = lazyFPUSwitch(e) { return r }
            let text = instructionText(e.eip)
            observeGuestMode()
            let software = e.vector == .bp || e.vector == .of
            let hasCode = [8, 10, 11, 12, 13, 14, 17].contains(e.vector.rawValue)
            return reflect(vector: e.vector.rawValue, errorCode: hasCode ? e.errorCode ?? 0 : nil, returnEIP: e.eip,
                           software: software, reason: e.vector.name, eip: e.eip, text: text)
        }
    }

    /// Reason of the trap that regains control after the instruction in an emulated STI's shadow.
    public static let trapInterruptWindow = "#DB: interrupt window"

    /// The instruction after an emulated STI retired (the machine's interrupt window, asked for
    /// when an interrupt was held): the held interrupt goes in now if virtual IF is still 1 and
    /// no trap delivered it already (the HLT of `sti; hlt` does). A classic VMM regains control
    /// after one instruction it does not trap by single-stepping it (EFLAGS.TF): one `#DB` trap,
    /// `trapRoundTrip`.
    func interruptWindowOpened() -> InterceptResult {
        let cpu = machine.cpu
        guard virtualIF, let v = pendingInterrupt else { return .handled }
        pendingInterrupt = nil
        record(.trap, Self.trapInterruptWindow, cpu.eip, "", "the instruction in STI's shadow retired: held interrupt 0x\(Hex.plain(v)) delivered",
               cost.trapRoundTrip)
        return reflect(vector: v, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
    }

    /// `#NM` from the monitor's own CR0.TS (``monitorCR0Bits``: the monitor keeps TS set so that
    /// the guest's first x87 instruction traps, the lazy FPU switch of a VMM that shares the FPU
    /// with its host): when the guest's virtual CR0 has TS and EM clear, the FPU is the guest's
    /// to use, so the VMM clears the real TS and runs the instruction again (one trap; a guest
    /// CR0 write sets TS again). nil when the `#NM` is the guest's own.
    func lazyFPUSwitch(_ e: CPUException) -> InterceptResult? {
        let cpu = machine.cpu
        guard e.vector == .nm, virtualCR0 & (CR0.ts | CR0.em) == 0, cpu.cr0 & CR0.ts != 0 else { return nil }
        cpu.cr0 &= ~CR0.ts
        log.record(VMMEvent(kind: .trap, reason: "#NM: lazy FPU switch", eip: e.eip, instruction: instructionText(e.eip),
                            action: "real CR0.TS cleared (the guest's is clear), the instruction again", cycles: cost.trapRoundTrip))
        return .handled
    }

    /// The guest at ring 3 always runs with interrupts enabled: the only time the VMM can learn
    /// that the kernel turned them back on with IRET or POPF.
    func observeGuestMode() {
        if machine.cpu.cpl == 3 { virtualIF = true }
    }

    // MARK: emulation of the kernel's privileged instructions

    /// Emulates the instruction at `e.eip` that faulted at ring 1; nil when it is not one the
    /// VMM emulates (the fault is then the guest's own and is reflected).
    func emulate(_ e: CPUException) -> InterceptResult? {
        guard let insn = try? machine.decode(at: e.eip) else { return nil }
        return emulate(insn, kind: .trap, prefix: "#GP: ", roundTrip: cost.trapRoundTrip)
    }

    /// Emulates privileged instruction `insn` (at `insn.address`) against the virtual CPU and
    /// records it as an event of `kind` with reason `prefix` + its name, costing `roundTrip` +
    /// the VMM's work: a `#GP` trap here, a callout from translated code under BT.
    func emulate(_ insn: Instruction, kind: VMMEventKind, prefix: String, roundTrip: UInt64) -> InterceptResult? {
        let m = machine, cpu = m.cpu
        let e = (eip: insn.address, unused: 0)
        let next = e.eip &+ UInt32(insn.length)
        let text = ATTPrinter.format(insn, symbols: nil)
        var name = "\(insn.mnemonic)"
        if insn.mnemonic == .mov, case .register(let r0) = insn.operand0, case .register(let r1) = insn.operand1 {
            name = r0.kind == .gpr32 ? "mov from \(r1.name)" : "mov to \(r0.name)"
        }
        var action = "emulated"
        var work = cost.emulateInstruction
        do throws(CPUException) {
            switch insn.mnemonic {
            case .cli:
                virtualIF = false
                action = "virtual IF <- 0"
            case .sti:
                // STI's interrupt shadow (SDM Vol. 2B, STI): a held interrupt waits until the
                // instruction after it retires, whatever it is; the VMM asks for the window then.
                if !virtualIF {
                    m.blockInterruptsAfterSTI()
                    if pendingInterrupt != nil { m.requestInterruptWindow() }
                }
                virtualIF = true
                action = "virtual IF <- 1"
            case .hlt:
                guard virtualIF else {
                    record(kind, "\(prefix)hlt", e.eip, text, "guest halted with virtual IF = 0: stopped", roundTrip + work)
                    return .stop("the guest kernel executed HLT at \(Hex.address(e.eip)) with virtual interrupts disabled: it would sleep forever")
                }
                if pendingInterrupt != nil {
                    // An interrupt held while virtual IF was 0 (STI's shadow kept it out until
                    // now): HLT ends at once, as on hardware, and it is delivered after the HLT
                    // (below: the HLT was the instruction in the shadow, so the window is open).
                    action = "a held virtual interrupt is pending: no halt, it is delivered now"
                } else {
                    m.halt()
                    action = "vCPU halted until the next virtual interrupt"
                }
            case .in, .out, .ins, .outs:
                work += cost.deviceAccess
                action = describeIO(insn)
                let go = try m.execute(insn, next: next)
                record(kind, "\(prefix)\(name)", e.eip, text, action, roundTrip + work)
                return go ? .handled : .handled
            case .lgdt, .lidt:
                guard case .memory(let mo) = insn.operand0 else { return nil }
                let a = m.linearAddress(mo)
                let limit = UInt16(truncatingIfNeeded: try m.readLinear32(a))
                var base = try m.readLinear32(a &+ 2)
                if insn.operandSize == 2 { base &= 0x00FF_FFFF }
                let t = DescriptorTableRegister(base: base, limit: limit)
                if insn.mnemonic == .lgdt {
                    virtualGDTR = t
                    cpu.gdtr = DescriptorTableRegister(base: Self.monitorBase, limit: limit)
                    action = "virtual GDTR <- \(Hex.address(base)) limit 0x\(Hex.plain(limit)); shadow GDT rebuilt (DPL 0 -> 1)"
                } else {
                    virtualIDTR = t
                    action = "virtual IDTR <- \(Hex.address(base)) limit 0x\(Hex.plain(limit))"
                }
            case .ltr:
                let sel = UInt16(truncatingIfNeeded: try m.operandValue(insn.operand0, size: 2))
                guard sel & 0xFFFC != 0, sel & 4 == 0, UInt32(sel >> 3) * 8 + 7 <= UInt32(virtualGDTR.limit) else { return nil }
                let slot = virtualGDTR.base &+ UInt32(sel >> 3) * 8
                let lo = try m.readLinear32(slot), hi = try m.readLinear32(slot &+ 4)
                guard hi & 0x1F00 == 0x0900 else { return nil }
                try m.writeLinear32(slot &+ 4, hi | 0x0200)   // busy, in the guest's GDT
                virtualTR = sel
                guestTSSBase = CPUState.descriptorBase(UInt64(hi) << 32 | UInt64(lo))
                action = "virtual TR <- 0x\(Hex.plain(sel)) (guest TSS at \(Hex.address(guestTSSBase)))"
            case .lldt:
                virtualLDTR = UInt16(truncatingIfNeeded: try m.operandValue(insn.operand0, size: 2))
                action = "virtual LDTR <- 0x\(Hex.plain(virtualLDTR))"
            case .mov:
                guard case .register(let r0) = insn.operand0, case .register(let r1) = insn.operand1 else { return nil }
                if r0.kind == .segment {
                    // MOV to SS with RPL 0 at ring 1: load it with RPL 1.
                    let sel = UInt16(truncatingIfNeeded: cpu[reg32: Int(r1.number)])
                    try m.loadSegment(r0.number, sel & 0xFFFC == 0 ? sel : sel | 1)
                    action = "\(r0.name) <- 0x\(Hex.plain(sel | 1)) (RPL raised to 1)"
                } else if r0.kind == .control {
                    let v = cpu[reg32: Int(r1.number)]
                    try writeCR(r0.number, v)
                    action = "virtual CR\(r0.number) <- \(Hex.address(v))"
                } else if r1.kind == .control {
                    let v: UInt32
                    switch r1.number {
                    case 0: v = virtualCR0
                    case 2: v = cpu.cr2
                    case 3: v = virtualCR3
                    default: v = virtualCR4
                    }
                    cpu[reg32: Int(r0.number)] = v
                    action = "\(r0.name) <- virtual CR\(r1.number) = \(Hex.address(v))"
                } else {
                    _ = try m.execute(insn, next: next)
                    action = "debug register access performed"
                }
            case .pop:
                guard case .register(let r0) = insn.operand0, r0.kind == .segment else { return nil }
                let sel = UInt16(truncatingIfNeeded: try m.readLinear32(cpu.esp &+ cpu.segmentBase(.ss)))
                try m.loadSegment(r0.number, sel & 0xFFFC == 0 ? sel : sel | 1)
                cpu.esp &+= insn.operandSize == 2 ? 2 : 4
                action = "\(r0.name) <- 0x\(Hex.plain(sel | 1)) (RPL raised to 1)"
            case .lmsw, .clts:
                let v = insn.mnemonic == .clts ? virtualCR0 & ~CR0.ts
                    : (virtualCR0 & ~0xE) | (try m.operandValue(insn.operand0, size: 2) & 0xF) | (virtualCR0 & CR0.pe)
                try writeCR(0, v)
                action = "virtual CR0 <- \(Hex.address(v))"
            case .invlpg, .wbinvd, .invd, .rdmsr, .wrmsr:
                if insn.mnemonic == .invlpg, case .memory(let mo) = insn.operand0 { shadow.invalidate(m.linearAddress(mo)) }
                _ = try m.execute(insn, next: next)
                action = "performed for the guest"
            case .sgdt, .sidt, .sldt, .str, .smsw:
                // Only with CR4.UMIP set do these fault: the VMM answers with the virtual values.
                guard umip else { return nil }
                try emulateStore(insn)
                action = "virtual value stored (UMIP)"
            default:
                return nil
            }
        } catch {
            // The emulation itself faulted (e.g. a bad operand address): the guest's fault.
            record(kind, "\(prefix)\(name)", e.eip, text, "emulation raised \(error.vector.name): reflected", roundTrip + work)
            var f = error
            f.eip = e.eip
            return reflect(vector: f.vector.rawValue, errorCode: f.errorCode ?? 0, returnEIP: e.eip, software: false,
                           reason: nil, eip: e.eip, text: text)
        }
        cpu.eip = next
        record(kind, "\(prefix)\(name)", e.eip, text, action, roundTrip + work)
        // A held interrupt goes in as soon as the VMM is in control with virtual IF = 1 and no
        // blocking by STI: not after the STI itself (its shadow holds it; the machine opens the
        // interrupt window after the next instruction), but after the HLT of `sti; hlt`, which
        // traps anyway.
        if virtualIF, !m.blockingBySTI, let v = pendingInterrupt {
            pendingInterrupt = nil
            return reflect(vector: v, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
        }
        return .handled
    }

    // MARK: traced page tables (the shadow-paging traps)

    /// Traces the page directory CR3 names and every page table it points to: the VMM's shadow
    /// page tables would go stale if the guest changed them unseen.
    func retrace() { ShadowPaging.trace(machine: machine, guestCR3: virtualCR3, shadow: shadow) }

    /// The MMU filled a TLB entry for linear page `a`: when its shadow entry was missing that was
    /// a hidden page fault (a trap into the VMM, which walked the guest's tables and built it).
    func shadowFilled(_ a: UInt32) {
        guard shadow.touch(a) else { return }
        record(.trap, ShadowPageTables.trapFill, machine.cpu.eip, "", "shadow entry for \(Hex.address(a)) built from the guest's tables",
               cost.trapRoundTrip + cost.shadowFill)
    }

    /// A write to the directory of a cached address space that is not the current one (the
    /// guest frees or reuses it): the VMM drops that shadow table, stops tracing the frame and
    /// runs the write again. nil for any other fault.
    func unshadowWrite(_ e: CPUException) -> InterceptResult? {
        guard e.vector == .pf, let a = e.faultAddress, (e.errorCode ?? 0) & 3 == 3, let t = machine.mmu.translate(a),
              shadow.isCachedDirectory(t.physical >> 12) else { return nil }
        shadow.unshadow(t.physical >> 12)
        machine.mmu.tracedFrames.remove(t.physical >> 12)
        record(.trap, ShadowPageTables.trapUnshadow, e.eip, instructionText(e.eip),
               "page directory at \(Hex.address(t.physical & ~0xFFF)) written: its cached shadow dropped, the write again", cost.trapRoundTrip + cost.shadowFill)
        return .handled
    }

    /// A guest write to a traced page-table page faulted (a "hidden" page fault the guest never
    /// sees): the VMM performs the store (a 32-bit MOV, as kernels write entries), updates its
    /// view (a new directory entry brings a new page table to trace) and resumes after it.
    func emulateTracedWrite(_ e: CPUException) -> InterceptResult? {
        guard let insn = try? machine.decode(at: e.eip), let w = performPageTableWrite(insn) else { return nil }
        machine.cpu.eip = e.eip &+ UInt32(insn.length)
        record(.trap, "#PF: traced page-table write", e.eip, ATTPrinter.format(insn, symbols: nil),
               "emulated: entry at \(Hex.address(w.physical)) <- \(Hex.address(w.value))", cost.trapRoundTrip + cost.emulateInstruction)
        tracedWriteFaulted(at: e.eip)
        return .handled
    }

    /// Called after a traced page-table write from `eip` was emulated (the BT VMM counts them
    /// to retranslate the instruction).
    func tracedWriteFaulted(at eip: UInt32) {}

    /// Performs `insn`, a 32-bit `mov` of a register or immediate to memory, as the VMM does for
    /// a write to a traced page table: stores the entry, traces a new page table that a new
    /// directory entry brings, drops the TLB when a present entry changed. nil when `insn` is not
    /// such a store (it is then the guest's own fault). EIP is not changed.
    func performPageTableWrite(_ insn: Instruction) -> (physical: UInt32, value: UInt32)? {
        ShadowPaging.write(insn, machine: machine, guestCR3: virtualCR3, shadow: shadow)
    }

    func writeCR(_ n: UInt8, _ v: UInt32) throws(CPUException) {
        switch n {
        case 0:
            virtualCR0 = v
            try machine.writeControlRegister(0, v | Self.monitorCR0Bits)
        case 3:
            virtualCR3 = v
            try machine.writeControlRegister(3, v)
            shadow.load(cr3: v)
            retrace()
        case 4:
            virtualCR4 = v
            try machine.writeControlRegister(4, (v & ~CR4.umip) | (umip ? CR4.umip : 0))
        default:
            break
        }
    }

    func emulateStore(_ insn: Instruction) throws(CPUException) {
        let m = machine
        switch insn.mnemonic {
        case .sgdt, .sidt:
            guard case .memory(let mo) = insn.operand0 else { return }
            let t = insn.mnemonic == .sgdt ? virtualGDTR : virtualIDTR
            let a = m.linearAddress(mo)
            try m.writeLinear(a, size: 2, UInt32(t.limit))
            try m.writeLinear32(a &+ 2, t.base)
        default:
            let v: UInt32 = insn.mnemonic == .sldt ? UInt32(virtualLDTR) : insn.mnemonic == .str ? UInt32(virtualTR) : virtualCR0 & 0xFFFF
            switch insn.operand0 {
            case .memory(let mo): try m.writeLinear(m.linearAddress(mo), size: 2, v)
            case .register(let r):
                if insn.operandSize == 4 && insn.mnemonic != .smsw || r.kind == .gpr32 { m.cpu[reg32: Int(r.number)] = v }
                else { m.cpu[reg16: Int(r.number)] = UInt16(truncatingIfNeeded: v) }
            default: break
            }
        }
    }

    func describeIO(_ insn: Instruction) -> String {
        let cpu = machine.cpu
        let isIn = insn.mnemonic == .in || insn.mnemonic == .ins
        var port = UInt16(truncatingIfNeeded: cpu.edx)
        if case .immediate(let v, _) = isIn ? insn.operand1 : insn.operand0 { port = UInt16(v & 0xFF) }
        let device = machine.io.device(at: port)?.name ?? "no device"
        if isIn { return "IN from port 0x\(Hex.plain(port)) (\(device))" }
        let value = insn.mnemonic == .out ? " <- 0x\(Hex.plain(cpu.eax & (insn.operandSize == 4 ? 0xFFFF_FFFF : (1 << (8 * UInt32(insn.operandSize))) - 1)))" : ""
        return "OUT to port 0x\(Hex.plain(port)) (\(device))\(value)"
    }

    // MARK: reflection

    /// Delivers `vector` into the guest kernel through the guest's IDT at ring 1 (see the class
    /// comment). `reason` nil: part of an event already recorded.
    func reflect(vector: UInt8, errorCode: UInt32?, returnEIP: UInt32, software: Bool, reason: String?, eip: UInt32, text: String) -> InterceptResult {
        let m = machine, cpu = m.cpu
        let guestCPL: UInt8 = cpu.cpl == 3 ? 3 : 0
        func fail(_ why: String) -> InterceptResult {
            if let reason { record(.trap, reason, eip, text, "cannot reflect: \(why)", cost.trapRoundTrip) }
            return .stop("the VMM cannot deliver \(vectorName(vector)) to the guest kernel: \(why) (a real CPU would triple-fault)")
        }
        let idt = virtualIDTR
        guard UInt32(vector) * 8 + 7 <= UInt32(idt.limit) else { return fail("vector beyond the guest's IDT limit 0x\(Hex.plain(idt.limit))") }
        let lo: UInt32, hi: UInt32
        do throws(CPUException) {
            lo = try m.readLinear32(idt.base &+ UInt32(vector) * 8)
            hi = try m.readLinear32(idt.base &+ UInt32(vector) * 8 &+ 4)
        } catch { return fail("the guest's IDT cannot be read (\(error.vector.name))") }
        let type = (hi >> 8) & 0x1F, gateDPL = UInt8((hi >> 13) & 3)
        guard type == 0x0E || type == 0x0F, hi & 0x8000 != 0 else {
            if software && vector != 13 {
                // As the CPU: INT n through a bad gate is #GP(n*8+2).
                if let reason { record(.trap, reason, eip, text, "gate not usable: #GP reflected", cost.trapRoundTrip) }
                return reflect(vector: 13, errorCode: UInt32(vector) * 8 + 2, returnEIP: eip, software: false, reason: nil, eip: eip, text: text)
            }
            return fail("IDT entry 0x\(Hex.plain(vector)) is not a present interrupt or trap gate")
        }
        if software && gateDPL < guestCPL {
            if let reason { record(.trap, reason, eip, text, "gate DPL \(gateDPL) < CPL \(guestCPL): #GP reflected", cost.trapRoundTrip) }
            return reflect(vector: 13, errorCode: UInt32(vector) * 8 + 2, returnEIP: eip, software: false, reason: nil, eip: eip, text: text)
        }
        let sel = UInt16(truncatingIfNeeded: lo >> 16) | 1
        let handler = (lo & 0xFFFF) | (hi & 0xFFFF_0000)
        let flags = (cpu.eflags & ~EFLAGS.if) | (virtualIF ? EFLAGS.if : 0)
        var esp = cpu.esp
        var newSS: UInt16? = nil
        if cpu.cpl == 3 {
            do throws(CPUException) {
                esp = try m.readLinear32(guestTSSBase &+ 4)
                newSS = UInt16(truncatingIfNeeded: try m.readLinear32(guestTSSBase &+ 8)) | 1
            } catch { return fail("the guest's TSS cannot be read (\(error.vector.name))") }
        }
        let frame = exceptionFrame(outerStack: newSS != nil ? (cpu.segments[2], cpu.esp) : nil, eflags: flags,
                                   cs: guestVisibleSelector(cpu.segments[1]), eip: returnEIP, errorCode: errorCode)
        do throws(CPUException) {
            try m.pushFrame(frame, below: esp)
        } catch { return fail("the guest kernel's stack cannot be written (\(error.vector.name) at \(Hex.address(error.faultAddress ?? esp)))") }
        if let newSS {
            m.setCPL(1)
            do throws(CPUException) { try m.loadSegment(2, newSS) } catch { return fail("the guest's ring-0 stack segment 0x\(Hex.plain(newSS)) is unusable") }
        }
        m.setCPL(1)
        cpu.esp = esp &- 4 * UInt32(frame.count)
        cpu.segments[1] = sel
        cpu.eip = handler
        cpu.eflags = cpu.eflags & ~(EFLAGS.tf | EFLAGS.nt | EFLAGS.rf)
        if type == 0x0E { virtualIF = false }
        if let reason {
            record(.trap, reason, eip, text, "reflected to the guest's handler \(Hex.address(handler)) (vector 0x\(Hex.plain(vector)))",
                   cost.trapRoundTrip + cost.reflectEvent)
        }
        return .handled
    }

    // MARK: helpers

    /// The selector the guest kernel sees for a real one (trap: the real one, RPL 1 leaking).
    func guestVisibleSelector(_ real: UInt16) -> UInt16 { real }

    func record(_ kind: VMMEventKind, _ reason: String, _ eip: UInt32, _ text: String, _ action: String, _ cycles: UInt64) {
        log.record(VMMEvent(kind: kind, reason: reason, eip: eip, instruction: text, action: action, cycles: cycles))
    }

    func instructionText(_ eip: UInt32) -> String {
        guard let insn = try? machine.decode(at: eip) else { return "" }
        return ATTPrinter.format(insn, symbols: nil)
    }

    func vectorName(_ v: UInt8) -> String {
        CPUException.Vector(rawValue: v).map { $0.name } ?? "vector 0x\(Hex.plain(v))"
    }
}


