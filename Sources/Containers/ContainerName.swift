#if canImport(Glibc)
import Glibc
#endif

/// A container's name, `vsim-<owner pid>-<owner start time>-<random>`: its cgroups and its state
/// directory carry it, so `vsim container prune` can tell leftovers of a dead vsim (the owner
/// process no longer exists, or its pid now belongs to a process started at another time) from
/// containers that are still running.
public struct ContainerName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public static let prefix = "vsim-"

    public var owner: pid_t
    /// The owner's start time, clock ticks after boot (field 22 of /proc/PID/stat).
    public var ownerStart: UInt64
    public var serial: String

    public var description: String { "\(ContainerName.prefix)\(owner)-\(ownerStart)-\(serial)" }

    /// A fresh name owned by this process.
    public static func make() -> ContainerName {
        let pid = getpid()
        let serial = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return ContainerName(owner: pid, ownerStart: startTime(of: pid) ?? 0,
                             serial: String(repeating: "0", count: 8 - serial.count) + serial)
    }

    public init(owner: pid_t, ownerStart: UInt64, serial: String) {
        self.owner = owner
        self.ownerStart = ownerStart
        self.serial = serial
    }

    /// Parses a name made by ``make()``; nil for anything else.
    public init?(parsing text: String) {
        guard text.hasPrefix(ContainerName.prefix) else { return nil }
        let parts = text.dropFirst(ContainerName.prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = pid_t(parts[0]), let start = UInt64(parts[1]),
              parts[2].count == 8, parts[2].allSatisfy(\.isHexDigit) else { return nil }
        self.init(owner: pid, ownerStart: start, serial: String(parts[2]))
    }

    /// Whether the vsim that made this name is still running.
    public var ownerIsAlive: Bool {
        guard let now = ContainerName.startTime(of: owner) else { return false }
        return now == ownerStart
    }

    /// The default hostname: "vsim-" and the random part.
    public var shortName: String { ContainerName.prefix + serial }

    /// Start time of `pid` in clock ticks after boot, nil when there is no such process.
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let stat = HostFiles.readBytes("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // Fields after "(comm)": state is field 3, so start time (22) is the 20th after ")".
        // (Bytes, not Characters: this runs at every container start and for every leftover.)
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        return fields.count > 19 ? UInt64(String(decoding: fields[19], as: UTF8.self)) : nil
    }
}

/// The state root: `/run/vsim` for root, else `$XDG_RUNTIME_DIR/vsim` or `/tmp/vsim-<uid>`.
/// Each container's init mounts a fresh tmpfs over it in its own mount namespace and builds its
/// root there; on the host it holds only the records of `--keep-upper` runs.
public enum StateRoot {
    public static func `default`() -> String {
        if geteuid() == 0 { return "/run/vsim" }
        if let x = getenv("XDG_RUNTIME_DIR"), x.pointee != 0 { return String(cString: x) + "/vsim" }
        return "/tmp/vsim-\(geteuid())"
    }

    /// Creates `path` if it is missing (mode 0711).
    static func ensure(_ path: String) throws(ContainerError) {
        if HostFiles.isDirectory(path) { return }
        let e = HostFiles.makeDirectory(path, mode: 0o711)
        if e != 0 && e != EEXIST { throw ContainerError.setup("create the state directory \(path)", errno: e) }
    }
}
