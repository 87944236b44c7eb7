import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The Linux i386 file and time calls, one implementation for every place vsim serves them:
/// user-mode emulation (``LinuxProcess``, the calls of its `int $0x80`) and the guest kernel's
/// host-call device (``HostCallDevice``, the calls the kernel forwards). What differs between
/// the two is behind two seams: how guest memory is reached (``GuestAddressSpace``) and what
/// the clocks read (``GuestClock``).
///
/// It holds the guest's descriptor table (``GuestFileTable``), its root (``GuestRoot``,
/// `--root`) and its working directory (a path inside the root, `/` at start; `chdir`,
/// `getcwd`). The calls it serves are in ``dispatch(_:_:)``; LinuxSyscalls+Files.swift,
/// +ReadWrite.swift, +Info.swift and +Timers.swift hold them.
final class LinuxHostCalls {
    /// Where the calls read and write guest memory (the owner of this object).
    unowned let space: GuestAddressSpace
    /// What the time calls read.
    unowned let clock: GuestClock
    /// The guest's descriptor table.
    let files: GuestFileTable
    /// The calls that write to a descriptor (write, writev, pwrite64): the ones whose -EPIPE
    /// means a pipe's reader has gone (Linux then sends the writer SIGPIPE).
    static let writeCalls: Set<UInt32> = [4, 146, 181]
    /// Where the guest's paths resolve (`--root`).
    let root: GuestRoot
    /// The program's host path (`readlink("/proc/self/exe")` answers with it, as natively).
    let executablePath: String
    /// The working directory, a guest path ("/" at start; `chdir` changes it).
    var workingDirectory = "/"
    /// The host time limit: a `read` or `write` that would block waits for its host descriptor
    /// at most until then (nil: no limit).
    var deadline: ContinuousClock.Instant?
    /// Keys already said once on stderr (``note(once:_:)``).
    var noted: Set<String> = []
    /// Says a line on vsim's stderr.
    var notice: (String) -> Void
    /// Fills `getrandom` buffers (seeded: runs stay deterministic).
    var randomSource: SeededGenerator

    /// `randomSeed` is the run's seed (`--seed`); `getrandom` draws from a generator derived
    /// from it, apart from the one that fills AT_RANDOM.
    /// - Throws: ``LinuxProcessError/root(_:)`` when `root` is not a directory vsim can open.
    init(space: GuestAddressSpace, clock: GuestClock, stdio: GuestStdio, root: String?, executablePath: String,
         randomSeed: UInt64, notice: @escaping (String) -> Void) throws(LinuxProcessError) {
        randomSource = SeededGenerator(seed: randomSeed ^ 0x6765_7472_616E_646F)   // "getrando"
        self.space = space
        self.clock = clock
        self.root = try GuestRoot(path: root)
        files = GuestFileTable(stdio: stdio)
        self.executablePath = executablePath
        self.notice = notice
    }

    /// Says `line` on vsim's stderr once per `key`.
    func note(once key: String, _ line: String) {
        guard !noted.contains(key) else { return }
        noted.insert(key)
        notice(line)
    }

    /// The host fd behind guest fd `fd`, or nil (EBADF). A negative host fd in ``GuestStdio``
    /// means the guest's descriptor is closed (vsim's own was closed at start), as natively.
    func hostDescriptor(_ fd: Int32) -> Int32? { files[fd]?.host }

    func accessible(_ address: UInt32, _ count: UInt32, _ permission: PagePermissions) -> Bool {
        space.accessible(address, count, permission)
    }
    func readGuest(_ address: UInt32, _ count: UInt32) -> [UInt8]? { space.readGuest(address, count) }
    func writeGuest(_ bytes: [UInt8], at address: UInt32) -> Bool { space.writeGuest(bytes, at: address) }
    func writeWords(_ words: [UInt32], at address: UInt32) -> Bool { space.writeWords(words, at: address) }
    func guestString(_ address: UInt32, limit: Int = 4096) -> String? { space.guestString(address, limit: limit) }

