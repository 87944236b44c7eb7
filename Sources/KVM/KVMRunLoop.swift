import Hypervisor
import Machine
import Descriptions

/// The run loop of a Firecracker-style minimal VMM: one VM with one vCPU on a modeled machine's
/// RAM (one memory slot), entered in 32-bit protected mode, KVM_RUN until the guest stops, every
/// port access that comes back (KVM_EXIT_IO) served by the machine's own devices (its ``IOBus``:
/// COM1, COM2, the exit device). No interrupt controller, no timer: HLT stops the guest.
///
/// It counts exits by reason in the hvm model's words (Intel basic exit reasons, ``ExitReason``):
/// those that come back to vsim, and, where KVM's tracepoints can be read (root), those KVM
/// handles in the kernel; and what only a real VMM sees (KVM_RUN returns by KVM_EXIT_* reason).
public enum KVMRunLoop {
    /// How the guest stopped.
    public enum Stop: Equatable, Sendable {
        /// The exit device's status.
        case exited(Int32)
        /// The host time limit.
        case timeLimit
        /// The guest cannot go on (triple fault, HLT forever, no device, failed entry, ...): why.
        case machine(String)
    }

    /// A run's ending and counters.
    public struct Outcome {
        public var stop: Stop
        /// VM exits by Intel reason label.
        public var exits: [String: UInt64] = [:]
        /// KVM_RUN returns by reason and in-kernel tracepoint counts.
        public var hostEvents: [String: UInt64] = [:]
        /// From creating the VM to the first KVM_RUN.
        public var startupNanoseconds: UInt64?
        /// Host time spent on exits that came back to vsim.
        public var exitHandlingNanoseconds: UInt64 = 0
        public var setupPhases: [(String, UInt64)] = []
        /// The vCPU's registers at the end (nil when they cannot be read).
        public var registers: KVMRegisters?
    }

    /// Why the loop could not run: the VM could not be set up (KVM unusable here), or KVM_RUN failed.
    public enum Failure: Error, CustomStringConvertible {
        case setup(KVMError)
        case run(KVMError)
        /// A probe's guest did not do what it should (why).
        case probe(String)
        public var description: String {
            switch self {
            case .setup(let e), .run(let e): return "kvm mode: " + e.description
            case .probe(let why): return why
            }
        }
    }

