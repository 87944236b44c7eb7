import Guest
import Machine
import Translation
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// `translate`: QEMU-style dynamic binary translation (the Translation module) in user-mode
/// emulation (``LinuxProcess``), like qemu-i386. The same contract as ``InterpreterBackend``:
/// guest stdout and exit status, SIGXCPU (152) at the instruction budget or host time limit,
/// 128+signal with a one-line diagnostic for a fault. Instructions that need the main loop
/// (INT n, ...) run in the process's interpreter, which serves the system calls.
public struct TranslatorBackend: ExecutionBackend {
    public var mode: Mode { .translate }
    /// Chain blocks through goto_tb (false: every block exit goes back to the main loop).
    public var chaining = true
    /// Receives the run's counters when it ends.
    public var statistics: (@Sendable (TranslationStats) -> Void)?

    public init(chaining: Bool = true, statistics: (@Sendable (TranslationStats) -> Void)? = nil) {
        self.chaining = chaining
        self.statistics = statistics
    }

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        if options.system { return try SystemBackend(mode: .translate).run(program, arguments: arguments, options: options) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let peakMeasured = options.measurePeakMemory && PeakMemory.reset()     // the run's own peak RSS (PeakMemory)
        let start = ContinuousClock.now
        let process = try LinuxUserPlatform(program: program, arguments: arguments, options: options).start(stdio: io.guestStdio)
        process.killRequest = io.killRequest
        let engine = try UserModeEngine(process: process, engine: .translate, chaining: chaining)
        let termination = engine.run(maxInstructions: options.maxInstructions, deadline: start + options.timeLimit)
        let elapsed = ContinuousClock.now - start
        let executed = engine.instructionsExecuted
        let stats = engine.translator!.statistics
        statistics?(stats)
        let peak = peakMeasured ? PeakMemory.peak() : nil
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var result = RunResult(mode: .translate, exitStatus: 0, instructions: executed,
                               wallTimeNanoseconds: DurationText.nanoseconds(elapsed),
                               maxResidentBytes: peak, output: output)
        result.translation = stats.counters
        GuestDiagnostics.record(termination, into: &result, process: process, options: options)
        return result
    }
}
