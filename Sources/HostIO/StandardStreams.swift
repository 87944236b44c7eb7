#if canImport(Glibc)
import Glibc
#endif

/// vsim's own writes to its stdout and stderr, and SIGPIPE in vsim's own process.
///
/// vsim runs guests in its own process (interpret, translate, the modeled VMMs, KVM), so the
/// SIGPIPE Linux sends the writer of a pipe without a reader (pipe(7)) would end vsim itself,
/// with 141, before it could give the guest its SIGPIPE (LinuxSyscalls posts it on EPIPE; the
/// guest kernel's console stops the machine, ``SystemMachine/outputReaderGone()``). So vsim and
/// vsim-lab ignore SIGPIPE for their whole process from the start (``ignoreSIGPIPE()``), and
/// every host process they start gets the default disposition back (SIG_IGN would survive
/// execve): `HostCommand.spawn` (POSIX_SPAWN_SETSIGDEF), the container shim and the ptrace shim.
///
/// vsim's own output then sees EPIPE instead: ``write(_:to:)`` stops vsim there with
/// ``brokenPipeStatus`` (141, 128 + SIGPIPE), what the shell shows for a native writer that
/// SIGPIPE ended (`yes | head -1`) and the status vsim gives for a guest that died of SIGPIPE
/// (docs/exit-status.md). Text buffered in the C library's `stdout` (what swift-argument-parser
/// prints: `--help`, `--version`) is checked the same way when vsim exits.
public enum StandardStreams {
    /// 128 + SIGPIPE (13): vsim's status when its own stdout or stderr is a pipe without a reader.
    public static let brokenPipeStatus: Int32 = 128 + 13

    /// Ignores SIGPIPE for the whole process and makes `exit(3)` check the C library's buffered
    /// `stdout` (idempotent; call first thing in `main`, before any other thread starts).
    public static func ignoreSIGPIPE() {
        guard !ignoring else { return }
        ignoring = true
        signal(SIGPIPE, SIG_IGN)
        atexit {
            // exit(3) flushes the streams after its atexit handlers: flush here to see the error.
            if fflush(stdout) != 0 && errno == EPIPE { _exit(StandardStreams.brokenPipeStatus) }
        }
    }

    nonisolated(unsafe) private static var ignoring = false

    /// Writes all of `text` to `fd` (1 or 2, vsim's own stdout or stderr). A reader that has gone
    /// (EPIPE) ends vsim at once with ``brokenPipeStatus`` through `exit(3)`, as SIGPIPE would end
    /// a native writer: the work stops there. Other failures (a full disk: ENOSPC) are ignored,
    /// as a message that cannot be written cannot be reported either.
    public static func write(_ text: String, to fd: Int32) {
        if HostIO.writeAll(fd, text) == EPIPE { exit(brokenPipeStatus) }
    }
}
