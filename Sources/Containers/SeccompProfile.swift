import CLibSeccomp
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// `--seccomp`: Docker's default profile, or no filter at all.
public enum SeccompMode: String, CaseIterable, Sendable {
    /// Docker's default profile (``SeccompProfile``).
    case `default`
    /// No seccomp filter: every system call reaches the kernel (`docker run --security-opt
    /// seccomp=unconfined`).
    case unconfined
}

/// Docker's default seccomp profile (moby `profiles/seccomp/default.json`), as data, and its
/// compilation to classic BPF with libseccomp.
///
/// An allow-list: the ~350 system calls a normal program needs are allowed; every other call fails
/// with EPERM (Docker's `defaultErrnoRet` 1), except `clone3`, which fails with ENOSYS so that
/// glibc falls back to `clone`, whose namespace flags the filter can inspect (clone3 passes them
/// in memory, out of a filter's reach). Some calls are allowed only when the container keeps the
/// capability that makes them useful (`mount`, `unshare`, `setns` with CAP_SYS_ADMIN, `ptrace`
/// with CAP_SYS_PTRACE, ...), exactly as Docker adds them. Not in the list, so EPERM: `keyctl`,
/// `add_key`, `request_key` (the kernel keyring is not namespaced), `bpf`, `perf_event_open`,
/// `userfaultfd`, `kexec_load`, `open_by_handle_at` (the "shocker" escape), `unshare` and `clone`
/// with namespace flags without CAP_SYS_ADMIN (a new user namespace would give the container
/// every capability over its own namespaces).
///
/// The filter covers the native architecture and its compat ones as Docker's `archMap` does
/// (x86_64 with x86 and x32): the guest programs vsim runs are i386 and enter through `int $0x80`.
/// A call from an architecture outside the filter kills the process (libseccomp's default).
public enum SeccompProfile {
    /// The errno of a call the profile does not allow.
    public static let defaultErrno = EPERM

    struct Condition {
        /// Raw values are the case names, as the cache key spells them (``key(_:_:)``).
        enum Op: String { case notEqual, equal, maskedEqual }
        var index: UInt32
        var op: Op
        var value: UInt64
        var value2: UInt64 = 0
    }

    struct Rule {
        var names: [String]
        /// nil: allow; else the errno returned.
        var errno: Int32? = nil
        var conditions: [Condition] = []
        /// The rule applies only when the container has all of these capabilities...
        var ifCapabilities: [String] = []
        /// ...and none of these.
        var unlessCapabilities: [String] = []
    }

