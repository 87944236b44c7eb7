import CGuestShim
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The file system calls, on the descriptor table (``GuestFileTable``) and inside the guest's
/// root (``GuestRoot``): every path the guest names is resolved in the root, relative paths
/// from the working directory (`chdir`, `getcwd`) or from the directory a descriptor was opened
/// as (`*at` calls). The `O_*` flags, `struct linux_dirent64` and the errno values are the same
/// for i386 and the x86-64 host, so they pass through; `struct stat64` and `struct statx` are
/// written in their i386 layouts (LinuxSyscalls+Info.swift).
///
/// | nr | calls |
/// |---|---|
/// | 5, 295, 8 | open, openat, creat |
/// | 6, 41, 63, 330 | close, dup, dup2, dup3 |
/// | 42, 331 | pipe, pipe2 |
/// | 19, 140, 180, 181 | lseek, _llseek, pread64, pwrite64 |
/// | 195, 196, 300, 383 | stat64, lstat64, fstatat64, statx (fstat64 on a descriptor) |
/// | 220 | getdents64 |
/// | 85, 305 | readlink, readlinkat (`/proc/self/exe`: the program's host path, as natively) |
/// | 33, 307, 439 | access, faccessat, faccessat2 |
/// | 10, 40, 301, 39, 296, 38, 302 | unlink, rmdir, unlinkat, mkdir, mkdirat, rename, renameat |
/// | 55, 221 | fcntl, fcntl64: F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_GETPIPE_SZ/F_SETPIPE_SZ; locks and owners -ENOSYS |
/// | 118, 148, 93, 194 | fsync, fdatasync, ftruncate, ftruncate64 |
/// | 12, 133, 183 | chdir, fchdir, getcwd (the working directory is a guest path inside the root) |
/// The `AT_*` values of the `*at` calls (include/uapi/linux/fcntl.h), as the guest passes them.
enum LinuxAT {
    static let FDCWD: Int32 = -100
    static let SYMLINK_NOFOLLOW: UInt32 = 0x100, REMOVEDIR: UInt32 = 0x200, EACCESS: UInt32 = 0x200, EMPTY_PATH: UInt32 = 0x1000
}

extension LinuxHostCalls {
    /// "AT_FDCWD" or the number, for traces.
    func dirName(_ fd: Int32) -> String { fd == LinuxAT.FDCWD ? "AT_FDCWD" : "\(fd)" }

    /// The guest path at `pointer`, joined with the directory of `dirfd`: the path to resolve in
    /// the root, or the failing outcome (EFAULT, ENAMETOOLONG, ENOENT for "", EBADF, ENOTDIR).
    func guestPath(_ dirfd: Int32, _ pointer: UInt32, _ args: (String) -> String,
                   allowEmpty: Bool = false) -> Result<String, SyscallOutcomeError> {
        guard let path = guestString(pointer, limit: 4097) else {
            return .failure(SyscallOutcomeError(.error(.EFAULT, args("0x" + String(pointer, radix: 16)))))
        }
        let shown = args(LinuxProcess.quote(Array(path.utf8), limit: 64))
        if path.utf8.count >= 4096 { return .failure(SyscallOutcomeError(SyscallOutcome(value: -ENAMETOOLONG, arguments: shown))) }
        if path.isEmpty && !allowEmpty { return .failure(SyscallOutcomeError(.error(.ENOENT, shown))) }
        if root.descriptor < 0 && !path.isEmpty {
            note(once: "no-root", "vsim: the guest looked up \(LinuxProcess.quote(Array(path.utf8), limit: 64)) but has no file system: "
                 + "give vsim --root DIR to let it see DIR as its / (without it every path lookup fails with ENOENT)")
        }
        if path.hasPrefix("/") { return .success(path) }
        if dirfd == LinuxAT.FDCWD { return .success(GuestRoot.join(workingDirectory, path)) }
        guard let dir = files[dirfd] else { return .failure(SyscallOutcomeError(.error(.EBADF, shown))) }
        guard let base = dir.path else { return .failure(SyscallOutcomeError(SyscallOutcome(value: -ENOTDIR, arguments: shown))) }
        return .success(path.isEmpty ? base : GuestRoot.join(base, path))
    }

