import Guest
import Hypervisor
import KVM
import Machine
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

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
        let start = ContinuousClock.now
        // The RAM and the devices are those of the modeled machine: the same boot protocol puts
        // the images in the same frames, and the same UARTs and exit device answer the ports.
        let platform = try GuestKernelPlatform(mode: .kvm, program: program, arguments: arguments, options: options)
        let booted = try platform.boot(stdio: io.guestStdio)
        // The real CPU counts no instructions for vsim: the host-call device's clocks read the
        // host's monotonic time since the start of the run instead of the machine clock.
        booted.hostCalls.nanosecondsNow = { DurationText.nanoseconds(ContinuousClock.now - start) }
        var result = try KVMRun.execute(machine: booted.machine, entry: booted.layout.kernelEntry, eax: SystemMachine.bootMagic,
                                        ebx: BootLoader.bootInformationAddress, esp: 0, extraDevices: [booted.com2], io: io,
                                        options: options, start: start)
        result.hostCalls = booted.hostCalls.calls
        return result
    }
}

/// A run of a machine's RAM on the ``KVMEngine`` as a ``RunResult``
/// (shared by ``KVMBackend``, ``KVMBackend/runFlat(_:options:)`` and the probes).
enum KVMRun {
    /// Runs `machine`'s RAM under KVM from `entry` in 32-bit protected mode, serving its ports
    /// with `machine`'s devices, until the guest stops.
    static func execute(machine: SystemMachine, entry: UInt32, eax: UInt32, ebx: UInt32, esp: UInt32,
                        extraDevices: [UART16550], io: GuestDescriptors, options: RunOptions,
                        start: ContinuousClock.Instant) throws(VSimError) -> RunResult {
        let engine = KVMEngine(machine: machine, entry: entry, eax: eax, ebx: ebx, esp: esp)
        let outcome: KVMRunLoop.Outcome
        switch engine.run(maxInstructions: .max, deadline: start + options.timeLimit) {
        case .success(let o): outcome = o
        case .failure(let error):
            switch error {
            case .setup: throw .host(error.description, status: KVMBackend.unavailableStatus)
            case .run, .probe: throw .host(error.description)
            }
        }
        machine.uart.flush()
        extraDevices.forEach { $0.flush() }
        let elapsed = ContinuousClock.now - start
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var result = RunResult(mode: .kvm, exitStatus: 0, instructions: nil, wallTimeNanoseconds: DurationText.nanoseconds(elapsed),
                               maxResidentBytes: nil, output: output)
        result.exits = outcome.exits
        result.hostEvents = outcome.hostEvents
        result.startupNanoseconds = outcome.startupNanoseconds
        result.exitHandlingNanoseconds = outcome.exitHandlingNanoseconds
        result.setupPhases = outcome.setupPhases
        switch outcome.stop {
        case .exited(let status):
            result.exitStatus = status
            if status > 128 {
                result.signal = status - 128
                result.diagnostic = "vsim: the guest kernel ended the program with \(SignalName.of(status - 128)) (exit status \(status)); KVM ran the program on the real CPU, so vsim cannot show the faulting instruction (run it under --mode hvm to see it)"
            }
        case .timeLimit:
            result.signal = Signal.SIGXCPU
            result.exitStatus = 128 + Signal.SIGXCPU
            let r = outcome.registers
            result.diagnostic = LimitStop.message("guest machine", .time(limit: options.timeLimit, executed: nil),
                                                 at: "EIP \(Hex.address(r?.eip ?? 0)), CPL \(r?.cpl ?? 0)")
        case .machine(let why):
            result.signal = 6
            result.exitStatus = SystemBackend.machineStopStatus
            result.diagnostic = "vsim: guest machine stopped: \(why) -> status \(SystemBackend.machineStopStatus)"
        }
        return result
    }
}
