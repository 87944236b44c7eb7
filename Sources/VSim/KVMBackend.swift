import Guest
import Hypervisor
import KVM
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// `kvm`: the guest kernel of `programs/kernel/` and the program on real hardware virtualization
/// through `/dev/kvm` (module KVM): one VM, one vCPU, the guest's 32 MiB of RAM in one memory
/// slot, the vCPU put straight into 32-bit protected mode (segment caches set with KVM_SET_SREGS),
/// both images placed by the same boot protocol as the models (``BootLoader``), and the same
/// devices on the same ports (COM1 0x3F8, COM2 0x2F8, the exit device 0x501) served by vsim
/// when KVM_RUN returns with KVM_EXIT_IO. Like a Firecracker-style minimal VMM there is no BIOS,
/// no interrupt controller and no timer: the boot-information block says "no timer" (the
/// models' timer counts guest instructions, which KVM cannot).
///
/// Counters: ``RunResult/exits`` holds the exits by reason in the hvm model's words (Intel basic
/// exit reasons): those that come back to vsim (I/O, HLT, triple fault), and, when KVM's
/// tracepoints can be counted (root), those KVM handles in the kernel (CPUID, control-register
/// and MSR accesses). ``RunResult/hostEvents`` has what only a real VMM sees: KVM_RUN returns by
/// KVM_EXIT_* reason, instructions KVM emulated, guest page faults KVM handled.
/// ``RunResult/startupNanoseconds`` is from opening `/dev/kvm` to the first KVM_RUN, and
/// ``RunResult/exitHandlingNanoseconds`` the host time of the exits that came back to vsim.
///
/// How it ends, as the models end: the exit device's status; 128+signal with the fault line
/// when the kernel ended the program for a fault (it writes 128+signal); 152 at the host time
/// limit; 134 (128+SIGABRT) with a `vsim:` line for a triple fault (KVM_EXIT_SHUTDOWN), HLT with
/// interrupts off, a port or address no device owns, a failed VM entry or a KVM internal error.
public struct KVMBackend: ExecutionBackend {
    public var mode: Mode { .kvm }
    public init() {}

    /// vsim's exit status when `/dev/kvm` cannot be used (69: a required host facility is missing).
    public static let unavailableStatus: Int32 = 69

    /// Why `--mode kvm` cannot run here (nil when it can): no usable `/dev/kvm`, or (with
    /// `needsPaging`) a KVM that cannot run a 32-bit paged guest (see ``KVMPagingProbe``).
    public static func unavailableReason(needsPaging: Bool = true) -> String? {
        if let why = KVMDevice.unavailableReason() { return "kvm mode: " + why }
        return needsPaging ? KVMPagingProbe.unsupportedReason() : nil
    }

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        if !options.traces.isEmpty {
            throw .usage("--trace is not available with --mode kvm (the guest runs on the real CPU, where vsim sees only the exits)")
        }
        if let why = Self.unavailableReason() { throw .host(why, status: Self.unavailableStatus) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let kernelPath = try GuestKernel.build(source: options.kernelSource)
        let kernel: ELFImage, image: ELFImage
        do { kernel = try ELFImage(path: kernelPath) } catch { throw .elf(error) }
        do { image = try ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        return try KVMRun.boot(kernel: kernel, image: image, argv: [program.executablePath] + arguments,
                               executablePath: program.executablePath, io: io, options: options)
    }
}

/// One boot of the guest kernel and a program under KVM (shared by ``KVMBackend`` and the
/// exit-cost probe).
enum KVMRun {
    /// The modeled machine whose RAM and devices the KVM guest uses (the UART at 0x3F8 on the
    /// guest's stdin/stdout, the exit device), and COM2 at 0x2F8 on its stderr, attached to it.
    static func machine(io: GuestDescriptors) throws(VSimError) -> (SystemMachine, com2: UART16550) {
        let machine: SystemMachine
        do { machine = try SystemMachine(input: io.stdio.input, output: io.stdio.output) } catch {
            throw .host("cannot set up the guest machine: \(error)")
        }
        let com2 = UART16550(base: 0x2F8, input: -1, output: io.stdio.error)
        machine.io.attach(com2, ports: 0x2F8...0x2FF)
        return (machine, com2)
    }

    static func boot(kernel: ELFImage, image: ELFImage, argv: [String], executablePath: String,
                     io: GuestDescriptors, options: RunOptions) throws(VSimError) -> RunResult {
        let start = ContinuousClock.now
        // The RAM and the devices are those of the modeled machine: the same boot protocol puts
        // the images in the same frames, and the same UARTs and exit device answer the ports.
        let (machine, com2) = try KVMRun.machine(io: io)
        let layout: BootLoader.Layout
        do {
            layout = try BootLoader.boot(kernel: kernel, program: image, argv: argv,
                                         envp: options.environment ?? HostCommand.currentEnvironment(),
                                         executablePath: executablePath, randomSeed: options.seed,
                                         timerPeriod: 0, machine: machine)
        } catch { throw .host(error.description, status: error.exitStatus) }

        return try execute(machine: machine, entry: layout.kernelEntry, eax: SystemMachine.bootMagic,
                           ebx: BootLoader.bootInformationAddress, esp: 0, extraDevices: [com2], io: io,
                           options: options, start: start)
    }

