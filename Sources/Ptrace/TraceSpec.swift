/// What to run under the tracer.
public struct TraceSpec: Sendable {
    /// The host path of the program to exec, and its argv (argv[0] first).
    public var executable: String
    public var arguments: [String]
    /// The environment (`NAME=value`).
    public var environment: [String]
    /// Host descriptors for the tracee's fds 0, 1, 2 (negative: closed).
    public var stdin: Int32 = 0, stdout: Int32 = 1, stderr: Int32 = 2
    /// The directory shown as `/` (nil: no rewriting; the tracee sees the host's files).
    public var root: PtraceRoot? = nil
    /// Host wall time before the tracee is killed (SIGKILL) and the run reports a time-out.
    public var timeLimit: Duration = .seconds(60)
    /// Called at each system-call exit with a strace-style line (`--trace syscalls`), nil: none.
    public var trace: (@Sendable (String) -> Void)? = nil

    public init(executable: String, arguments: [String], environment: [String]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }
}

/// How a traced run ended and what the tracer saw.
public struct TraceResult: Sendable {
    /// The program's exit status, or 128+signal when a signal ended it.
    public var exitStatus: Int32
    /// The signal that ended it, nil for `exit`.
    public var signal: Int32?
    /// Whether the time limit killed it.
    public var timedOut: Bool
    /// System calls the program entered, by name (i386 table; x86-64 names for a 64-bit
    /// program), counted at entry: `exit` and `exit_group` included (strace -c counts at exit
    /// and so leaves out the calls that never return). The exec that starts the program is
    /// vsim's and not counted.
    public var systemCalls: [String: UInt64]
    /// Of those, the ones that returned an error (-4095...-1), by name.
    public var errors: [String: UInt64]
    /// Path arguments rewritten at entry, and results (getcwd, readlink) rewritten at exit.
    public var pathsRewritten: UInt64
    /// ptrace stops taken (system-call entries and exits, events, signals).
    public var stops: UInt64
    /// Host time from the fork of the tracee to the reap of its last process, nanoseconds.
    public var wallNanoseconds: UInt64
    /// Host time the tracer spent between a stop and resuming the tracee (reading registers,
    /// counting, rewriting), nanoseconds.
    public var tracerNanoseconds: UInt64

    /// All system calls counted.
    public var totalSystemCalls: UInt64 { systemCalls.values.reduce(0, +) }
}
