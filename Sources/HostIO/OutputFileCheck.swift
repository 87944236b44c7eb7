#if canImport(Glibc)
import Glibc
#endif

/// The early check that an output path can be written, made before a long job (the runs of
/// `vsim compare`, a whole grading) so that a bad path is said at once, not after the work.
/// It tries the very way the command will write the file, and leaves nothing behind and
/// changes nothing. Each command words the failure itself (with its option's name).
public enum OutputFileCheck {
    /// How the command will write its output file.
    public enum Strategy: Sendable, Equatable {
        /// It opens the path and writes into it (`vsim compare --export-*`). `access(2)` alone
        /// would not do: it says yes to root for a read-only file, a file on a read-only mount
        /// or of /proc, and nothing about a device such as /dev/full. So an existing file is
        /// opened for writing (without truncating it; `O_NONBLOCK`: a FIFO without a reader is
        /// refused with ENXIO, not waited for) and given a write of zero bytes, which a
        /// pseudo-file that takes no writes (/proc/version: EIO) or /dev/full (ENOSPC) refuses;
        /// a missing file is created in its directory (`O_EXCL | O_NOFOLLOW`) and removed again.
        case inPlace
        /// It writes `temporary` (a path beside the output) and renames it over the output
        /// (`vsim grade --output`, `--staff-log`): `temporary` is created (`O_EXCL`) and
        /// removed again; a path that is a directory is refused.
        case renamed(temporary: String)
    }

    /// Why the path cannot be written.
    public enum Failure: Error, Sendable, Equatable {
        /// The path is a directory.
        case directory
        /// The existing file cannot be opened for writing (`errno`; ENXIO: a FIFO no process reads).
        case open(Int32)
        /// The existing file refuses a write of zero bytes (`errno`).
        case write(Int32)
        /// `stat` of the path failed other than with ENOENT (`errno`).
        case stat(Int32)
        /// The directory the file would be created in does not exist (its path, `stat`'s `errno`).
        case folderMissing(String, Int32)
        /// The path's directory part is not a directory.
        case folderNotDirectory(String)
        /// The file (``Strategy/inPlace``) or the temporary (``Strategy/renamed(temporary:)``)
        /// cannot be created in that directory (`errno` of `open`).
        case create(folder: String, Int32)

        /// The host `errno` of the failure (nil: ``directory`` and ``folderNotDirectory``).
        public var code: Int32? {
            switch self {
            case .open(let e), .write(let e), .stat(let e), .folderMissing(_, let e), .create(_, let e): return e
            case .directory, .folderNotDirectory: return nil
            }
        }
    }

    /// Checks that `path` can be written the way `strategy` says.
    /// - Throws: ``Failure``, with the host `errno` where one is involved.
    public static func check(_ path: String, _ strategy: Strategy) throws(Failure) {
        var st = stat()
        let exists = stat(path, &st) == 0
        let statError = errno
        if exists && st.st_mode & S_IFMT == S_IFDIR { throw .directory }
        switch strategy {
        case .renamed(let temporary):
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .create(folder: folder(of: path), errno) }
            close(fd)
            unlink(temporary)
        case .inPlace:
            if exists {
                let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
                guard fd >= 0 else { throw .open(errno) }
                defer { close(fd) }
                guard write(fd, "", 0) >= 0 else { throw .write(errno) }
                return
            }
            guard statError == ENOENT else { throw .stat(statError) }
            let dir = folder(of: path)
            guard stat(dir, &st) == 0 else { throw .folderMissing(dir, errno) }
            guard st.st_mode & S_IFMT == S_IFDIR else { throw .folderNotDirectory(dir) }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw .create(folder: dir, errno) }
            close(fd)
            unlink(path)
        }
    }

    /// The directory part of `path`: "." for a bare name, "/" for a file at the root.
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
