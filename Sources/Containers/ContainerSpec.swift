#if canImport(Glibc)
import Glibc
#endif

/// Whether the container gets its own network namespace.
public enum NetworkMode: String, CaseIterable, Sendable {
    /// A new network namespace holding only the loopback interface, brought up.
    case none
    /// The host's network namespace (no isolation).
    case host
}

/// `--system-paths`: whether /proc and /sys paths that expose or change the host are masked.
public enum SystemPathsMode: String, CaseIterable, Sendable {
    /// The OCI default maskedPaths and readonlyPaths (``InitPlan/maskedPaths``).
    case masked
    /// Leave /proc as the kernel shows it (`docker run --security-opt systempaths=unconfined`).
    case unconfined
}

/// Everything `vsim container run` and `--mode container` decide about one container.
public struct ContainerSpec: Sendable {
    /// argv. Without ``rootfs`` `command[0]` is a host path (or a name looked up in the host's
    /// PATH), bind-mounted read-only into an otherwise empty root; with a rootfs it is a path
    /// inside the rootfs, or a name looked up in the container's PATH.
    public var command: [String]
    /// The read-only lower layer of the root's overlay; nil: a fresh tmpfs holding only the program.
    public var rootfs: String?
    /// The overlay's upper layer (kept after the run, reused by the next); nil: a fresh one that
    /// is deleted at teardown.
    public var keepUpper: String?
    public var limits = ResourceLimits()
    /// The UTS namespace's hostname; nil: "vsim-" and the name's random part.
    public var hostname: String?
    public var network = NetworkMode.none
    /// Create a user namespace (the caller becomes root inside) and apply only the limits the
    /// host lets an unprivileged user set, saying which were not applied.
    public var rootless = false
    /// The program's environment; nil: PATH, HOSTNAME, HOME=/ and TERM (if vsim has one).
    public var environment: [String]?
    /// Host descriptors that become the program's 0, 1, 2 (a negative one: closed in the program).
    public var stdin: Int32 = 0, stdout: Int32 = 1, stderr: Int32 = 2
    /// SIGKILL the container after this long (the result then says `timedOut`).
    public var timeLimit: Duration?
    /// Forward SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to vsim to the container's init (which
    /// as PID 1 ignores those it has no handler for, so a SIGKILL follows after
    /// ``stopGracePeriod``); a second signal kills at once.
    public var forwardSignals = true
    public var stopGracePeriod: Duration = .seconds(2)
    /// The capabilities the program keeps (bounding, permitted, effective and inheritable sets;
    /// the ambient set is always cleared). Default: Docker's 14.
    public var capabilities = CapabilitySet.dockerDefault
    /// prctl(PR_SET_NO_NEW_PRIVS): setuid programs and file capabilities grant nothing.
    public var noNewPrivileges = true
    public var seccomp = SeccompMode.default
    public var systemPaths = SystemPathsMode.masked
    /// Run a minimal init as PID 1 that forwards signals to the program and reaps orphans
    /// (`docker run --init`); the program is then PID 2.
    public var useInit = false
    /// Where the cgroup file systems are mounted.
    public var cgroupRoot = "/sys/fs/cgroup"
    /// The state root (see ``StateRoot``); nil: ``StateRoot/default()``.
    public var stateRoot: String?
    /// Called with one-line notices (forwarded signals); default: stderr.
    public var notice: @Sendable (String) -> Void = { printError($0 + "\n") }

    public init(command: [String]) { self.command = command }

    /// The container's PATH (Docker's default).
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Checks the options before anything is created.
    func validate() throws(ContainerError) {
        guard let first = command.first, !first.isEmpty else {
            throw .usage("no command to run: give it after --, e.g. vsim container run -- /path/to/program")
        }
        try limits.validate()
        if let h = hostname {
            guard !h.isEmpty, h.utf8.count <= 64, !h.contains("/"), !h.contains(where: { $0.isWhitespace }) else {
                throw .usage("--hostname '\(h)' is not a valid hostname (1 to 64 characters, no spaces or '/')")
            }
        }
        if let r = rootfs {
            guard HostFiles.exists(r) else { throw .missing("--rootfs \(r): no such directory") }
            guard HostFiles.isDirectory(r) else { throw .missing("--rootfs \(r): not a directory") }
            if r.contains(",") || r.contains(":") {
                throw .usage("--rootfs \(r): overlayfs cannot take a lower directory whose path contains ',' or ':'; use a path without them (a symbolic link will do)")
            }
        }
        if let u = keepUpper {
            if rootfs == nil { throw .usage("--keep-upper needs --rootfs (without a rootfs there is no overlay)") }
            if u.contains(",") || u.contains(":") {
                throw .usage("--keep-upper \(u): overlayfs cannot take a path containing ',' or ':'")
            }
            if HostFiles.exists(u) && !HostFiles.isDirectory(u) { throw .usage("--keep-upper \(u): exists and is not a directory") }
        }
    }
}
