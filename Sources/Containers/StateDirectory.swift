#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// The host directory of a `--keep-upper` run, `<state root>/<name>/`.
///
/// A run normally leaves no trace on the host's disks: its root, and with `--rootfs` the
/// overlay's upper and work directories, live on a tmpfs that the init mounts over the state
/// root inside its own mount namespace, so they vanish with it. Only a kept upper layer is on
/// the host: overlayfs needs its work directory on the same file system, so vsim creates
/// `.vsim-work-<name>` beside the upper directory and records its path in
/// `<state root>/<name>/external-work`, which is how `vsim container prune` finds the work
/// directory of a vsim that was killed.
final class StateDirectory {
    let path: String
    let upper: String
    let work: String
    private var createdUpper = false

    init(stateRoot: String, name: ContainerName, keepUpper keep: String) throws(ContainerError) {
        path = stateRoot + "/" + name.description
        upper = Container.absolute(keep)
        let trimmed = upper.hasSuffix("/") ? String(upper.dropLast()) : upper
        let parent = trimmed.lastIndex(of: "/").map { String(trimmed[..<$0]) } ?? "."
        work = parent + "/.vsim-work-" + name.description
        var e = HostFiles.makeDirectory(path, mode: 0o711)
        if e != 0 { throw ContainerError.setup("create the container's directory \(path)", errno: e) }
        do throws(ContainerError) {
            e = HostFiles.makeDirectory(keep)
            if e == 0 { createdUpper = true } else if e != EEXIST {
                throw ContainerError.setup("create the upper layer \(keep)", errno: e)
            }
            // Record first, so that a vsim killed right after the mkdir still leaves a trail.
            e = HostFiles.write(work, to: path + "/external-work", create: true)
            if e != 0 { throw ContainerError.setup("record the work directory in \(path)/external-work", errno: e) }
            e = HostFiles.makeDirectory(work, mode: 0o700)
            if e != 0 { throw ContainerError.setup("create the overlay work directory \(work) beside --keep-upper", errno: e) }
        } catch {
            _ = remove()
            throw error
        }
    }

    /// Removes the work directory and the record; the kept upper layer stays (unless this run
    /// created it and never got to use it). Returns the problems.
    func remove() -> [String] {
        var problems: [String] = []
        var e = HostFiles.removeTree(work)
        if e != 0 { problems.append("cannot remove the work directory \(work): \(HostError.describe(e))") }
        e = HostFiles.removeTree(path)
        if e != 0 { problems.append("cannot remove \(path): \(HostError.describe(e))") }
        if createdUpper, (HostFiles.list(upper) ?? ["?"]).isEmpty { rmdir(upper) }
        return problems
    }

    /// Removes a leftover directory of a dead vsim (see ``ContainerJanitor``).
    static func removeLeftover(_ path: String) -> [String] {
        var problems: [String] = []
        if let w = HostFiles.read(path + "/external-work")?.split(separator: "\n").first.map(String.init),
           w.contains("/.vsim-work-") {
            let e = HostFiles.removeTree(w)
            if e != 0 { problems.append("cannot remove \(w): \(HostError.describe(e))") }
        }
        let e = HostFiles.removeTree(path)
        if e != 0 { problems.append("cannot remove \(path): \(HostError.describe(e))") }
        return problems
    }
}
