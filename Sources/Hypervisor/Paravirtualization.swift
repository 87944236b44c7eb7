import Machine
import X86
import Descriptions

/// Xen's hypercall numbers (xen/include/public/xen.h), the ones the PV model serves.
public enum Hypercall: UInt32, Sendable, CaseIterable {
    case setTrapTable = 0, mmuUpdate = 1, setGDT = 2, stackSwitch = 3, setCallbacks = 4, updateDescriptor = 10,
         multicall = 13, consoleIO = 18, mmuextOp = 26, schedOp = 29, eventChannelOp = 32,
         /// `__HYPERVISOR_arch_0`, which vsim uses for its host-call device (``HostCall``): vsim's
         /// ABI, not Xen's.
         hostCall = 48

    /// Xen's name, as counted and traced.
    public var name: String {
        switch self {
        case .setTrapTable: return "set_trap_table"
        case .mmuUpdate: return "mmu_update"
        case .setGDT: return "set_gdt"
        case .updateDescriptor: return "update_descriptor"
        case .stackSwitch: return "stack_switch"
        case .setCallbacks: return "set_callbacks"
        case .multicall: return "multicall"
        case .consoleIO: return "console_io"
        case .mmuextOp: return "mmuext_op"
        case .schedOp: return "sched_op"
        case .eventChannelOp: return "event_channel_op"
        case .hostCall: return "host_call"
        }
    }
}

/// `--mode pv`: Xen-style paravirtualization (Barham et al., SOSP 2003). The guest kernel is
/// built for it (`kernel.s` with `--defsym PV=1`) and runs at ring 1; instead of privileged
/// instructions it calls the VMM through the **hypercall page** (`call hypercall_page + nr*32`;
/// each 32-byte stub is `mov $nr, %eax; int $0x82; ret`, written by the VMM at boot) with Xen's
/// numbers and register ABI (EAX = number; EBX ECX EDX ESI EDI = arguments; result in EAX).
///
/// Served: `set_trap_table` (the virtual IDT), `stack_switch` (the ring-1 stack for traps from
/// ring 3), `mmu_update` (batched page-table writes, validated: the frame must be guest RAM; as
/// with Xen, the guest flushes its own TLB afterwards), `mmuext_op` (NEW_BASEPTR, which also turns
/// paging on the first time; TLB_FLUSH_LOCAL; INVLPG_LOCAL), `set_gdt` and `update_descriptor`
/// (the guest's own GDT entries beside Xen's flat segments, each descriptor validated as Xen's
/// `check_descriptor` does), `multicall` (a batch of hypercalls in one trap), `console_io` (write: the
/// buffer to the guest's stdout; read: up to count bytes, fewer only at end of input),
/// `sched_op` (yield, block, shutdown, shutdown_code — whose reason word carries the program's
/// exit status, a vsim convention), `set_callbacks` and `event_channel_op` (bind_virq,
/// unmask); and number 48, Xen's first architecture-specific number (`__HYPERVISOR_arch_0`),
/// which vsim takes for its host-call device (``HostCall``: the file and time calls the kernel
/// forwards; vsim's ABI, not Xen's). Anything else returns -ENOSYS (-38), as Xen does.
///
/// Events: the virtual timer (VIRQ_TIMER, bound to an event channel) sets the channel's bit in
/// the pending bitmap of the guest's shared-info page; if the channel is not masked it sets the
/// vCPU's pending selector and `evtchn_upcall_pending`, and unless `evtchn_upcall_mask` is set
/// (the guest's way to "disable interrupts": a store, not a hypercall) the VMM makes an upcall to
/// the registered callback, masking further upcalls. A pending event whose mask is cleared later
/// is delivered the next time the VMM runs (a hypercall, trap or timer tick) and finds it
/// unmasked. Layout (32-bit Xen `shared_info`): vcpu_info[0] at 0 (upcall_pending byte 0, mask
/// byte 1, pending_sel at 4), evtchn_pending at 0x800, evtchn_mask at 0x880.
///
/// `int $0x80` from ring 3 goes straight to the guest's handler (Xen's fast system-call path):
/// no VMM work, nothing counted. Exceptions go through the VMM, which reflects them to the trap
/// table's handlers (counted as traps; a page fault's address goes into `vcpu_info.arch.cr2`,
/// offset 8 of the shared-info page, where Xen puts it for a kernel that cannot read CR2); a port access at ring 1 (the kernel's COM2 for stderr,
/// its panic message) traps and is emulated.
public final class ParavirtualVMM: SystemHooks, DescriptorShadow {
    /// Xen's flat segment selectors for 32-bit PV guests (xen-x86_32.h).
    public static let flatRing1CS: UInt16 = 0xE019, flatRing1DS: UInt16 = 0xE021,
        flatRing3CS: UInt16 = 0xE02B, flatRing3DS: UInt16 = 0xE033
    /// The hypercall trap vector.
    public static let hypercallVector: UInt8 = 0x82
    /// Where Xen's own GDT and IDT live (what SGDT/SIDT would show): the top 64 MiB.
    public static let hypervisorBase: UInt32 = 0xFC00_0000
    static let EBADF = UInt32(bitPattern: -9), ENOSYS = UInt32(bitPattern: -38), EINVAL = UInt32(bitPattern: -22), EFAULT = UInt32(bitPattern: -14)