    func openat(_ dirfd: Int32, _ pathPointer: UInt32, _ flags: UInt32, _ mode: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0x\(String(flags, radix: 16)), 0\(String(mode, radix: 8))" }
        let path: String
        switch guestPath(dirfd, pathPointer, describe) {
        case .failure(let e): return e.outcome
        case .success(let p): path = p
        }
        let args = describe(LinuxProcess.quote(Array(path.utf8), limit: 64))
        let host = root.open(path, flags: Int32(bitPattern: flags), mode: mode & 0o7777)
        guard host >= 0 else { return SyscallOutcome(value: host, arguments: args) }
        guard let fd = files.install(GuestFile(host: host, owned: true, closeOnExec: Int32(bitPattern: flags) & O_CLOEXEC != 0, path: path)) else {
            return .error(.EMFILE, args)
        }
        return SyscallOutcome(value: fd, arguments: args)
    }

    /// A directory offset as a 32-bit process sees it: a 64-bit hash cookie (ext4's `hash2pos`
    /// for a 64-bit caller: major hash in the high half) becomes its high 32 bits, which is what
    /// ext4 gives a 32-bit caller (and 0x7FFFFFFF for the end); small offsets stay as they are.
    /// glibc's i386 `readdir` fails with EOVERFLOW on an offset that does not fit in 32 bits.
    static func guestDirectoryOffset(_ offset: Int64) -> Int64 {
        offset > Int64(Int32.max) ? offset >> 32 : offset
    }

    /// The host offset for a directory offset the guest got from ``guestDirectoryOffset(_:)``.
    static func hostDirectoryOffset(_ offset: Int64) -> Int64 {
        offset == Int64(Int32.max) ? Int64.max : offset << 32
    }

    /// `lseek` on the host, directory offsets translated (``guestDirectoryOffset(_:)``).
    private func seek(_ fd: Int32, _ host: Int32, _ offset: Int64, _ whence: Int32) -> Int64 {
        let shifted = files[fd]?.directoryOffsetsShifted ?? false
        let target = shifted && whence == SEEK_SET ? LinuxHostCalls.hostDirectoryOffset(offset) : offset
        let r = Int64(Glibc.lseek(host, off_t(target), whence))
        return shifted && r >= 0 ? LinuxHostCalls.guestDirectoryOffset(r) : r
    }

    func lseek(_ fd: Int32, _ offset: UInt32, _ whence: UInt32) -> SyscallOutcome {
        let args = "\(fd), \(Int32(bitPattern: offset)), \(whence)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        let r = seek(fd, host, Int64(Int32(bitPattern: offset)), Int32(bitPattern: whence))
        if r < 0 { return SyscallOutcome(value: -errno, arguments: args) }
        guard r <= Int32.max else { return SyscallOutcome(value: -EOVERFLOW, arguments: args) }
        return SyscallOutcome(value: Int32(r), arguments: args)
    }

