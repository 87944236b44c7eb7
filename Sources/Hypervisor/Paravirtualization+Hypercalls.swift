import Machine
import Descriptions

/// The hypercalls the PV model serves, one method each, named after Xen's (xen/include/public/
/// xen.h; the argument layouts are those of the 32-bit x86 ABI). Arguments arrive as Xen passes
/// them, EBX ECX EDX ESI EDI in `a[0...4]`; a method returns what goes back in EAX (0, a count,
/// or a negative errno) and, for a shutdown, how the run ends. `action` collects the words
/// `--trace traps` shows; `work` the VMM's modeled cycles beyond the round trip.
/// A guest pointer that faults ends the call with -EFAULT (``ParavirtualVMM/perform(_:_:action:work:)``).
extension ParavirtualVMM {
    /// What a hypercall gives back: EAX, and for a shutdown the end of the run.
    struct HypercallOutcome {
        var value: UInt32 = 0
        var stop: InterceptResult? = nil
        static let done = HypercallOutcome()
        static func fail(_ errno: UInt32) -> HypercallOutcome { HypercallOutcome(value: errno) }
    }

    /// Performs hypercall `nr`; returns its result and, for a shutdown, how the run ends.
    /// An unknown number returns -ENOSYS (-38), as Xen does.
    func perform(_ nr: UInt32, _ a: [UInt32], action: inout String, work: inout UInt64) -> (UInt32, InterceptResult?) {
        guard let call = Hypercall(rawValue: nr) else {
            action = "no such hypercall: -ENOSYS"
            return (Self.ENOSYS, nil)
        }
        do throws(CPUException) {
            let outcome: HypercallOutcome
            switch call {
            case .setTrapTable: outcome = try setTrapTable(a, action: &action)
            case .stackSwitch: outcome = stackSwitch(a, action: &action)
            case .setCallbacks: outcome = setCallbacks(a, action: &action)
            case .mmuUpdate: outcome = try mmuUpdate(a, action: &action, work: &work)
            case .setGDT: outcome = try setGDT(a, action: &action, work: &work)
            case .updateDescriptor: outcome = try updateDescriptor(a, action: &action, work: &work)
            case .mmuextOp: outcome = try mmuextOp(a, action: &action)
            case .multicall: outcome = try multicall(a, action: &action, work: &work)
            case .consoleIO: outcome = try consoleIO(a, action: &action, work: &work)
            case .schedOp: outcome = try schedOp(a, action: &action)
            case .eventChannelOp: outcome = try eventChannelOp(a, action: &action)
            case .hostCall: outcome = hostCall(a, action: &action, work: &work)
            }
            return (outcome.value, outcome.stop)
        } catch {
            action += " (bad guest pointer: \(error.vector.name))"
            return (Self.EFAULT, nil)
        }
    }

    /// HYPERVISOR_set_trap_table(traps): the virtual IDT, a list of 8-byte `trap_info`
    /// {vector, flags, cs, address} ended by an entry whose address is 0. A handler at ring 0 is
    /// refused (-EINVAL): the guest kernel runs at ring 1.
    func setTrapTable(_ a: [UInt32], action: inout String) throws(CPUException) -> HypercallOutcome {
        var p = a[0]
        var entries = 0
        trapTable = [:]
        while true {
            let w0 = try machine.readLinear32(p), address = try machine.readLinear32(p &+ 4)
            if address == 0 { break }
            let cs = UInt16(truncatingIfNeeded: w0 >> 16)
            guard cs & 3 != 0 else { action = "handler selector of ring 0 refused"; return .fail(Self.EINVAL) }
            trapTable[UInt8(w0 & 0xFF)] = TrapEntry(flags: UInt8((w0 >> 8) & 0xFF), cs: cs, address: address)
            entries += 1
            p &+= 8
            if entries > 256 { return .fail(Self.EINVAL) }
        }
        action = "\(entries) handlers"
        return .done
    }

    /// HYPERVISOR_stack_switch(ss, esp): the ring-1 stack for traps from ring 3 (what the TSS's
    /// SS1:ESP1 would hold).
    func stackSwitch(_ a: [UInt32], action: inout String) -> HypercallOutcome {
        kernelSS = UInt16(truncatingIfNeeded: a[0])
        kernelESP = a[1]
        action = "ring-1 stack \(Hex.plain(kernelSS)):\(Hex.address(kernelESP))"
        return .done
    }