    public unowned let machine: SystemMachine
    public let log: VMMLog
    public let cost: CostModel
    /// Guest-linear (= physical at boot) addresses of the hypercall page and shared info.
    public let hypercallPage: UInt32
    public let sharedInfo: UInt32

    struct TrapEntry { var flags: UInt8; var cs: UInt16; var address: UInt32 }
    var trapTable: [UInt8: TrapEntry] = [:]
    var kernelSS: UInt16 = 0, kernelESP: UInt32 = 0
    var eventCallback: (cs: UInt16, address: UInt32)?
    var timerPort: UInt32?
    var shutdownCode: Int32 = 0
    var pagingOn = false
    /// The guest's GDT as `set_gdt` registered it (its frames) and the validated descriptors the
    /// CPU uses. Xen maps those frames read-only to the guest, so that every change goes through
    /// `update_descriptor`; the model keeps the validated copy instead, so a direct write to the
    /// frame changes nothing the CPU sees.
    var gdtFrames: [UInt32] = []
    var gdtEntries: [UInt64] = []
    /// Hypercalls served inside multicalls (not counted as hypercalls of their own).
    public internal(set) var batchedCalls: [String: UInt64] = [:]
    /// Page-table entries written through mmu_update.
    public internal(set) var pageTableUpdates: UInt64 = 0
    /// Page directories pinned with MMUEXT_PIN_L2_TABLE (frame numbers): validated once, then
    /// written only through `mmu_update` until MMUEXT_UNPIN_TABLE.
    public internal(set) var pinnedTables: Set<UInt32> = []

