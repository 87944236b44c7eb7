import Guest
import Hypervisor
import Machine
import Translation
import X86
#if canImport(Glibc)
import Glibc
#endif

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
    public static let defaultTimerPeriod: UInt32 = 100_000

    public var mode: Mode
    public init(mode: Mode) { self.mode = mode }

    /// Runs the machine's guest code on the translator: blocks between exits, and every
    /// instruction it does not translate (privileged ones, INT n) stepped by the interpreter,
    /// whose exceptions and stops end the slice for the machine's loop to handle.
    static func attachTranslator(to machine: SystemMachine) throws(VSimError) -> TranslationEngine {
        let engine: TranslationEngine
        do {
            engine = try TranslationEngine(cpu: machine.cpu, memory: machine.memory, interpreter: machine.interpreter)
        } catch { throw .host("cannot set up the translator: \(error)") }
        final class Pending { var exception: CPUException? }
        let pending = Pending()
        let interpreter = machine.interpreter
        engine.stepHook = { [unowned machine] in
            let haltedBefore = machine.halted
            switch interpreter.step() {
            case nil: return machine.stopRequested || (machine.halted && !haltedBefore)
            case .exception(let e): pending.exception = e; return true
            default: return true
            }
        }
        machine.sliceRunner = { [unowned engine] n in
            engine.setInstructionsExecuted(interpreter.instructionsExecuted)
            let stop = engine.run(maxInstructions: n, deadline: nil)
            interpreter.setInstructionsExecuted(engine.instructionsExecuted)
            switch stop {
            case .exception(let e): return .exception(e)
            case .stopped:
                if let e = pending.exception { pending.exception = nil; return .exception(e) }
                return nil
            case .instructionLimit, .timeLimit: return nil
            }
        }
        return engine
    }

    /// Builds the machine, boots the kernel with `program`, runs it.
    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        if !options.traces.subtracting([.traps]).isEmpty {
            throw .usage("--trace \(options.traces.subtracting([.traps]).map(\.rawValue).sorted().joined(separator: ",")) is not available with the guest kernel (it traces user-mode emulation only)")
        }
        let strategy: VirtualizationStrategy? = mode == .trap ? .trap : mode == .hvm ? .hvm : mode == .pv ? .pv : mode == .bt ? .bt : mode == .unikernel ? .hvm : nil
        var cost: CostModel
        do {
            cost = try HostCostModel.resolve(options.cpu)
            if let path = options.costModelPath { cost = try CostModel.load(path: path, base: cost) }
        } catch { throw .usage(error.description) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let start = ContinuousClock.now
        let kernelPath = try GuestKernel.build(symbols: mode == .pv ? ["PV": 1] : mode == .unikernel ? ["UNIKERNEL": 1] : [:],
                                              source: options.kernelSource)
        let kernel: ELFImage, image: ELFImage
        do { kernel = try ELFImage(path: kernelPath) } catch { throw .elf(error) }
        do { image = try ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        let machine: SystemMachine
        do {
            machine = try SystemMachine(input: io.stdio.input, output: io.stdio.output)
        } catch { throw .host("cannot set up the guest machine: \(error)") }
        let com2 = UART16550(base: 0x2F8, input: -1, output: io.stdio.error)
        machine.io.attach(com2, ports: 0x2F8...0x2FF)
        do {
            _ = try BootLoader.boot(kernel: kernel, program: image, argv: [program.executablePath] + arguments,
                                    envp: options.environment ?? HostCommand.currentEnvironment(),
                                    executablePath: program.executablePath, randomSeed: options.seed,
                                    timerPeriod: options.timerPeriod ?? Self.defaultTimerPeriod, machine: machine)
        } catch {
            throw .host(error.description, status: error.exitStatus)
        }
        var layout: VirtualMachineMonitor.ParavirtualLayout? = nil
        if mode == .pv {
            guard let page = kernel.symbols.first(where: { $0.name == "hypercall_page" })?.value,
                  let shared = kernel.symbols.first(where: { $0.name == "shared_info" })?.value else {
                throw .host("the PV guest kernel \(kernelPath) has no hypercall_page or shared_info symbol", status: 65)
            }
            layout = .init(hypercallPage: page, sharedInfo: shared, timerPeriod: options.timerPeriod ?? Self.defaultTimerPeriod)
        }
        let vmm = strategy.map { VirtualMachineMonitor(strategy: $0, machine: machine, cost: cost, umip: options.umip, layout: layout, ept: options.ept) }
        let meter = strategy == nil && options.bareMetalCycles ? BareMetalMeter(machine: machine, cost: cost) : nil
        defer { _ = meter }
        var translator: TranslationEngine? = nil
        if mode == .translate || options.engine == .translate {
            translator = try Self.attachTranslator(to: machine)
        }
        defer { _ = translator }
        if options.traces.contains(.traps) { vmm?.log.trace = options.traceSink }
        let stop = machine.run(maxInstructions: options.maxInstructions, deadline: start + options.timeLimit)
        vmm?.finish(stop, machine: machine)
        com2.flush()
        let elapsed = ContinuousClock.now - start
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        let executed = machine.interpreter.instructionsExecuted
        var result = RunResult(mode: mode, exitStatus: 0, instructions: executed,
                               wallTimeNanoseconds: nanoseconds(elapsed),
                               maxResidentBytes: UInt64(max(usage.ru_maxrss, 0)) * 1024, output: output)
        if let vmm {
            result.traps = vmm.log.counts(.trap)
            result.exits = vmm.log.counts(.exit)
            result.hypercalls = vmm.log.counts(.hypercall)
            result.callouts = vmm.log.counts(.callout)
            result.eptWalks = vmm.eptWalks.map { [$0.walks, $0.extraReferences] }
            result.modeledCycles = vmm.modeledCycles(instructions: executed)
            result.costModel = cost.name
        }
        if let meter {
            result.modeledCycles = meter.modeledCycles(instructions: executed)
            result.costModel = cost.name
        }
        if let bt = vmm?.binaryTranslation {
            result.translation = TranslationCounters(blocksTranslated: bt.blocksTranslated, chainsMade: bt.chainsMade,
                                                     invalidations: bt.invalidations)
            result.binaryTranslation = bt
        }
        if let stats = translator?.statistics {
            result.translation = TranslationCounters(blocksTranslated: stats.blocksTranslated, chainsMade: stats.chainsMade,
                                                     invalidations: stats.invalidations)
        }
        let symbols = ELFSymbolizer(image)
        switch stop {
        case .exited(let status):
            result.exitStatus = status
            if status > 128, let e = machine.lastUserException, 128 + e.linuxSignal == status {
                result.signal = e.linuxSignal
                result.diagnostic = GuestDiagnostics.faultLine(e, memory: machine.memory, symbols: symbols)
            }
        case .instructionLimit, .timeLimit:
            result.signal = Signal.SIGXCPU
            result.exitStatus = 128 + Signal.SIGXCPU
            let why = stop == .instructionLimit
                ? "after \(executed) instructions (--max-instructions \(options.maxInstructions)); raise --max-instructions if the program needs more"
                : "by the host time limit of \(seconds(options.timeLimit)) after \(executed) instructions; raise --time-limit if the program needs longer"
            result.diagnostic = "vsim: guest machine stopped \(why) (EIP \(GuestDiagnostics.hex8x(machine.cpu.eip)), CPL \(machine.cpu.cpl)) -> SIGXCPU"
        default:
            result.signal = 6
            result.exitStatus = Self.machineStopStatus
            result.diagnostic = "vsim: guest machine stopped: \(stop.explanation) -> status \(Self.machineStopStatus)"
        }
        return result
    }
}
