/// Where a container's time went, microseconds (`--timings`).
public struct PhaseTimings: Equatable, Sendable {
    /// Checking options, resolving the command, creating the state directory.
    public var prepare: Int64 = 0
    /// Creating the cgroups and writing the limits (before the clone), and on v2 moving the init
    /// in from outside (after it).
    public var cgroups: Int64 = 0
    /// clone(2) with the namespace flags (and the uid/gid maps of a user namespace).
    public var clone: Int64 = 0
    /// From releasing the init to the end of its steps: joining its v1 cgroups, the cgroup
    /// namespace, hostname, loopback, the mounts and pivot_root.
    public var mounts: Int64 = 0
    /// From the init's execve call to the parent seeing it succeed.
    public var exec: Int64 = 0
    /// The program running, until its exit is seen.
    public var run: Int64 = 0
    /// Reaping, reading the cgroups' counters, removing the cgroups and the state directory.
    public var teardown: Int64 = 0
    /// All of it: from the start of `Container.run` to its return.
    public var total: Int64 = 0

    public init() {}

    /// (name, µs) in order.
    public var phases: [(String, Int64)] {
        [("prepare", prepare), ("cgroup setup", cgroups), ("clone with namespaces", clone),
         ("mounts and pivot_root", mounts), ("exec", exec), ("run", run), ("teardown", teardown)]
    }
}

/// How a container run ended.
public struct ContainerResult: Sendable {
    public var name: ContainerName
    /// Shell-style: the program's exit status, or 128+signal.
    public var exitStatus: Int32
    /// The signal that ended the init, nil for a normal exit.
    public var signal: Int32?
    /// The kernel's OOM killer ended it because of `--memory`.
    public var oomKilled: Bool
    /// The time limit ran out and vsim killed it.
    public var timedOut: Bool
    /// The signal vsim forwarded to it (SIGINT, SIGTERM, ...), if any.
    public var forwardedSignal: Int32?
    public var statistics: CgroupStatistics
    /// Limits that could not be applied (rootless), one line each.
    public var unappliedLimits: [String]
    /// Teardown problems (a cgroup that stayed busy); empty normally.
    public var cleanupProblems: [String]
    public var timings: PhaseTimings
    /// The namespaces the container had and its cgroups ("v1: memory pids").
    public var namespaces: Namespaces
    public var cgroupSummary: String
    /// ru_maxrss of the init, bytes.
    public var maxResidentBytes: UInt64
    /// One line explaining an abnormal end (OOM kill with the limit, a signal, the time limit).
    public var diagnostic: String?
    /// Processes the OOM killer killed in the container, the init or any other (0 without
    /// --memory or when none was).
    public var oomKills: Int = 0
    /// Cgroups and state directories of killed vsims that this run removed before it started.
    public var sweptLeftovers: Int = 0
}
