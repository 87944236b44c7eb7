import Guest
import Hypervisor
import Machine
import Translation

/// The engine side of the runtime (DESIGN.md: *Machine + Engine + Platform → RunResult*): what
/// executes the guest's instructions on the machine a platform built. A platform builds the
/// machine once; the engine is handed it, and runs it in as many slices as its caller wants
/// (`vsim run` one slice to the end; the REPL's `continue` many, between its checks).
///
/// - ``UserModeEngine``: a ``LinuxProcess`` (``LinuxUserPlatform``) on the interpreter or the
///   translator; ends as a ``GuestTermination``.
/// - ``GuestKernelEngine``: a ``SystemMachine`` (``GuestKernelPlatform``) on the interpreter or
///   the translator; ends as a ``SystemStopReason``.
/// - ``KVMEngine``: the same machine's RAM and devices on the real CPU through `/dev/kvm`
///   (`KVMRunLoop` of the KVM module), run to the end: the real CPU neither counts the guest's
///   instructions for vsim nor stops at a count, so it is a ``GuestEngine`` but not a
///   ``SteppableEngine``.
public protocol GuestEngine: AnyObject {
    associatedtype Ending
    /// Runs until the guest stops, `maxInstructions` more instructions retire (an engine that
    /// can count them), or `deadline`.
    func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> Ending
    /// The translator's counters (nil when no translator ran).
    var translationCounters: TranslationCounters? { get }
}

/// An engine vsim drives instruction by instruction when it wants: it counts what retires, stops
/// at a count (so the REPL and the lockstep checker run it in slices), and at breakpoints.
public protocol SteppableEngine: GuestEngine {
    /// Instructions retired so far (by whichever engine ran them).
    var instructionsExecuted: UInt64 { get }
    /// A debugger's instruction breakpoints: ``GuestEngine/run(maxInstructions:deadline:)`` stops
    /// before the instruction at one of them with the debugger's `#DB`, at the engine's own speed
    /// (the interpreter checks only on a decoded-instruction cache miss, the translator only on a
    /// main-loop entry). Empty for a run that is not being debugged.
    var breakpoints: Set<UInt32> { get set }
}

extension TranslationStats {
    var counters: TranslationCounters {
        TranslationCounters(blocksTranslated: blocksTranslated, chainsMade: chainsMade, invalidations: invalidations)
    }
}

/// A user-mode process on the interpreter (``LinuxProcess/run(maxInstructions:deadline:)``) or on
/// the translator, whose main loop steps every instruction it does not translate (INT n, ...)
/// through the process, which serves the system calls. The process's interpreter and the
/// translator share the instruction count, so a caller may step the process itself between runs.
public final class UserModeEngine: SteppableEngine {
    public let process: LinuxProcess
    /// The translator (nil: the interpreter runs everything).
    public let translator: TranslationEngine?
    /// Where the translator's step hook leaves how the guest ended.
    private var ending: GuestTermination?

    /// - Parameters:
    ///   - engine: interpret or translate.
    ///   - chaining: chain translated blocks through goto_tb (translate only).
    ///   - codeBufferSize: the translator's code buffer (translate only).
    public init(process: LinuxProcess, engine: Engine, chaining: Bool = true, codeBufferSize: Int = 256 << 20) throws(VSimError) {
        self.process = process
        guard engine == .translate else { translator = nil; return }
        let t: TranslationEngine
        do {
            t = try TranslationEngine(cpu: process.cpu, memory: process.memory, interpreter: process.interpreter,
                                      codeBufferSize: codeBufferSize)
        } catch { throw .host("\(error)") }
        t.chaining = chaining
        translator = t
        // The main loop's steps come back with their faults: the process's slice loop delivers them.
        // (unowned(unsafe): the translator is this engine's and dies with it; the hook runs for
        // every `call exec_insn`, where checked unowned references cost two atomic operations each.)
        t.stepHook = { [unowned(unsafe) self, unowned(unsafe) process] in
            if let x = process.executeInstruction() { self.ending = x; return true }
            return false
        }
    }

    /// Runs through the process's slice loop (``LinuxProcess/run(maxInstructions:deadline:slice:)``),
    /// which delivers faults and timer signals between the engine's slices.
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> GuestTermination {
        guard let t = translator else { return process.run(maxInstructions: maxInstructions, deadline: deadline) }
        return process.run(maxInstructions: maxInstructions, deadline: deadline) { [process] n in
            self.ending = nil
            t.setInstructionsExecuted(process.interpreter.instructionsExecuted)
            let stop = t.run(maxInstructions: n, deadline: deadline)
            process.interpreter.setInstructionsExecuted(t.instructionsExecuted)
            return self.termination(stop)
        }
    }

    /// The process's ending for a translator stop.
    func termination(_ stop: EngineStop) -> GuestTermination {
        switch stop {
        case .stopped: return ending ?? .exited(status: 0)
        case .exception(let e): return .fault(e)
        case .instructionLimit: return .instructionLimit
        case .timeLimit: return .timeLimit
        }
    }

