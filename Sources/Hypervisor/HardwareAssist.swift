import Machine
import X86
import Descriptions

/// Basic VM-exit reasons (Intel SDM Vol. 3D, Appendix C), with the SDM's names.
public enum ExitReason: UInt16, Sendable, CaseIterable {
    case exceptionOrNMI = 0
    case externalInterrupt = 1
    case tripleFault = 2
    case interruptWindow = 7
    case cpuid = 10
    case hlt = 12
    case invd = 13
    case invlpg = 14
    case rdtsc = 16
    case vmcall = 18
    case controlRegisterAccess = 28
    case movDR = 29
    case ioInstruction = 30
    case rdmsr = 31
    case wrmsr = 32
    case gdtrIdtrAccess = 46
    case ldtrTrAccess = 47
    case wbinvd = 54

    public var name: String {
        switch self {
        case .exceptionOrNMI: return "Exception or non-maskable interrupt (NMI)"
        case .externalInterrupt: return "External interrupt"
        case .tripleFault: return "Triple fault"
        case .interruptWindow: return "Interrupt window"
        case .cpuid: return "CPUID"
        case .hlt: return "HLT"
        case .invd: return "INVD"
        case .invlpg: return "INVLPG"
        case .rdtsc: return "RDTSC"
        case .vmcall: return "VMCALL"
        case .controlRegisterAccess: return "Control-register accesses"
        case .movDR: return "MOV DR"
        case .ioInstruction: return "I/O instruction"
        case .rdmsr: return "RDMSR"
        case .wrmsr: return "WRMSR"
        case .gdtrIdtrAccess: return "Access to GDTR or IDTR"
        case .ldtrTrAccess: return "Access to LDTR or TR"
        case .wbinvd: return "WBINVD"
        }
    }

    /// "30 I/O instruction": how exits are counted and traced.
    public var label: String { "\(rawValue) \(name)" }
}

/// The VM-execution controls of the VMCS that decide which guest operations exit (SDM Vol. 3C,
/// 25.6), and the read shadows the guest sees. Defaults follow a VMM on a CPU with EPT (Nehalem
/// and later), like KVM: interrupts, HLT and every I/O instruction exit; CR3 loads, INVLPG,
/// RDTSC and descriptor-table instructions do not; no exception exits (the guest handles its
/// own page faults). ``firstGeneration()`` is the 2005 VT-x without EPT, as Adams and Agesen
/// measured it: the VMM must shadow the page tables, so CR3 loads, INVLPG and `#PF` exit.
public struct VMCSControls: Sendable, Equatable {
    // Pin-based
    public var externalInterruptExiting = true
    // Primary processor-based
    public var hltExiting = true
    public var invlpgExiting = false
    public var rdtscExiting = false
    public var cr3LoadExiting = false
    public var cr3StoreExiting = false
    public var movDRExiting = true
    public var unconditionalIOExiting = true
    /// With ``useIOBitmaps``, only ports in this set exit (unconditional I/O exiting is then ignored).
    public var useIOBitmaps = false
    public var ioBitmap: Set<UInt16> = []
    public var useMSRBitmaps = true
    /// With ``useMSRBitmaps``, RDMSR/WRMSR of these exit; all others run without an exit.
    public var msrReadExiting: Set<UInt32> = []
    public var msrWriteExiting: Set<UInt32> = [0x174, 0x175, 0x176]
    // Secondary processor-based
    public var descriptorTableExiting = false
    public var enableEPT = true
    /// Bit n set: exception vector n exits (exit reason 0).
    public var exceptionBitmap: UInt32 = 0
    /// CR0 bits owned by the VMM: MOV to CR0 that changes one of them exits; the guest reads
    /// them from ``cr0ReadShadow``.
    public var cr0GuestHostMask: UInt32 = CR0.pe | CR0.pg | (1 << 29) | (1 << 30)   // PE PG NW CD
    public var cr0ReadShadow: UInt32 = 0
    public var cr4GuestHostMask: UInt32 = 1 << 13   // VMXE
    public var cr4ReadShadow: UInt32 = 0

    public init() {}

    /// VT-x as first shipped (Pentium 4 662/672, 2005): no EPT.
    public static func firstGeneration() -> VMCSControls {
        var c = VMCSControls()
        c.enableEPT = false
        c.cr3LoadExiting = true
        c.cr3StoreExiting = true
        c.invlpgExiting = true
        c.exceptionBitmap = 1 << 14
        return c
    }
}