    /// HYPERVISOR_set_callbacks(event_cs, event_eip, ...): where upcalls for events enter.
    func setCallbacks(_ a: [UInt32], action: inout String) -> HypercallOutcome {
        eventCallback = (UInt16(truncatingIfNeeded: a[0]), a[1])
        action = "event callback \(Hex.address(a[1]))"
        return .done
    }

    /// HYPERVISOR_mmu_update(reqs, count, success_count, domid): a batch of 16-byte
    /// `mmu_update` {ptr, val} requests, each validated (the frame must be guest RAM) and
    /// written; only MMU_NORMAL_PT_UPDATE (ptr & 3 == 0) is modeled. One trap for the whole
    /// batch, where trap-and-emulate takes one per traced page-table write. As on Xen, the TLB
    /// may still hold an entry that was overwritten: the guest invalidates it itself
    /// (`mmuext_op` INVLPG_LOCAL or TLB_FLUSH_LOCAL).
    func mmuUpdate(_ a: [UInt32], action: inout String, work: inout UInt64) throws(CPUException) -> HypercallOutcome {
        let m = machine
        let count = a[1]
        for i in 0..<count {
            let ptr = try m.readLinear32(a[0] &+ 16 * i)
            let val = try m.readLinear32(a[0] &+ 16 * i &+ 8)
            guard ptr & 3 == 0 else { action = "only MMU_NORMAL_PT_UPDATE is modeled"; return .fail(Self.EINVAL) }
            let pa = ptr & ~3
            guard pa < m.mmu.ramSize, val & 1 == 0 || val >> 12 < m.mmu.ramSize >> 12 else {
                action = "entry \(i) refused: frame outside the guest's memory"
                return .fail(Self.EINVAL)
            }
            m.mmu.physicalWrite32(pa, val)
        }
        if a[2] != 0 { try m.writeLinear32(a[2], count) }
        pageTableUpdates &+= UInt64(count)
        work += cost.emulateInstruction * UInt64(count)
        action = "\(count) page-table entries written"
        return .done
    }

    /// The most GDT entries a PV guest may own: Xen keeps the last two of the GDT's 16 pages for
    /// itself (FIRST_RESERVED_GDT_PAGE = 14, 512 descriptors a page).
    static let firstReservedGDTEntry = 14 * 512

    /// Xen's `check_descriptor` (xen/arch/x86/pv/descriptor-tables.c) for a 32-bit guest: a
    /// descriptor that is not present is always safe; a code or data segment has its DPL 0
    /// raised to 1 (the guest kernel's ring) and must not be a 64-bit code segment (L); system
    /// descriptors are refused (Xen allows call gates, which are outside vsim's subset). Returns
    /// the descriptor as the CPU will use it, or nil.
    static func checkDescriptor(_ d: UInt64) -> UInt64? {
        let hi = UInt32(truncatingIfNeeded: d >> 32)
        guard hi & 0x8000 != 0 else { return d }
        guard hi & 0x1000 != 0, hi & 0x20_0000 == 0 else { return nil }
        return (hi >> 13) & 3 == 0 ? d | 1 << 45 : d
    }

    /// HYPERVISOR_set_gdt(frame_list, entries): the guest's GDT, `entries` descriptors in the
    /// frames listed (one frame number per 512 entries), each validated (`checkDescriptor`);
    /// -EINVAL for more entries than the guest may own, a frame outside its memory, or a bad
    /// descriptor. Xen's own flat segments stay where they are (selectors 0xe019 and up).
    func setGDT(_ a: [UInt32], action: inout String, work: inout UInt64) throws(CPUException) -> HypercallOutcome {
        let m = machine
        let entries = Int(a[1])
        guard entries <= Self.firstReservedGDTEntry else { action = "\(entries) entries: more than Xen leaves the guest"; return .fail(Self.EINVAL) }
        var frames: [UInt32] = [], table: [UInt64] = []
        for f in 0..<UInt32((entries + 511) / 512) {
            let frame = try m.readLinear32(a[0] &+ 4 * f)
            guard frame < m.mmu.ramSize >> 12 else { action = "frame \(Hex.plain(frame)) outside the guest's memory"; return .fail(Self.EINVAL) }
            frames.append(frame)
        }
        for i in 0..<entries {
            let pa = frames[i / 512] << 12 | UInt32(i % 512) * 8
            let d = UInt64(m.mmu.physicalRead32(pa &+ 4)) << 32 | UInt64(m.mmu.physicalRead32(pa))
            guard let checked = Self.checkDescriptor(d) else { action = "descriptor \(i) refused"; return .fail(Self.EINVAL) }
            table.append(checked)
        }
        gdtFrames = frames
        gdtEntries = table
        work += cost.emulateInstruction * UInt64(entries)
        action = "\(entries) entries in frame(s) \(frames.map { Hex.plain($0) }.joined(separator: ", "))"
        return .done
    }

