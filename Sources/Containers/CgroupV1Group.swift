#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1: one directory per controller hierarchy, `<root>/<controller>/<own path>/<name>`.
///
/// The directories nest under vsim's own cgroup of each hierarchy (as runc does by default), so
/// any limit already placed on vsim still bounds its containers. Limits:
/// `memory.limit_in_bytes` (and `memory.memsw.limit_in_bytes` when swap accounting exists, so
/// that swap cannot extend the limit), `cpu.cfs_period_us` + `cpu.cfs_quota_us`, `pids.max`.
final class CgroupV1Group: CgroupGroup {
    let version = CgroupVersion.v1
    private(set) var directories: [String] = []
    let controllers: [CgroupController]
    private var directoryOf: [CgroupController: String] = [:]

    /// Creates the directories and writes the limits. On failure removes what it created and
    /// throws naming the step.
    init(name: String, root: String, controllers: [CgroupController], limits: ResourceLimits,
         own: OwnCgroups = .current) throws(ContainerError) {
        self.controllers = controllers
        do throws(ContainerError) {
            var seen: [String: String] = [:]   // hierarchy (resolved) -> directory
            for c in controllers {
                let hierarchy = root + "/" + c.v1Hierarchy
                let resolved = CgroupV1Group.resolve(hierarchy)
                if let dir = seen[resolved] { directoryOf[c] = dir; continue }
                let parent = own.v1[c.rawValue].map { $0 == "/" ? "" : $0 } ?? ""
                let dir = hierarchy + parent + "/" + name
                let e = HostFiles.makeDirectory(dir)
                if e != 0 {
                    throw ContainerError.setup("create the v1 \(c.rawValue) cgroup \(dir)", errno: e,
                                               hint: e == ENOENT ? "the \(c.rawValue) controller is not mounted at \(hierarchy)" : nil)
                }
                directories.append(dir)
                seen[resolved] = dir
                directoryOf[c] = dir
            }
            try apply(limits)
        } catch {
            _ = destroy()
            throw error
        }
    }

    private func apply(_ limits: ResourceLimits) throws(ContainerError) {
        if let bytes = limits.memoryBytes, let dir = directoryOf[.memory] {
            try set(dir, "memory.limit_in_bytes", String(bytes))
            if HostFiles.exists(dir + "/memory.memsw.limit_in_bytes") {
                try set(dir, "memory.memsw.limit_in_bytes", String(bytes))
            }
        }
        if let quota = limits.cpuQuotaMicroseconds, let dir = directoryOf[.cpu] {
            try set(dir, "cpu.cfs_period_us", String(ResourceLimits.cpuPeriodMicroseconds))
            try set(dir, "cpu.cfs_quota_us", String(quota))
        }
        if let pids = limits.pids, let dir = directoryOf[.pids] {
            try set(dir, "pids.max", String(pids))
        }
    }

    private func set(_ dir: String, _ file: String, _ value: String) throws(ContainerError) {
        let e = HostFiles.write(value, to: dir + "/" + file)
        if e != 0 { throw ContainerError.setup("write \(value) to \(dir)/\(file)", errno: e) }
    }

    /// The init joins every v1 directory itself (``joinFiles``): writing its pid to
    /// `cgroup.procs` from here would wait for an RCU grace period per start.
    var joinFiles: [String] { directories.map { $0 + "/tasks" } }

    /// Writes `pid` to each directory's `cgroup.procs`: for a process that is not the init
    /// (the init joins through ``joinFiles``).
    func attach(_ pid: pid_t) throws(ContainerError) {
        for dir in directories {
            let e = HostFiles.write(String(pid), to: dir + "/cgroup.procs")
            if e != 0 { throw ContainerError.setup("move process \(pid) into \(dir)", errno: e) }
        }
    }

    func collect(into s: inout CgroupStatistics) {
        if let dir = directoryOf[.memory] {
            let oom = HostFiles.read(dir + "/memory.oom_control")
            s.oomKills = CgroupRemoval.field(oom, "oom_kill").map { Int($0) }
            s.memoryPeakBytes = HostFiles.read(dir + "/memory.max_usage_in_bytes").flatMap { UInt64($0.filter { !$0.isWhitespace }) }
        }
        if let dir = directoryOf[.pids] {
            s.pidsLimitHits = CgroupRemoval.field(HostFiles.read(dir + "/pids.events"), "max").map { Int($0) }
        }
        if let dir = directoryOf[.cpuacct] {
            s.cpuUsageNanoseconds = HostFiles.read(dir + "/cpuacct.usage").flatMap { UInt64($0.filter { !$0.isWhitespace }) }
        }
        if let dir = directoryOf[.cpu] {
            let stat = HostFiles.read(dir + "/cpu.stat")
            s.cpuPeriods = CgroupRemoval.field(stat, "nr_periods").map { Int($0) }
            s.cpuThrottledPeriods = CgroupRemoval.field(stat, "nr_throttled").map { Int($0) }
        }
    }

    func destroy() -> [String] {
        var problems: [String] = []
        for dir in directories.reversed() {
            if let p = CgroupRemoval.remove(dir, useCgroupKill: false) { problems.append(p) }
        }
        directories = []
        return problems
    }

    /// The real path of a hierarchy (`cpu` and `cpuacct` are often one mount behind symlinks).
    static func resolve(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }
}
