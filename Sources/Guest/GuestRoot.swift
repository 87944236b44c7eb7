import CGuestShim
#if canImport(Glibc)
import Glibc
#endif

/// The directory the guest sees as `/` (`--root DIR`, like `qemu-i386 -L`), and how a guest path
/// is resolved in it so that **nothing outside it can be named**: an absolute path starts at the
/// root, `..` at the root stays there, and a symlink — absolute or relative — is followed inside
/// the root, as if the process had been chrooted there (Linux's `RESOLVE_IN_ROOT`).
///
/// Two strategies, the same answers:
/// - ``Strategy/openat2``: the host kernel's `openat2(root, path, how)` with `RESOLVE_IN_ROOT |
///   RESOLVE_NO_MAGICLINKS` (Linux 5.6+), which resolves the whole path atomically.
/// - ``Strategy/walk``: where `openat2` is missing (older kernels, seccomp profiles that refuse
///   it), component by component from the root: each directory opened with `GuestRoot.O_PATH |
///   O_NOFOLLOW` relative to the one before, `..` popping back no higher than the root, a
///   symlink's target (read with `readlinkat`) spliced in front of the remaining components and,
///   if absolute, restarted at the root; at most 40 symlinks (ELOOP), as the kernel allows.
///
/// Without `--root` the guest has **no file system**: every path lookup fails with ENOENT (and
/// vsim says so once on stderr); descriptors 0, 1 and 2 and pipes still work.
final class GuestRoot {
    enum Strategy: Sendable { case openat2, walk }

    /// The host directory (nil: no file system).
    let hostPath: String?
    /// `GuestRoot.O_PATH | O_DIRECTORY` descriptor of the root (-1 without one).
    let descriptor: Int32
    let strategy: Strategy

    /// O_PATH and O_DIRECT (x86 values), which Swift's Glibc module does not export.
    static let O_PATH: Int32 = 0o10000000, O_DIRECT: Int32 = 0o40000
    /// O_TMPFILE: __O_TMPFILE | O_DIRECTORY (asm-generic/fcntl.h; the same on i386 and x86-64).
    static let O_TMPFILE: Int32 = 0o20000000 | 0o200000
    static let RESOLVE_NO_MAGICLINKS: UInt64 = 0x02, RESOLVE_IN_ROOT: UInt64 = 0x10
    static let maximumSymlinks = 40