    public init(machine: SystemMachine, log: VMMLog, cost: CostModel, hypercallPage: UInt32, sharedInfo: UInt32, timerPeriod: UInt32) {
        self.machine = machine
        self.log = log
        self.cost = cost
        self.hypercallPage = hypercallPage
        self.sharedInfo = sharedInfo
        let cpu = machine.cpu
        machine.hooks = self
        machine.descriptorShadow = self
        machine.setCPL(1)
        cpu.segments = [Self.flatRing1DS, Self.flatRing1CS, Self.flatRing1DS, Self.flatRing1DS, Self.flatRing1DS, Self.flatRing1DS]
        cpu.eflags = (cpu.eflags | EFLAGS.if) & ~EFLAGS.iopl
        cpu.gdtr = DescriptorTableRegister(base: Self.hypervisorBase, limit: 0xFFFF)
        cpu.idtr = DescriptorTableRegister(base: Self.hypervisorBase + 0x10000, limit: 0x7FF)
        // The hypercall page: `mov $nr, %eax; int $0x82; ret` every 32 bytes.
        var page = [UInt8](repeating: 0xCC, count: 4096)
        for nr in 0..<128 {
            let stub: [UInt8] = [0xB8, UInt8(nr), 0, 0, 0, 0xCD, Self.hypercallVector, 0xC3]
            page.replaceSubrange(nr * 32..<(nr * 32 + stub.count), with: stub)
        }
        machine.mmu.loadPhysical(page, at: hypercallPage)
        // Shared info: upcalls masked, every event channel masked, until the guest says otherwise.
        var shared = [UInt8](repeating: 0, count: 4096)
        shared[1] = 1
        for i in 0x880..<0x900 { shared[i] = 0xFF }
        machine.mmu.loadPhysical(shared, at: sharedInfo)
        if timerPeriod > 0 { machine.timer.program(UInt64(timerPeriod)) }
    }

    // MARK: DescriptorShadow: Xen's flat segments are the only GDT entries.

    public func guestTable() -> (base: UInt32, limit: UInt32) { (0, 0) }
    public func shadow(_ d: UInt64) -> UInt64 { d }
    public func hostedDescriptor(_ index: UInt32) -> UInt64? {
        switch UInt16(truncatingIfNeeded: index << 3) {
        case Self.flatRing1CS & ~7: return CPUState.makeDescriptor(base: 0, limit: 0xFFFF_FFFF, access: 0xBA)
        case Self.flatRing1DS & ~7: return CPUState.makeDescriptor(base: 0, limit: 0xFFFF_FFFF, access: 0xB2)
        case Self.flatRing3CS & ~7: return CPUState.makeDescriptor(base: 0, limit: 0xFFFF_FFFF, access: 0xFA)
        case Self.flatRing3DS & ~7: return CPUState.makeDescriptor(base: 0, limit: 0xFFFF_FFFF, access: 0xF2)
        default: return index < gdtEntries.count ? gdtEntries[Int(index)] : nil
        }
    }

    // MARK: SystemHooks

    public func intercept(_ event: SystemEvent, machine m: SystemMachine) -> InterceptResult {
        let cpu = m.cpu
        let result: InterceptResult
        switch event {
        case .instruction:
            return .proceed
        case .softwareInterrupt(let v, let eip, let next):
            if v == Self.hypercallVector && cpu.cpl == 1 {
                result = hypercall(eip: eip, next: next)
            } else if let t = trapTable[v], t.flags & 3 >= (cpu.cpl == 3 ? 3 : 1), v == 0x80 {
                // Xen's fast system-call path: straight to the guest's handler, no VMM work.
                result = reflect(vector: v, errorCode: nil, returnEIP: next, interruptGate: false, entry: t)
            } else {
                result = reflectCounted(vector: v, errorCode: nil, returnEIP: next, software: true, reason: "int 0x\(Hex.plain(v))", eip: eip)
            }
        case .externalInterrupt(let v):
            result = timerEvent(vector: v)
        case .interruptWindow:
            // Never asked for: a PV kernel has no STI; it unmasks upcalls with a store and
            // blocks with SCHEDOP_block, which unmasks and waits in one hypercall.
            return .proceed
        case .exception(let e):
            if cpu.cpl == 1, e.vector == .gp, let r = emulatePortAccess(e) {
                result = r
            } else {
                if e.vector == .pf {
                    // vcpu_info[0].arch.cr2 (xen/include/public/arch-x86/xen.h): the PV kernel's CR2.
                    _ = try? m.writeLinear32(sharedInfo &+ 8, e.faultAddress ?? cpu.cr2)
                }
                let hasCode = [8, 10, 11, 12, 13, 14, 17].contains(e.vector.rawValue)
                result = reflectCounted(vector: e.vector.rawValue, errorCode: hasCode ? e.errorCode ?? 0 : nil, returnEIP: e.eip,
                                        software: e.vector == .bp || e.vector == .of, reason: e.vector.name, eip: e.eip)
            }
        }
        if result == .handled { deliverPendingUpcall() }
        return result
    }

