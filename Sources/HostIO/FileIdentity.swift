#if canImport(Glibc)
import Glibc
#endif

/// Which file a path names, so that a command can refuse to write its output over one of its
/// own inputs (`vsim compare --export-json prog.s`, `vsim grade --output submission/prog.s`) or
/// two outputs over each other. Two paths name the same file when `stat(2)` gives both the same
/// device and inode (hard links and symbolic links included); a path that does not exist yet is
/// named by its folder's `realpath(3)` and its last component, so `out.json` and `./out.json`
/// are one file before either is written.
public struct FileIdentity: Hashable, Sendable {
    private enum Key: Hashable, Sendable {
        case inode(device: UInt64, inode: UInt64)
        case path(String)
    }
    private let key: Key

    /// The regular file `path` names (or would name, once created), or nil when it exists and
    /// is something else (a device such as /dev/null, a FIFO, a directory: writing there
    /// replaces no file) or when neither it nor its folder can be resolved (the output check
    /// then reports the path itself).
    public init?(_ path: String) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFREG else { return nil }
            key = .inode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
            return
        }
        guard let resolved = FileIdentity.resolved(path) else { return nil }
        key = .path(resolved)
    }

    /// The regular file open as descriptor `fd` (vsim's stdin, which `vsim compare` reads), or
    /// nil when `fstat(2)` fails or `fd` is not a regular file (a terminal, a pipe, /dev/null:
    /// nothing an output could replace).
    public init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        key = .inode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// `path` as an absolute path without symbolic links: its `realpath(3)`, or for a path that
    /// does not exist yet its folder's `realpath(3)` and its last component; nil when the folder
    /// cannot be resolved either.
    public static func resolved(_ path: String) -> String? {
        if let r = realpath(path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        guard let r = realpath(OutputFileCheck.folder(of: path), nil) else { return nil }
        defer { free(r) }
        let folder = String(cString: r)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return folder == "/" ? "/" + name : folder + "/" + name
    }

    /// Whether `path` is `folder` itself or lies below it (at any depth), both ``resolved(_:)``.
    public static func path(_ path: String, isWithin folder: String) -> Bool {
        guard let p = resolved(path), let f = resolved(folder) else { return false }
        return p == f || p.hasPrefix(f == "/" ? "/" : f + "/")
    }
}