    /// HYPERVISOR_update_descriptor(ma, desc) as the 32-bit ABI passes it (EBX:ECX the machine
    /// address, low word first; EDX:ESI the descriptor): one 8-byte descriptor written at `ma`
    /// (8-byte aligned, inside guest memory) after `checkDescriptor`, and, when `ma` lies in the
    /// registered GDT, used by the CPU from then on. -EINVAL for a bad address or descriptor.
    func updateDescriptor(_ a: [UInt32], action: inout String, work: inout UInt64) throws(CPUException) -> HypercallOutcome {
        let m = machine
        let ma = UInt64(a[1]) << 32 | UInt64(a[0])
        let d = UInt64(a[3]) << 32 | UInt64(a[2])
        guard ma & 7 == 0, ma < UInt64(m.mmu.ramSize) else { action = "address \(Hex.prefixed(ma)) refused"; return .fail(Self.EINVAL) }
        guard let checked = Self.checkDescriptor(d) else { action = "descriptor \(Hex.prefixed(d)) refused"; return .fail(Self.EINVAL) }
        let pa = UInt32(ma)
        m.mmu.physicalWrite32(pa, UInt32(truncatingIfNeeded: checked))
        m.mmu.physicalWrite32(pa &+ 4, UInt32(truncatingIfNeeded: checked >> 32))
        work += cost.emulateInstruction
        if let f = gdtFrames.firstIndex(of: pa >> 12) {
            let index = f * 512 + Int(pa & 0xFFF) / 8
            if index < gdtEntries.count {
                gdtEntries[index] = checked
                action = "GDT entry \(index) := \(Hex.prefixed(checked))"
                return .done
            }
        }
        action = "descriptor \(Hex.prefixed(checked)) at \(Hex.prefixed(ma)) (not in the GDT)"
        return .done
    }

    /// HYPERVISOR_mmuext_op(ops, count, success_count, domid): 12-byte `mmuext_op` {cmd, arg}
    /// entries: MMUEXT_PIN_L2_TABLE (1: the page directory in frame `arg` is validated, every
    /// present entry and every present entry of the page tables it names must be a frame of
    /// the guest, and recorded as pinned; -EINVAL otherwise), MMUEXT_UNPIN_TABLE (4: the frame is
    /// ordinary memory again; -EINVAL when it is not pinned or is the current base),
    /// MMUEXT_NEW_BASEPTR (5; also turns paging on the first time), MMUEXT_TLB_FLUSH_LOCAL (6),
    /// MMUEXT_INVLPG_LOCAL (7) (xen/include/public/xen.h). Other commands return -ENOSYS.
    func mmuextOp(_ a: [UInt32], action: inout String) throws(CPUException) -> HypercallOutcome {
        let m = machine
        var done: [String] = []
        defer { action = done.count > 3 ? "\(done.count) ops: \(done.prefix(2).joined(separator: ", ")), ..." : done.joined(separator: ", ") }
        for i in 0..<a[1] {
            let cmd = try m.readLinear32(a[0] &+ 12 * i), arg = try m.readLinear32(a[0] &+ 12 * i &+ 4)
            switch cmd {
            case 1:
                guard arg < m.mmu.ramSize >> 12 else { done.append("PIN_L2_TABLE \(Hex.plain(arg)): outside the guest's memory"); return .fail(Self.EINVAL) }
                for i in 0..<UInt32(1024) {
                    let pde = m.mmu.physicalRead32(arg << 12 | i * 4)
                    guard pde & 1 != 0 else { continue }
                    guard pde >> 12 < m.mmu.ramSize >> 12 else { done.append("PIN_L2_TABLE refused: entry \(i) outside the guest's memory"); return .fail(Self.EINVAL) }
                    for j in 0..<UInt32(1024) {
                        let pte = m.mmu.physicalRead32(pde & ~0xFFF | j * 4)
                        if pte & 1 != 0 && pte >> 12 >= m.mmu.ramSize >> 12 {
                            done.append("PIN_L2_TABLE refused: a page table maps a frame outside the guest's memory")
                            return .fail(Self.EINVAL)
                        }
                    }
                }
                pinnedTables.insert(arg)
                done.append("PIN_L2_TABLE \(Hex.address(arg << 12))")
            case 4:
                guard pinnedTables.contains(arg), m.cpu.cr3 >> 12 != arg else {
                    done.append("UNPIN_TABLE \(Hex.address(arg << 12)) refused: not pinned, or the current base")
                    return .fail(Self.EINVAL)
                }
                pinnedTables.remove(arg)
                done.append("UNPIN_TABLE \(Hex.address(arg << 12))")
            case 5:
                try m.writeControlRegister(3, arg << 12)
                if !pagingOn {
                    try m.writeControlRegister(0, m.cpu.cr0 | CR0.pg | CR0.wp)
                    pagingOn = true
                }
                done.append("NEW_BASEPTR \(Hex.address(arg << 12))")
            case 6: m.mmu.flushAll(); done.append("TLB_FLUSH_LOCAL")
            case 7: m.mmu.flush(arg); done.append("INVLPG_LOCAL \(Hex.address(arg))")
            default: done.append("mmuext command \(cmd) is not modeled"); return .fail(Self.ENOSYS)
            }
        }
        if a[2] != 0 { try m.writeLinear32(a[2], a[1]) }
        return .done
    }

