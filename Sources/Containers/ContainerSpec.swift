#if canImport(Glibc)
import Glibc
#endif
import HostIO

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

/// `--isolation`: how the program is shut in its root.
public enum Isolation: String, CaseIterable, Sendable {
    /// New namespaces (mount, PID, UTS, IPC, network, cgroup), the root mounted in the new mount
    /// namespace and entered with pivot_root(2), the old root detached: runc's way, the default.
    case pivotRoot = "pivot-root"
    /// Only chroot(2) into the root (no namespaces, no mounts, no pivot_root): the classic jail.
    /// A process that may call chroot can leave it (programs/jailbreak.s).
    case chroot
}

/// Everything `vsim container run` and `--mode container` decide about one container.
public struct ContainerSpec: Sendable {
    /// argv. Without ``rootfs`` `command[0]` is a host path (or a name looked up in the host's
    /// PATH), bind-mounted read-only into an otherwise empty root; with a rootfs it is a path
    /// inside the rootfs, or a name looked up in the container's PATH.
    public var command: [String]
    /// The read-only lower layer of the root's overlay; nil: a fresh tmpfs holding only the program.
    public var rootfs: String?
    /// An image's unpacked layers (host directories, top layer first): the root is an overlay
    /// with one `lowerdir` per layer, in this order of priority. Exclusive with ``rootfs``.
    public var imageLayers: [String]?
    /// The program's working directory inside the root (created if missing, like Docker's
    /// `WorkingDir`); nil: `/`.
    public var workingDirectory: String?
    public var isolation = Isolation.pivotRoot
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
    /// An image's `Env` (used when ``environment`` is nil): the program gets it, plus HOSTNAME
    /// and, where the image sets none, Docker's default PATH and HOME=/.
    public var imageEnvironment: [String]?
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

    /// The PATH of `environment` (an image's `Env`), else ``defaultPath``.
    static func searchPath(_ environment: [String]?) -> String {
        environment?.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? defaultPath
    }

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
        if let layers = imageLayers {
            if rootfs != nil { throw .usage("--rootfs and --image both give the root: choose one") }
            for l in layers where !HostFiles.isDirectory(l) {
                throw .missing("the image layer \(l) is missing from the image store (import the image again)")
            }
            for l in layers where l.contains(",") || l.contains(":") {
                throw .usage("the image layer \(l) has ',' or ':' in its path, which overlayfs cannot take in lowerdir")
            }
            let optionBytes = layers.reduce(0) { $0 + $1.utf8.count + 1 } + 200
            if optionBytes > 4096 {
                throw .usage("the image has \(layers.count) layers whose paths make the overlay's mount options longer than a page (4096 bytes), the kernel's limit; use a store with a shorter path (VSIM_IMAGES)")
            }
        }
        if let w = workingDirectory, !w.hasPrefix("/") || w.split(separator: "/").contains("..") {
            throw .usage("working directory '\(w)' must be an absolute path without '..'")
        }
        if isolation == .chroot {
            if rootless { throw .usage("--isolation chroot needs root (chroot(2) needs CAP_SYS_CHROOT); it cannot be combined with --rootless") }
            if imageLayers != nil {
                throw .usage("--isolation chroot cannot use --image: an image's layers are merged by an overlay mount, which needs a mount namespace; use --rootfs DIR (the jail is DIR itself, and writes go to it)")
            }
            if keepUpper != nil { throw .usage("--isolation chroot has no overlay, so no upper layer to keep (--keep-upper)") }
            if hostname != nil { throw .usage("--isolation chroot creates no UTS namespace, so it cannot set a hostname") }
        }
        if let u = keepUpper {
            if rootfs == nil && imageLayers == nil { throw .usage("--keep-upper needs --rootfs or --image (without either there is no overlay)") }
            if u.contains(",") || u.contains(":") {
                throw .usage("--keep-upper \(u): overlayfs cannot take a path containing ',' or ':'")
            }
            if HostFiles.exists(u) && !HostFiles.isDirectory(u) { throw .usage("--keep-upper \(u): exists and is not a directory") }
            // overlayfs(5): an upper directory inside a lower one (or holding it) is undefined;
            // the container's writes (its mount points to begin with) would land in the
            // read-only --rootfs or an image layer, which other runs share.
            for lower in (rootfs.map { [$0] } ?? []) + (imageLayers ?? [])
            where FileIdentity.path(u, isWithin: lower) || FileIdentity.path(lower, isWithin: u) {
                let what = rootfs != nil ? "--rootfs \(lower)" : "the image layer \(lower)"
                throw .usage("--keep-upper \(u) overlaps \(what) (one is inside the other): the container's changes would be written into its read-only root; keep them in a folder outside it")
            }
        }
    }
}