    /// `_llseek(fd, offset_high, offset_low, loff_t *result, whence)`.
    func llseek(_ fd: Int32, _ high: UInt32, _ low: UInt32, _ result: UInt32, _ whence: UInt32) -> SyscallOutcome {
        let offset = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
        let args = "\(fd), \(offset), 0x\(String(result, radix: 16)), \(whence)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        guard whence <= 4 else { return .error(.EINVAL, args) }
        guard accessible(result, 8, .write) else { return .error(.EFAULT, args) }
        let r = seek(fd, host, offset, Int32(bitPattern: whence))
        if r < 0 { return SyscallOutcome(value: -errno, arguments: args) }
        let v = UInt64(bitPattern: r)
        guard writeWords([UInt32(truncatingIfNeeded: v), UInt32(truncatingIfNeeded: v >> 32)], at: result) else {
            return .error(.EFAULT, args)
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `pread64(fd, buf, count, offset_low, offset_high)`.
    func pread64(_ fd: Int32, _ buffer: UInt32, _ count: UInt32, _ low: UInt32, _ high: UInt32) -> SyscallOutcome {
        let offset = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
        let args = "\(fd), 0x\(String(buffer, radix: 16)), \(count), \(offset)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        let n = min(count, 1 << 24)
        guard accessible(buffer, n, .write) else { return .error(.EFAULT, args) }
        var data = [UInt8](repeating: 0, count: Int(n))
        let got = data.withUnsafeMutableBytes { Glibc.pread(host, $0.baseAddress, Int(n), off_t(offset)) }
        if got < 0 { return SyscallOutcome(value: -errno, arguments: args) }
        guard writeGuest(Array(data[0..<got]), at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: Int32(got), arguments: args)
    }

    /// `pwrite64(fd, buf, count, offset_low, offset_high)`.
    func pwrite64(_ fd: Int32, _ buffer: UInt32, _ count: UInt32, _ low: UInt32, _ high: UInt32) -> SyscallOutcome {
        let offset = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
        let args = "\(fd), 0x\(String(buffer, radix: 16)), \(count), \(offset)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        guard let bytes = readGuest(buffer, min(count, 1 << 24)) else { return .error(.EFAULT, args) }
        let n = bytes.withUnsafeBytes { Glibc.pwrite(host, $0.baseAddress, $0.count, off_t(offset)) }
        return SyscallOutcome(value: n < 0 ? -errno : Int32(n), arguments: args)
    }

    /// The host `stat` of the file `path` names (following a final symlink unless `follow` is
    /// false), or -errno.
    func statPath(_ path: String, follow: Bool) -> Result<stat, HostErrno> {
        var st = stat()
        if follow {
            let fd = root.open(path, flags: GuestRoot.O_PATH, mode: 0)
            guard fd >= 0 else { return .failure(HostErrno(-fd)) }
            defer { Glibc.close(fd) }
            return fstat(fd, &st) == 0 ? .success(st) : .failure(HostErrno(errno))
        }
        switch root.parent(of: path) {
        case .failure(let e): return .failure(e)
        case .success(let (dir, name)):
            defer { Glibc.close(dir) }
            return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? .success(st) : .failure(HostErrno(errno))
        }
    }

    /// `fstatat64(dirfd, path, struct stat64 *, flags)` (stat64 and lstat64 too).
    func fstatat64(_ dirfd: Int32, _ pathPointer: UInt32, _ buffer: UInt32, _ flags: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0x\(String(buffer, radix: 16)), 0x\(String(flags, radix: 16))" }
        guard flags & ~(LinuxAT.SYMLINK_NOFOLLOW | LinuxAT.EMPTY_PATH | 0x800) == 0 else { return .error(.EINVAL, describe("")) }
        let st: stat
        switch fileStatus(dirfd, pathPointer, flags, describe) {
        case .failure(let e): return e.outcome
        case .success(let s): st = s
        }
        guard writeGuest(LinuxHostCalls.stat64Bytes(st), at: buffer) else { return .error(.EFAULT, describe("")) }
        return SyscallOutcome(value: 0, arguments: describe("") + " {st_mode=0\(String(st.st_mode, radix: 8)), st_size=\(st.st_size)}")
    }

    /// The `stat` a `*stat*at` call asks for: of `dirfd` itself for "" with AT_EMPTY_PATH, else
    /// of the path (AT_SYMLINK_NOFOLLOW: of a final symlink itself).
    func fileStatus(_ dirfd: Int32, _ pathPointer: UInt32, _ flags: UInt32,
                    _ describe: @escaping (String) -> String) -> Result<stat, SyscallOutcomeError> {
        let empty = flags & LinuxAT.EMPTY_PATH != 0
        if empty, let first = readGuest(pathPointer, 1), first == [0] {
            if dirfd == LinuxAT.FDCWD { return statPath("/", follow: true).mapError { SyscallOutcomeError(SyscallOutcome(value: -$0.code, arguments: describe("\"\""))) } }
            return hostStat(dirfd, describe("\"\"")).mapError { $0 }
        }
        switch guestPath(dirfd, pathPointer, describe) {
        case .failure(let e): return .failure(e)
        case .success(let path):
            return statPath(path, follow: flags & LinuxAT.SYMLINK_NOFOLLOW == 0)
                .mapError { SyscallOutcomeError(SyscallOutcome(value: -$0.code, arguments: describe(LinuxProcess.quote(Array(path.utf8), limit: 64)))) }
        }
    }

    func getdents64(_ fd: Int32, _ buffer: UInt32, _ count: UInt32) -> SyscallOutcome {
        let args = "\(fd), 0x\(String(buffer, radix: 16)), \(count)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        let n = min(count, 1 << 20)
        guard accessible(buffer, n, .write) else { return .error(.EFAULT, args) }
        var data = [UInt8](repeating: 0, count: Int(n))
        let got = data.withUnsafeMutableBytes { vsim_getdents64(host, $0.baseAddress, Int(n)) }
        if got < 0 { return SyscallOutcome(value: Int32(got), arguments: args) }
        // struct linux_dirent64 {u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]}:
        // the same layout for i386; only the offsets need a 32-bit caller's values.
        var i = 0
        while i + 19 <= Int(got) {
            let off = (0..<8).reduce(Int64(0)) { $0 | Int64(data[i + 8 + $1]) << (8 * Int64($1)) }
            if off > Int64(Int32.max) || files[fd]?.directoryOffsetsShifted == true {
                files[fd]?.directoryOffsetsShifted = true
                let guest = UInt64(bitPattern: LinuxHostCalls.guestDirectoryOffset(off))
                for b in 0..<8 { data[i + 8 + b] = UInt8(truncatingIfNeeded: guest >> (8 * UInt64(b))) }
            }
            let length = Int(data[i + 16]) | Int(data[i + 17]) << 8
            guard length > 0 else { break }
            i += length
        }
        guard writeGuest(Array(data[0..<Int(got)]), at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: Int32(got), arguments: args)
    }

    /// `readlinkat(dirfd, path, buf, size)` (readlink too). `/proc/self/exe` names the program's
    /// absolute host path, as natively (glibc and musl ask for it); other paths are read in the root.
    func readlinkat(_ dirfd: Int32, _ pathPointer: UInt32, _ buffer: UInt32, _ size: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0x\(String(buffer, radix: 16)), \(size)" }
        if let name = guestString(pathPointer), name == "/proc/self/exe" {
            let args = describe(LinuxProcess.quote(Array(name.utf8)))
            guard Int32(bitPattern: size) > 0 else { return .error(.EINVAL, args) }
            var target = executablePath
            if let resolved = realpath(executablePath, nil) {
                target = String(cString: resolved)
                free(resolved)
            }
            let bytes = Array(Array(target.utf8).prefix(Int(size)))
            guard writeGuest(bytes, at: buffer) else { return .error(.EFAULT, args) }
            return SyscallOutcome(value: Int32(bytes.count), arguments: args)
        }
        let path: String
        switch guestPath(dirfd, pathPointer, describe) {
        case .failure(let e): return e.outcome
        case .success(let p): path = p
        }
        let args = describe(LinuxProcess.quote(Array(path.utf8), limit: 64))
        guard Int32(bitPattern: size) > 0 else { return .error(.EINVAL, args) }
        switch root.parent(of: path) {
        case .failure(let e): return SyscallOutcome(value: -e.code, arguments: args)
        case .success(let (dir, name)):
            defer { Glibc.close(dir) }
            var data = [CChar](repeating: 0, count: Int(min(size, 1 << 16)))
            let n = Glibc.readlinkat(dir, name, &data, data.count)
            if n < 0 { return SyscallOutcome(value: -errno, arguments: args) }
            guard writeGuest(data[0..<n].map { UInt8(bitPattern: $0) }, at: buffer) else { return .error(.EFAULT, args) }
            return SyscallOutcome(value: Int32(n), arguments: args)
        }
    }

    /// `faccessat2(dirfd, path, mode, flags)` (access and faccessat with flags 0).
    func faccessat(_ dirfd: Int32, _ pathPointer: UInt32, _ mode: UInt32, _ flags: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), \(mode), 0x\(String(flags, radix: 16))" }
        guard mode & ~7 == 0, flags & ~(LinuxAT.EACCESS | LinuxAT.SYMLINK_NOFOLLOW | LinuxAT.EMPTY_PATH) == 0 else {
            return .error(.EINVAL, describe(""))
        }
        let path: String
        switch guestPath(dirfd, pathPointer, describe, allowEmpty: flags & LinuxAT.EMPTY_PATH != 0) {
        case .failure(let e): return e.outcome
        case .success(let p): path = p
        }
        let args = describe(LinuxProcess.quote(Array(path.utf8), limit: 64))
        let eaccess = Int32(flags & LinuxAT.EACCESS)
        if flags & LinuxAT.SYMLINK_NOFOLLOW != 0 {
            switch root.parent(of: path) {
            case .failure(let e): return SyscallOutcome(value: -e.code, arguments: args)
            case .success(let (dir, name)):
                defer { Glibc.close(dir) }
                return SyscallOutcome(value: Int32(vsim_faccessat2(dir, name, Int32(mode), AT_SYMLINK_NOFOLLOW | eaccess)), arguments: args)
            }
        }
        let fd = root.open(path, flags: GuestRoot.O_PATH, mode: 0)
        guard fd >= 0 else { return SyscallOutcome(value: fd, arguments: args) }
        defer { Glibc.close(fd) }
        return SyscallOutcome(value: Int32(vsim_faccessat2(fd, "", Int32(mode), Int32(LinuxAT.EMPTY_PATH) | eaccess)), arguments: args)
    }

    /// The resolved parent of a path a call creates, removes or renames, with trailing slashes
    /// taken off the last component (whether there were any), or the Linux error for a last
    /// component that is no name (`dotError` of ".", ".." or "/": namei's LAST_DOT, LAST_DOTDOT,
    /// LAST_ROOT).
    private func entry(_ dirfd: Int32, _ pathPointer: UInt32, _ describe: @escaping (String) -> String,
                       dotError: (String) -> Int32) -> Result<(dir: Int32, name: String, slash: Bool, args: String), SyscallOutcomeError> {
        switch guestPath(dirfd, pathPointer, describe) {
        case .failure(let e): return .failure(e)
        case .success(var path):
            let args = describe(LinuxProcess.quote(Array(path.utf8), limit: 64))
            var slash = false
            while path.count > 1 && path.hasSuffix("/") { path.removeLast(); slash = true }
            let last = path.split(separator: "/").last.map(String.init) ?? "/"
            if last == "." || last == ".." || last == "/" {
                return .failure(SyscallOutcomeError(SyscallOutcome(value: -dotError(last), arguments: args)))
            }
            switch root.parent(of: path) {
            case .failure(let e): return .failure(SyscallOutcomeError(SyscallOutcome(value: -e.code, arguments: args)))
            case .success(let (dir, name)): return .success((dir, name, slash, args))
            }
        }
    }

    /// `unlinkat(dirfd, path, flags)` (unlink, and rmdir with AT_REMOVEDIR).
    func unlinkat(_ dirfd: Int32, _ pathPointer: UInt32, _ flags: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0x\(String(flags, radix: 16))" }
        guard flags & ~LinuxAT.REMOVEDIR == 0 else { return .error(.EINVAL, describe("")) }
        let removeDirectory = flags & LinuxAT.REMOVEDIR != 0
        // rmdir: "." EINVAL, ".." ENOTEMPTY, "/" EBUSY; unlink: EISDIR.
        switch entry(dirfd, pathPointer, describe, dotError: { last in
            removeDirectory ? (last == "." ? EINVAL : last == ".." ? ENOTEMPTY : EBUSY) : EISDIR
        }) {
        case .failure(let e): return e.outcome
        case .success(let (dir, name, slash, args)):
            defer { Glibc.close(dir) }
            if slash && !removeDirectory {
                var st = stat()
                if fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    return SyscallOutcome(value: st.st_mode & S_IFMT == S_IFDIR ? -EISDIR : -ENOTDIR, arguments: args)
                }
            }
            let r = Glibc.unlinkat(dir, name, removeDirectory ? AT_REMOVEDIR : 0)
            return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: args)
        }
    }

    /// `mkdirat(dirfd, path, mode)` (mkdir too); the host's umask applies, as natively.
    func mkdirat(_ dirfd: Int32, _ pathPointer: UInt32, _ mode: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0\(String(mode, radix: 8))" }
        switch entry(dirfd, pathPointer, describe, dotError: { _ in EEXIST }) {
        case .failure(let e): return e.outcome
        case .success(let (dir, name, _, args)):
            defer { Glibc.close(dir) }
            let r = Glibc.mkdirat(dir, name, mode_t(mode & 0o7777))
            return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: args)
        }
    }

    /// `symlinkat(target, newdirfd, linkpath)` (symlink too): the link is made inside the guest's
    /// root like any new name (``entry``); its target is stored as the text given, absolute, `..`
    /// and all, as symlink(2) stores it, and ``GuestRoot`` follows it only inside the root, so a
    /// link whose text names a place outside cannot lead there. An empty target is -ENOENT, an
    /// unreadable one -EFAULT, a name that exists -EEXIST (symlink(2)).
    func symlinkat(_ targetPointer: UInt32, _ dirfd: Int32, _ pathPointer: UInt32) -> SyscallOutcome {
        guard let target = guestString(targetPointer) else {
            return .error(.EFAULT, "0x\(String(targetPointer, radix: 16)), \(dirName(dirfd)), 0x\(String(pathPointer, radix: 16))")
        }
        let quoted = LinuxProcess.quote(Array(target.utf8), limit: 64)
        let describe = { (p: String) in "\(quoted), \(self.dirName(dirfd)), \(p)" }
        guard !target.isEmpty else { return .error(.ENOENT, describe(LinuxProcess.quote(Array((guestString(pathPointer) ?? "").utf8), limit: 64))) }
        switch entry(dirfd, pathPointer, describe, dotError: { _ in EEXIST }) {
        case .failure(let e): return e.outcome
        case .success(let (dir, name, _, args)):
            defer { Glibc.close(dir) }
            let r = Glibc.symlinkat(target, dir, name)
            return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: args)
        }
    }

    /// `renameat(olddirfd, old, newdirfd, new)` (rename too): both names resolved in the root.
    func renameat(_ oldDirfd: Int32, _ oldPointer: UInt32, _ newDirfd: Int32, _ newPointer: UInt32) -> SyscallOutcome {
        let oldName = guestString(oldPointer).map { LinuxProcess.quote(Array($0.utf8), limit: 64) } ?? "0x" + String(oldPointer, radix: 16)
        let describeOld = { (p: String) in "\(self.dirName(oldDirfd)), \(p), \(self.dirName(newDirfd)), ..." }
        let from: (dir: Int32, name: String, slash: Bool, args: String)
        switch entry(oldDirfd, oldPointer, describeOld, dotError: { _ in EBUSY }) {
        case .failure(let e): return e.outcome
        case .success(let v): from = v
        }
        defer { Glibc.close(from.dir) }
        let describeNew = { (p: String) in "\(self.dirName(oldDirfd)), \(oldName), \(self.dirName(newDirfd)), \(p)" }
        switch entry(newDirfd, newPointer, describeNew, dotError: { _ in EBUSY }) {
        case .failure(let e): return e.outcome
        case .success(let (dir, name, _, args)):
            defer { Glibc.close(dir) }
            let r = Glibc.renameat(from.dir, from.name, dir, name)
            return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: args)
        }
    }

    func dup(_ fd: Int32) -> SyscallOutcome {
        let args = "\(fd)"
        guard let file = files[fd] else { return .error(.EBADF, args) }
        guard let copy = files.duplicate(file) else { return SyscallOutcome(value: -errno, arguments: args) }
        guard let new = files.install(copy) else { return .error(.EMFILE, args) }
        return SyscallOutcome(value: new, arguments: args)
    }

    /// `dup3(old, new, flags)`, and `dup2` (`legacy`: old == new returns new, no flags).
    func dup3(_ old: Int32, _ new: Int32, _ flags: UInt32, legacy: Bool) -> SyscallOutcome {
        let args = legacy ? "\(old), \(new)" : "\(old), \(new), 0x\(String(flags, radix: 16))"
        guard flags & ~UInt32(O_CLOEXEC) == 0 else { return .error(.EINVAL, args) }
        guard let file = files[old] else { return .error(.EBADF, args) }
        guard new >= 0, new < files.limit else { return .error(.EBADF, args) }
        if old == new { return legacy ? SyscallOutcome(value: new, arguments: args) : .error(.EINVAL, args) }
        guard var copy = files.duplicate(file) else { return SyscallOutcome(value: -errno, arguments: args) }
        copy.closeOnExec = flags & UInt32(O_CLOEXEC) != 0
        files.install(copy, at: new)
        return SyscallOutcome(value: new, arguments: args)
    }

    /// `pipe2(int fds[2], flags)` (pipe with flags 0): a host pipe.
    func pipe2(_ pointer: UInt32, _ flags: UInt32) -> SyscallOutcome {
        let args = "0x\(String(pointer, radix: 16)), 0x\(String(flags, radix: 16))"
        guard flags & ~UInt32(O_CLOEXEC | O_NONBLOCK | GuestRoot.O_DIRECT) == 0 else { return .error(.EINVAL, args) }
        guard accessible(pointer, 8, .write) else { return .error(.EFAULT, args) }
        guard files.lowestFree() != nil, files.lowestFree(from: files.lowestFree()! + 1) != nil else { return .error(.EMFILE, args) }
        var ends: [Int32] = [0, 0]
        let made = vsim_pipe2(&ends, Int32(bitPattern: flags) | O_CLOEXEC)
        guard made == 0 else { return SyscallOutcome(value: Int32(made), arguments: args) }
        let cloexec = flags & UInt32(O_CLOEXEC) != 0
        let r = files.install(GuestFile(host: ends[0], owned: true, closeOnExec: cloexec))!
        let w = files.install(GuestFile(host: ends[1], owned: true, closeOnExec: cloexec))!
        guard writeWords([UInt32(r), UInt32(w)], at: pointer) else { files.close(r); files.close(w); return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: "[\(r), \(w)], 0x\(String(flags, radix: 16))")
    }

    func fcntl64(_ fd: Int32, _ command: UInt32, _ argument: UInt32) -> SyscallOutcome {
        let args = "\(fd), \(command), 0x\(String(argument, radix: 16))"
        guard let file = files[fd] else { return .error(.EBADF, args) }
        let F_DUPFD: UInt32 = 0, F_GETFD: UInt32 = 1, F_SETFD: UInt32 = 2, F_GETFL: UInt32 = 3, F_SETFL: UInt32 = 4,
            F_DUPFD_CLOEXEC: UInt32 = 1030, F_SETPIPE_SZ: UInt32 = 1031, F_GETPIPE_SZ: UInt32 = 1032
        switch command {
        case F_DUPFD, F_DUPFD_CLOEXEC:
            guard argument < UInt32(files.limit) else { return .error(.EINVAL, args) }
            guard var copy = files.duplicate(file) else { return SyscallOutcome(value: -errno, arguments: args) }
            copy.closeOnExec = command == F_DUPFD_CLOEXEC
            guard let new = files.install(copy, from: Int32(argument)) else { return .error(.EMFILE, args) }
            return SyscallOutcome(value: new, arguments: args)
        case F_GETFD:
            return SyscallOutcome(value: file.closeOnExec ? 1 : 0, arguments: args)
        case F_SETFD:
            files[fd]?.closeOnExec = argument & 1 != 0
            return SyscallOutcome(value: 0, arguments: args)
        case F_GETFL, F_GETPIPE_SZ:
            let r = Glibc.fcntl(file.host, Int32(command))
            return SyscallOutcome(value: r < 0 ? -errno : r, arguments: args)
        case F_SETFL, F_SETPIPE_SZ:
            let r = Glibc.fcntl(file.host, Int32(command), Int32(bitPattern: argument))
            return SyscallOutcome(value: r < 0 ? -errno : r, arguments: args)
        default:
            return .error(.ENOSYS, args, note: "vsim serves fcntl commands F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETPIPE_SZ and F_SETPIPE_SZ only (this was command \(command))")
        }
    }

    /// `chdir(path)`: the working directory becomes the directory `path` names in the root
    /// (ENOTDIR for another file, EACCES without search permission, as natively); it is kept as
    /// the guest path of that directory with links and `..` resolved, as `getcwd` reports it.
    func chdir(_ pathPointer: UInt32) -> SyscallOutcome {
        let path: String
        switch guestPath(LinuxAT.FDCWD, pathPointer, { $0 }) {
        case .failure(let e): return e.outcome
        case .success(let p): path = p
        }
        let args = LinuxProcess.quote(Array(path.utf8), limit: 64)
        let fd = root.open(path, flags: GuestRoot.O_PATH | O_DIRECTORY, mode: 0)
        guard fd >= 0 else { return SyscallOutcome(value: fd, arguments: args) }
        defer { Glibc.close(fd) }
        return enter(fd, args)
    }

    /// `fchdir(fd)`: the working directory becomes the directory open as `fd`.
    func fchdir(_ fd: Int32) -> SyscallOutcome {
        guard let host = hostDescriptor(fd), files[fd]?.path != nil else { return .error(.EBADF, "\(fd)") }
        var st = stat()
        guard fstat(host, &st) == 0 else { return SyscallOutcome(value: -errno, arguments: "\(fd)") }
        guard st.st_mode & S_IFMT == S_IFDIR else { return SyscallOutcome(value: -ENOTDIR, arguments: "\(fd)") }
        return enter(host, "\(fd)")
    }

    /// Makes directory `host` (a host descriptor inside the root) the working directory.
    private func enter(_ host: Int32, _ args: String) -> SyscallOutcome {
        let r = vsim_faccessat2(host, "", X_OK, Int32(LinuxAT.EMPTY_PATH))
        guard r == 0 else { return SyscallOutcome(value: Int32(r), arguments: args) }
        guard let path = root.guestPath(of: host) else { return .error(.ENOENT, args) }
        workingDirectory = path
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `getcwd(buf, size)` (the system call: returns the length with the NUL; ERANGE when
    /// `size` is too small for it).
    func getcwd(_ buffer: UInt32, _ size: UInt32) -> SyscallOutcome {
        let bytes = Array(workingDirectory.utf8) + [0]
        let args = "\(LinuxProcess.quote(Array(workingDirectory.utf8), limit: 64)), \(size)"
        guard UInt32(bytes.count) <= size else { return .error(.ERANGE, args) }
        guard writeGuest(bytes, at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: Int32(bytes.count), arguments: args)
    }

    func fsync(_ fd: Int32, data: Bool) -> SyscallOutcome {
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, "\(fd)") }
        let r = data ? Glibc.fdatasync(host) : Glibc.fsync(host)
        return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: "\(fd)")
    }

    func ftruncate(_ fd: Int32, _ length: UInt64) -> SyscallOutcome {
        let args = "\(fd), \(Int64(bitPattern: length))"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        let r = Glibc.ftruncate(host, off_t(Int64(bitPattern: length)))
        return SyscallOutcome(value: r == 0 ? 0 : -errno, arguments: args)
    }
}