    /// The file and time calls served here (i386 numbers, arguments EBX…EBP): the call's name
    /// and outcome, or nil for any other number.
    ///
    /// | nr | calls |
    /// |---|---|
    /// | 3, 4, 146, 6 | read, write, writev, close |
    /// | 5, 295, 8 | open, openat, creat |
    /// | 41, 63, 330, 42, 331 | dup, dup2, dup3, pipe, pipe2 |
    /// | 19, 140, 180, 181 | lseek, _llseek, pread64, pwrite64 |
    /// | 197, 195, 196, 300, 383 | fstat64, stat64, lstat64, fstatat64, statx |
    /// | 220 | getdents64 |
    /// | 85, 305 | readlink, readlinkat |
    /// | 33, 307, 439 | access, faccessat, faccessat2 |
    /// | 10, 40, 301, 39, 296, 38, 302 | unlink, rmdir, unlinkat, mkdir, mkdirat, rename, renameat |
    /// | 83, 304 | symlink, symlinkat (the link inside the root; its target stored as given, followed inside the root only) |
    /// | 55, 221 | fcntl, fcntl64 |
    /// | 118, 148, 93, 194 | fsync, fdatasync, ftruncate, ftruncate64 |
    /// | 54 | ioctl (TCGETS, TIOCGWINSZ) |
    /// | 12, 133, 183 | chdir, fchdir, getcwd |
    /// | 13, 78, 265, 403 | time, gettimeofday, clock_gettime, clock_gettime64 |
    /// | 162, 267, 407 | nanosleep, clock_nanosleep, clock_nanosleep_time64 |
    /// | 355, 116 | getrandom (seeded bytes), sysinfo (the host's uptime and RAM) |
    /// | 24 49 47 50 199–202 | get[e]uid/get[e]gid(32): the host's ids |
    func dispatch(_ number: UInt32, _ a: [UInt32]) -> (String, SyscallOutcome)? {
        func fd(_ v: UInt32) -> Int32 { Int32(bitPattern: v) }
        switch number {
        case 24: return ("getuid", SyscallOutcome(value: Int32(bitPattern: getuid()), arguments: ""))
        case 199: return ("getuid32", SyscallOutcome(value: Int32(bitPattern: getuid()), arguments: ""))
        case 49: return ("geteuid", SyscallOutcome(value: Int32(bitPattern: geteuid()), arguments: ""))
        case 201: return ("geteuid32", SyscallOutcome(value: Int32(bitPattern: geteuid()), arguments: ""))
        case 47: return ("getgid", SyscallOutcome(value: Int32(bitPattern: getgid()), arguments: ""))
        case 200: return ("getgid32", SyscallOutcome(value: Int32(bitPattern: getgid()), arguments: ""))
        case 50: return ("getegid", SyscallOutcome(value: Int32(bitPattern: getegid()), arguments: ""))
        case 202: return ("getegid32", SyscallOutcome(value: Int32(bitPattern: getegid()), arguments: ""))
        case 3: return ("read", read(fd(a[0]), a[1], a[2]))
        case 4: return ("write", write(fd(a[0]), a[1], a[2]))
        case 146: return ("writev", writev(fd(a[0]), a[1], a[2]))
        case 6: return ("close", close(fd(a[0])))
        case 13: return ("time", time(a[0]))
        case 78: return ("gettimeofday", gettimeofday(a[0], a[1]))
        case 265: return ("clock_gettime", clockGettime(a[0], a[1], wide: false))
        case 403: return ("clock_gettime64", clockGettime(a[0], a[1], wide: true))
        case 162: return ("nanosleep", nanosleep(a[0], a[1]))
        case 267: return ("clock_nanosleep", clockNanosleep(a[0], a[1], a[2], a[3], wide: false))
        case 407: return ("clock_nanosleep_time64", clockNanosleep(a[0], a[1], a[2], a[3], wide: true))
        case 54: return ("ioctl", ioctl(fd(a[0]), a[1], a[2]))
        case 197: return ("fstat64", fstat64(fd(a[0]), a[1]))
        case 383: return ("statx", statx(fd(a[0]), a[1], a[2], a[3], a[4]))
        case 85: return ("readlink", readlinkat(LinuxAT.FDCWD, a[0], a[1], a[2]))
        case 305: return ("readlinkat", readlinkat(fd(a[0]), a[1], a[2], a[3]))
        case 5: return ("open", openat(LinuxAT.FDCWD, a[0], a[1], a[2]))
        case 295: return ("openat", openat(fd(a[0]), a[1], a[2], a[3]))
        case 8: return ("creat", openat(LinuxAT.FDCWD, a[0], UInt32(O_CREAT | O_WRONLY | O_TRUNC), a[1]))
        case 19: return ("lseek", lseek(fd(a[0]), a[1], a[2]))
        case 140: return ("_llseek", llseek(fd(a[0]), a[1], a[2], a[3], a[4]))
        case 180: return ("pread64", pread64(fd(a[0]), a[1], a[2], a[3], a[4]))
        case 181: return ("pwrite64", pwrite64(fd(a[0]), a[1], a[2], a[3], a[4]))
        case 195: return ("stat64", fstatat64(LinuxAT.FDCWD, a[0], a[1], 0))
        case 196: return ("lstat64", fstatat64(LinuxAT.FDCWD, a[0], a[1], LinuxAT.SYMLINK_NOFOLLOW))
        case 300: return ("fstatat64", fstatat64(fd(a[0]), a[1], a[2], a[3]))
        case 220: return ("getdents64", getdents64(fd(a[0]), a[1], a[2]))
        case 33: return ("access", faccessat(LinuxAT.FDCWD, a[0], a[1], 0))
        case 307: return ("faccessat", faccessat(fd(a[0]), a[1], a[2], 0))
        case 439: return ("faccessat2", faccessat(fd(a[0]), a[1], a[2], a[3]))
        case 10: return ("unlink", unlinkat(LinuxAT.FDCWD, a[0], 0))
        case 40: return ("rmdir", unlinkat(LinuxAT.FDCWD, a[0], LinuxAT.REMOVEDIR))
        case 301: return ("unlinkat", unlinkat(fd(a[0]), a[1], a[2]))
        case 39: return ("mkdir", mkdirat(LinuxAT.FDCWD, a[0], a[1]))
        case 296: return ("mkdirat", mkdirat(fd(a[0]), a[1], a[2]))
        case 83: return ("symlink", symlinkat(a[0], LinuxAT.FDCWD, a[1]))
        case 304: return ("symlinkat", symlinkat(a[0], fd(a[1]), a[2]))
        case 38: return ("rename", renameat(LinuxAT.FDCWD, a[0], LinuxAT.FDCWD, a[1]))
        case 302: return ("renameat", renameat(fd(a[0]), a[1], fd(a[2]), a[3]))
        case 41: return ("dup", dup(fd(a[0])))
        case 63: return ("dup2", dup3(fd(a[0]), fd(a[1]), 0, legacy: true))
        case 330: return ("dup3", dup3(fd(a[0]), fd(a[1]), a[2], legacy: false))
        case 42: return ("pipe", pipe2(a[0], 0))
        case 331: return ("pipe2", pipe2(a[0], a[1]))
        case 55: return ("fcntl", fcntl64(fd(a[0]), a[1], a[2]))
        case 221: return ("fcntl64", fcntl64(fd(a[0]), a[1], a[2]))
        case 118: return ("fsync", fsync(fd(a[0]), data: false))
        case 148: return ("fdatasync", fsync(fd(a[0]), data: true))
        case 93: return ("ftruncate", ftruncate(fd(a[0]), UInt64(bitPattern: Int64(Int32(bitPattern: a[1])))))
        case 194: return ("ftruncate64", ftruncate(fd(a[0]), UInt64(a[1]) | UInt64(a[2]) << 32))
        case 12: return ("chdir", chdir(a[0]))
        case 133: return ("fchdir", fchdir(fd(a[0])))
        case 183: return ("getcwd", getcwd(a[0], a[1]))
        case 355: return ("getrandom", getrandom(a[0], a[1], a[2]))
        case 116: return ("sysinfo", sysinfo(a[0]))
        default: return nil
        }
    }
}
