import Dispatch
import Guest
import Machine
#if canImport(Glibc)
import Glibc
#endif
import Descriptions
import HostIO

/// `native`: the same ELF as a plain host process (posix_spawn), measured with wait4.
///
/// argv is the ELF path then the arguments; the environment is ``RunOptions/environment`` (or
/// vsim's). The host time limit kills the child with SIGKILL and reports SIGXCPU (152), like the
/// interpreter's limit. A child killed by a signal gives 128+signal. SIGINT, SIGTERM, SIGHUP and
/// SIGQUIT sent to vsim are passed on to the child (``ChildSignalRelay``). Instructions are not counted.
public struct NativeBackend: ExecutionBackend {
    public var mode: Mode { .native }
    public init() {}

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        // Fail like the interpreter would on bad input (and before the kernel's vaguer ENOEXEC).
        do { _ = try Guest.ELFImage(path: program.executablePath) } catch { throw .elf(error) }

        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let start = ContinuousClock.now
        let argv = [program.executablePath] + arguments
        let pid: pid_t
        switch HostCommand.spawn(program.executablePath, argv, environment: options.environment,
                                 stdin: io.stdio.input, stdout: io.stdio.output, stderr: io.stdio.error,
                                 searchPath: false) {
        case .success(let p): pid = p
        case .failure(let e):
            if e.code == EACCES {
                throw .unreadable(path: program.executablePath, reason: "not executable: chmod +x it")
            }
            throw .host("cannot start \(program.executablePath) natively: \(String(cString: strerror(e.code)))")
        }
        let watchdog = Watchdog(pid: pid, after: options.timeLimit)
        let relay = ChildSignalRelay(pid: pid)
        var info = siginfo_t()
        _ = HostIO.retryingEINTR { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        let killed = watchdog.finish()
        let interrupted = relay.finish()
        let (status, usage) = HostCommand.waitFor(pid)
        let elapsed = ContinuousClock.now - start
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        // The child's ru_maxrss is not reported: Linux carries the spawning process's peak RSS
        // across execve (posix_spawn shares vsim's address space until the exec), so the number
        // would be vsim's own, not the guest's.
        _ = usage
        let rss: UInt64? = nil
        let ns = DurationText.nanoseconds(elapsed)
        if killed {
            return RunResult(mode: .native, exitStatus: 128 + Signal.SIGXCPU, signal: Signal.SIGXCPU,
                             wallTimeNanoseconds: ns, maxResidentBytes: rss, output: output,
                             diagnostic: LimitStop.message("native run", .time(limit: options.timeLimit, executed: nil)))
        }
        let signal: Int32? = status > 128 ? status - 128 : nil
        var diagnostic: String? = nil
        if let s = signal {
            diagnostic = "vsim: native process ended by \(SignalName.of(s)) (exit status \(status))"
        }
        var run = RunResult(mode: .native, exitStatus: status, signal: signal, instructions: nil,
                            wallTimeNanoseconds: ns, maxResidentBytes: rss, output: output, diagnostic: diagnostic)
        run.interruptedBy = interrupted
        return run
    }
}

/// Kills a child with SIGKILL when a time limit passes, unless ``finish()`` came first.
/// ``finish()`` must be called after the child has exited but before it is reaped, so the pid
/// cannot have been reused when the kill happens.
final class Watchdog: @unchecked Sendable {
    private let queue = DispatchQueue(label: "vsim.watchdog")
    private var done = false
    private var fired = false
    private let pid: pid_t

    init(pid: pid_t, after limit: Duration) {
        self.pid = pid
        let ns = DurationText.nanoseconds(limit)
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(min(ns, UInt64(Int.max))))) { [self] in
            if !done {
                fired = true
                kill(pid, SIGKILL)
            }
        }
    }

    /// Disarms; returns whether the watchdog had killed the child.
    func finish() -> Bool {
        queue.sync {
            done = true
            return fired
        }
    }
}

/// The host descriptors behind the guest's fds 0, 1, 2 for a ``GuestIO`` choice.
struct GuestDescriptors {
    var stdio: GuestStdioFDs
    /// The capture file (stdout) for ``GuestIO/capture``.
    var capture: Int32?
    /// For ``GuestIO/stream(input:output:)`` with a limit: the output's request that the run be
    /// killed once it passed the limit (``StreamedOutput/killRequest``), for the backend to give
    /// its process or machine.
    var killRequest: KillRequest?
    private var owned: [Int32] = []

    /// Host descriptors for the guest's fds 0, 1, 2; a negative one means the guest's is closed.
    struct GuestStdioFDs { var input: Int32; var output: Int32; var error: Int32 }

    init(_ io: GuestIO) throws(VSimError) {
        switch io {
        case .inherit:
            // -1: vsim's stdin was closed at start, so the guest's is closed too.
            stdio = GuestStdioFDs(input: StandardDescriptors.stdinClosed ? -1 : 0, output: 1, error: 2)
        case .capture, .discard:
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { throw .host("cannot open /dev/null: \(String(cString: strerror(errno)))") }
            owned.append(null)
            if io == .capture {
                let file = try TempFile.anonymous()
                owned.append(file)
                capture = file
                stdio = GuestStdioFDs(input: null, output: file, error: null)
            } else {
                stdio = GuestStdioFDs(input: null, output: null, error: null)
            }
        case .stream(let input, let output):
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { throw .host("cannot open /dev/null: \(String(cString: strerror(errno)))") }
            owned.append(null)
            stdio = GuestStdioFDs(input: input ?? null, output: output.writeDescriptor, error: null)
            killRequest = output.killRequest
        }
    }

    func close() { owned.forEach { _ = Glibc.close($0) } }
}

