import Guest
import Hypervisor
import Machine
import Translation
import VSim
import X86
import Descriptions

/// A program in user-mode emulation (``LinuxProcess``, started by the runtime's
/// ``LinuxUserPlatform`` as `vsim run` starts it), driven by the mode's engine (``UserModeEngine``:
/// the interpreter under `interpret`, the translator under `translate`) when it runs at engine
/// speed, and stepped one instruction at a time by the interpreter; `info tb` shows the
/// translator's blocks.
///
/// Reverse stepping uses an undo log: before each step the registers, and during it the old bytes
/// of every guest write (``MemoryRecorder``), for the last ``reverseStepLimit`` steps. A run at
/// engine speed keeps no log: the history starts again after it.
final class UserProcessTarget: Debuggee {
    let process: LinuxProcess
    let engine: UserModeEngine
    let symbols: DebugSymbols
    let stdout: GuestOutput, stderr: GuestOutput
    let recorder: MemoryRecorder
    private var log: [StepRecord] = []
    private var logStart = 0   // ring buffer: oldest record at logStart once full
    private var exited = false

    init(platform: LinuxUserPlatform, engine: Engine, input: String?) throws(REPLError) {
        stdout = try GuestOutput()
        stderr = try GuestOutput()
        let inputFD = try openGuestInput(input)
        do {
            process = try platform.start(stdio: GuestStdio(input: inputFD, output: stdout.fd, error: stderr.fd))
            self.engine = try UserModeEngine(process: process, engine: engine)
        } catch { throw .vsim(error) }
        symbols = DebugSymbols([platform.image])
        recorder = MemoryRecorder(memory: process.memory)
    }

    var cpu: CPUState { process.cpu }
    var instructions: UInt64 { process.interpreter.instructionsExecuted }
    var outputs: [(label: String, stream: GuestOutput)] { [("stdout", stdout), ("stderr", stderr)] }
    var isSystem: Bool { false }
    var vmm: VirtualMachineMonitor? { nil }
    var recentEvents: [String] { [] }
    func lastStepEvents() -> [VMMEventSummary] { [] }

    func step() -> StepOutcome {
        if exited { return .exited(status: 0) }
        let eip = cpu.eip
        let isSyscall = read(eip, count: 2) == [0xCD, 0x80]
        var record = StepRecord(registers: RegisterSnapshot(cpu), instructions: instructions, writes: [], systemCall: isSyscall)
        recorder.writes = []
        let result = process.step()
        record.writes = recorder.writes
        recorder.writes = []
        // The faulting instruction did not complete: EIP is still at it. Keep what it wrote
        // (a fault is all or nothing, so normally nothing) undoable.
        if case .exited? = result {} else { push(record) }
        return outcome(result)
    }

    /// How the guest is after `termination` (nil: it goes on).
    private func outcome(_ termination: GuestTermination?) -> StepOutcome {
        switch termination {
        case nil, .instructionLimit?, .timeLimit?:
            return .running
        case .exited(let status)?:
            exited = true
            log = []; logStart = 0
            return .exited(status: status)
        case .fault(let e)?:
            let name = SignalName.of(e.linuxSignal)
            return .signalled(signal: e.linuxSignal, message: "\(name): \(e.vector.name)\(e.errorCode.map { "(0x\(String($0, radix: 16)))" } ?? "") \(e.detail)")
        case .killed(let signal, let detail)?:
            return .signalled(signal: signal, message: detail)
        }
    }

    func run(steps limit: UInt64, breakpoints: Set<UInt32>, interrupted: () -> Bool) -> (outcome: StepOutcome, steps: UInt64, events: Int) {
        if exited { return (.exited(status: 0), 0, 0) }
        // The undo log cannot span a run without records: the history starts again after it.
        log = []; logStart = 0
        recorder.suspended = true
        defer { recorder.resynchronize() }
        var done: UInt64 = 0
        var slice = EngineSlice()
        if !breakpoints.isEmpty && limit > 0 {
            // Off the breakpoint EIP may be at (one step with none set), then the mode's engine
            // with the breakpoints set: it stops before an instruction at one, at its own speed.
            let r = process.step()
            done = 1
            if r != nil { return (outcome(r), done, 0) }
            if breakpoints.contains(process.cpu.eip) { return (.running, done, 0) }
            engine.breakpoints = breakpoints
        }
        defer { engine.breakpoints = [] }
        while done < limit && !interrupted() {
            let n = slice.next(limit - done)
            let before = instructions
            let r = engine.run(maxInstructions: n, deadline: nil)
            done += instructions - before
            slice.ran()
            switch r {
            case .instructionLimit, .timeLimit: continue
            case .fault(let e) where e.isDebuggerBreakpoint: return (.running, done, 0)
            default: return (outcome(r), done, 0)
            }
        }
        return (.running, done, 0)
    }

    private func push(_ r: StepRecord) {
        if log.count < reverseStepLimit { log.append(r); return }
        log[logStart] = r
        logStart = (logStart + 1) % reverseStepLimit
    }

    private func pop() -> StepRecord? {
        guard !log.isEmpty else { return nil }
        if log.count < reverseStepLimit || logStart == 0 { return log.removeLast() }
        // Full ring: the newest record sits just before logStart. Unroll it into a plain array.
        log = Array(log[logStart...] + log[..<logStart])
        logStart = 0
        return log.removeLast()
    }

    var reversibleSteps: Int { exited ? 0 : log.count }

    func stepBack(_ n: Int) -> (undone: Int, notes: [String]) {
        if exited { return (0, ["the program has exited: its process is gone, so there is nothing to step back in (`run` starts it again)"]) }
        var notes: [String] = []
        var done = 0
        while done < n, let r = pop() {
            for w in r.writes.reversed() where !recorder.restore(w.old, at: w.address) {
                notes.append("memory at 0x\(String(w.address, radix: 16)) was unmapped since; its old bytes cannot be put back")
            }
            r.registers.restore(cpu)
            process.interpreter.setInstructionsExecuted(r.instructions)
            if r.systemCall {
                notes.append("stepped back over the system call at 0x\(String(r.registers.eip, radix: 16)): registers and memory are restored, "
                             + "but what it did outside the guest (output written, the program break, file offsets) stays done")
            }
            done += 1
        }
        return (done, notes)
    }

    func read(_ address: UInt32, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var a = address
        for _ in 0..<count {
            guard let p = process.memory.permissions(at: a), p.contains(.read) else { break }
            out.append(process.memory.hostPointer(a).load(as: UInt8.self))
            a &+= 1
            if a == 0 { break }
        }
        return out
    }

    func translationBlock(at pc: UInt32, views: [String]) -> Result<String, REPLError> {
        var show: [TranslationView] = []
        for v in views {
            guard let view = TranslationView(rawValue: v) else {
                return .failure(.usage("info tb shows in_asm, ir or ir_opt (got '\(v)')"))
            }
            show.append(view)
        }
        if show.isEmpty { show = [.in_asm, .ir_opt] }
        guard let b = Translator.translate(process.memory, pc: pc, mode: TranslationEngine.mode(of: cpu)) else {
            return .failure(.usage("nothing can be translated at 0x\(String(pc, radix: 16)): the bytes there do not decode"))
        }
        return .success(TranslationPrinter.block(b, symbols: symbols, show: show))
    }
}