    /// HYPERVISOR_multicall(call_list, nr_calls): a batch of 32-byte `multicall_entry`
    /// {op, result, args[6]}, each performed in order with its result written back; the whole
    /// batch costs one trap. A shutdown inside the batch ends it there.
    func multicall(_ a: [UInt32], action: inout String, work: inout UInt64) throws(CPUException) -> HypercallOutcome {
        let m = machine
        var names: [String] = []
        for i in 0..<a[1] {
            let e = a[0] &+ 32 * i
            let op = try m.readLinear32(e)
            var args: [UInt32] = []
            for j in 0..<5 { args.append(try m.readLinear32(e &+ 8 &+ 4 * UInt32(j))) }
            var sub = ""
            let (r, stop) = perform(op, args, action: &sub, work: &work)
            try m.writeLinear32(e &+ 4, r)
            let name = Hypercall(rawValue: op)?.name ?? "unknown \(op)"
            batchedCalls[name, default: 0] &+= 1
            names.append("\(name)(\(sub))")
            if let stop {
                action = "[" + names.joined(separator: ", ") + "]"
                return HypercallOutcome(value: 0, stop: stop)
            }
        }
        action = "[" + names.joined(separator: ", ") + "]"
        return .done
    }

    /// `__HYPERVISOR_arch_0(request)`, vsim's host call (``HostCall``; not Xen's ABI): hands the
    /// request block at guest-physical `request` to the host-call device on the machine's port
    /// ``HostCall/port`` (the same device trap, hvm, bt and kvm reach with an OUT); returns the
    /// result it stored in the block. -ENOSYS when the machine has no such device.
    func hostCall(_ a: [UInt32], action: inout String, work: inout UInt64) -> HypercallOutcome {
        let request = a[0]
        work += cost.deviceAccess
        guard request & 3 == 0, request <= machine.mmu.ramSize &- HostCall.requestSize,
              machine.io.device(at: HostCall.port) != nil else {
            action = "host call: no device or a bad request block"
            return .fail(request & 3 == 0 && machine.io.device(at: HostCall.port) == nil ? Self.ENOSYS : Self.EFAULT)
        }
        let number = machine.mmu.physicalRead32(request)
        _ = machine.io.write(port: HostCall.port, size: 4, value: request)
        let result = machine.mmu.physicalRead32(request &+ HostCall.resultOffset)
        action = "system call \(number) served by the host-call device"
        return HypercallOutcome(value: result)
    }

