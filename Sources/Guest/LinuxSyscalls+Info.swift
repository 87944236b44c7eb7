import CLibSeccomp
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// What a libc asks about its descriptors and environment: `ioctl(TCGETS)` (answered from the
/// host descriptor, so stdio buffering follows the host terminal as natively), `fstat64` and
/// `statx` (the host's `fstat`/`stat` in the i386 layouts), `getrandom` (from the run's seeded
/// generator: deterministic).
extension LinuxHostCalls {
    func ioctl(_ fd: Int32, _ request: UInt32, _ argument: UInt32) -> SyscallOutcome {
        let TCGETS: UInt32 = 0x5401
        let name = request == TCGETS ? "TCGETS" : (request == 0x5413 ? "TIOCGWINSZ" : "0x" + String(request, radix: 16))
        let args = "\(fd), \(name), 0x\(String(argument, radix: 16))"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
        if request == 0x5413 {
            // TIOCGWINSZ: struct winsize is the same on i386 and the host (four shorts).
            var ws = winsize()
            guard Glibc.ioctl(host, UInt(TIOCGWINSZ), &ws) == 0 else { return SyscallOutcome(value: -errno, arguments: args) }
            let bytes = withUnsafeBytes(of: &ws) { Array($0.prefix(8)) }
            guard writeGuest(bytes, at: argument) else { return .error(.EFAULT, args) }
            return SyscallOutcome(value: 0, arguments: args)
        }
        guard request == TCGETS else { return .error(.ENOTTY, args) }
        var t = termios()
        guard tcgetattr(host, &t) == 0 else { return SyscallOutcome(value: -errno, arguments: args) }
        // glibc's struct termios starts with the kernel's (4 flag words, c_line, 19 c_cc bytes).
        let bytes = withUnsafeBytes(of: &t) { Array($0.prefix(36)) }
        guard writeGuest(bytes, at: argument) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// The host `fstat` of guest fd `fd`, or an outcome for the error.
    func hostStat(_ fd: Int32, _ args: String) -> Result<stat, SyscallOutcomeError> {
        guard let host = hostDescriptor(fd) else { return .failure(SyscallOutcomeError(.error(.EBADF, args))) }
        var st = stat()
        guard fstat(host, &st) == 0 else { return .failure(SyscallOutcomeError(SyscallOutcome(value: -errno, arguments: args))) }
        return .success(st)
    }

    /// `fstat64(fd, buf)`: the i386 `struct stat64` (96 bytes, asm/stat.h).
    func fstat64(_ fd: Int32, _ buffer: UInt32) -> SyscallOutcome {
        let args = "\(fd), 0x\(String(buffer, radix: 16))"
        let st: stat
        switch hostStat(fd, args) {
        case .failure(let e): return e.outcome
        case .success(let s): st = s
        }
        guard writeGuest(LinuxHostCalls.stat64Bytes(st), at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: "\(fd), {st_mode=0\(String(st.st_mode, radix: 8)), st_size=\(st.st_size), ...}")
    }

    /// The i386 `struct stat64` (96 bytes, arch/x86/include/uapi/asm/stat.h) for a host `stat`.
    static func stat64Bytes(_ st: stat) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 96)
        func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        func put64(_ o: Int, _ v: UInt64) { put32(o, UInt32(truncatingIfNeeded: v)); put32(o + 4, UInt32(truncatingIfNeeded: v >> 32)) }
        put64(0, LinuxHostCalls.oldDevice(UInt64(st.st_dev)))
        put32(12, UInt32(truncatingIfNeeded: st.st_ino))
        put32(16, UInt32(st.st_mode))
        put32(20, UInt32(truncatingIfNeeded: st.st_nlink))
        put32(24, st.st_uid)
        put32(28, st.st_gid)
        put64(32, LinuxHostCalls.oldDevice(UInt64(st.st_rdev)))
        put64(44, UInt64(bitPattern: Int64(st.st_size)))
        put32(52, UInt32(truncatingIfNeeded: st.st_blksize))
        put64(56, UInt64(bitPattern: Int64(st.st_blocks)))
        put32(64, UInt32(truncatingIfNeeded: st.st_atim.tv_sec)); put32(68, UInt32(st.st_atim.tv_nsec))
        put32(72, UInt32(truncatingIfNeeded: st.st_mtim.tv_sec)); put32(76, UInt32(st.st_mtim.tv_nsec))
        put32(80, UInt32(truncatingIfNeeded: st.st_ctim.tv_sec)); put32(84, UInt32(st.st_ctim.tv_nsec))
        put64(88, UInt64(st.st_ino))
        return b
    }

    /// The kernel's `new_encode_dev` as `stat64` reports it (major in bits 8–19, minor split).
    static func oldDevice(_ dev: UInt64) -> UInt64 {
        let major = (dev >> 8) & 0xFFF | (dev >> 32) & ~0xFFF
        let minor = dev & 0xFF | (dev >> 12) & ~0xFF
        return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)
    }

    /// `statx(dirfd, path, flags, mask, buf)`: the host's `stat` of the descriptor (`""` with
    /// AT_EMPTY_PATH, as glibc's `fstat` asks) or of the path in the guest's root, in the
    /// `struct statx` layout (256 bytes, the basic fields: STATX_BASIC_STATS).
    func statx(_ dirfd: Int32, _ path: UInt32, _ flags: UInt32, _ mask: UInt32, _ buffer: UInt32) -> SyscallOutcome {
        let describe = { (p: String) in "\(self.dirName(dirfd)), \(p), 0x\(String(flags, radix: 16)), 0x\(String(mask, radix: 16)), 0x\(String(buffer, radix: 16))" }
        // AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH and the AT_STATX_SYNC_TYPE bits.
        guard flags & ~UInt32(0x100 | 0x800 | 0x1000 | 0x6000) == 0, flags & 0x6000 != 0x6000 else { return .error(.EINVAL, describe("")) }
        let st: stat
        switch fileStatus(dirfd, path, flags, describe) {
        case .failure(let e): return e.outcome
        case .success(let s): st = s
        }
        let args = describe("")
        var b = [UInt8](repeating: 0, count: 256)
        func put16(_ o: Int, _ v: UInt16) { b[o] = UInt8(v & 0xFF); b[o + 1] = UInt8(v >> 8) }
        func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        func put64(_ o: Int, _ v: UInt64) { put32(o, UInt32(truncatingIfNeeded: v)); put32(o + 4, UInt32(truncatingIfNeeded: v >> 32)) }
        func time(_ o: Int, _ t: timespec) { put64(o, UInt64(bitPattern: Int64(t.tv_sec))); put32(o + 8, UInt32(t.tv_nsec)) }
        put32(0, 0x7FF)                                    // STATX_BASIC_STATS
        put32(4, UInt32(truncatingIfNeeded: st.st_blksize))
        put32(16, UInt32(truncatingIfNeeded: st.st_nlink))
        put32(20, st.st_uid)
        put32(24, st.st_gid)
        put16(28, UInt16(truncatingIfNeeded: st.st_mode))
        put64(32, UInt64(st.st_ino))
        put64(40, UInt64(bitPattern: Int64(st.st_size)))
        put64(48, UInt64(bitPattern: Int64(st.st_blocks)))
        time(64, st.st_atim)
        time(96, st.st_ctim)
        time(112, st.st_mtim)
        let rdev = UInt64(st.st_rdev), dev = UInt64(st.st_dev)
        put32(128, UInt32(truncatingIfNeeded: (rdev >> 8) & 0xFFF | (rdev >> 32) & ~0xFFF))
        put32(132, UInt32(truncatingIfNeeded: rdev & 0xFF | (rdev >> 12) & ~0xFF))
        put32(136, UInt32(truncatingIfNeeded: (dev >> 8) & 0xFFF | (dev >> 32) & ~0xFFF))
        put32(140, UInt32(truncatingIfNeeded: dev & 0xFF | (dev >> 12) & ~0xFF))
        guard writeGuest(b, at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `sysinfo`: the i386 `struct sysinfo` (64 bytes) with the host's uptime and RAM (from
    /// `sysconf`, so shared/buffer/swap/load read 0 and `procs` 1), scaled as the kernel's compat
    /// path does for a 32-bit process (values over 32 bits in pages, `mem_unit` 4096).
    func sysinfo(_ buffer: UInt32) -> SyscallOutcome {
        let args = "0x" + String(buffer, radix: 16)
        var up = timespec()
        clock_gettime(CLOCK_BOOTTIME, &up)
        let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1))
        var unit: UInt64 = 1
        var total = UInt64(max(sysconf(Int32(_SC_PHYS_PAGES)), 0)) * page
        var free = UInt64(max(sysconf(Int32(_SC_AVPHYS_PAGES)), 0)) * page
        if total >> 32 != 0 { unit = 4096; total >>= 12; free >>= 12 }
        let words: [UInt32] = [UInt32(truncatingIfNeeded: up.tv_sec), 0, 0, 0,
                               UInt32(truncatingIfNeeded: total), UInt32(truncatingIfNeeded: free), 0, 0, 0, 0,
                               1, 0, 0, UInt32(unit), 0, 0]
        guard writeWords(words, at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: args)
    }

    func getrandom(_ buffer: UInt32, _ count: UInt32, _ flags: UInt32) -> SyscallOutcome {
        let args = "0x\(String(buffer, radix: 16)), \(count), 0x\(String(flags, radix: 16))"
        guard flags & ~UInt32(7) == 0 else { return .error(.EINVAL, args) }
        let n = min(count, 33_554_431)
        guard accessible(buffer, n, .write) else { return .error(.EFAULT, args) }
        guard writeGuest(randomSource.bytes(Int(n)), at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: Int32(n), arguments: args)
    }
}

