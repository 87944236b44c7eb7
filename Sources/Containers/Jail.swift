#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// The directory an `--isolation chroot` run without `--rootfs` is jailed in:
/// `<state root>/<name>/jail/` holding a copy of the program (a chroot(2) jail has no mount
/// namespace to bind-mount it into). Removed at teardown; the state directory's name lets
/// ``ContainerJanitor`` remove it after a killed vsim.
enum Jail {
    struct Made {
        var state: String
        var root: String
    }

    static func make(stateRoot: String, name: ContainerName, program: ProgramLocation) throws(ContainerError) -> Made {
        let state = stateRoot + "/" + name.description
        let root = state + "/jail"
        var e = HostFiles.makeDirectory(state, mode: 0o711)
        if e != 0 { throw ContainerError.setup("create the container's directory \(state)", errno: e) }
        let made = Made(state: state, root: root)
        e = HostFiles.makeDirectory(root, mode: 0o755)
        if e != 0 {
            remove(made)
            throw ContainerError.setup("create the jail directory \(root)", errno: e)
        }
        if let host = program.hostProgram {
            guard let bytes = HostFiles.readBytesFollowing(host) else {
                remove(made)
                throw ContainerError.setup("read the program \(host) to copy it into the jail", errno: errno)
            }
            let copy = root + program.pathInside
            let fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o755)
            let n = fd < 0 ? -1 : bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let saved = errno
            if fd >= 0 { close(fd) }
            if n != bytes.count {
                remove(made)
                throw ContainerError.setup("copy the program into the jail as \(copy)", errno: saved)
            }
        }
        return made
    }

    @discardableResult
    static func remove(_ made: Made) -> [String] {
        let e = HostFiles.removeTree(made.state)
        return e == 0 ? [] : ["cannot remove the jail \(made.state): \(HostError.describe(e))"]
    }
}