    // MARK: hypercalls

    func hypercall(eip: UInt32, next: UInt32) -> InterceptResult {
        let cpu = machine.cpu
        let nr = cpu.eax
        let args = [cpu.ebx, cpu.ecx, cpu.edx, cpu.esi, cpu.edi]
        cpu.eip = next
        var action = ""
        var work = cost.emulateInstruction
        let (value, stop) = perform(nr, args, action: &action, work: &work)
        cpu.eax = value
        let name = Hypercall(rawValue: nr)?.name ?? "unknown hypercall \(nr)"
        log.record(VMMEvent(kind: .hypercall, reason: name, eip: eip, instruction: "int    $0x82", action: action + " = \(Int32(bitPattern: value))",
                            cycles: cost.hypercallRoundTrip + work))
        if let stop { return stop }
        return .handled
    }

    func stopWith(_ reason: SystemStopReason) -> InterceptResult {
        machine.requestStop(reason)
        return .handled
    }

    // MARK: events

    func bit(_ base: UInt32, _ n: UInt32) throws(CPUException) -> Bool {
        try machine.readLinear32(base &+ (n / 32) * 4) & (1 << (n % 32)) != 0
    }

    func setBit(_ base: UInt32, _ n: UInt32, _ on: Bool) throws(CPUException) {
        let a = base &+ (n / 32) * 4
        let w = try machine.readLinear32(a)
        try machine.writeLinear32(a, on ? w | (1 << (n % 32)) : w & ~(1 << (n % 32)))
    }

    /// The virtual timer fired: mark its event channel pending and upcall if allowed.
    func timerEvent(vector: UInt8) -> InterceptResult {
        let eip = machine.cpu.eip
        guard let port = timerPort else {
            log.record(VMMEvent(kind: .trap, reason: "interrupt 0x\(Hex.plain(vector))", eip: eip, instruction: "",
                                action: "no event channel bound to VIRQ_TIMER: dropped", cycles: cost.trapRoundTrip))
            return .handled
        }
        do throws(CPUException) {
            let wasPending = try bit(sharedInfo &+ 0x800, port)
            try setBit(sharedInfo &+ 0x800, port, true)
            if !wasPending, try !bit(sharedInfo &+ 0x880, port) {
                try machine.writeLinear32(sharedInfo &+ 4, try machine.readLinear32(sharedInfo &+ 4) | 1 << (port / 32))
                try machine.writeLinear(sharedInfo, size: 1, 1)
            }
        } catch {
            return .stop("the guest's shared-info page cannot be written (\(error.vector.name))")
        }
        let delivered = upcallIfAllowed()
        log.record(VMMEvent(kind: .trap, reason: "interrupt 0x\(Hex.plain(vector))", eip: eip, instruction: "",
                            action: delivered ? "VIRQ_TIMER: upcall to the event callback" : "VIRQ_TIMER: pending (upcalls masked)",
                            cycles: cost.trapRoundTrip + (delivered ? cost.reflectEvent : 0)))
        return .handled
    }

    /// A pending, unmasked event is delivered whenever the VMM runs.
    func deliverPendingUpcall() {
        _ = upcallIfAllowed()
    }

    func upcallIfAllowed() -> Bool {
        guard let cb = eventCallback,
              let w = try? machine.readLinear32(sharedInfo), w & 0xFF != 0, (w >> 8) & 0xFF == 0 else { return false }
        // Mask further upcalls, then enter the callback like an interrupt.
        guard (try? machine.writeLinear(sharedInfo &+ 1, size: 1, 1)) != nil else { return false }
        return reflect(vector: 0, errorCode: nil, returnEIP: machine.cpu.eip, interruptGate: false,
                       entry: TrapEntry(flags: 1, cs: cb.cs, address: cb.address)) == .handled
    }