extension LinuxProcess {
    /// `getrlimit`/`ugetrlimit` (32-bit values, RLIM_INFINITY as 0xFFFFFFFF) and `prlimit64`
    /// for the calling process (reading only): the host's limits, as the native process has them.
    func getrlimit(_ resource: UInt32, _ buffer: UInt32, wide: Bool, pid: UInt32 = 0, newLimit: UInt32 = 0) -> SyscallOutcome {
        let args = wide ? "\(pid), \(resource), \(newLimit == 0 ? "NULL" : "0x" + String(newLimit, radix: 16)), 0x\(String(buffer, radix: 16))"
            : "\(resource), 0x\(String(buffer, radix: 16))"
        guard resource < 16 else { return .error(.EINVAL, args) }
        guard pid == 0 || pid == UInt32(LinuxProcess.guestPID) else { return .error(.ESRCH, args) }
        guard newLimit == 0 else { return .error(.ENOSYS, args, note: "vsim does not change resource limits (prlimit64 with a new limit)") }
        var r = rlimit()
        guard Glibc.getrlimit(__rlimit_resource_t(resource), &r) == 0 else { return SyscallOutcome(value: -errno, arguments: args) }
        if buffer == 0 && wide { return SyscallOutcome(value: 0, arguments: args) }
        let ok: Bool
        if wide {
            let cur = UInt64(r.rlim_cur), max = UInt64(r.rlim_max)
            ok = writeWords([UInt32(truncatingIfNeeded: cur), UInt32(truncatingIfNeeded: cur >> 32),
                             UInt32(truncatingIfNeeded: max), UInt32(truncatingIfNeeded: max >> 32)], at: buffer)
        } else {
            func clamp(_ v: rlim_t) -> UInt32 { UInt64(v) >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(v) }
            ok = writeWords([clamp(r.rlim_cur), clamp(r.rlim_max)], at: buffer)
        }
        return ok ? SyscallOutcome(value: 0, arguments: args) : .error(.EFAULT, args)
    }
}

