import CContainerShim
#if canImport(Glibc)
import Glibc
#endif

/// How the host mounted its cgroups, detected as runc and crun do: from the file-system magic
/// numbers that statfs(2) reports for `/sys/fs/cgroup` and `/sys/fs/cgroup/unified`.
public enum CgroupLayout: Equatable, Sendable, CustomStringConvertible {
    /// cgroup v2 only: `/sys/fs/cgroup` is a cgroup2 mount (CGROUP2_SUPER_MAGIC).
    case unified(root: String)
    /// v1 controllers at `<root>/<controller>` plus a cgroup2 mount at `<root>/unified`, whose
    /// `cgroup.controllers` lists the controllers that live on v2 (here: only `hugetlb`).
    case hybrid(root: String, unified: String)
    /// cgroup v1 only: one hierarchy per controller at `<root>/<controller>`.
    case legacy(root: String)
    /// No cgroup file system at `root`.
    case none(root: String)

    public static let cgroup2Magic: UInt = 0x6367_7270       // CGROUP2_SUPER_MAGIC
    public static let cgroup1Magic: UInt = 0x0027_e0eb       // CGROUP_SUPER_MAGIC

    /// Detects the layout under `root` (default `/sys/fs/cgroup`).
    public static func detect(root: String = "/sys/fs/cgroup") -> CgroupLayout {
        if magic(root) == cgroup2Magic { return .unified(root: root) }
        let unified = root + "/unified"
        let v1 = ["memory", "cpu", "pids", "cpuacct"].contains { magic(root + "/" + $0) == cgroup1Magic }
        if magic(unified) == cgroup2Magic { return v1 ? .hybrid(root: root, unified: unified) : .unified(root: unified) }
        return v1 ? .legacy(root: root) : .none(root: root)
    }

    /// statfs(2)'s f_type, or 0.
    static func magic(_ path: String) -> UInt {
        var s = statfs()
        guard statfs(path, &s) == 0 else { return 0 }
        return UInt(bitPattern: Int(s.f_type))
    }

    public var description: String {
        switch self {
        case .unified(let r): return "cgroup v2 (unified at \(r))"
        case .hybrid(let r, let u): return "hybrid (v1 controllers under \(r), cgroup2 at \(u))"
        case .legacy(let r): return "cgroup v1 (legacy, under \(r))"
        case .none(let r): return "no cgroup file system at \(r)"
        }
    }

    /// The controllers the cgroup2 mount offers (`cgroup.controllers`), empty without one.
    public var v2Controllers: Set<String> {
        switch self {
        case .unified(let r), .hybrid(_, let r):
            return Set((HostFiles.read(r + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        case .legacy, .none: return []
        }
    }

    /// Where each needed controller lives: v2 when the cgroup2 mount offers it, else v1.
    /// (On a hybrid host that is per controller, as runc decides it.)
    func placement(of controller: CgroupController) -> CgroupVersion? {
        switch self {
        case .unified: return .v2
        case .legacy(let r): return CgroupLayout.magic(r + "/" + controller.v1Hierarchy) == CgroupLayout.cgroup1Magic ? .v1 : nil
        case .hybrid(let r, _):
            if v2Controllers.contains(controller.rawValue) { return .v2 }
            return CgroupLayout.magic(r + "/" + controller.v1Hierarchy) == CgroupLayout.cgroup1Magic ? .v1 : nil
        case .none: return nil
        }
    }
}

public enum CgroupVersion: String, Sendable { case v1, v2 }

/// The controllers vsim drives.
public enum CgroupController: String, CaseIterable, Sendable {
    case memory, cpu, pids
    /// v1's CPU accounting (`cpuacct.usage`); v2 counts CPU time in every cgroup's `cpu.stat`.
    case cpuacct

    /// The directory of its v1 hierarchy under the cgroup root.
    var v1Hierarchy: String { rawValue }
    /// The name in v2's `cgroup.controllers` / `cgroup.subtree_control` (nil: nothing to enable).
    var v2Name: String? { self == .cpuacct ? nil : rawValue }
}

/// This process's own cgroup per v1 hierarchy and its v2 path, from /proc/self/cgroup.
struct OwnCgroups {
    var v1: [String: String] = [:]   // controller -> path
    var v2: String = "/"

    /// This process's cgroups, read once: vsim never moves itself (its containers join theirs
    /// from the child), and a container run asks twice (the janitor, then the cgroups it makes).
    static let current = read()

    static func read(_ file: String = "/proc/self/cgroup") -> OwnCgroups {
        var own = OwnCgroups()
        for line in (HostFiles.read(file) ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty { own.v2 = path; continue }
            for c in parts[1].split(separator: ",") { own.v1[String(c)] = path }
        }
        return own
    }
}
