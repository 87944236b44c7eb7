#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Small file-system helpers on Glibc (the module avoids Foundation: `vsim container run` should
/// start as fast as the container it creates).
enum HostFiles {
    /// The contents of a (small) file, or nil when it cannot be read.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        guard let out = try? HostIO.readToEnd(fd) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes `text` with one write(2) (cgroup files take one value per write). `create` also
    /// creates a missing file, which a cgroupfs-shaped test tree needs; on cgroupfs every
    /// interface file exists once the directory does.
    /// - Returns: 0, or the errno of the failure.
    @discardableResult
    static func write(_ text: String, to path: String, create: Bool = false) -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { return errno }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 { return errno }
        return n == bytes.count ? 0 : EIO
    }

    /// The bytes of a (small) file, or nil.
    static func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { return nil }
        defer { close(fd) }
        return try? HostIO.readToEnd(fd)
    }

    /// The bytes of a file of any size, following symbolic links (a program to copy), or nil.
    static func readBytesFollowing(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return try? HostIO.readToEnd(fd)
    }

    /// Writes `bytes` to a temporary file beside `path` (mode 0600) and renames it over `path`,
    /// so a reader sees the old file or the whole new one. Failures are ignored (a cache).
    static func writeAtomically(_ bytes: [UInt8], to path: String) {
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { return }
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if n != bytes.count || rename(temporary, path) != 0 { unlink(temporary) }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir(2); returns 0 or errno (EEXIST included).
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) -> Int32 {
        mkdir(path, mode) == 0 ? 0 : errno
    }

    /// The names in a directory (without "." and ".."), or nil when it cannot be opened.
    static func list(_ path: String) -> [String]? { try? HostIO.directoryEntries(path) }

    /// Removes `path` and everything below it without following symbolic links and without
    /// crossing into other file systems' mounts. Returns the errno of the first failure, or 0.
    @discardableResult
    static func removeTree(_ path: String) -> Int32 {
        var st = stat()
        if lstat(path, &st) != 0 { return errno == ENOENT ? 0 : errno }
        if (st.st_mode & S_IFMT) != S_IFDIR { return unlink(path) == 0 ? 0 : errno }
        var first: Int32 = 0
        for name in list(path) ?? [] {
            let child = path + "/" + name
            var cst = stat()
            if lstat(child, &cst) != 0 { continue }
            if (cst.st_mode & S_IFMT) == S_IFDIR && cst.st_dev != st.st_dev {
                // A mount point: never descend into another file system.
                if first == 0 { first = EBUSY }
                continue
            }
            let e = removeTree(child)
            if first == 0 { first = e }
        }
        if rmdir(path) != 0 && first == 0 { first = errno }
        return first
    }

    /// Directories named in `PATH`-style `search` where `name` exists below `root`
    /// (lstat: an absolute symbolic link inside a rootfs is resolved only inside the container).
    static func search(_ name: String, in search: [String], root: String) -> String? {
        for dir in search where !dir.isEmpty {
            let candidate = (dir.hasSuffix("/") ? dir : dir + "/") + name
            if exists(root + candidate) { return candidate }
        }
        return nil
    }
}


/// CLOCK_MONOTONIC, nanoseconds: the clock the container's init stamps its reports with.
func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Writes `text` to fd 2. A stderr whose reader has gone (EPIPE: vsim ignores SIGPIPE,
/// `StandardStreams`) drops the text and goes on, unlike vsim's other output: a notice comes
/// while a container runs or is torn down, which must finish (no cgroup or mount left behind).
func printError(_ text: String) {
    HostIO.writeAll(2, text)
}