/// `--mode hvm`: the unmodified guest kernel at ring 0 in modeled VMX non-root operation. The
/// machine runs it natively, ring 0 and all, except where a VMCS control says that an operation
/// causes a VM exit; the VMM then handles the exit (it performs the operation for the guest, or
/// injects the interrupt or exception) and resumes the guest with VMRESUME. Every exit carries its
/// basic exit reason and exit qualification as the SDM defines them (Vol. 3C, 28.2.1).
///
/// Because the kernel really runs at ring 0, the holes of trap-and-emulate are closed: POPF and
/// IRET change IF, PUSH CS shows RPL 0, SGDT/SIDT/SLDT/STR return the guest's own registers (or
/// exit, with descriptor-table exiting), SMSW reads the CR0 read shadow for host-owned bits.
/// Memory: with EPT the guest's page tables are used directly (one guest, identity
/// guest-physical = host-physical); without it the exits a shadow-paging VMM takes are counted
/// (CR3 loads, INVLPG, `#PF`) and the VMM performs or reinjects them, and every first touch of
/// a page whose shadow entry is not built yet is a hidden `#PF` exit (``ShadowPageTables``).
///
/// Interrupts: a timer tick is one exit (1, external interrupt), counted when the machine can
/// take it (guest IF = 1), after which the VMM injects it; a real VMM that finds IF = 0 would
/// instead request an interrupt-window exit (7) and inject then, two exits where vsim counts
/// one.
public final class HardwareAssistVMM: SystemHooks {
    public unowned let machine: SystemMachine
    public let log: VMMLog
    public let cost: CostModel
    public var controls: VMCSControls

    /// The last exit, as the VMCS exit-information fields hold it.
    public private(set) var lastExitReason: ExitReason?
    public private(set) var lastExitQualification: UInt32 = 0
    /// Without EPT: guest page-table writes the VMM emulated after a hidden page fault.
    public private(set) var tracedWrites: UInt64 = 0
    /// Without EPT: the shadow page tables whose missing entries are the hidden page faults.
    public let shadow = ShadowPageTables()

    public init(machine: SystemMachine, log: VMMLog, cost: CostModel, controls: VMCSControls = VMCSControls()) {
        self.machine = machine
        self.log = log
        self.cost = cost
        self.controls = controls
        self.controls.cr0ReadShadow = machine.cpu.cr0
        machine.hooks = self
        if !controls.enableEPT { machine.mmu.fillObserver = { [weak self] a in self?.shadowFilled(a) } }
    }

    /// Without EPT: the MMU filled a TLB entry for linear page `a`; when its shadow entry was
    /// missing the CPU took a `#PF` that exited (the exception bitmap has 14), and the VMM built
    /// the entry from the guest's tables and resumed: a hidden page fault, not reflected.
    func shadowFilled(_ a: UInt32) {
        guard !controls.enableEPT, shadow.touch(a) else { return }
        exit(.exceptionOrNMI, label: ShadowPageTables.exitFill, qualification: a, eip: machine.cpu.eip, text: "",
             action: "hidden #PF: shadow entry for \(Hex.address(a)) built from the guest's tables", work: cost.shadowFill)
    }

