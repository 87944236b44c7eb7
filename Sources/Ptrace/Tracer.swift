import CPtraceShim
import Descriptions
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// PRoot's way of faking a container without privileges: the program runs as an ordinary
/// process of the calling user, traced with ptrace(2), and the tracer stops it at every system
/// call entry and exit (PTRACE_SYSCALL with PTRACE_O_TRACESYSGOOD), counts each call by name,
/// and, with a ``PtraceRoot``, rewrites each path argument at entry so that the root directory is
/// the tracee's `/` (the new path is written below the tracee's stack pointer and the argument
/// register pointed at it; the registers are restored at exit, as the i386 ABI preserves them),
/// and rewrites getcwd(2) and readlink(2) results at exit. No namespace, no mount, no root.
///
/// Never leaves a tracee behind: PTRACE_O_EXITKILL kills the tracees if vsim dies, the time limit
/// kills the program through a pidfd, and tracees still alive when the program's main process
/// ends (children it forked) are killed and reaped.
public enum Tracer {
    /// Runs `spec` to its end.
    /// - Returns: how it ended, its system calls by name, the tracer's time.
    /// - Throws: ``PtraceError`` when the program cannot be started or traced.
    public static func run(_ spec: TraceSpec) throws(PtraceError) -> TraceResult {
        let start = ContinuousClock.now
        var reportFD: Int32 = -1
        let directory = spec.root.map { $0.hostPath.isEmpty ? "/" : $0.hostPath }
        // The tracee starts in the root: a relative program path is made absolute first.
        var executable = spec.executable
        if !executable.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            executable = String(cString: cwd) + "/" + executable
            free(cwd)
        }
        let pid = CStrings.with(spec.arguments) { argv in
            CStrings.with(spec.environment) { envp in
                vsim_pt_spawn(executable, argv, envp, spec.stdin, spec.stdout, spec.stderr, directory, &reportFD)
            }
        }
        guard pid > 0 else { throw .host("cannot fork the tracee", errno: errno) }
        defer { close(reportFD) }

        // The child stops itself (SIGSTOP) before its execve so the options are set first.
        var status: Int32 = 0
        let waited = HostIO.retryingEINTR { waitpid(pid, &status, 0) }
        if waited != pid || WaitStatus.exited(status) || WaitStatus.signaled(status) {
            throw startFailure(spec, reportFD)
        }
        let options = (VSIM_PT_O_TRACESYSGOOD | VSIM_PT_O_TRACEEXEC | VSIM_PT_O_EXITKILL
            | VSIM_PT_O_TRACEFORK | VSIM_PT_O_TRACEVFORK | VSIM_PT_O_TRACECLONE)
        if vsim_pt_set_options(pid, options) != 0 {
            let e = errno
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw .host("PTRACE_SETOPTIONS on the tracee", errno: e)
        }
        let limit = TimeLimit(pid: pid, after: spec.timeLimit)
        _ = vsim_pt_cont(pid, 0)

        var loop = TraceLoop(main: pid, spec: spec)
        loop.run()
        let timedOut = limit.finish()
        // After a failed exec the child exits 127 with the reason in the pipe.
        if !loop.execSeen { throw startFailure(spec, reportFD) }
        let wall = DurationText.nanoseconds(ContinuousClock.now - start)
        return TraceResult(exitStatus: loop.exitStatus, signal: loop.signal, timedOut: timedOut,
                           systemCalls: loop.counts, errors: loop.errors, pathsRewritten: loop.rewritten,
                           stops: loop.stops, wallNanoseconds: wall, tracerNanoseconds: loop.tracerNanoseconds)
    }

    /// The error the child reported through the pipe (step, errno).
    private static func startFailure(_ spec: TraceSpec, _ fd: Int32) -> PtraceError {
        var failure: (Int32, Int32) = (0, 0)
        let n = withUnsafeMutableBytes(of: &failure) { read(fd, $0.baseAddress, $0.count) }
        guard n == 8 else { return .host("the tracee ended before its exec", errno: EIO) }
        switch failure.0 {
        case 1: return .root("cannot enter --root \(spec.root?.hostPath ?? "/"): \(String(cString: strerror(failure.1)))")
        case 2: return .host("PTRACE_TRACEME", errno: failure.1)
        default: return .exec(path: spec.executable, errno: failure.1)
        }
    }
}

/// The wait(2) status macros (function-like macros in C, so not imported into Swift).
enum WaitStatus {
    static func exited(_ s: Int32) -> Bool { s & 0x7f == 0 }
    static func exitCode(_ s: Int32) -> Int32 { (s >> 8) & 0xff }
    static func signaled(_ s: Int32) -> Bool { s & 0x7f != 0 && s & 0x7f != 0x7f }
    static func termSignal(_ s: Int32) -> Int32 { s & 0x7f }
    static func stopped(_ s: Int32) -> Bool { s & 0xff == 0x7f }
    static func stopSignal(_ s: Int32) -> Int32 { (s >> 8) & 0xff }
    static func event(_ s: Int32) -> Int32 { (s >> 16) & 0xff }
}

/// NULL-terminated `char *[]` for exec.
enum CStrings {
    static func with<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// Kills the tracee with SIGKILL through a pidfd when the limit passes, unless ``finish()`` came
/// first (a pidfd cannot reach a reused pid).
final class TimeLimit: @unchecked Sendable {
    private let queue = DispatchQueue(label: "vsim.ptrace.limit")
    private var done = false, fired = false
    private let pidfd: Int32
    private let pid: pid_t

    init(pid: pid_t, after limit: Duration) {
        self.pid = pid
        pidfd = vsim_pt_pidfd_open(pid)
        let ns = DurationText.nanoseconds(limit)
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(min(ns, UInt64(Int.max))))) { [self] in
            if !done {
                fired = true
                // Without pidfds (Linux < 5.3) the pid itself, with the window that pidfds close:
                // between the loop's reap of the tracee and finish(), the pid could be reused.
                if pidfd >= 0 { _ = vsim_pt_pidfd_kill(pidfd) } else { kill(pid, SIGKILL) }
            }
        }
    }

    /// Disarms; returns whether the limit had killed the tracee.
    func finish() -> Bool {
        queue.sync {
            done = true
            if pidfd >= 0 { close(pidfd) }
            return fired
        }
    }
}
