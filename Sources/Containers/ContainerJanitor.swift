#if canImport(Glibc)
import Glibc
#endif

/// `vsim container prune`: removes what a killed vsim left behind. Only leftovers whose owner
/// (the vsim process named in ``ContainerName``) is gone are touched, so containers of running
/// vsims, in this or another session, are safe.
///
/// - cgroups: every `vsim-*` directory in every hierarchy (v1 controllers and v2), found by
///   walking from each hierarchy's root: members killed, then rmdir with the bounded retry;
/// - state directories under the state roots (and a `--keep-upper` run's work directory);
/// - mounts: none can be left in the host's namespace, because they are only ever made in the
///   container's own mount namespace; prune checks /proc/self/mountinfo and reports any anyway.
/// A container whose vsim was SIGKILLed dies with it (PR_SET_PDEATHSIG), so its processes are
/// gone or go with their cgroup.
public enum ContainerJanitor {
    public struct Report: Sendable {
        public var removedCgroups: [String] = []
        public var removedStateDirectories: [String] = []
        public var killedProcesses = 0
        /// Mount points under the state roots still visible here (should never happen).
        public var strayMounts: [String] = []
        public var problems: [String] = []
    }

    public static func prune(cgroupRoot: String = "/sys/fs/cgroup", stateRoots: [String]? = nil) -> Report {
        var report = Report()
        for hierarchy in hierarchies(cgroupRoot) {
            for dir in findCgroups(in: hierarchy, depth: 0) {
                removeIfOrphaned(dir, v2: CgroupLayout.magic(hierarchy) == CgroupLayout.cgroup2Magic, into: &report)
            }
        }
        let roots = stateRoots ?? defaultStateRoots()
        for root in roots { sweepStateRoot(root, into: &report) }
        report.strayMounts = strayMounts(under: roots)
        return report
    }

    /// What every `vsim container run` does before it creates anything: removes the leftovers
    /// of dead owners from the directories where this vsim makes its own cgroups (each v1
    /// controller's directory of vsim's own cgroup, the v2 parent) and from its state root.
    /// A few readdirs, so it is cheap enough for every start; `prune` walks every hierarchy.
    /// Runs of live owners are never touched (the owner's pid must exist with the start time in
    /// the name), so concurrent runs are safe; two runs sweeping the same leftover at once is
    /// harmless (a removal that finds it gone counts as done).
    public static func sweep(cgroupRoot: String = "/sys/fs/cgroup", stateRoot: String) -> Report {
        var report = Report()
        let own = OwnCgroups.current
        var parents: [(String, Bool)] = []
        var seen = Set<String>()
        let unprivileged = geteuid() != 0
        func add(_ dir: String, v2: Bool) {
            if seen.insert(CgroupV1Group.resolve(dir)).inserted { parents.append((dir, v2)) }
        }
        let v2Own = unprivileged && own.v2 != "/" ? own.v2 : ""
        var v1Root: String? = nil
        switch CgroupLayout.detect(root: cgroupRoot) {
        case .unified(let r): add(r + v2Own, v2: true)
        case .hybrid(let r, let u): add(u + v2Own, v2: true); v1Root = r
        case .legacy(let r): v1Root = r
        case .none: break
        }
        if let r = v1Root {
            for c in CgroupController.allCases where CgroupLayout.magic(r + "/" + c.v1Hierarchy) == CgroupLayout.cgroup1Magic {
                let path = own.v1[c.rawValue].map { $0 == "/" ? "" : $0 } ?? ""
                add(r + "/" + c.v1Hierarchy + path, v2: false)
            }
        }
        for (dir, v2) in parents {
            for entry in HostFiles.list(dir) ?? [] where entry.hasPrefix(ContainerName.prefix) {
                removeIfOrphaned(dir + "/" + entry, v2: v2, into: &report)
            }
        }
        sweepStateRoot(stateRoot, into: &report)
        return report
    }

    private static func removeIfOrphaned(_ dir: String, v2: Bool, into report: inout Report) {
        guard let name = ContainerName(parsing: basename(dir)), !name.ownerIsAlive else { return }
        report.killedProcesses += CgroupRemoval.killMembers(dir, useCgroupKill: v2)
        if let problem = CgroupRemoval.remove(dir, useCgroupKill: v2) { report.problems.append(problem) } else {
            report.removedCgroups.append(dir)
        }
    }

    private static func sweepStateRoot(_ root: String, into report: inout Report) {
        for entry in HostFiles.list(root) ?? [] {
            guard let name = ContainerName(parsing: entry), !name.ownerIsAlive else { continue }
            let path = root + "/" + entry
            let problems = StateDirectory.removeLeftover(path)
            if problems.isEmpty { report.removedStateDirectories.append(path) } else { report.problems += problems }
        }
    }

    /// Mount points of this mount namespace below any of `roots` (from /proc/self/mountinfo).
    public static func strayMounts(under roots: [String]) -> [String] {
        (HostFiles.read("/proc/self/mountinfo") ?? "").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4])
            return roots.contains { point.hasPrefix($0 + "/") } ? point : nil
        }
    }

    /// Every `vsim-*` cgroup directory below the cgroup root (all hierarchies), whatever its owner.
    public static func allCgroups(cgroupRoot: String = "/sys/fs/cgroup") -> [String] {
        hierarchies(cgroupRoot).flatMap { findCgroups(in: $0, depth: 0) }
    }

    /// The state roots root and unprivileged vsims use on this host.
    public static func defaultStateRoots() -> [String] {
        var roots = [StateRoot.default()]
        if geteuid() == 0 {
            roots += (HostFiles.list("/tmp") ?? []).filter { $0.hasPrefix("vsim-") && Int($0.dropFirst(5)) != nil }.map { "/tmp/" + $0 }
        }
        return Array(Set(roots)).sorted()
    }

    /// The mounted hierarchies: each v1 controller directory (deduplicated) and the cgroup2 mount.
    static func hierarchies(_ root: String) -> [String] {
        if CgroupLayout.magic(root) == CgroupLayout.cgroup2Magic { return [root] }
        var seen = Set<String>(), out: [String] = []
        for entry in (HostFiles.list(root) ?? []).sorted() {
            let path = root + "/" + entry
            let m = CgroupLayout.magic(path)
            guard m == CgroupLayout.cgroup1Magic || m == CgroupLayout.cgroup2Magic else { continue }
            let resolved = CgroupV1Group.resolve(path)
            if seen.insert(resolved).inserted { out.append(path) }
        }
        return out
    }

    private static func findCgroups(in dir: String, depth: Int) -> [String] {
        guard depth < 8 else { return [] }
        var found: [String] = []
        for entry in HostFiles.list(dir) ?? [] {
            let path = dir + "/" + entry
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            if entry.hasPrefix(ContainerName.prefix) { found.append(path) } else { found += findCgroups(in: path, depth: depth + 1) }
        }
        return found
    }

    private static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
