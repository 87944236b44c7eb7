import Containers
import Guest
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// `container`: the same ELF as a native process, but as the init (PID 1) of a fresh container:
/// mount, PID, UTS, IPC, network and cgroup namespaces, a root holding only the program, and
/// vsim's I/O choice on its descriptors (see the Containers module). Run as root it is a
/// rootful container; otherwise a user namespace makes it rootless.
///
/// The guest's stdout and exit status are those of `native`; argv[0] is the program's path
/// inside the container (`/name`), and the environment is ``RunOptions/environment`` or vsim's.
/// Instructions are not counted, and no max RSS is reported (the init is a clone of vsim, whose
/// RSS ru_maxrss carries across execve, as for `native`).
public struct ContainerBackend: ExecutionBackend {
    public var mode: Mode { .container }
    public init() {}

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        do { _ = try Guest.ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        var spec = ContainerSpec(command: [program.executablePath] + arguments)
        spec.environment = options.environment ?? HostCommand.currentEnvironment()
        spec.stdin = io.stdio.input
        spec.stdout = io.stdio.output
        spec.stderr = io.stdio.error
        spec.timeLimit = options.timeLimit
        spec.rootless = geteuid() != 0
        let result: ContainerResult
        do { result = try Container.run(spec) } catch {
            if case .interrupted(let s, _) = error { throw .interrupted(signal: s, "container mode: \(error.description)") }
            throw .host("container mode: \(error.description)", status: error.exitStatus)
        }
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        var diagnostic = result.diagnostic
        if result.timedOut {
            diagnostic = LimitStop.message("container run", .time(limit: options.timeLimit, executed: nil))
        }
        var run = RunResult(mode: .container, exitStatus: result.exitStatus, signal: result.signal, instructions: nil,
                            wallTimeNanoseconds: UInt64(max(result.timings.total, 0)) * 1000, maxResidentBytes: nil,
                            output: output, diagnostic: diagnostic)
        // Start-up: everything before the program's first instruction (cgroups, clone with the
        // namespaces, mounts and pivot_root, exec); the phases in ns for the report.
        let t = result.timings
        run.startupNanoseconds = UInt64(max(0, t.prepare + t.cgroups + t.clone + t.mounts + t.exec)) * 1000
        run.setupPhases = t.phases.map { (name: $0.0, nanoseconds: UInt64(max(0, $0.1)) * 1000) }
        run.interruptedBy = result.forwardedSignal
        return run
    }
}