    /// HYPERVISOR_console_io(cmd, count, buffer): CONSOLEIO_write (0) sends the buffer to the
    /// guest's stdout (COM1) and returns count; CONSOLEIO_read (1) reads up to count bytes of
    /// stdin, fewer only at the end of the input, and returns how many.
    func consoleIO(_ a: [UInt32], action: inout String, work: inout UInt64) throws(CPUException) -> HypercallOutcome {
        let m = machine
        let (cmd, count, buffer) = (a[0], a[1], a[2])
        work += cost.deviceAccess
        switch cmd {
        case 0:
            for i in 0..<count {
                let b = try m.readLinear32(buffer &+ i) & 0xFF   // via 32-bit reads: stays inside RAM
                _ = m.uart.write(port: m.uart.base, size: 1, value: b)
            }
            action = "CONSOLEIO_write \(count) bytes"
            return HypercallOutcome(value: count)
        case 1:
            guard m.uart.hasInput else {
                // vsim's stdin is closed: EBADF, as Linux gives a process whose fd 0 is closed.
                action = "CONSOLEIO_read: no input connected"
                return .fail(Self.EBADF)
            }
            var n: UInt32 = 0
            while n < count {
                guard m.uart.read(port: m.uart.base + 5, size: 1) & 1 != 0 else { break }
                try m.writeLinear(buffer &+ n, size: 1, m.uart.read(port: m.uart.base, size: 1))
                n += 1
            }
            action = "CONSOLEIO_read \(n) of \(count) bytes"
            return HypercallOutcome(value: n)
        default:
            action = "console_io command \(cmd)"
            return .fail(Self.ENOSYS)
        }
    }

    /// HYPERVISOR_sched_op(cmd, arg): SCHEDOP_yield (0), SCHEDOP_block (1: re-enables event
    /// delivery and halts until an event), SCHEDOP_shutdown (2: the `sched_shutdown` reason;
    /// poweroff ends the run with the status set by SCHEDOP_shutdown_code (5), a vsim convention
    /// for the program's exit status; crash ends it as a guest crash).
    func schedOp(_ a: [UInt32], action: inout String) throws(CPUException) -> HypercallOutcome {
        let m = machine
        switch a[0] {
        case 0: action = "SCHEDOP_yield"
        case 1:
            try m.writeLinear(sharedInfo &+ 1, size: 1, 0)   // block re-enables event delivery
            m.halt()
            action = "SCHEDOP_block"
        case 2:
            let reason = try m.readLinear32(a[1])
            action = "SCHEDOP_shutdown reason \(reason)"
            switch reason {
            case 0: return HypercallOutcome(stop: stopWith(.exited(status: shutdownCode & 0xFF)))
            case 3: return HypercallOutcome(stop: .stop("the guest kernel crashed (SCHEDOP_shutdown, SHUTDOWN_crash) at \(Hex.address(m.cpu.eip))"))
            default: return HypercallOutcome(stop: .stop("the guest asked for shutdown reason \(reason) (reboot, suspend, ...), which vsim ends the run with"))
            }
        case 5:
            shutdownCode = Int32(bitPattern: try m.readLinear32(a[1]))
            action = "SCHEDOP_shutdown_code \(shutdownCode)"
        default:
            action = "sched_op command \(a[0]) is not modeled"
            return .fail(Self.ENOSYS)
        }
        return .done
    }

    /// HYPERVISOR_event_channel_op(cmd, arg): EVTCHNOP_bind_virq (1; only VIRQ_TIMER, bound to
    /// port 1, which is written back into the `evtchn_bind_virq`) and EVTCHNOP_unmask (9: clears
    /// the port's bit in the shared-info mask bitmap).
    func eventChannelOp(_ a: [UInt32], action: inout String) throws(CPUException) -> HypercallOutcome {
        let m = machine
        switch a[0] {
        case 1:
            let virq = try m.readLinear32(a[1])
            guard virq == 0 else { action = "only VIRQ_TIMER is modeled"; return .fail(Self.EINVAL) }
            timerPort = 1
            try m.writeLinear32(a[1] &+ 8, 1)
            action = "EVTCHNOP_bind_virq VIRQ_TIMER -> port 1"
        case 9:
            let port = try m.readLinear32(a[1])
            try setBit(sharedInfo &+ 0x880, port, false)
            action = "EVTCHNOP_unmask port \(port)"
        default:
            action = "event_channel_op command \(a[0]) is not modeled"
            return .fail(Self.ENOSYS)
        }
        return .done
    }
}
