import Guest
import Ptrace
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// `ptrace`: the same ELF as a native process of the calling user, traced PRoot-style (module
/// Ptrace): stopped at every system call entry and exit, each call counted by name (the i386
/// table), and with `--root DIR` every path argument rewritten so that DIR is the program's `/`
/// (no namespaces, no privileges: udocker's P1/P2 execution modes).
///
/// stdout and the exit status are those of `native`; ``RunResult/systemCalls`` holds the counts
/// and ``RunResult/tracerNanoseconds`` the time the tracer spent at the stops. The time limit
/// kills the tracee (SIGKILL) and reports SIGXCPU (152) as the other modes do. The wall time runs
/// from the fork to the reap; the CPU times ``CPUTimes/measure(spawnsChild:_:)`` reports are the
/// tracee's (a child's rusage), the tracer's own work is ``RunResult/tracerNanoseconds``.
public struct PtraceBackend: ExecutionBackend {
    public var mode: Mode { .ptrace }
    public init() {}

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        do { _ = try Guest.ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        var spec = TraceSpec(executable: program.executablePath, arguments: [program.executablePath] + arguments,
                             environment: options.environment ?? HostCommand.currentEnvironment())
        spec.stdin = io.stdio.input
        spec.stdout = io.stdio.output
        spec.stderr = io.stdio.error
        spec.timeLimit = options.timeLimit
        if options.traces.contains(.syscalls) {
            let sink = options.traceSink
            spec.trace = { sink("[ptrace] " + $0) }
        }
        let traced: TraceResult
        do {
            if let root = options.root { spec.root = try PtraceRoot(root) }
            traced = try Tracer.run(spec)
        } catch {
            throw .host("ptrace mode: \(error.description)", status: error.exitStatus)
        }
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var run: RunResult
        if traced.timedOut {
            run = RunResult(mode: .ptrace, exitStatus: 128 + Signal.SIGXCPU, signal: Signal.SIGXCPU,
                            wallTimeNanoseconds: traced.wallNanoseconds, output: output,
                            diagnostic: LimitStop.message("ptrace run", .time(limit: options.timeLimit, executed: nil)))
        } else {
            run = RunResult(mode: .ptrace, exitStatus: traced.exitStatus, signal: traced.signal,
                            wallTimeNanoseconds: traced.wallNanoseconds, output: output,
                            diagnostic: traced.signal.map { "vsim: traced process ended by \(SignalName.of($0)) (exit status \(traced.exitStatus))" })
        }
        run.systemCalls = traced.systemCalls
        run.systemCallErrors = traced.errors
        run.tracerNanoseconds = traced.tracerNanoseconds
        run.hostEvents = ["ptrace stops": traced.stops, "paths rewritten": traced.pathsRewritten]
        return run
    }
}
