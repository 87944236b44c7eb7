import CContainerShim
#if canImport(Glibc)
import Glibc
#endif

/// The namespaces a container gets (clone(2) flags).
public struct Namespaces: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let mount = Namespaces(rawValue: 0x0002_0000)    // CLONE_NEWNS
    public static let cgroup = Namespaces(rawValue: 0x0200_0000)   // CLONE_NEWCGROUP
    public static let uts = Namespaces(rawValue: 0x0400_0000)      // CLONE_NEWUTS
    public static let ipc = Namespaces(rawValue: 0x0800_0000)      // CLONE_NEWIPC
    public static let user = Namespaces(rawValue: 0x1000_0000)     // CLONE_NEWUSER
    public static let pid = Namespaces(rawValue: 0x2000_0000)      // CLONE_NEWPID
    public static let network = Namespaces(rawValue: 0x4000_0000)  // CLONE_NEWNET

    /// Short names as in /proc/PID/ns: "mnt pid uts ipc net cgroup user".
    public var description: String {
        [(Namespaces.mount, "mnt"), (.pid, "pid"), (.uts, "uts"), (.ipc, "ipc"), (.network, "net"),
         (.cgroup, "cgroup"), (.user, "user")].filter { contains($0.0) }.map(\.1).joined(separator: " ")
    }
}

/// mount(2) flags.
enum MountFlags {
    static let readOnly: UInt = 1, noSUID: UInt = 2, noDev: UInt = 4, noExec: UInt = 8
    static let remount: UInt = 32, bind: UInt = 4096, recursive: UInt = 16384, privatePropagation: UInt = 1 << 18
}

/// One step of the container's init between clone and exec, with a title for error messages.
struct InitStep {
    var kind: vsim_ct_step_kind
    var source: String? = nil
    var target: String? = nil
    var fstype: String? = nil
    var flags: UInt = 0
    var data: String? = nil
    var title: String
}

/// The device nodes a container sees, bind-mounted from the host's /dev (a user namespace may
/// not mknod, and binds behave the same with or without one).
let containerDevices = ["null", "zero", "full", "random", "urandom", "tty"]

/// Builds the init's steps: the policy of what a container's root looks like.
enum InitPlan {
    /// The overlay's directories (host paths as the init sees them before pivot_root).
    struct Layers {
        /// The lower directories, top (highest priority) first.
        var lowers: [String]
        var upper: String
        var work: String
        /// Upper and work are created on the init's tmpfs (a fresh upper that dies with the
        /// container), not on the host (`--keep-upper`).
        var onScratch: Bool
    }

