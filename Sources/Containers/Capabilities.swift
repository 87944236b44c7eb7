#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// A set of Linux capabilities (bit n = capability n, as in /proc/PID/status `CapEff`).
///
/// A container keeps ``dockerDefault`` (the OCI runtime spec's and Docker's default 14) in its
/// bounding, permitted, effective and inheritable sets; the ambient set is cleared. Root in the
/// container can then chown files and bind low ports, but not mount, load modules, change the
/// clock, trace other processes or write host-wide sysctls (those need CAP_SYS_ADMIN,
/// CAP_SYS_MODULE, CAP_SYS_TIME, CAP_SYS_PTRACE).
public struct CapabilitySet: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var mask: UInt64

    public init(mask: UInt64) { self.mask = mask }

    public init(_ names: [String]) throws(ContainerError) {
        mask = 0
        for n in names { mask |= 1 << UInt64(try CapabilitySet.number(of: n, option: "capability")) }
    }

    /// The capability names, index = number (linux/capability.h).
    public static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    /// The OCI runtime spec's default (`runc spec`) and Docker's: 0x00000000a80425fb.
    public static let dockerDefault = try! CapabilitySet([
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
        "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ])

    /// Every capability this kernel knows (0 ... /proc/sys/kernel/cap_last_cap).
    public static var all: CapabilitySet {
        let last = lastCapability()
        return CapabilitySet(mask: last >= 63 ? ~0 : (UInt64(1) << UInt64(last + 1)) - 1)
    }

    /// /proc/sys/kernel/cap_last_cap, or the last one vsim knows by name (read once: the running
    /// kernel's number does not change).
    public static func lastCapability() -> Int { lastCapabilityOfKernel }

    private static let lastCapabilityOfKernel: Int =
        HostFiles.read("/proc/sys/kernel/cap_last_cap").flatMap { Int($0.filter(\.isNumber)) } ?? names.count - 1

    public func contains(_ name: String) -> Bool {
        guard let n = CapabilitySet.names.firstIndex(of: name) else { return false }
        return mask & (1 << UInt64(n)) != 0
    }

    /// "CHOWN DAC_OVERRIDE ..." (numbers beyond the known names as "CAP_41").
    public var description: String {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
            .map { $0 < CapabilitySet.names.count ? CapabilitySet.names[$0] : "CAP_\($0)" }.joined(separator: " ")
    }

    /// As /proc/PID/status prints it: 16 hex digits.
    public var hex: String {
        let h = String(mask, radix: 16)
        return String(repeating: "0", count: max(0, 16 - h.count)) + h
    }

    /// Docker's `--cap-add` / `--cap-drop`: names with or without `CAP_`, any case, or `ALL`.
    /// `--cap-add ALL` starts from every capability, `--cap-drop ALL` from none; then the named
    /// ones are added and dropped. A capability both added and dropped by name is a usage error.
    public static func applying(add: [String], drop: [String], to base: CapabilitySet = .dockerDefault) throws(ContainerError) -> CapabilitySet {
        let adds = split(add), drops = split(drop)
        var set = base
        if adds.contains(where: { $0.uppercased() == "ALL" }) { set = .all }
        if drops.contains(where: { $0.uppercased() == "ALL" }) { set = CapabilitySet(mask: 0) }
        var added: UInt64 = 0
        for n in adds where n.uppercased() != "ALL" {
            added |= 1 << UInt64(try number(of: n, option: "--cap-add"))
        }
        var dropped: UInt64 = 0
        for n in drops where n.uppercased() != "ALL" {
            dropped |= 1 << UInt64(try number(of: n, option: "--cap-drop"))
        }
        if added & dropped != 0 {
            throw .usage("--cap-add and --cap-drop both name \(CapabilitySet(mask: added & dropped)); give each capability to one of them")
        }
        set.mask = (set.mask | added) & ~dropped
        return set
    }

    /// "a,b" and repeated options alike.
    private static func split(_ list: [String]) -> [String] {
        list.flatMap { $0.split(separator: ",").map { String($0).trimmed(" ") } }.filter { !$0.isEmpty }
    }

    static func number(of name: String, option: String) throws(ContainerError) -> Int {
        var n = name.uppercased()
        if n.hasPrefix("CAP_") { n.removeFirst(4) }
        guard let i = names.firstIndex(of: n) else {
            throw .usage("\(option) \(name): no such capability; give a name from capabilities(7) such as NET_ADMIN or CAP_SYS_PTRACE, or ALL")
        }
        return i
    }
}

