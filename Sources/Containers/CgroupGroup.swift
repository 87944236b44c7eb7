#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// What the container's cgroups measured, read just before they are removed.
public struct CgroupStatistics: Equatable, Sendable {
    /// Processes the kernel's OOM killer killed in the cgroup (v1 `memory.oom_control` oom_kill,
    /// v2 `memory.events` oom_kill).
    public var oomKills: Int?
    /// Peak memory charged to the cgroup (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`).
    public var memoryPeakBytes: UInt64?
    /// How often a fork or clone failed because of `pids.max` (`pids.events` max).
    public var pidsLimitHits: Int?
    /// CPU time of every task in the cgroup (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec).
    public var cpuUsageNanoseconds: UInt64?
    /// CFS periods, and those in which the quota ran out (`cpu.stat` nr_periods, nr_throttled).
    public var cpuPeriods: Int?
    public var cpuThrottledPeriods: Int?

    public init() {}
}

/// One cgroup directory set of one version that a container joins.
protocol CgroupGroup: AnyObject {
    var version: CgroupVersion { get }
    /// The directories created (one per v1 hierarchy, one for v2).
    var directories: [String] { get }
    /// The controllers this group limits or accounts.
    var controllers: [CgroupController] { get }
    /// Files the container's init writes "0" to, to move itself in (v1 `tasks`), before its
    /// other steps: cheap, because a task moving itself needs no global lock.
    var joinFiles: [String] { get }
    /// Moves `pid` in from outside (v2 `cgroup.procs`), for groups the init does not join itself.
    func attach(_ pid: pid_t) throws(ContainerError)
    func collect(into statistics: inout CgroupStatistics)
    /// Empties and removes the directories; returns what could not be removed.
    func destroy() -> [String]
}

/// Removing a cgroup directory: kill its members, then rmdir with a bounded retry on EBUSY (an
/// unbounded loop hangs on a task in uninterruptible sleep: crun#868).
enum CgroupRemoval {
    /// Attempts and the longest sleep between them: about 2 s in all.
    static let attempts = 120
    static let longestSleepMicroseconds: UInt32 = 20_000

    /// The pids listed in `dir/cgroup.procs`.
    static func members(_ dir: String) -> [pid_t] {
        (HostFiles.read(dir + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// SIGKILLs every member (v2: one write to `cgroup.kill` when the kernel has it, 5.14+).
    /// Returns how many were signalled (v2 kill counts as the members seen before it).
    @discardableResult
    static func killMembers(_ dir: String, useCgroupKill: Bool) -> Int {
        let pids = members(dir)
        if pids.isEmpty { return 0 }
        if useCgroupKill && HostFiles.exists(dir + "/cgroup.kill") && HostFiles.write("1", to: dir + "/cgroup.kill") == 0 {
            return pids.count
        }
        for p in pids where p > 0 { kill(p, SIGKILL) }
        return pids.count
    }

    /// Kills the members and removes `dir`; nil on success (or when it was already gone).
    static func remove(_ dir: String, useCgroupKill: Bool) -> String? {
        var sleep: UInt32 = 250
        for attempt in 0..<attempts {
            if rmdir(dir) == 0 { return nil }
            let e = errno
            if e == ENOENT { return nil }
            if e != EBUSY {
                return "cannot remove cgroup \(dir): \(HostError.describe(e))"
            }
            if attempt == 0 || attempt % 10 == 0 { killMembers(dir, useCgroupKill: useCgroupKill) }
            usleep(sleep)
            sleep = min(sleep * 2, longestSleepMicroseconds)
        }
        return "cgroup \(dir) is still busy after \(attempts) attempts (a member would not die, perhaps stuck in uninterruptible sleep); `vsim container prune` retries"
    }

    /// "12345" → value of `key` in a "key value" file (`memory.events`, `cpu.stat`, ...).
    static func field(_ text: String?, _ key: String) -> UInt64? {
        for line in (text ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 && parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }
}
