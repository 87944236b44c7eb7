import Guest
import Machine
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// `interpret`: vsim's ``Interpreter`` in user-mode emulation (``LinuxProcess``), like qemu-i386.
///
/// argv is the ELF path then the arguments. The run stops at ``RunOptions/maxInstructions`` or
/// the host time limit with SIGXCPU (152). A CPU exception ends it as Linux would end the native
/// process (128+signal) with a one-line diagnostic. `maxResidentBytes` is vsim's peak RSS during
/// this run (``PeakMemory``).
public struct InterpreterBackend: ExecutionBackend {
    public var mode: Mode { .interpret }
    public init() {}

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        if options.system { return try SystemBackend(mode: .interpret).run(program, arguments: arguments, options: options) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let peakMeasured = options.measurePeakMemory && PeakMemory.reset()     // the run's own peak RSS (PeakMemory)
        let start = ContinuousClock.now
        let process = try LinuxUserPlatform(program: program, arguments: arguments, options: options).start(stdio: io.guestStdio)
        process.killRequest = io.killRequest
        let image = process.image
        let sink = options.traceSink
        if options.traces.contains(.syscalls) { process.syscallTrace = sink }
        if options.traces.contains(.insns) {
            let memory = process.memory
            let symbols = ELFSymbolizer(image)
            process.interpreter.traceHandler = { insn, _ in
                sink(GuestDiagnostics.traceLine(insn, memory: memory, symbols: symbols))
            }
        }
        let engine = try UserModeEngine(process: process, engine: .interpret)
        let termination = engine.run(maxInstructions: options.maxInstructions, deadline: start + options.timeLimit)
        let elapsed = ContinuousClock.now - start
        let executed = engine.instructionsExecuted
        let peak = peakMeasured ? PeakMemory.peak() : nil
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var result = RunResult(mode: .interpret, exitStatus: 0, instructions: executed,
                               wallTimeNanoseconds: DurationText.nanoseconds(elapsed),
                               maxResidentBytes: peak, output: output)
        GuestDiagnostics.record(termination, into: &result, process: process, options: options)
        return result
    }
}
