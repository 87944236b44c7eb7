#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2: one directory `<parent>/<name>` in the single hierarchy.
///
/// The parent is the hierarchy's root for root (the root cgroup is exempt from the "no internal
/// processes" rule, so controllers can be enabled in its `cgroup.subtree_control` although
/// processes live in it); for an unprivileged user it is the user's own (delegated) cgroup.
/// Limits: `memory.max` (and `memory.swap.max` 0), `cpu.max` = "quota period", `pids.max`.
/// Teardown uses `cgroup.kill` (Linux 5.14+).
final class CgroupV2Group: CgroupGroup {
    let version = CgroupVersion.v2
    private(set) var directories: [String] = []
    let controllers: [CgroupController]
    let directory: String
    /// Create interface files that are missing: only for a cgroupfs-shaped test tree.
    private let createFiles: Bool

    init(name: String, parent: String, controllers: [CgroupController], limits: ResourceLimits,
         createFiles: Bool = false) throws(ContainerError) {
        self.controllers = controllers
        self.directory = parent + "/" + name
        self.createFiles = createFiles
        do throws(ContainerError) {
            try enable(controllers.compactMap(\.v2Name), in: parent)
            let e = HostFiles.makeDirectory(directory)
            if e != 0 { throw ContainerError.setup("create the v2 cgroup \(directory)", errno: e) }
            directories = [directory]
            try apply(limits)
        } catch {
            _ = destroy()
            throw error
        }
    }

    /// Enables `names` for the parent's children (top-down rule: each must be in the parent's
    /// `cgroup.controllers`, and then in its `cgroup.subtree_control`).
    private func enable(_ names: [String], in parent: String) throws(ContainerError) {
        if names.isEmpty { return }
        let available = Set((HostFiles.read(parent + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        for n in names where !available.contains(n) {
            throw ContainerError.setup(step: "enable the \(n) controller in \(parent)",
                                       reason: "cgroup v2 does not offer it there (cgroup.controllers: \(available.sorted().joined(separator: " ").isEmpty ? "empty" : available.sorted().joined(separator: " ")))",
                                       hint: "on a hybrid host the controller is on v1; on v2 it must be enabled in every ancestor",
                                       status: 71)
        }
        let enabled = Set((HostFiles.read(parent + "/cgroup.subtree_control") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        let missing = names.filter { !enabled.contains($0) }
        if missing.isEmpty { return }
        let line = missing.map { "+" + $0 }.joined(separator: " ")
        if createFiles {
            // A test tree is a plain directory: record the write the kernel would merge.
            let merged = enabled.union(missing).sorted().joined(separator: " ")
            let e = HostFiles.write(merged, to: parent + "/cgroup.subtree_control", create: true)
            if e != 0 { throw ContainerError.setup("write '\(line)' to \(parent)/cgroup.subtree_control", errno: e) }
            return
        }
        let e = HostFiles.write(line, to: parent + "/cgroup.subtree_control")
        if e != 0 {
            throw ContainerError.setup("write '\(line)' to \(parent)/cgroup.subtree_control", errno: e,
                                       hint: e == EBUSY ? "the parent holds processes, and v2 forbids controllers in a cgroup with internal processes" : nil)
        }
    }

    private func apply(_ limits: ResourceLimits) throws(ContainerError) {
        if let bytes = limits.memoryBytes, controllers.contains(.memory) {
            try set("memory.max", String(bytes))
            if createFiles || HostFiles.exists(directory + "/memory.swap.max") { try set("memory.swap.max", "0") }
        }
        if let quota = limits.cpuQuotaMicroseconds, controllers.contains(.cpu) {
            try set("cpu.max", "\(quota) \(ResourceLimits.cpuPeriodMicroseconds)")
        }
        if let pids = limits.pids, controllers.contains(.pids) {
            try set("pids.max", String(pids))
        }
    }

    private func set(_ file: String, _ value: String) throws(ContainerError) {
        let e = HostFiles.write(value, to: directory + "/" + file, create: createFiles)
        if e != 0 { throw ContainerError.setup("write '\(value)' to \(directory)/\(file)", errno: e) }
    }

    /// v2 has no cheap self-move for a process (`cgroup.procs` always takes the global lock), so
    /// vsim attaches the init from outside.
    var joinFiles: [String] { [] }

    func attach(_ pid: pid_t) throws(ContainerError) {
        let e = HostFiles.write(String(pid), to: directory + "/cgroup.procs", create: createFiles)
        if e != 0 { throw ContainerError.setup("move the container's init into \(directory)", errno: e) }
    }

    func collect(into s: inout CgroupStatistics) {
        if controllers.contains(.memory) {
            s.oomKills = CgroupRemoval.field(HostFiles.read(directory + "/memory.events"), "oom_kill").map { Int($0) }
            s.memoryPeakBytes = HostFiles.read(directory + "/memory.peak").flatMap { UInt64($0.filter { !$0.isWhitespace }) }
        }
        if controllers.contains(.pids) {
            s.pidsLimitHits = CgroupRemoval.field(HostFiles.read(directory + "/pids.events"), "max").map { Int($0) }
        }
        let stat = HostFiles.read(directory + "/cpu.stat")
        if let usec = CgroupRemoval.field(stat, "usage_usec") { s.cpuUsageNanoseconds = usec * 1000 }
        if controllers.contains(.cpu) {
            s.cpuPeriods = CgroupRemoval.field(stat, "nr_periods").map { Int($0) }
            s.cpuThrottledPeriods = CgroupRemoval.field(stat, "nr_throttled").map { Int($0) }
        }
    }

    func destroy() -> [String] {
        defer { directories = [] }
        if directories.isEmpty { return [] }
        if createFiles { return [] }   // a test tree: the test removes its own files
        return CgroupRemoval.remove(directory, useCgroupKill: true).map { [$0] } ?? []
    }
}