    /// The system calls allowed unconditionally (Docker's first rule).
    static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir",
        "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
        "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
        "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
        "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat",
        "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
        "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
        "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
        "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
        "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
        "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
        "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr",
        "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
        "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
        "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
        "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
        "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
        "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
        "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
        "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
        "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
        "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
        "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
        "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
        "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
        "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
        "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
        "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
        "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat",
        "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
        "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
        "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4",
        "waitid", "waitpid", "write", "writev"
    ]

    /// The rest of Docker's rules for x86_64 (rules for other architectures left out).
    static let rules: [Rule] = [
        Rule(names: allowed),
        // minKernel 4.8: ptrace can no longer bypass seccomp.
        Rule(names: ["process_vm_readv", "process_vm_writev", "ptrace"]),
        // Every socket family but AF_VSOCK (40).
        Rule(names: ["socket"], conditions: [Condition(index: 0, op: .notEqual, value: 40)]),
        // personality(2) only with the harmless personas: PER_LINUX, UNAME26, PER_LINUX32,
        // PER_LINUX32|UNAME26, and the query 0xffffffff.
        Rule(names: ["personality"], conditions: [Condition(index: 0, op: .equal, value: 0)]),
        Rule(names: ["personality"], conditions: [Condition(index: 0, op: .equal, value: 8)]),
        Rule(names: ["personality"], conditions: [Condition(index: 0, op: .equal, value: 131072)]),
        Rule(names: ["personality"], conditions: [Condition(index: 0, op: .equal, value: 131080)]),
        Rule(names: ["personality"], conditions: [Condition(index: 0, op: .equal, value: 4294967295)]),
        Rule(names: ["arch_prctl"]),
        Rule(names: ["modify_ldt"]),
        Rule(names: ["open_by_handle_at"], ifCapabilities: ["DAC_READ_SEARCH"]),
        Rule(names: ["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                     "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                     "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
                     "umount2", "unshare"], ifCapabilities: ["SYS_ADMIN"]),
        // clone without any CLONE_NEW* flag (mask 0x7E020000): fork and threads, no namespaces.
        Rule(names: ["clone"], conditions: [Condition(index: 0, op: .maskedEqual, value: 0x7E02_0000, value2: 0)],
             unlessCapabilities: ["SYS_ADMIN"]),
        Rule(names: ["clone3"], errno: ENOSYS, unlessCapabilities: ["SYS_ADMIN"]),
        Rule(names: ["reboot"], ifCapabilities: ["SYS_BOOT"]),
        Rule(names: ["chroot"], ifCapabilities: ["SYS_CHROOT"]),
        Rule(names: ["delete_module", "init_module", "finit_module"], ifCapabilities: ["SYS_MODULE"]),
        Rule(names: ["acct"], ifCapabilities: ["SYS_PACCT"]),
        Rule(names: ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
             ifCapabilities: ["SYS_PTRACE"]),
        Rule(names: ["iopl", "ioperm"], ifCapabilities: ["SYS_RAWIO"]),
        Rule(names: ["settimeofday", "stime", "clock_settime", "clock_settime64"], ifCapabilities: ["SYS_TIME"]),
        Rule(names: ["vhangup"], ifCapabilities: ["SYS_TTY_CONFIG"]),
        Rule(names: ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], ifCapabilities: ["SYS_NICE"]),
        Rule(names: ["syslog"], ifCapabilities: ["SYSLOG"]),
        Rule(names: ["bpf"], ifCapabilities: ["BPF"]),
        Rule(names: ["perf_event_open"], ifCapabilities: ["PERFMON"]),
    ]

    /// The rules that apply to a container with `capabilities`.
    static func rules(for capabilities: CapabilitySet) -> [Rule] {
        rules.filter { r in
            r.ifCapabilities.allSatisfy(capabilities.contains) && !r.unlessCapabilities.contains(where: capabilities.contains)
        }
    }

    /// The profile for `capabilities` compiled to classic BPF (struct sock_filter, 8 bytes per
    /// instruction), for the shim to load with prctl(PR_SET_SECCOMP).
    ///
    /// libseccomp needs several milliseconds to compile ~400 rules for three architectures, more
    /// than the rest of a container's start, so the result is kept: in memory for this process
    /// and, with `cacheDirectory` (``cacheDirectory(beside:)``), in a file named
    /// after a hash of the rules, the capability set, libseccomp's version and the architecture,
    /// so any change to one of them compiles afresh.
    public static func bpf(for capabilities: CapabilitySet, cacheDirectory: String? = nil) throws(ContainerError) -> [UInt8] {
        let applied = rules(for: capabilities)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[capabilities.mask] { return cached }
        let file = cacheDirectory.map { $0 + "/seccomp-" + key(applied, capabilities) + ".bpf" }
        if let f = file, let bytes = HostFiles.readBytes(f), !bytes.isEmpty, bytes.count % 8 == 0 {
            cache[capabilities.mask] = bytes
            return bytes
        }
        let compiled = try compile(applied)
        cache[capabilities.mask] = compiled
        if let f = file { HostFiles.writeAtomically(compiled, to: f) }
        return compiled
    }

    /// `<state root>-cache`, created private (0700) if missing; nil unless it is a directory
    /// owned by this user that nobody else can write (a planted filter would weaken containers).
    public static func cacheDirectory(beside stateRoot: String) -> String? {
        let dir = stateRoot + "-cache"
        _ = HostFiles.makeDirectory(dir, mode: 0o700)
        var st = stat()
        guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else {
            return nil
        }
        return dir
    }

    /// FNV-1a of everything the compiled filter depends on, in hex: the text `<capability mask>
    /// <arch> <libseccomp version>`, then per rule `|<names joined by ,> <errno or -1> <conditions
    /// index:op:value:value2 joined by ,>`, hashed as it is spelled rather than built first (building
    /// it was half of this function's cost at every container start).
    static func key(_ rules: [Rule], _ capabilities: CapabilitySet) -> String {
        var hash = FNV1a()
        hash.add("\(capabilities.mask) \(seccomp_arch_native())")
        if let v = seccomp_version() { hash.add(" \(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)") }
        for r in rules {
            hash.add("|")
            for (i, name) in r.names.enumerated() {
                if i > 0 { hash.add(",") }
                hash.add(name)
            }
            hash.add(" \(r.errno ?? -1) ")
            for (i, c) in r.conditions.enumerated() {
                if i > 0 { hash.add(",") }
                hash.add("\(c.index):\(c.op.rawValue):\(c.value):\(c.value2)")
            }
        }
        return String(hash.value, radix: 16)
    }

    /// 64-bit FNV-1a over UTF-8 bytes, fed piece by piece.
    struct FNV1a {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ text: String) {
            for b in text.utf8 { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
    }

    nonisolated(unsafe) private static var cache: [UInt64: [UInt8]] = [:]
    private static let cacheLock = Lock()

    static func compile(_ rules: [Rule]) throws(ContainerError) -> [UInt8] {
        guard let ctx = seccomp_init(vsim_scmp_act_errno(UInt16(defaultErrno))) else {
            throw .setup(step: "build the seccomp filter (seccomp_init)", reason: "libseccomp failed", hint: nil, status: 71)
        }
        defer { seccomp_release(ctx) }
        // Docker's archMap for x86_64; elsewhere the native architecture alone.
        for arch in ["x86", "x32"] {
            let token = seccomp_arch_resolve_name(arch)
            if token != 0 && seccomp_arch_native() == seccomp_arch_resolve_name("x86_64") {
                _ = seccomp_arch_add(ctx, token)
            }
        }
        for rule in rules {
            let action = rule.errno.map { vsim_scmp_act_errno(UInt16($0)) } ?? vsim_scmp_act_allow()
            let conditions = rule.conditions.map { c -> scmp_arg_cmp in
                let op: scmp_compare
                switch c.op {
                case .notEqual: op = SCMP_CMP_NE
                case .equal: op = SCMP_CMP_EQ
                case .maskedEqual: op = SCMP_CMP_MASKED_EQ
                }
                return scmp_arg_cmp(arg: c.index, op: op, datum_a: c.value, datum_b: c.value2)
            }
            for name in rule.names {
                let nr = seccomp_syscall_resolve_name(name)
                // A name this libseccomp does not know (newer than it) is skipped, as Docker does.
                if nr == __NR_SCMP_ERROR { continue }
                // Calls that do not exist on one of the architectures are left out there.
                _ = conditions.withUnsafeBufferPointer { seccomp_rule_add_array(ctx, action, nr, UInt32($0.count), $0.baseAddress) }
            }
        }
        // An unlinked temporary file (libseccomp 2.5 exports only to a descriptor).
        guard let file = tmpfile() else { throw .setup("build the seccomp filter (a temporary file)", errno: errno) }
        defer { fclose(file) }
        let fd = fileno(file)
        let rc = seccomp_export_bpf(ctx, fd)
        if rc < 0 { throw .setup("export the seccomp filter as BPF (seccomp_export_bpf)", errno: -rc) }
        let out: [UInt8]
        do { out = try HostIO.preadAll(fd) } catch { throw .setup(step: "read the exported seccomp filter", reason: "\(error)", hint: nil, status: 71) }
        guard !out.isEmpty, out.count % 8 == 0, out.count / 8 <= 4096 else {
            throw .setup(step: "export the seccomp filter as BPF", reason: "libseccomp produced \(out.count) bytes, not a loadable filter", hint: nil, status: 71)
        }
        return out
    }
}

/// A pthread mutex (the module avoids Foundation).
final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}
