#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Runs host tools (`as`, `ld`, `cpp`) and spawns processes with posix_spawn.
enum HostCommand {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `argv` (looked up in PATH) to completion with stdin from /dev/null and both outputs
    /// captured (through unlinked temp files, so no pipe can fill up).
    /// - Returns: nil if the program was not found; otherwise its status (128+signal if killed) and outputs.
    /// - Throws: ``VSimError/host(_:status:)`` when temp files or the spawn itself fail otherwise.
    static func run(_ argv: [String]) throws(VSimError) -> Output? {
        let out = try TempFile.anonymous()
        defer { Glibc.close(out) }
        let err = try TempFile.anonymous()
        defer { Glibc.close(err) }
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { Glibc.close(devnull) }
        let pid: pid_t
        switch spawn(argv[0], argv, environment: nil, stdin: devnull, stdout: out, stderr: err, searchPath: true) {
        case .success(let p): pid = p
        case .failure(let e):
            if e.code == ENOENT { return nil }
            throw .host("cannot start `\(argv[0])`: \(String(cString: strerror(e.code)))")
        }
        let (status, _) = waitFor(pid)
        return Output(status: status, stdout: TempFile.readAll(out), stderr: TempFile.readAll(err))
    }

    /// posix_spawn(p) with the three standard descriptors replaced by the given host fds
    /// (nil: inherited; negative: closed in the child). `environment` nil passes vsim's own.
    static func spawn(_ path: String, _ argv: [String], environment: [String]?, stdin: Int32?, stdout: Int32?,
                      stderr: Int32?, searchPath: Bool) -> Result<pid_t, Int32Error> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            // dup2 onto itself clears close-on-exec (glibc 2.29+), so a descriptor that landed
            // on its own number is still passed on; a negative one closes it in the child.
            if let fd {
                if fd < 0 { posix_spawn_file_actions_addclose(&actions, target) }
                else { posix_spawn_file_actions_adddup2(&actions, fd, target) }
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions in the child (vsim ignores SIGPIPE: StandardStreams).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let env = environment ?? currentEnvironment()
        let cEnv = env.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = cArgs.withUnsafeBufferPointer { a in
            cEnv.withUnsafeBufferPointer { e in
                searchPath
                    ? posix_spawnp(&pid, path, &actions, &attributes, a.baseAddress!, e.baseAddress!)
                    : posix_spawn(&pid, path, &actions, &attributes, a.baseAddress!, e.baseAddress!)
            }
        }
        return rc == 0 ? .success(pid) : .failure(Int32Error(rc))
    }

    /// Waits for `pid` and reaps it. Returns the shell-style status (exit status, or 128+signal)
    /// and the child's resource usage.
    static func waitFor(_ pid: pid_t) -> (status: Int32, usage: rusage) {
        var raw: Int32 = 0
        var usage = rusage()
        _ = HostIO.retryingEINTR { wait4(pid, &raw, 0, &usage) }
        return (shellStatus(raw), usage)
    }

    /// WIFEXITED → WEXITSTATUS; WIFSIGNALED → 128 + WTERMSIG.
    static func shellStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        if signal == 0 { return (raw >> 8) & 0xff }
        return 128 + signal
    }

    /// vsim's environment as `NAME=value` strings.
    static func currentEnvironment() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            out.append(String(cString: entry))
            p += 1
        }
        return out
    }
}

/// An errno value as an Error (for Result).
struct Int32Error: Error, Equatable {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    static func == (l: Int32Error, r: Int32) -> Bool { l.code == r }
}

/// Temporary files for captured output.
enum TempFile {
    /// The host's temporary directory: `$TMPDIR` without a trailing slash, `/tmp` where it is
    /// unset or empty. vsim creates files and folders in it, never the directory itself.
    static var directory: String {
        guard let t = getenv("TMPDIR"), t.pointee != 0 else { return "/tmp" }
        var dir = String(cString: t)
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        return dir
    }

    /// The error for a missing ``directory`` (73, EX_CANTCREAT): `what` needed it.
    static func missingDirectory(for what: String) -> VSimError {
        .host("the temporary directory \(directory) ($TMPDIR) does not exist or is not a directory: vsim needs it for \(what) and does not create it; "
              + "set TMPDIR to an existing directory you can write", status: 73)
    }

    /// An open, already unlinked read-write temp file (in $TMPDIR or /tmp).
    /// - Throws: ``VSimError/host(_:status:)`` with status 73 when it cannot be created.
    static func anonymous() throws(VSimError) -> Int32 {
        let dir = directory
        var template = Array((dir + "/vsim.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // 73 (EX_CANTCREAT, docs/exit-status.md): the environment's fault, not vsim's (70).
        if fd < 0 { throw .host("cannot create a temporary file in \(dir): \(String(cString: strerror(errno))); set TMPDIR to a writable directory", status: 73) }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        return fd
    }

    /// Everything in `fd` from offset 0.
    static func readAll(_ fd: Int32) -> [UInt8] {
        (try? HostIO.preadAll(fd)) ?? []
    }

    /// Empties `fd` and rewinds it.
    static func reset(_ fd: Int32) {
        _ = ftruncate(fd, 0)
        _ = lseek(fd, 0, SEEK_SET)
    }
}