    /// Runs `machine`'s RAM under KVM from `entry` (with EAX, EBX and ESP as given) in 32-bit
    /// protected mode, serving its ports with `machine`'s devices, until the guest stops or the
    /// host time reaches `deadline`.
    public static func run(machine: SystemMachine, entry: UInt32, eax: UInt32, ebx: UInt32, esp: UInt32,
                           deadline: ContinuousClock.Instant) throws(Failure) -> Outcome {
        let creation = ContinuousClock.now
        let vm: KVMVirtualMachine
        do {
            vm = try KVMVirtualMachine(memory: machine.mmu.physical, size: UInt64(machine.mmu.ramSize))
            try vm.enterProtectedMode(eip: entry, eax: eax, ebx: ebx, esp: esp)
        } catch { throw .setup(error) }
        let counters = InKernelExitCounters()
        let before = counters?.read() ?? [:]
        let watchdog = vm.watchdog(nanoseconds: max(1, DurationText.nanoseconds(deadline - ContinuousClock.now)))
        var exits: [String: UInt64] = [:]
        var runReturns: [String: UInt64] = [:]
        var handling: UInt64 = 0
        var firstEntry: ContinuousClock.Instant? = nil
        var stop: Stop? = nil
        while stop == nil {
            if firstEntry == nil { firstEntry = ContinuousClock.now }
            let exit: KVMExit
            do { exit = try vm.runUntilExit() } catch {
                watchdog.stop()
                throw .run(error)
            }
            let handled = ContinuousClock.now
            runReturns[exit.name, default: 0] += 1
            switch exit {
            case .io(let access):
                exits[ExitReason.ioInstruction.label, default: 0] += 1
                if access.port == HostCall.port, let r = vm.registers() {
                    // The host-call device walks the guest's page tables: the vCPU's, now.
                    machine.cpu.cr0 = r.cr0
                    machine.cpu.cr3 = r.cr3
                }
                for i in 0..<Int(access.count) where stop == nil {
                    if access.isOut {
                        switch machine.io.write(port: access.port, size: access.size, value: access.value(i)) {
                        case .some(.done): break
                        case .some(.exit(let status)): stop = .exited(status)
                        case .none: stop = .machine(SystemStopReason.noDevice(port: access.port, write: true, eip: vm.registers()?.eip ?? 0).explanation)
                        }
                    } else if let v = machine.io.read(port: access.port, size: access.size) {
                        access.setValue(i, v)
                    } else {
                        stop = .machine(SystemStopReason.noDevice(port: access.port, write: false, eip: vm.registers()?.eip ?? 0).explanation)
                    }
                }
            case .hlt:
                exits[ExitReason.hlt.label, default: 0] += 1
                // No interrupt controller and no timer: nothing can wake the vCPU.
                let eip = (vm.registers()?.eip ?? 1) &- 1
                stop = .machine(SystemStopReason.haltedForever(eip: eip).explanation)
            case .mmio(let m):
                exits["48 EPT violation", default: 0] += 1
                stop = .machine("\(m.isWrite ? "write to" : "read from") guest-physical \(Hex.prefixed(m.address)) (\(m.length) bytes), outside the \(machine.mmu.ramSize >> 20) MiB of RAM, where no device is attached (KVM_EXIT_MMIO)\(location(vm))")
            case .shutdown:
                exits[ExitReason.tripleFault.label, default: 0] += 1
                stop = .machine("triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN); an exception could not be delivered even as a double fault\(location(vm))")
            case .failEntry(let reason):
                stop = .machine("VM entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason \(Hex.prefixed(reason))): the guest state is invalid\(location(vm))")
            case .internalError(let sub):
                stop = .machine("KVM could not go on: \(KVMExit.internalErrorName(sub)) (KVM_EXIT_INTERNAL_ERROR)\(location(vm))")
            case .systemEvent(let type):
                stop = .machine("the guest asked for a system event of type \(type) (KVM_EXIT_SYSTEM_EVENT)\(location(vm))")
            case .interrupted:
                if ContinuousClock.now >= deadline { stop = .timeLimit }
            case .other(let r):
                stop = .machine("unexpected KVM exit reason \(r)\(location(vm))")
            }
            handling &+= DurationText.nanoseconds(ContinuousClock.now - handled)
        }
        let timedOut = watchdog.stop()
        if timedOut, stop == nil { stop = .timeLimit }
        let after = counters?.read() ?? [:]
        // In-kernel exits, by tracepoint (the difference over the run).
        var host: [String: UInt64] = [:]
        for (k, v) in runReturns { host["KVM_RUN returned: \(k)"] = v }
        if counters != nil {
            let delta = { (name: String) -> UInt64 in (after[name] ?? 0) &- (before[name] ?? 0) }
            if delta("kvm_cpuid") > 0 { exits[ExitReason.cpuid.label] = delta("kvm_cpuid") }
            if delta("kvm_cr") > 0 { exits[ExitReason.controlRegisterAccess.label] = delta("kvm_cr") }
            if delta("kvm_msr") > 0 { exits["31/32 RDMSR or WRMSR"] = delta("kvm_msr") }
            for (event, meaning) in InKernelExitCounters.tracepoints where after[event] != nil {
                host["\(meaning) (\(event))"] = delta(event)
            }
        }
        var outcome = Outcome(stop: stop!)
        outcome.exits = exits
        outcome.hostEvents = host
        outcome.startupNanoseconds = firstEntry.map { DurationText.nanoseconds($0 - creation) }
        outcome.exitHandlingNanoseconds = handling
        outcome.setupPhases = vm.setupPhases.map { ($0.name, $0.nanoseconds) }
        outcome.registers = vm.registers()
        return outcome
    }


    static func location(_ vm: KVMVirtualMachine) -> String {
        guard let r = vm.registers() else { return "" }
        let eip = String(r.eip, radix: 16)
        return " at EIP 0x\(String(repeating: "0", count: max(0, 8 - eip.count)) + eip), CPL \(r.cpl), CR0 \(Hex.prefixed(r.cr0))"
    }

}