    public func intercept(_ event: SystemEvent, machine m: SystemMachine) -> InterceptResult {
        switch event {
        case .instruction(let insn, let next):
            return instruction(insn, next: next)
        case .softwareInterrupt:
            // INT n does not exit (only its exceptions, by the bitmap): the CPU delivers it
            // through the guest's IDT as it would natively.
            log.charge(cost.trapRoundTrip)
            return .proceed
        case .interruptWindow:
            // Never asked for: the guest's STI runs in VMX non-root operation and the CPU keeps
            // its blocking by STI in the guest-interruptibility state (the machine's
            // ``SystemMachine/blockingBySTI``); the timer waits in the machine until the guest
            // can take it, then exits (docs/strategies.md, "STI's interrupt shadow").
            return .proceed
        case .externalInterrupt(let v):
            log.charge(cost.trapRoundTrip)   // the guest's own delivery and IRET, exit or not
            guard controls.externalInterruptExiting else { return .proceed }
            exit(.externalInterrupt, qualification: 0, eip: m.cpu.eip, text: "",
                 action: "host handled the timer; vector 0x\(Hex.plain(v)) injected at VM entry", work: cost.reflectEvent)
            return .proceed
        case .exception(let e):
            let v = e.vector.rawValue
            guard controls.exceptionBitmap & (1 << UInt32(v)) != 0 else {
                log.charge(cost.trapRoundTrip)
                return .proceed
            }
            let q = e.vector == .pf ? e.faultAddress ?? 0 : 0
            if !controls.enableEPT, e.vector == .pf, let a = e.faultAddress, (e.errorCode ?? 0) & 3 == 3, let t = m.mmu.translate(a),
               shadow.isCachedDirectory(t.physical >> 12) {
                // The directory of a cached address space written: the guest freed or reuses it.
                shadow.unshadow(t.physical >> 12)
                m.mmu.tracedFrames.remove(t.physical >> 12)
                exit(.exceptionOrNMI, label: ShadowPageTables.exitUnshadow, qualification: q, eip: e.eip, text: text(e.eip),
                     action: "hidden #PF: page directory at \(Hex.address(t.physical & ~0xFFF)) written: its cached shadow dropped, the write again",
                     work: cost.shadowFill)
                return .handled
            }
            if !controls.enableEPT, e.vector == .pf, let a = e.faultAddress, (e.errorCode ?? 0) & 3 == 3, m.mmu.isTraced(a),
               let insn = try? m.decode(at: e.eip), let w = ShadowPaging.write(insn, machine: m, guestCR3: m.cpu.cr3, shadow: shadow) {
                // A hidden page fault: the guest wrote one of its page tables, which the VMM
                // write-protects to keep its shadow tables coherent. The guest never sees it.
                m.cpu.eip = e.eip &+ UInt32(insn.length)
                exit(.exceptionOrNMI, qualification: q, eip: e.eip, text: ATTPrinter.format(insn, symbols: nil),
                     action: "#PF on a traced page table: entry at \(Hex.address(w.physical)) <- \(Hex.address(w.value)) emulated, shadow updated",
                     work: cost.emulateInstruction)
                tracedWrites &+= 1
                return .handled
            }
            log.charge(cost.trapRoundTrip)
            exit(.exceptionOrNMI, qualification: q, eip: e.eip, text: text(e.eip),
                 action: "\(e.vector.name) reinjected into the guest", work: cost.reflectEvent
                    + (e.vector == .pf && !controls.enableEPT ? cost.emulateInstruction : 0))
            return .proceed
        }
    }