    // MARK: reflection

    func reflectCounted(vector: UInt8, errorCode: UInt32?, returnEIP: UInt32, software: Bool, reason: String, eip: UInt32) -> InterceptResult {
        let cpl = machine.cpu.cpl
        guard let t = trapTable[vector], !software || t.flags & 3 >= cpl else {
            if software && vector != 13 {
                return reflectCounted(vector: 13, errorCode: UInt32(vector) * 8 + 2, returnEIP: eip, software: false, reason: reason, eip: eip)
            }
            log.record(VMMEvent(kind: .trap, reason: reason, eip: eip, instruction: "", action: "no handler in the trap table", cycles: cost.trapRoundTrip))
            return .stop("the guest kernel has no handler for \(CPUException.Vector(rawValue: vector)?.name ?? "vector \(vector)") at \(Hex.address(eip)) in its trap table")
        }
        let r = reflect(vector: vector, errorCode: errorCode, returnEIP: returnEIP, interruptGate: t.flags & 4 != 0, entry: t)
        log.record(VMMEvent(kind: .trap, reason: reason, eip: eip, instruction: "",
                            action: "reflected to the trap table's handler \(Hex.address(t.address))", cycles: cost.trapRoundTrip + cost.reflectEvent))
        return r
    }

    /// Enters `entry` at ring 1 with an exception frame, switching to the stack_switch stack
    /// when coming from ring 3.
    func reflect(vector: UInt8, errorCode: UInt32?, returnEIP: UInt32, interruptGate: Bool, entry: TrapEntry) -> InterceptResult {
        let m = machine, cpu = m.cpu
        let fromUser = cpu.cpl == 3
        let esp = fromUser ? kernelESP : cpu.esp
        let frame = exceptionFrame(outerStack: fromUser ? (cpu.segments[2], cpu.esp) : nil, eflags: cpu.eflags,
                                   cs: cpu.segments[1], eip: returnEIP, errorCode: errorCode)
        do throws(CPUException) {
            try m.pushFrame(frame, below: esp)
            m.setCPL(1)
            if fromUser { try m.loadSegment(2, kernelSS) }
        } catch {
            return .stop("the VMM cannot deliver vector \(vector) to the guest kernel: its stack is unusable (\(error.vector.name))")
        }
        cpu.esp = esp &- 4 * UInt32(frame.count)
        cpu.segments[1] = entry.cs | 1
        cpu.eip = entry.address
        // As Xen's create_bounce_frame: the handler runs without TF (a single-stepped program's
        // #DB must not single-step its kernel too), NT, RF or VM, like a CPU's gate.
        cpu.eflags &= ~(EFLAGS.tf | EFLAGS.nt | EFLAGS.rf | EFLAGS.vm)
        if interruptGate { _ = try? m.writeLinear(sharedInfo &+ 1, size: 1, 1) }
        return .handled
    }

    /// A port access at ring 1 (IOPL 0): emulated on the machine's devices, counted as a trap.
    func emulatePortAccess(_ e: CPUException) -> InterceptResult? {
        guard let insn = try? machine.decode(at: e.eip), [.in, .out, .ins, .outs].contains(insn.mnemonic) else { return nil }
        let next = e.eip &+ UInt32(insn.length)
        do throws(CPUException) {
            _ = try machine.execute(insn, next: next)
        } catch { return nil }
        log.record(VMMEvent(kind: .trap, reason: "#GP: \(insn.mnemonic)", eip: e.eip, instruction: ATTPrinter.format(insn, symbols: nil),
                            action: "port access emulated", cycles: cost.trapRoundTrip + cost.emulateInstruction + cost.deviceAccess))
        return .handled
    }
}
