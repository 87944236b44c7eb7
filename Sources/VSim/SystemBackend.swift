import Guest
import Hypervisor
import Machine
import Translation
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// `interpret --system`, `trap` and `hvm`: the guest kernel of `programs/kernel/` and the
/// program on vsim's system-level machine (``SystemMachine``: interpreter, paging, IDT, UART,
/// exit device, timer), like qemu-system-i386; under trap and hvm with the modeled VMM of the
/// Hypervisor module in charge, whose traps and exits by reason and modeled cycles go into the
/// result. The program's stdout is COM1, its stderr COM2, its stdin COM1's input.
///
/// How it ends: the status the kernel writes to the exit device (128+signal when the kernel
/// ended the program for a fault, with the one-line fault diagnostic vsim prints in user-mode
/// emulation); 152 (SIGXCPU) at a limit; and, for a guest machine that cannot go on (a triple
/// fault, HLT with interrupts off, an I/O port with no device, a VMM that ends the guest),
/// 134 (128+SIGABRT) with a `vsim:` line that says what happened and where.
public struct SystemBackend: ExecutionBackend {
    public static let machineStopStatus: Int32 = 128 + 6
    /// The default timer period: an interrupt every 100,000 guest instructions.
    public static let defaultTimerPeriod: UInt32 = GuestKernelPlatform.defaultTimerPeriod

    public var mode: Mode
    public init(mode: Mode) { self.mode = mode }

    /// Plugs the translator into the machine's loop (``GuestKernelEngine``).
    static func attachTranslator(to machine: SystemMachine) throws(VSimError) -> TranslationEngine {
        try GuestKernelEngine.attachTranslator(to: machine)
    }

    /// Boots the kernel with `program` (``GuestKernelPlatform``), runs it on the engine
    /// (``GuestKernelEngine``), and says how it ended.
    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        if !options.traces.subtracting([.traps]).isEmpty {
            throw .usage("--trace \(options.traces.subtracting([.traps]).map(\.rawValue).sorted().joined(separator: ",")) is not available with the guest kernel (it traces user-mode emulation only)")
        }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let start = ContinuousClock.now
        let platform = try GuestKernelPlatform(mode: mode, program: program, arguments: arguments, options: options)
        let booted = try platform.boot(stdio: io.guestStdio)
        let machine = booted.machine, vmm = booted.monitor, image = platform.program
        machine.killRequest = io.killRequest
        let engine = try GuestKernelEngine(machine: machine, engine: mode.engine(options.engine) ?? .interpret)
        let meter = vmm == nil && options.bareMetalCycles ? BareMetalMeter(machine: machine, cost: platform.cost) : nil
        defer { _ = meter }
        if options.traces.contains(.traps) { vmm?.log.trace = options.traceSink }
        let stop = engine.run(maxInstructions: options.maxInstructions, deadline: start + options.timeLimit)
        vmm?.finish(stop, machine: machine)
        booted.com2.flush()
        let elapsed = ContinuousClock.now - start
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        let executed = engine.instructionsExecuted
        var result = RunResult(mode: mode, exitStatus: 0, instructions: executed,
                               wallTimeNanoseconds: DurationText.nanoseconds(elapsed),
                               maxResidentBytes: UInt64(max(usage.ru_maxrss, 0)) * 1024, output: output)
        if let vmm {
            result.traps = vmm.log.counts(.trap)
            result.exits = vmm.log.counts(.exit)
            result.hypercalls = vmm.log.counts(.hypercall)
            result.callouts = vmm.log.counts(.callout)
            result.eptWalks = vmm.eptWalks.map { [$0.walks, $0.extraReferences] }
            result.modeledCycles = vmm.modeledCycles(instructions: executed)
            result.costModel = platform.cost.name
        }
        result.hostCalls = booted.hostCalls.calls
        if let meter {
            result.modeledCycles = meter.modeledCycles(instructions: executed)
            result.costModel = platform.cost.name
        }
        if let bt = vmm?.binaryTranslation {
            result.translation = TranslationCounters(blocksTranslated: bt.blocksTranslated, chainsMade: bt.chainsMade,
                                                     invalidations: bt.invalidations)
            result.binaryTranslation = bt
        }
        if let counters = engine.translationCounters {
            result.translation = counters
        }
        let symbols = ELFSymbolizer(image)
        switch stop {
        case .exited(let status):
            result.exitStatus = status
            if status > 128, let e = machine.lastProgramException, 128 + e.linuxSignal == status {
                result.signal = e.linuxSignal
                result.diagnostic = GuestDiagnostics.faultLine(e, memory: machine.memory, symbols: symbols)
            }
        case .instructionLimit, .timeLimit:
            result.signal = Signal.SIGXCPU
            result.exitStatus = 128 + Signal.SIGXCPU
            let limit: LimitStop.Limit = stop == .instructionLimit
                ? .instructions(executed: executed, budget: options.maxInstructions)
                : .time(limit: options.timeLimit, executed: executed)
            result.diagnostic = LimitStop.message("guest machine", limit, at: "EIP \(Hex.address(machine.cpu.eip)), CPL \(machine.cpu.cpl)")
        default:
            result.signal = 6
            result.exitStatus = Self.machineStopStatus
            result.diagnostic = "vsim: guest machine stopped: \(stop.explanation) -> status \(Self.machineStopStatus)"
        }
        return result
    }
}
