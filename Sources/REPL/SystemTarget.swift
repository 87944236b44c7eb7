import Guest
import Hypervisor
import Machine
import VSim
import X86
#if canImport(Glibc)
import Glibc
#endif

/// One boot of the guest kernel and the program on the system-level machine, with the modeled VMM
/// of the mode (none under `interpret --system`).
final class SystemWorld {
    let machine: SystemMachine
    let monitor: VirtualMachineMonitor?
    let com1: GuestOutput, com2: GuestOutput
    let input: Int32
    /// The latest VMM events as `--trace traps` lines.
    var recent: [String] = []
    /// COM2 (the guest's stderr): the machine flushes only COM1 itself.
    var com2Device: UART16550?

    init(machine: SystemMachine, monitor: VirtualMachineMonitor?, com1: GuestOutput, com2: GuestOutput, input: Int32) {
        self.machine = machine
        self.monitor = monitor
        self.com1 = com1
        self.com2 = com2
        self.input = input
    }

    deinit { close(input) }
}

/// The guest kernel plus the program under `interpret --system` or a modeled VMM mode (`trap`,
/// `hvm`, `pv` with the paravirtual kernel), as `vsim run` sets it up.
///
/// A step is one retired guest instruction, or one exception or interrupt handled before the
/// next instruction (by the VMM or through the guest's IDT): the machine returns after each
/// (``SystemMachine/returnAfterEvents``), so `stepi` stops right after a trap, exit or hypercall
/// even when the VMM emulated the trapping instruction, which then never retires on the CPU.
///
/// Reverse stepping replays: the VMM's and the devices' state cannot be rewound from outside, but
/// every run is deterministic, so stepping back N steps boots a fresh machine and runs it, at full
/// speed, to the step N before the current one. It is exact (VMM, TLB, timer and UART included)
/// and bounded to ``reverseStepLimit`` steps, like the user-mode undo log.
final class SystemTarget: Debuggee {
    private let build: () throws(REPLError) -> SystemWorld
    private(set) var world: SystemWorld
    let symbols: DebugSymbols
    /// Steps taken since boot (the replay position).
    private var position: UInt64 = 0
    /// Position of the oldest step that may be stepped back to (moves with the bound).
    private var stepsSinceOrigin = 0
    private var counts: [VMMEventKind: [String: UInt64]] = [:]
    private var total: UInt64 = 0
    private var events: [VMMEventSummary] = []
    static let recentLimit = 64

    init(mode: Mode, program: ResolvedProgram, argv0: String, arguments: [String], environment: [String], input: String?,
         seed: UInt64, cpuModel: String, umip: Bool, timerPeriod: UInt32?) throws(REPLError) {
        let strategy: VirtualizationStrategy?
        if mode == .interpret {
            strategy = nil
        } else {
            guard let s = VirtualizationStrategy(rawValue: mode.rawValue) else {
                throw .usage("the REPL cannot step --mode \(mode): it steps interpret, interpret --system, translate, trap, hvm and pv")
            }
            strategy = s
        }
        let cost: CostModel
        do { cost = try CostModel.preset(cpuModel) } catch { throw .usage(error.description) }
        let kernelPath: String
        do { kernelPath = try GuestKernel.build(symbols: strategy == .pv ? ["PV": 1] : [:]) } catch { throw .vsim(error) }
        let kernel: ELFImage, image: ELFImage
        do { kernel = try ELFImage(path: kernelPath) } catch { throw .vsim(.elf(error)) }
        do { image = try ELFImage(path: program.executablePath) } catch { throw .vsim(.elf(error)) }
        symbols = DebugSymbols([image, kernel])
        var layout: VirtualMachineMonitor.ParavirtualLayout? = nil
        if strategy == .pv {
            guard let page = kernel.symbols.first(where: { $0.name == "hypercall_page" })?.value,
                  let shared = kernel.symbols.first(where: { $0.name == "shared_info" })?.value else {
                throw .host("the PV guest kernel \(kernelPath) has no hypercall_page or shared_info symbol")
            }
            layout = .init(hypercallPage: page, sharedInfo: shared, timerPeriod: timerPeriod ?? SystemBackend.defaultTimerPeriod)
        }
        let argv = [argv0] + arguments
        build = { () throws(REPLError) -> SystemWorld in
            let com1 = try GuestOutput(), com2 = try GuestOutput()
            let inputFD = try openGuestInput(input)
            let machine: SystemMachine
            do { machine = try SystemMachine(input: inputFD, output: com1.fd) } catch {
                close(inputFD)
                throw .host("cannot set up the guest machine: \(error)")
            }
            let uart2 = UART16550(base: 0x2F8, input: -1, output: com2.fd)
            machine.io.attach(uart2, ports: 0x2F8...0x2FF)
            do {
                _ = try BootLoader.boot(kernel: kernel, program: image, argv: argv, envp: environment,
                                        executablePath: argv0, randomSeed: seed,
                                        timerPeriod: timerPeriod ?? SystemBackend.defaultTimerPeriod, machine: machine)
            } catch let e as BootError {
                close(inputFD)
                throw .host(e.description)
            } catch {
                close(inputFD)
                throw .host("\(error)")
            }
            let monitor = strategy.map { VirtualMachineMonitor(strategy: $0, machine: machine, cost: cost, umip: umip, layout: layout) }
            machine.returnAfterEvents = true
            let world = SystemWorld(machine: machine, monitor: monitor, com1: com1, com2: com2, input: inputFD)
            monitor?.log.trace = { [unowned world] line in
                world.recent.append(line)
                if world.recent.count > SystemTarget.recentLimit { world.recent.removeFirst(world.recent.count - SystemTarget.recentLimit) }
            }
            world.com2Device = uart2
            return world
        }
        world = try build()
    }