    /// Runs `machine`'s RAM under KVM from `entry` in 32-bit protected mode, serving its ports
    /// with `machine`'s devices, until the guest stops.
    static func execute(machine: SystemMachine, entry: UInt32, eax: UInt32, ebx: UInt32, esp: UInt32,
                        extraDevices: [UART16550], io: GuestDescriptors, options: RunOptions,
                        start: ContinuousClock.Instant) throws(VSimError) -> RunResult {
        let creation = ContinuousClock.now
        let vm: KVMVirtualMachine
        do {
            vm = try KVMVirtualMachine(memory: machine.mmu.physical, size: UInt64(machine.mmu.ramSize))
            try vm.enterProtectedMode(eip: entry, eax: eax, ebx: ebx, esp: esp)
        } catch { throw .host("kvm mode: \(error.description)", status: KVMBackend.unavailableStatus) }
        let counters = InKernelExitCounters()
        let before = counters?.read() ?? [:]
        let watchdog = vm.watchdog(nanoseconds: max(1, nanoseconds(options.timeLimit - (ContinuousClock.now - start))))
        var exits: [String: UInt64] = [:]
        var runReturns: [String: UInt64] = [:]
        var handling: UInt64 = 0
        var firstEntry: ContinuousClock.Instant? = nil
        var stop: Stop? = nil
        while stop == nil {
            if firstEntry == nil { firstEntry = ContinuousClock.now }
            let exit: KVMExit
            do { exit = try vm.runUntilExit() } catch {
                stop = .broken("kvm mode: \(error.description)")
                break
            }
            let handled = ContinuousClock.now
            runReturns[exit.name, default: 0] += 1
            switch exit {
            case .io(let access):
                exits[ExitReason.ioInstruction.label, default: 0] += 1
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
                stop = .machine("\(m.isWrite ? "write to" : "read from") guest-physical \(hex(m.address)) (\(m.length) bytes), outside the \(machine.mmu.ramSize >> 20) MiB of RAM, where no device is attached (KVM_EXIT_MMIO)\(location(vm))")
            case .shutdown:
                exits[ExitReason.tripleFault.label, default: 0] += 1
                stop = .machine("triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN); an exception could not be delivered even as a double fault\(location(vm))")
            case .failEntry(let reason):
                stop = .machine("VM entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason \(hex(reason))): the guest state is invalid\(location(vm))")
            case .internalError(let sub):
                stop = .machine("KVM could not go on: \(KVMExit.internalErrorName(sub)) (KVM_EXIT_INTERNAL_ERROR)\(location(vm))")
            case .systemEvent(let type):
                stop = .machine("the guest asked for a system event of type \(type) (KVM_EXIT_SYSTEM_EVENT)\(location(vm))")
            case .interrupted:
                if ContinuousClock.now - start >= options.timeLimit { stop = .timeLimit }
            case .other(let r):
                stop = .machine("unexpected KVM exit reason \(r)\(location(vm))")
            }
            handling &+= nanoseconds(ContinuousClock.now - handled)
        }
        let timedOut = watchdog.stop()
        if timedOut, stop == nil { stop = .timeLimit }
        let after = counters?.read() ?? [:]
        machine.uart.flush()
        extraDevices.forEach { $0.flush() }
        let elapsed = ContinuousClock.now - start
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var result = RunResult(mode: .kvm, exitStatus: 0, instructions: nil, wallTimeNanoseconds: nanoseconds(elapsed),
                               maxResidentBytes: nil, output: output)
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
        result.exits = exits
        result.hostEvents = host
        result.startupNanoseconds = firstEntry.map { nanoseconds($0 - creation) }
        result.exitHandlingNanoseconds = handling
        result.setupPhases = vm.setupPhases.map { ($0.name, $0.nanoseconds) }
        switch stop! {
        case .exited(let status):
            result.exitStatus = status
            if status > 128 {
                result.signal = status - 128
                result.diagnostic = "vsim: the guest kernel ended the program with \(Signal.name(status - 128)) (exit status \(status)); KVM ran the program on the real CPU, so vsim cannot show the faulting instruction (run it under --mode hvm to see it)"
            }
        case .timeLimit:
            result.signal = Signal.SIGXCPU
            result.exitStatus = 128 + Signal.SIGXCPU
            let r = vm.registers()
            result.diagnostic = "vsim: guest machine stopped by the host time limit of \(seconds(options.timeLimit)) (EIP \(GuestDiagnostics.hex8x(r?.eip ?? 0)), CPL \(r?.cpl ?? 0)) -> SIGXCPU; raise --time-limit if the program needs longer"
        case .machine(let why):
            result.signal = 6
            result.exitStatus = SystemBackend.machineStopStatus
            result.diagnostic = "vsim: guest machine stopped: \(why) -> status \(SystemBackend.machineStopStatus)"
        case .broken(let why):
            throw .host(why)
        }
        return result
    }

    enum Stop {
        case exited(Int32)
        case timeLimit
        case machine(String)
        case broken(String)
    }

    static func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }

    static func location(_ vm: KVMVirtualMachine) -> String {
        guard let r = vm.registers() else { return "" }
        return " at EIP \(GuestDiagnostics.hex8x(r.eip)), CPL \(r.cpl), CR0 \(hex(r.cr0))"
    }
}
