import Guest
import Hypervisor
import Machine
import VSim
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// One boot of the guest kernel and the program (``GuestKernelPlatform/boot(stdio:)``), with
/// the modeled VMM of the mode (none under `interpret --system`) and the engine that runs it at
/// engine speed (``GuestKernelEngine``).
final class SystemWorld {
    let booted: BootedGuestKernel
    let engine: GuestKernelEngine
    let com1: GuestOutput, com2: GuestOutput
    let input: Int32
    /// The latest VMM events as `--trace traps` lines.
    var recent: [String] = []

    var machine: SystemMachine { booted.machine }
    var monitor: VirtualMachineMonitor? { booted.monitor }

    init(booted: BootedGuestKernel, engine: GuestKernelEngine, com1: GuestOutput, com2: GuestOutput, input: Int32) {
        self.booted = booted
        self.engine = engine
        self.com1 = com1
        self.com2 = com2
        self.input = input
    }

    deinit { close(input) }
}

/// The guest kernel plus the program under `interpret --system` or a modeled VMM mode (`trap`,
/// `hvm`, `pv` with the paravirtual kernel), booted by the runtime's ``GuestKernelPlatform`` as
/// `vsim run` boots it (the same kernel, cost model, timer and engine).
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

    init(platform: GuestKernelPlatform, engine: Engine, input: String?) throws(REPLError) {
        symbols = DebugSymbols([platform.program, platform.kernel])
        build = { () throws(REPLError) -> SystemWorld in
            let com1 = try GuestOutput(), com2 = try GuestOutput()
            let inputFD = try openGuestInput(input)
            let booted: BootedGuestKernel
            let runner: GuestKernelEngine
            do throws(VSimError) {
                booted = try platform.boot(stdio: GuestStdio(input: inputFD, output: com1.fd, error: com2.fd))
                runner = try GuestKernelEngine(machine: booted.machine, engine: engine)
            } catch {
                close(inputFD)
                throw .vsim(error)
            }
            booted.machine.returnAfterEvents = true
            let world = SystemWorld(booted: booted, engine: runner, com1: com1, com2: com2, input: inputFD)
            booted.monitor?.log.trace = { [unowned world] line in
                world.recent.append(line)
                if world.recent.count > SystemTarget.recentLimit { world.recent.removeFirst(world.recent.count - SystemTarget.recentLimit) }
            }
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
        world.booted.com2.flush()
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

    func run(steps limit: UInt64, breakpoints: Set<UInt32>, interrupted: () -> Bool) -> (outcome: StepOutcome, steps: UInt64, events: Int) {
        let machine = world.machine
        let eventsBefore = world.monitor?.log.total ?? 0
        var done: UInt64 = 0
        var slice = EngineSlice()
        var stop = SystemStopReason.instructionLimit
        func advance(_ steps: UInt64) {
            done += steps
            position += steps
            stepsSinceOrigin = Int(min(UInt64(stepsSinceOrigin) + steps, UInt64(reverseStepLimit)))
        }
        if !breakpoints.isEmpty && limit > 0 {
            // Off the breakpoint EIP may be at (one step with none set), then the mode's engine
            // with the breakpoints set: the interpreter, the translator and the BT VMM's fragments
            // all stop before an instruction at one, each at its own speed.
            stop = world.engine.run(maxInstructions: 1, deadline: nil)
            if stop == .instructionLimit { advance(1) }
            if stop == .instructionLimit && !breakpoints.contains(machine.cpu.eip) {
                world.engine.breakpoints = breakpoints
            } else {
                done = max(done, 1)
            }
        }
        defer { world.engine.breakpoints = [] }
        while stop == .instructionLimit && done < limit && !(done > 0 && breakpoints.contains(machine.cpu.eip)) && !interrupted() {
            let n = slice.next(limit - done)
            let before = machine.interpreter.instructionsExecuted
            stop = world.engine.run(maxInstructions: n, deadline: nil)
            slice.ran()
            guard stop == .instructionLimit else { break }
            // An event handled before the next instruction is a step of its own (as in step()
            // and in the replay of stepBack); a stop at a breakpoint is not.
            let retired = machine.interpreter.instructionsExecuted - before
            advance(retired == n || machine.stoppedAtBreakpoint ? retired : retired + 1)
            if machine.stoppedAtBreakpoint { break }
        }
        world.booted.com2.flush()
        // What the VMM did so far, so that the next step's events are its own.
        events = []
        if let log = world.monitor?.log {
            for kind in VMMEventKind.allCases { counts[kind] = log.counts(kind) }
            total = log.total
        }
        let taken = Int((world.monitor?.log.total ?? 0) - eventsBefore)
        return (stop == .instructionLimit ? .running : outcome(stop), done, taken)
    }

    private func outcome(_ stop: SystemStopReason) -> StepOutcome {
        switch stop {
        case .exited(let status):
            if status > 128, let e = world.machine.lastProgramException, 128 + e.linuxSignal == status {
                return .signalled(signal: e.linuxSignal, message: "\(SignalName.of(e.linuxSignal)): \(e.vector.name) \(e.detail) (the guest kernel ended the program with status \(status))")
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
        .failure(.usage("info tb shows the translator's blocks of user-mode emulation (--mode interpret or translate); under the guest kernel the translator's blocks depend on the guest's paging and are not shown"))
    }
}
