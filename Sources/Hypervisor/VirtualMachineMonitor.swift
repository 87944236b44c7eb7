import Machine

/// The modeled VMM strategies.
public enum VirtualizationStrategy: String, Sendable, CaseIterable {
    /// Trap-and-emulate with the kernel deprivileged to ring 1 (``TrapAndEmulateVMM``).
    case trap
    /// VT-x: the kernel at ring 0 in VMX non-root operation (``HardwareAssistVMM``).
    case hvm
    /// Xen-style paravirtualization: the PV kernel at ring 1 with hypercalls (``ParavirtualVMM``).
    case pv
    /// VMware-style binary translation: the kernel's code translated, sensitive instructions
    /// rewritten into callouts (``BinaryTranslationVMM``).
    case bt
}

/// Puts a modeled VMM in charge of a ``SystemMachine`` and accounts for what it costs.
public final class VirtualMachineMonitor {
    public let strategy: VirtualizationStrategy
    public let log = VMMLog()
    public let cost: CostModel
    /// The strategy's VMM (the machine holds it weakly; this keeps it alive).
    public let hooks: SystemHooks

    /// Where the PV kernel keeps its hypercall page and shared-info page (its symbols
    /// `hypercall_page` and `shared_info`), and the virtual timer's period.
    public struct ParavirtualLayout: Sendable {
        public var hypercallPage: UInt32
        public var sharedInfo: UInt32
        public var timerPeriod: UInt32
        public init(hypercallPage: UInt32, sharedInfo: UInt32, timerPeriod: UInt32) {
            self.hypercallPage = hypercallPage
            self.sharedInfo = sharedInfo
            self.timerPeriod = timerPeriod
        }
    }

    /// Takes over `machine`, which must be in the boot state with the kernel loaded (`pv`:
    /// the kernel built with `--defsym PV=1`, and `layout` given).
    ///
    /// `ept` (hvm only): nil takes the preset's CPU (merom: no EPT, the 2006 VT-x; the others:
    /// EPT); false models shadow paging (CR3 loads exit, guest page tables traced, `#PF` exits),
    /// true nested paging (no such exits; each TLB fill walks two dimensions, priced per extra
    /// memory reference).
    public init(strategy: VirtualizationStrategy, machine: SystemMachine, cost: CostModel = .default,
                umip: Bool = false, controls: VMCSControls? = nil, layout: ParavirtualLayout? = nil, ept: Bool? = nil) {
        self.strategy = strategy
        self.cost = cost
        self.mmu = machine.mmu
        walksAtStart = machine.mmu.walks
        switch strategy {
        case .trap: hooks = TrapAndEmulateVMM(machine: machine, log: log, cost: cost, umip: umip)
        case .bt: hooks = BinaryTranslationVMM(machine: machine, log: log, cost: cost)
        case .hvm:
            let c = controls ?? ((ept ?? !(cost.name.hasPrefix("merom") || cost.name.hasPrefix("prescott"))) ? VMCSControls() : VMCSControls.firstGeneration())
            hooks = HardwareAssistVMM(machine: machine, log: log, cost: cost, controls: c)
        case .pv:
            let l = layout ?? ParavirtualLayout(hypercallPage: 0, sharedInfo: 0, timerPeriod: 0)
            hooks = ParavirtualVMM(machine: machine, log: log, cost: cost, hypercallPage: l.hypercallPage,
                                   sharedInfo: l.sharedInfo, timerPeriod: l.timerPeriod)
        }
    }

    let mmu: MMU
    let walksAtStart: UInt64

    /// Memory references of a page walk: native i386 (two levels) and two-dimensional with
    /// EPT's four levels, (2+1) x (4+1) - 1 (Bhargava et al., ASPLOS 2008; docs/cost-model.md).
    public static let nativeWalkReferences: UInt64 = 2, nestedWalkReferences: UInt64 = 14

    /// hvm with EPT: whether the guest's page tables are walked in two dimensions.
    public var usesEPT: Bool { (hooks as? HardwareAssistVMM)?.controls.enableEPT ?? false }

    /// hvm with EPT: the page walks (TLB fills) of the run and the memory references the second
    /// dimension added to them; nil without EPT.
    public var eptWalks: (walks: UInt64, extraReferences: UInt64)? {
        guard usesEPT else { return nil }
        let w = mmu.walks &- walksAtStart
        return (w, w &* (Self.nestedWalkReferences - Self.nativeWalkReferences))
    }

    /// The BT VMM's translation-cache counters (nil under the other strategies).
    public var binaryTranslation: BinaryTranslationStats? { (hooks as? BinaryTranslationVMM)?.stats }

    /// Accounts for how the run ended (a triple fault is an exit under VT-x).
    public func finish(_ stop: SystemStopReason, machine: SystemMachine) {
        if case .tripleFault = stop, let h = hooks as? HardwareAssistVMM { h.recordTripleFault(eip: machine.cpu.eip) }
    }

    /// Modeled cycles of a run of `instructions` guest instructions with the events logged.
    public func modeledCycles(instructions: UInt64) -> UInt64 {
        UInt64((Double(instructions) * cost.cyclesPerInstruction).rounded()) &+ log.cycles
            &+ (eptWalks?.extraReferences ?? 0) &* cost.pageWalkReference
    }
}