/// An outcome carried as an error (for helpers that either produce a value or end the call).
struct SyscallOutcomeError: Error {
    var outcome: SyscallOutcome
    init(_ outcome: SyscallOutcome) { self.outcome = outcome }
}

extension LinuxProcess {
    /// The name of i386 system call `number`: from ``syscallNames``, else from libseccomp's copy
    /// of the kernel's table (asm/unistd_32.h), else `syscall_N`.
    static func syscallName(_ number: UInt32) -> String {
        if let name = syscallNames[number] { return name }
        guard let c = seccomp_syscall_resolve_num_arch(0x4000_0003 /* AUDIT_ARCH_I386: EM_386 | __AUDIT_ARCH_LE, linux/audit.h */, Int32(truncatingIfNeeded: number)) else {
            return "syscall_\(number)"
        }
        defer { free(c) }
        return String(cString: c)
    }

    /// Names of i386 system calls (arch/x86/entry/syscalls/syscall_32.tbl) that vsim may be asked
    /// for, so that the trace and the "not implemented" notice name them.
    static let syscallNames: [UInt32: String] = [
        2: "fork", 5: "open", 7: "waitpid", 8: "creat", 9: "link", 10: "unlink", 11: "execve",
        12: "chdir", 14: "mknod", 15: "chmod", 19: "lseek", 21: "mount", 26: "ptrace", 27: "alarm",
        29: "pause", 30: "utime", 33: "access", 36: "sync", 37: "kill", 38: "rename", 39: "mkdir",
        40: "rmdir", 41: "dup", 42: "pipe", 43: "times", 48: "signal", 55: "fcntl", 57: "setpgid",
        60: "umask", 63: "dup2", 65: "getpgrp", 66: "setsid", 67: "sigaction", 75: "setrlimit",
        76: "getrlimit", 77: "getrusage", 83: "symlink", 90: "mmap", 92: "truncate", 93: "ftruncate",
        94: "fchmod", 96: "getpriority", 97: "setpriority", 99: "statfs", 100: "fstatfs",
        102: "socketcall", 104: "setitimer", 105: "getitimer", 106: "stat", 107: "lstat", 108: "fstat",
        114: "wait4", 116: "sysinfo", 117: "ipc", 118: "fsync", 119: "sigreturn", 120: "clone",
        123: "modify_ldt", 126: "sigprocmask", 133: "fchdir", 140: "_llseek", 141: "getdents",
        142: "_newselect", 143: "flock", 144: "msync", 145: "readv", 147: "getsid", 148: "fdatasync",
        150: "mlock", 151: "munlock", 152: "mlockall", 153: "munlockall", 155: "sched_getparam",
        158: "sched_yield", 162: "nanosleep", 163: "mremap", 168: "poll", 172: "prctl",
        173: "rt_sigreturn", 176: "rt_sigpending", 177: "rt_sigtimedwait", 179: "rt_sigsuspend",
        180: "pread64", 181: "pwrite64", 183: "getcwd", 186: "sigaltstack", 187: "sendfile",
        190: "vfork", 191: "ugetrlimit", 193: "truncate64", 194: "ftruncate64", 195: "stat64",
        196: "lstat64", 198: "lchown32", 203: "setreuid32", 204: "setregid32", 205: "getgroups32",
        207: "fchown32", 208: "setresuid32", 209: "getresuid32", 210: "setresgid32", 211: "getresgid32",
        212: "chown32", 213: "setuid32", 214: "setgid32", 218: "mincore", 219: "madvise",
        220: "getdents64", 221: "fcntl64", 238: "tkill", 240: "futex", 241: "sched_setaffinity",
        242: "sched_getaffinity", 252: "exit_group", 254: "epoll_create", 264: "clock_settime",
        266: "clock_getres", 267: "clock_nanosleep", 268: "statfs64", 269: "fstatfs64", 270: "tgkill",
        271: "utimes", 295: "openat", 296: "mkdirat", 300: "fstatat64", 301: "unlinkat",
        302: "renameat", 305: "readlinkat", 307: "faccessat", 308: "pselect6", 309: "ppoll",
        311: "set_robust_list", 312: "get_robust_list", 320: "utimensat", 331: "pipe2", 340: "prlimit64",
        375: "membarrier", 384: "arch_prctl", 386: "rseq", 406: "clock_getres_time64",
        407: "clock_nanosleep_time64", 412: "utimensat_time64", 414: "ppoll_time64", 436: "close_range",
        437: "openat2", 439: "faccessat2",
    ]
}
