#if canImport(Glibc)
import Glibc
#endif

/// The host directory of one running container, `<state root>/<name>/`:
/// `root/` (where the root is assembled: the overlay's merged directory, or the mount point of
/// the fresh tmpfs), and for a rootfs `upper/` and `work/` (the overlay's writable layer and
/// its scratch directory). With `--keep-upper DIR` the upper layer is DIR and the work directory
/// `.vsim-work-<name>` beside it (it must be on the same file system); its path is recorded in
/// `external-work` so that prune finds it. Mounts never appear here in the host's mount
/// namespace: they are made inside the container's, and die with it.
final class StateDirectory {
    let path: String
    var root: String { path + "/root" }
    private(set) var upper: String?
    private(set) var work: String?
    private var externalWork: String?
    private var createdUpper: String?

    init(stateRoot: String, name: ContainerName, overlay: Bool, keepUpper: String?) throws(ContainerError) {
        path = stateRoot + "/" + name.description
        var e = HostFiles.makeDirectory(stateRoot, mode: 0o711)
        if e != 0 && e != EEXIST { throw ContainerError.setup("create the state directory \(stateRoot)", errno: e) }
        e = HostFiles.makeDirectory(path, mode: 0o711)
        if e != 0 { throw ContainerError.setup("create the container's directory \(path)", errno: e) }
        do throws(ContainerError) {
            e = HostFiles.makeDirectory(root)
            if e != 0 { throw ContainerError.setup("create \(root)", errno: e) }
            guard overlay else { return }
            if let keep = keepUpper {
                e = HostFiles.makeDirectory(keep)
                if e == 0 { createdUpper = keep } else if e != EEXIST {
                    throw ContainerError.setup("create the upper layer \(keep)", errno: e)
                }
                upper = keep
                let parent = keep.hasSuffix("/") ? String(keep.dropLast()) : keep
                let slash = parent.lastIndex(of: "/")
                let dir = slash.map { String(parent[..<$0]) } ?? "."
                let w = (dir.isEmpty ? "" : dir) + "/.vsim-work-" + name.description
                // Record first, so that a vsim killed right after mkdir still leaves a trail.
                e = HostFiles.write(w, to: path + "/external-work", create: true)
                if e != 0 { throw ContainerError.setup("record the work directory in \(path)/external-work", errno: e) }
                e = HostFiles.makeDirectory(w, mode: 0o700)
                if e != 0 { throw ContainerError.setup("create the overlay work directory \(w) beside --keep-upper", errno: e) }
                externalWork = w
                work = w
            } else {
                upper = path + "/upper"
                work = path + "/work"
                for d in [upper!, work!] {
                    e = HostFiles.makeDirectory(d, mode: 0o755)
                    if e != 0 { throw ContainerError.setup("create \(d)", errno: e) }
                }
            }
        } catch {
            _ = remove()
            throw error
        }
    }

    /// Removes the directory (and an external work directory); the kept upper layer stays.
    /// Returns the problems.
    func remove() -> [String] {
        var problems: [String] = []
        if let w = externalWork {
            let e = HostFiles.removeTree(w)
            if e != 0 { problems.append("cannot remove the work directory \(w): \(describeErrno(e))") }
        }
        let e = HostFiles.removeTree(path)
        if e != 0 { problems.append("cannot remove \(path): \(describeErrno(e))") }
        return problems
    }

    /// Undoes the creation of a `--keep-upper` directory that was made for this run and is still
    /// empty (a run that failed before it started).
    func removeUnusedUpper() {
        if let u = createdUpper, (HostFiles.list(u) ?? ["?"]).isEmpty { rmdir(u) }
    }

    /// Removes a leftover directory of a dead vsim (see ``ContainerJanitor``).
    static func removeLeftover(_ path: String) -> [String] {
        var problems: [String] = []
        if let w = HostFiles.read(path + "/external-work")?.split(separator: "\n").first.map(String.init),
           w.contains("/.vsim-work-") {
            let e = HostFiles.removeTree(w)
            if e != 0 { problems.append("cannot remove \(w): \(describeErrno(e))") }
        }
        let e = HostFiles.removeTree(path)
        if e != 0 { problems.append("cannot remove \(path): \(describeErrno(e))") }
        return problems
    }
}
