#if canImport(Glibc)
import Glibc
#endif

/// The cgroups of one container: a v1 group, a v2 group or both (on a hybrid host each controller
/// goes where it is mounted), created with the limits already written, joined by the init before
/// it runs, read and removed at teardown.
final class ContainerCgroups {
    private(set) var groups: [CgroupGroup] = []
    /// Limits that could not be applied, each with the reason (rootless runs only; otherwise a
    /// missing controller is an error).
    private(set) var unapplied: [String] = []
    let layout: CgroupLayout

    /// - Parameters:
    ///   - tolerant: report refused limits in ``unapplied`` instead of failing (rootless).
    init(name: String, limits: ResourceLimits, layout: CgroupLayout, tolerant: Bool,
         own: OwnCgroups = .current) throws(ContainerError) {
        self.layout = layout
        var needed: [(CgroupController, String)] = []
        if limits.memoryBytes != nil { needed.append((.memory, "--memory")) }
        if limits.cpus != nil { needed.append((.cpu, "--cpus")) }
        if limits.pids != nil { needed.append((.pids, "--pids")) }
        // cpuacct only measures; when only --cpus asked for it, a refusal is already reported there.
        if limits.accountCPU || limits.cpus != nil { needed.append((.cpuacct, limits.accountCPU ? "CPU accounting" : "")) }
        if needed.isEmpty { return }

        var v1: [CgroupController] = [], v2: [CgroupController] = []
        for (c, option) in needed {
            switch layout.placement(of: c) {
            case .v1: v1.append(c)
            case .v2: v2.append(c)
            case nil:
                let reason = "no \(c.rawValue) controller (\(layout))"
                if tolerant { if !option.isEmpty { unapplied.append("\(option) not applied: \(reason)") }; continue }
                let shown = option.isEmpty ? "--cpus" : option
                throw ContainerError.setup(step: "find the \(c.rawValue) cgroup controller for \(shown)", reason: reason,
                                           hint: "mount it, or run without \(shown)", status: 71)
            }
        }
        // The v1 directories are not writable for an unprivileged user, and v1 has no safe
        // delegation: a rootless run skips them, as rootless runc and crun do.
        let unprivileged = geteuid() != 0
        if !v1.isEmpty {
            if tolerant && unprivileged {
                for (c, option) in needed where v1.contains(c) && !option.isEmpty {
                    unapplied.append("\(option) not applied: cgroup v1 (\(c.rawValue)) cannot be delegated to an unprivileged user (uid \(geteuid())); run as root or on a cgroup v2 host with delegated controllers")
                }
            } else {
                try add(tolerant: tolerant, needed: needed.filter { v1.contains($0.0) }) { () throws(ContainerError) in
                    try CgroupV1Group(name: name, root: layout.v1Root, controllers: v1, limits: limits, own: own)
                }
            }
        }
        if !v2.isEmpty {
            let v2Only = v2.filter { $0 != .cpuacct }
            let parent = layout.v2Root + (unprivileged && own.v2 != "/" ? own.v2 : "")
            if !v2Only.isEmpty || v1.isEmpty {
                try add(tolerant: tolerant, needed: needed.filter { v2.contains($0.0) }) { () throws(ContainerError) in
                    try CgroupV2Group(name: name, parent: parent, controllers: v2Only, limits: limits)
                }
            }
        }
    }

    private func add(tolerant: Bool, needed: [(CgroupController, String)],
                     _ make: () throws(ContainerError) -> CgroupGroup) throws(ContainerError) {
        do {
            groups.append(try make())
        } catch {
            guard tolerant else {
                _ = destroy()
                throw error
            }
            for (_, option) in needed where !option.isEmpty { unapplied.append("\(option) not applied: \(error.description)") }
        }
    }

    var isEmpty: Bool { groups.isEmpty }

    /// "v1: memory pids cpuacct".
    var summary: String {
        groups.map { "\($0.version.rawValue): \($0.controllers.map(\.rawValue).joined(separator: " "))" }.joined(separator: "; ")
    }

    var directories: [String] { groups.flatMap(\.directories) }

    /// The files the init writes "0" to, joining the v1 groups itself.
    var joinFiles: [String] { groups.flatMap(\.joinFiles) }

    /// Attaches the init to the groups it does not join itself (v2).
    func attachFromOutside(_ pid: pid_t) throws(ContainerError) {
        for g in groups where g.joinFiles.isEmpty { try g.attach(pid) }
    }

    func statistics() -> CgroupStatistics {
        var s = CgroupStatistics()
        for g in groups { g.collect(into: &s) }
        return s
    }

    /// Removes every group; returns the problems (empty when all went).
    func destroy() -> [String] {
        defer { groups = [] }
        return groups.reversed().flatMap { $0.destroy() }
    }
}

extension CgroupLayout {
    var v1Root: String {
        switch self {
        case .hybrid(let r, _), .legacy(let r), .none(let r), .unified(let r): return r
        }
    }

    var v2Root: String {
        switch self {
        case .unified(let r), .hybrid(_, let r): return r
        case .legacy(let r), .none(let r): return r
        }
    }
}