    /// Opens `path` as the guest's root.
    /// - Throws: ``LinuxProcessError/root(_:)`` when it is not a directory vsim can open.
    init(path: String?, strategy forced: Strategy? = nil) throws(LinuxProcessError) {
        hostPath = path
        guard let path else { descriptor = -1; strategy = .walk; return }
        let fd = Glibc.open(path, GuestRoot.O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .root("cannot open --root \(path): \(String(cString: strerror(errno))); give an existing directory")
        }
        descriptor = fd
        if let forced { strategy = forced; return }
        let probe = vsim_openat2(fd, ".", UInt64(GuestRoot.O_PATH | O_CLOEXEC), 0, GuestRoot.RESOLVE_IN_ROOT)
        if probe >= 0 { Glibc.close(Int32(probe)) }
        strategy = probe >= 0 ? .openat2 : .walk
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Opens guest path `path` (already joined with its base directory) with `flags` (the host's
    /// `O_*`, which are the i386 values) and `mode`; the host fd or -errno. O_CLOEXEC is always
    /// added on the host (the guest's close-on-exec flag is kept in its descriptor table).
    func open(_ path: String, flags: Int32, mode: UInt32) -> Int32 {
        guard descriptor >= 0 else { return -ENOENT }
        if path.isEmpty { return -ENOENT }
        switch strategy {
        case .openat2:
            // open(2) ignores the mode without O_CREAT or O_TMPFILE (musl always passes 0666), but
            // openat2(2) refuses a non-zero one there with EINVAL: pass it only where it counts.
            let creates = flags & O_CREAT != 0 || flags & GuestRoot.O_TMPFILE == GuestRoot.O_TMPFILE
            return Int32(vsim_openat2(descriptor, path, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), creates ? UInt64(mode) : 0,
                                      GuestRoot.RESOLVE_IN_ROOT | GuestRoot.RESOLVE_NO_MAGICLINKS))
        case .walk:
            switch walk(path, followLast: flags & O_NOFOLLOW == 0) {
            case .failure(let e): return -e.code
            case .success(let (dir, name)):
                defer { Glibc.close(dir) }
                let fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
                return fd >= 0 ? fd : -errno
            }
        }
    }

    /// The directory that holds the last component of `path` (an `GuestRoot.O_PATH` fd the caller closes)
    /// and that component's name, symlinks in the last component not followed (for lstat,
    /// readlink, unlink, mkdir, rename). A path ending in `.`, `..` or `/` names the directory
    /// itself: the name is then ".".
    func parent(of path: String) -> Result<(Int32, String), HostErrno> {
        guard descriptor >= 0 else { return .failure(HostErrno(ENOENT)) }
        if path.isEmpty { return .failure(HostErrno(ENOENT)) }
        switch strategy {
        case .walk:
            return walk(path, followLast: false)
        case .openat2:
            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            guard let last = components.last, last != ".", last != "..", !path.hasSuffix("/") else {
                let fd = Int32(vsim_openat2(descriptor, path, UInt64(GuestRoot.O_PATH | O_CLOEXEC), 0,
                                            GuestRoot.RESOLVE_IN_ROOT | GuestRoot.RESOLVE_NO_MAGICLINKS))
                return fd >= 0 ? .success((fd, ".")) : .failure(HostErrno(-fd))
            }
            let dir = (path.hasPrefix("/") ? "/" : "") + components.dropLast().joined(separator: "/")
            let fd = Int32(vsim_openat2(descriptor, dir.isEmpty ? "." : dir, UInt64(GuestRoot.O_PATH | O_DIRECTORY | O_CLOEXEC), 0,
                                        GuestRoot.RESOLVE_IN_ROOT | GuestRoot.RESOLVE_NO_MAGICLINKS))
            return fd >= 0 ? .success((fd, String(last))) : .failure(HostErrno(-fd))
        }
    }

    /// Component-by-component resolution (the ``Strategy/walk`` strategy): the directory holding
    /// the last component, and its name ("." when the path names a directory through `.`, `..`
    /// or a trailing `/`).
    func walk(_ path: String, followLast: Bool) -> Result<(Int32, String), HostErrno> {
        var stack: [Int32] = [dup(descriptor)]
        func fail(_ e: Int32) -> Result<(Int32, String), HostErrno> {
            for fd in stack { Glibc.close(fd) }
            return .failure(HostErrno(e))
        }
        var queue = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        var trailingDirectory = path.hasSuffix("/") || path.hasSuffix("/.") || path == "."
        var links = 0
        while true {
            guard let c = queue.first else {
                // The path named a directory: hand back that directory and ".".
                let dir = stack.removeLast()
                for fd in stack { Glibc.close(fd) }
                return .success((dir, "."))
            }
            if queue.count == 1 && c != ".." && !trailingDirectory {
                if followLast, let target = symlinkTarget(stack.last!, c) {
                    links += 1
                    if links > GuestRoot.maximumSymlinks { return fail(ELOOP) }
                    queue = splice(target, into: [], stack: &stack)
                    trailingDirectory = target.hasSuffix("/")
                    continue
                }
                let dir = stack.removeLast()
                for fd in stack { Glibc.close(fd) }
                return .success((dir, c))
            }
            queue.removeFirst()
            if c == ".." {
                if stack.count > 1 { Glibc.close(stack.removeLast()) }
                continue
            }
            let fd = openat(stack.last!, c, GuestRoot.O_PATH | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return fail(errno) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { let e = errno; Glibc.close(fd); return fail(e) }
            if st.st_mode & S_IFMT == S_IFLNK {
                Glibc.close(fd)
                links += 1
                if links > GuestRoot.maximumSymlinks { return fail(ELOOP) }
                guard let target = symlinkTarget(stack.last!, c) else { return fail(ENOENT) }
                queue = splice(target, into: queue, stack: &stack)
                continue
            }
            guard st.st_mode & S_IFMT == S_IFDIR else { Glibc.close(fd); return fail(ENOTDIR) }
            stack.append(fd)
        }
    }

    /// The components of symlink `target` in front of `rest`; an absolute target restarts at the root.
    private func splice(_ target: String, into rest: [String], stack: inout [Int32]) -> [String] {
        if target.hasPrefix("/") {
            for fd in stack.dropFirst() { Glibc.close(fd) }
            stack = [stack[0]]
        }
        return target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." } + rest
    }

    /// The target of `name` in `dir` if it is a symlink.
    private func symlinkTarget(_ dir: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dir, name, &buffer, Int(PATH_MAX))
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The guest path of host descriptor `fd` (a directory or file opened inside the root): its
    /// host path (the kernel's, `/proc/self/fd`) with the root's own taken off the front; nil
    /// when it is not inside the root or the kernel cannot name it.
    func guestPath(of fd: Int32) -> String? {
        guard descriptor >= 0, let here = GuestRoot.hostPath(of: fd), let top = GuestRoot.hostPath(of: descriptor) else { return nil }
        if here == top { return "/" }
        if top == "/" { return here }
        guard here.hasPrefix(top + "/") else { return nil }
        return String(here.dropFirst(top.count))
    }

    /// The kernel's name for host descriptor `fd` (`readlink /proc/self/fd/N`).
    private static func hostPath(of fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, Int(PATH_MAX))
        guard n > 0, buffer[0] == 0x2F else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `base` + `/` + `path` unless `path` is absolute (guest paths, resolved in the root later).
    static func join(_ base: String, _ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }
}

/// A host errno carried as an error.
struct HostErrno: Error {
    var code: Int32
    init(_ code: Int32) { self.code = code }
}
