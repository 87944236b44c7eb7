#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// The cgroup limits of a container (`--memory`, `--cpus`, `--pids`).
public struct ResourceLimits: Equatable, Sendable {
    /// Hard memory limit in bytes (v1 `memory.limit_in_bytes`, v2 `memory.max`).
    public var memoryBytes: UInt64?
    /// CPU bandwidth in CPUs: quota = cpus × period (v1 `cpu.cfs_quota_us`, v2 `cpu.max`).
    public var cpus: Double?
    /// Maximum number of tasks (`pids.max` in both versions).
    public var pids: Int?
    /// Also join a CPU accounting cgroup (v1 `cpuacct`; v2 always counts) so that the result
    /// carries the container's CPU time as the cgroup measured it, even without `--cpus`.
    public var accountCPU: Bool

    /// The CFS period used with `--cpus`, µs (the kernel's default).
    public static let cpuPeriodMicroseconds = 100_000

    public init(memoryBytes: UInt64? = nil, cpus: Double? = nil, pids: Int? = nil, accountCPU: Bool = false) {
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.pids = pids
        self.accountCPU = accountCPU
    }

    /// No limit and no accounting: the container needs no cgroup at all.
    public var isEmpty: Bool { memoryBytes == nil && cpus == nil && pids == nil && !accountCPU }

    /// The CFS quota for ``cpus``, µs per period.
    public var cpuQuotaMicroseconds: Int? {
        cpus.map { Int(($0 * Double(ResourceLimits.cpuPeriodMicroseconds)).rounded()) }
    }

    /// Parses a size such as `64m`, `1g`, `512k`, `1.5g`, `65536` or `64MiB` (``ByteSize``:
    /// binary units, as Docker reads `--memory`), at least 1 MiB.
    /// - Throws: ``ContainerError/usage(_:)`` naming the option and what a size looks like.
    public static func parseSize(_ text: String, option: String = "--memory") throws(ContainerError) -> UInt64 {
        switch ByteSize.read(text) {
        case .notASize:
            throw .usage("\(option): cannot parse the size '\(text)'; give bytes or a number with a k, m or g suffix (binary units), e.g. 64m")
        case .tooLarge:
            throw .usage("\(option) \(text) is too large")
        case .bytes(let bytes):
            guard bytes >= 1 << 20 else {
                throw .usage("\(option) \(text) is below the minimum of 1 MiB (the container's init and its page tables need some memory)")
            }
            return bytes
        }
    }

    /// Checks `--cpus` and `--pids`. `onlineCPUs` bounds `--cpus` as Docker does.
    public func validate(onlineCPUs: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) throws(ContainerError) {
        if let c = cpus {
            guard c.isFinite, c >= 0.01, c <= Double(max(onlineCPUs, 1)) else {
                throw .usage("--cpus must be between 0.01 and \(max(onlineCPUs, 1)) (the CPUs online here); got \(formatCPUs(c))")
            }
        }
        if let p = pids, p < 1 {
            throw .usage("--pids must be at least 1 (the container's init is one task); got \(p)")
        }
    }

    /// "64 MiB", "1.5 GiB", "1048576 bytes".
    public static func formatBytes(_ n: UInt64) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
            let size = UInt64(1) << UInt64(shift)
            if n >= size {
                let v = Double(n) / Double(size)
                return v == v.rounded() ? "\(Int(v)) \(unit)" : "\((v * 100).rounded() / 100) \(unit)"
            }
        }
        return "\(n) bytes"
    }
}

func formatCPUs(_ c: Double) -> String {
    c == c.rounded() && abs(c) < 1e9 ? "\(Int(c))" : "\(c)"
}