    /// Decides whether `insn` exits; if so records the exit and lets the VMM perform it.
    func instruction(_ insn: Instruction, next: UInt32) -> InterceptResult {
        let cpu = machine.cpu
        var reason: ExitReason?
        var q: UInt32 = 0
        switch insn.mnemonic {
        case .cpuid: reason = .cpuid
        case .invd: reason = .invd
        case .hlt: if controls.hltExiting { reason = .hlt }
        case .invlpg:
            if controls.invlpgExiting, case .memory(let mo) = insn.operand0 { reason = .invlpg; q = machine.linearAddress(mo) }
        case .rdtsc: if controls.rdtscExiting { reason = .rdtsc }
        case .wbinvd: reason = .wbinvd
        case .rdmsr: if !controls.useMSRBitmaps || controls.msrReadExiting.contains(cpu.ecx) { reason = .rdmsr }
        case .wrmsr: if !controls.useMSRBitmaps || controls.msrWriteExiting.contains(cpu.ecx) { reason = .wrmsr }
        case .in, .out, .ins, .outs:
            let isIn = insn.mnemonic == .in || insn.mnemonic == .ins
            var port = UInt16(truncatingIfNeeded: cpu.edx)
            var immediate = false
            if case .immediate(let v, _) = isIn ? insn.operand1 : insn.operand0 { port = UInt16(v & 0xFF); immediate = true }
            let exits = controls.useIOBitmaps ? controls.ioBitmap.contains(port) : controls.unconditionalIOExiting
            if exits {
                reason = .ioInstruction
                let string = insn.mnemonic == .ins || insn.mnemonic == .outs
                q = UInt32(insn.operandSize - 1) | (isIn ? 1 << 3 : 0) | (string ? 1 << 4 : 0)
                    | (insn.prefixes.contains(.rep) ? 1 << 5 : 0) | (immediate ? 1 << 6 : 0) | UInt32(port) << 16
            }
        case .mov:
            guard case .register(let r0) = insn.operand0, case .register(let r1) = insn.operand1 else { break }
            if r0.kind == .control {
                let v = cpu[reg32: Int(r1.number)]
                let exits: Bool
                switch r0.number {
                case 0: exits = (v ^ controls.cr0ReadShadow) & controls.cr0GuestHostMask != 0
                case 3: exits = controls.cr3LoadExiting
                case 4: exits = (v ^ controls.cr4ReadShadow) & controls.cr4GuestHostMask != 0
                default: exits = false
                }
                if r0.number == 0 { controls.cr0ReadShadow = v }
                if r0.number == 4 { controls.cr4ReadShadow = v }
                if exits { reason = .controlRegisterAccess; q = UInt32(r0.number) | 0 << 4 | UInt32(r1.number) << 8 }
                else { log.charge(cost.controlRegisterWrite) }   // the CPU performs it (serializing)
                if exits, r0.number == 3, !controls.enableEPT {
                    // Shadow paging: the VMM loads the new tables and traces them.
                    exit(.controlRegisterAccess, qualification: q, eip: insn.address, text: ATTPrinter.format(insn, symbols: nil),
                         action: "CR3 <- \(Hex.address(v)); the guest's page tables traced for the shadow", work: cost.emulateInstruction)
                    do throws(CPUException) { try machine.writeControlRegister(3, v) } catch { return .proceed }
                    shadow.load(cr3: v)
                    ShadowPaging.trace(machine: machine, guestCR3: v, shadow: shadow)
                    cpu.eip = next
                    return .handled
                }
            } else if r1.kind == .control {
                if r1.number == 3 && controls.cr3StoreExiting { reason = .controlRegisterAccess; q = 3 | 1 << 4 | UInt32(r0.number) << 8 }
            } else if r0.kind == .debug || r1.kind == .debug {
                if controls.movDRExiting {
                    reason = .movDR
                    let (dr, gpr, dir): (Register, Register, UInt32) = r0.kind == .debug ? (r0, r1, 0) : (r1, r0, 1)
                    q = UInt32(dr.number) | dir << 4 | UInt32(gpr.number) << 8
                }
            }
        case .clts:
            if controls.cr0GuestHostMask & CR0.ts != 0 { reason = .controlRegisterAccess; q = 2 << 4 }
        case .lmsw:
            if controls.cr0GuestHostMask & 0xF != 0 { reason = .controlRegisterAccess; q = 3 << 4 }
        case .lgdt, .lidt, .sgdt, .sidt:
            if controls.descriptorTableExiting { reason = .gdtrIdtrAccess }
        case .lldt, .ltr, .sldt, .str:
            if controls.descriptorTableExiting { reason = .ldtrTrAccess }
        case .smsw:
            // No exit: the guest reads CR0[15:0] with host-owned bits from the read shadow.
            if case .register(let r) = insn.operand0 {
                let v = (cpu.cr0 & ~controls.cr0GuestHostMask) | (controls.cr0ReadShadow & controls.cr0GuestHostMask)
                if insn.operandSize == 4 { cpu[reg32: Int(r.number)] = v } else { cpu[reg16: Int(r.number)] = UInt16(truncatingIfNeeded: v) }
                cpu.eip = next
                return .handled
            }
        default: break
        }
        guard let reason else { return .proceed }
        if reason == .invlpg, !controls.enableEPT { shadow.invalidate(q) }   // q: the linear address
        let work = cost.emulateInstruction + (reason == .ioInstruction ? cost.deviceAccess : 0)
        exit(reason, qualification: q, eip: insn.address, text: ATTPrinter.format(insn, symbols: nil),
             action: "VMM performed it and resumed", work: work)
        return .proceed   // the VMM performs exactly what the CPU would: let the machine do it
    }

    /// Records an exit of `reason`, counted under `label` (the reason's number and name unless
    /// given: the hidden page faults of shadow paging are counted apart, ``ShadowPageTables``).
    func exit(_ reason: ExitReason, label: String? = nil, qualification: UInt32, eip: UInt32, text: String, action: String, work: UInt64) {
        lastExitReason = reason
        lastExitQualification = qualification
        log.record(VMMEvent(kind: .exit, reason: label ?? reason.label, eip: eip, instruction: text,
                            action: "qualification \(Hex.address(qualification)); \(action)", cycles: cost.vmExitRoundTrip + work))
    }

    /// Records the exit a triple fault causes (the run has ended).
    public func recordTripleFault(eip: UInt32) {
        exit(.tripleFault, qualification: 0, eip: eip, text: "", action: "guest shut down", work: 0)
    }

    func text(_ eip: UInt32) -> String {
        guard let insn = try? machine.decode(at: eip) else { return "" }
        return ATTPrinter.format(insn, symbols: nil)
    }
}