    /// - Parameters:
    ///   - scratch: the state root; the init mounts a fresh tmpfs over it in its own mount
    ///     namespace and builds the root there, so nothing is created on the host's disks.
    ///   - layers: the overlay for `--rootfs`, nil for a root holding only the program.
    ///   - program: with a fresh root, the host program and its name inside (`/name`).
    ///   - joinCgroups: v1 `tasks` files the init writes "0" to, joining its cgroups before it
    ///     unshares its cgroup namespace.
    /// The OCI runtime spec's default `maskedPaths` (as `runc spec` writes them, with Docker's
    /// addition of powercap): the kernel's memory image, keyrings of every user, timers and
    /// scheduler internals of the host, firmware tables. Directories get an empty read-only
    /// tmpfs, files /dev/null.
    static let maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                              "/sys/firmware", "/sys/devices/virtual/powercap"]
    /// The OCI default `readonlyPaths`: host-wide sysctls (/proc/sys: core_pattern, drop_caches,
    /// ...), the magic SysRq trigger, IRQ affinities, bus and file-system tunables.
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    static func steps(namespaces: Namespaces, hostname: String, scratch: String, layers: Layers?,
                      program: (host: String, inside: String)?, rootless: Bool, joinCgroups: [String] = [],
                      systemPaths: SystemPathsMode = .masked, workingDirectory: String? = nil) -> [InitStep] {
        var s: [InitStep] = []
        for file in joinCgroups {
            s.append(InitStep(kind: VSIM_CT_WRITE, source: "0", target: file, title: "join the cgroup (write 0 to \(file))"))
        }
        if namespaces.contains(.cgroup) {
            s.append(InitStep(kind: VSIM_CT_UNSHARE, flags: UInt(Namespaces.cgroup.rawValue),
                              title: "unshare the cgroup namespace (its root becomes the container's cgroup)"))
        }
        s.append(InitStep(kind: VSIM_CT_SETHOSTNAME, source: hostname, title: "set the hostname to \(hostname)"))
        if namespaces.contains(.network) {
            s.append(InitStep(kind: VSIM_CT_LINK_UP, source: "lo", title: "bring up the loopback interface lo"))
        }
        s.append(InitStep(kind: VSIM_CT_MOUNT, target: "/", flags: MountFlags.recursive | MountFlags.privatePropagation,
                          title: "make every mount private (so nothing propagates back to the host)"))
        s.append(InitStep(kind: VSIM_CT_MOUNT, source: "tmpfs", target: scratch, fstype: "tmpfs",
                          flags: MountFlags.noSUID | MountFlags.noDev, data: layers == nil ? "mode=755,size=1m" : "mode=755",
                          title: "mount a fresh tmpfs on \(scratch) (the container's \(layers == nil ? "root" : "writable layer"))"))
        let root: String
        if let l = layers {
            root = scratch + "/root"
            let made = l.onScratch ? [root, l.upper, l.work] : [root]
            for d in made { s.append(InitStep(kind: VSIM_CT_MKDIR, target: d, title: "create \(d)")) }
            let options = "lowerdir=\(l.lowers.joined(separator: ":")),upperdir=\(l.upper),workdir=\(l.work)" + (rootless ? ",userxattr" : "")
            s.append(InitStep(kind: VSIM_CT_MOUNT, source: "overlay", target: root, fstype: "overlay", data: options,
                              title: "mount the overlay root (\(options)) on \(root)"))
        } else {
            root = scratch
        }
        if let p = program {
            let target = root + p.inside
            s.append(InitStep(kind: VSIM_CT_MKFILE, target: target, title: "create the mount point \(p.inside)"))
            s.append(InitStep(kind: VSIM_CT_MOUNT, source: p.host, target: target, flags: MountFlags.bind,
                              title: "bind-mount the program \(p.host) on \(p.inside)"))
            s.append(InitStep(kind: VSIM_CT_MOUNT, target: target,
                              flags: MountFlags.bind | MountFlags.remount | MountFlags.readOnly | MountFlags.noSUID | MountFlags.noDev,
                              title: "make \(p.inside) read-only"))
        }
        let hidden = MountFlags.noSUID | MountFlags.noDev | MountFlags.noExec
        s.append(InitStep(kind: VSIM_CT_MKDIR, target: root + "/proc", title: "create /proc"))
        s.append(InitStep(kind: VSIM_CT_MOUNT, source: "proc", target: root + "/proc", fstype: "proc", flags: hidden,
                          title: "mount /proc of the new PID namespace"))
        s.append(InitStep(kind: VSIM_CT_MKDIR, target: root + "/dev", title: "create /dev"))
        s.append(InitStep(kind: VSIM_CT_MOUNT, source: "tmpfs", target: root + "/dev", fstype: "tmpfs",
                          flags: MountFlags.noSUID | MountFlags.noExec, data: "mode=755,size=64k",
                          title: "mount a tmpfs on /dev"))
        for d in containerDevices {
            s.append(InitStep(kind: VSIM_CT_MKFILE, target: root + "/dev/" + d, title: "create /dev/\(d)"))
            s.append(InitStep(kind: VSIM_CT_MOUNT, source: "/dev/" + d, target: root + "/dev/" + d, flags: MountFlags.bind,
                              title: "bind-mount the host's /dev/\(d)"))
        }
        s.append(InitStep(kind: VSIM_CT_MKDIR, target: root + "/sys", title: "create /sys"))
        if namespaces.contains(.network) || !rootless {
            s.append(InitStep(kind: VSIM_CT_MOUNT, source: "sysfs", target: root + "/sys", fstype: "sysfs",
                              flags: hidden | MountFlags.readOnly, title: "mount /sys read-only"))
        } else {
            // In a user namespace without its own network namespace sysfs cannot be mounted
            // afresh: bind the host's read-only instead.
            s.append(InitStep(kind: VSIM_CT_MOUNT, source: "/sys", target: root + "/sys",
                              flags: MountFlags.bind | MountFlags.recursive, title: "bind-mount the host's /sys"))
            s.append(InitStep(kind: VSIM_CT_MOUNT, target: root + "/sys",
                              flags: MountFlags.bind | MountFlags.remount | MountFlags.readOnly | hidden,
                              title: "make /sys read-only"))
        }
        s.append(InitStep(kind: VSIM_CT_MKDIR, target: root + "/tmp", title: "create /tmp"))
        s.append(InitStep(kind: VSIM_CT_MOUNT, source: "tmpfs", target: root + "/tmp", fstype: "tmpfs",
                          flags: MountFlags.noSUID | MountFlags.noDev, data: "mode=1777",
                          title: "mount a tmpfs on /tmp"))
        s.append(InitStep(kind: VSIM_CT_PIVOT_ROOT, target: root,
                          title: "pivot_root into \(root) and detach the old root"))
        if systemPaths == .masked {
            // After pivot_root: the paths are the container's, and /dev/null is its own.
            for p in maskedPaths {
                s.append(InitStep(kind: VSIM_CT_MASK, target: p, title: "mask \(p) (OCI maskedPaths)"))
            }
            for p in readonlyPaths {
                s.append(InitStep(kind: VSIM_CT_READONLY, target: p, flags: hidden,
                                  title: "make \(p) read-only (OCI readonlyPaths)"))
            }
        }
        s += enter(workingDirectory)
        return s
    }

    /// `--isolation chroot`: no namespaces and no mounts; the init joins its cgroups, calls
    /// chroot(2) on `root` and chdir("/"), and execs. Nothing else separates it from the host.
    static func chrootSteps(root: String, joinCgroups: [String] = [], workingDirectory: String? = nil) -> [InitStep] {
        var s: [InitStep] = []
        for file in joinCgroups {
            s.append(InitStep(kind: VSIM_CT_WRITE, source: "0", target: file, title: "join the cgroup (write 0 to \(file))"))
        }
        s.append(InitStep(kind: VSIM_CT_CHROOT, target: root, title: "chroot into \(root)"))
        return s + enter(workingDirectory)
    }

    /// mkdir -p and chdir into the working directory (after the root is entered).
    private static func enter(_ directory: String?) -> [InitStep] {
        guard let directory, directory != "/" else { return [] }
        var s: [InitStep] = []
        var path = ""
        for part in directory.split(separator: "/") {
            path += "/" + part
            s.append(InitStep(kind: VSIM_CT_MKDIR, target: path, title: "create the working directory \(path)"))
        }
        s.append(InitStep(kind: VSIM_CT_CHDIR, target: directory, title: "change into the working directory \(directory)"))
        return s
    }
}