    var cpu: CPUState { world.machine.cpu }
    var instructions: UInt64 { world.machine.interpreter.instructionsExecuted }
    var outputs: [(label: String, stream: GuestOutput)] { [("stdout", world.com1), ("stderr", world.com2)] }
    var isSystem: Bool { true }
    var vmm: VirtualMachineMonitor? { world.monitor }
    var recentEvents: [String] { world.recent }
    func lastStepEvents() -> [VMMEventSummary] { events }

    func step() -> StepOutcome {
        let stop = world.machine.run(maxInstructions: 1, deadline: nil)
        world.com2Device?.flush()
        events = []
        if let log = world.monitor?.log, log.total != total {
            for kind in VMMEventKind.allCases {
                let now = log.counts(kind), before = counts[kind] ?? [:]
                for (reason, n) in now.sorted(by: { $0.key < $1.key }) where n > before[reason] ?? 0 {
                    for _ in 0..<(n - (before[reason] ?? 0)) { events.append(VMMEventSummary(kind: kind, reason: reason)) }
                }
                counts[kind] = now
            }
            total = log.total
        }
        switch stop {
        case .instructionLimit:
            position += 1
            stepsSinceOrigin = min(stepsSinceOrigin + 1, reverseStepLimit)
            return .running
        default:
            return outcome(stop)
        }
    }

    private func outcome(_ stop: SystemStopReason) -> StepOutcome {
        switch stop {
        case .exited(let status):
            if status > 128, let e = world.machine.lastUserException, 128 + e.linuxSignal == status {
                return .signalled(signal: e.linuxSignal, message: "\(Signal.name(e.linuxSignal)): \(e.vector.name) \(e.detail) (the guest kernel ended the program with status \(status))")
            }
            return .exited(status: status)
        case .instructionLimit: return .running
        case .timeLimit: return .machineStopped("time limit")
        default: return .machineStopped(stop.explanation)
        }
    }

    var reversibleSteps: Int { stepsSinceOrigin }

    func stepBack(_ n: Int) -> (undone: Int, notes: [String]) {
        let k = min(n, stepsSinceOrigin)
        guard k > 0 else { return (0, []) }
        let target = position - UInt64(k)
        let fresh: SystemWorld
        do { fresh = try build() } catch { return (0, ["cannot boot a fresh machine to replay: \(error)"]) }
        var at: UInt64 = 0
        while at < target {
            let before = fresh.machine.interpreter.instructionsExecuted
            let remaining = target - at
            let stop = fresh.machine.run(maxInstructions: remaining, deadline: nil)
            let retired = fresh.machine.interpreter.instructionsExecuted - before
            guard stop == .instructionLimit else { break }
            at += retired == remaining ? retired : retired + 1
        }
        world = fresh
        position = at
        stepsSinceOrigin -= k
        counts = [:]
        total = 0
        events = []
        if let log = fresh.monitor?.log {
            for kind in VMMEventKind.allCases { counts[kind] = log.counts(kind) }
            total = log.total
        }
        return (k, [])
    }

    func read(_ address: UInt32, count: Int) -> [UInt8] {
        let mmu = world.machine.mmu
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var a = address
        for _ in 0..<count {
            guard let t = mmu.translate(a), t.physical < mmu.ramSize else { break }
            out.append(mmu.physical.load(fromByteOffset: Int(t.physical), as: UInt8.self))
            a &+= 1
            if a == 0 { break }
        }
        return out
    }

    func translationBlock(at pc: UInt32, views: [String]) -> Result<String, REPLError> {
        .failure(.usage("info tb shows the translator's blocks of user-mode emulation (--mode interpret or translate); the guest kernel modes run on the interpreter"))
    }
}