    /// Runs exactly one translated block (or steps one instruction the translator does not
    /// translate); nil while the guest goes on (the lockstep checker's unit).
    /// A fault with a handler, or an expired timer, is delivered as in ``run(maxInstructions:deadline:)``;
    /// with a timer armed the unit ends where it expires.
    public func runOneBlock() -> GuestTermination? {
        guard let t = translator else { return process.step() }
        if !process.hasSignalWork {
            // The common case (the lockstep checker's unit): one block, a fault delivered after it.
            ending = nil
            let stop = t.runOneBlock()
            process.interpreter.setInstructionsExecuted(t.instructionsExecuted)
            guard let stop else { return nil }
            switch termination(stop) {
            case .fault(let e) where !e.isDebuggerBreakpoint:
                // The handler's first block too: the unit then ends past the fault, where a
                // reference run of the same instruction count has delivered it as well.
                if process.takeFault(e) { return runOneBlock() }
                return process.fatalEnding ?? .fault(e)
            case .instructionLimit:
                return nil
            case let other:
                return other
            }
        }
        var unitDone = false
        let outcome = process.run(maxInstructions: UInt64.max, deadline: nil) { [process] n in
            self.ending = nil
            t.setInstructionsExecuted(process.interpreter.instructionsExecuted)
            let stop = n < 4096 ? t.run(maxInstructions: n, deadline: nil) : t.runOneBlock()
            process.interpreter.setInstructionsExecuted(t.instructionsExecuted)
            // One unit only: a block that ran to its end stops the loop (after a delivered fault, too).
            if let stop { return self.termination(stop) }
            unitDone = true
            return .timeLimit
        }
        return unitDone ? nil : outcome
    }

    public var instructionsExecuted: UInt64 { translator?.instructionsExecuted ?? process.interpreter.instructionsExecuted }
    public var translationCounters: TranslationCounters? { translator?.statistics.counters }

    public var breakpoints: Set<UInt32> = [] {
        didSet {
            process.interpreter.breakpoints = breakpoints
            translator?.breakpoints = breakpoints
        }
    }
}

/// The guest kernel's machine on the interpreter (the machine's own loop, with the timer, the
/// interrupts and the VMM's hooks) or with the translator plugged in as the loop's slice runner:
/// blocks between exits, and every instruction it does not translate (privileged ones, INT n)
/// stepped by the interpreter, whose exceptions and stops end the slice for the machine's loop.
/// Under the BT VMM, which runs the guest kernel from its own translation cache (the machine's
/// slice runner is already its), the translator runs the guest's user code instead
/// (``BinaryTranslationVMM/userCodeRunner``).
public final class GuestKernelEngine: SteppableEngine {
    public let machine: SystemMachine
    public let translator: TranslationEngine?

    public init(machine: SystemMachine, engine: Engine) throws(VSimError) {
        self.machine = machine
        let vmm = machine.sliceRunner == nil ? nil : machine.hooks as? BinaryTranslationVMM
        if engine == .translate {
            let (t, runner) = try Self.makeTranslator(for: machine, userOnly: vmm != nil)
            translator = t
            if let vmm { vmm.userCodeRunner = runner } else { machine.sliceRunner = runner }
        } else {
            translator = nil
        }
    }

    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> SystemStopReason {
        machine.run(maxInstructions: maxInstructions, deadline: deadline)
    }

    public var instructionsExecuted: UInt64 { machine.interpreter.instructionsExecuted }
    public var translationCounters: TranslationCounters? { translator?.statistics.counters }

    /// Set on the interpreter and the translator alike; the BT VMM's fragments run on the same
    /// interpreter and check its set at their rewritten instructions.
    public var breakpoints: Set<UInt32> = [] {
        didSet {
            machine.interpreter.breakpoints = breakpoints
            translator?.breakpoints = breakpoints
        }
    }

    /// Plugs a translator into `machine`'s loop (``SystemMachine/sliceRunner``).
    static func attachTranslator(to machine: SystemMachine) throws(VSimError) -> TranslationEngine {
        let (engine, runner) = try makeTranslator(for: machine)
        machine.sliceRunner = runner
        return engine
    }

    /// A translator on `machine`'s CPU and memory, and the slice runner that runs it (for
    /// ``SystemMachine/sliceRunner``, or with `userOnly` for ``BinaryTranslationVMM/userCodeRunner``:
    /// then the slice also ends when a stepped instruction leaves CPL 3, e.g. an INT n the VMM
    /// reflected into the guest kernel, whose code only the VMM's translation cache may run).
    static func makeTranslator(for machine: SystemMachine, userOnly: Bool = false) throws(VSimError) -> (TranslationEngine, (UInt64) -> StopReason?) {
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
            case nil: return machine.stopRequested || (machine.halted && !haltedBefore) || (userOnly && machine.cpu.cpl != 3)
            case .exception(let e): pending.exception = e; return true
            default: return true
            }
        }
        let runner: (UInt64) -> StopReason? = { [unowned engine] n in
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
        return (engine, runner)
    }
}
