import Guest
#if canImport(Glibc)
import Glibc
#endif
import Descriptions
import HostIO

/// `qemu`: the same ELF under the host's `qemu-i386` (QEMU's TCG in user mode), an outside anchor
/// for `translate` in `vsim compare`. Needs `qemu-i386` on PATH (`apt-get install qemu-user`).
/// Instructions are not counted; the time limit kills it with SIGKILL and reports SIGXCPU (152);
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to vsim are passed on to it (``ChildSignalRelay``).
public struct QemuBackend: ExecutionBackend {
    public var mode: Mode { .qemu }
    public init() {}

    /// The host's qemu-i386, if on PATH.
    public static var executable: String? {
        let path = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        for dir in path {
            let candidate = "\(dir)/qemu-i386"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    public func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult {
        do { _ = try Guest.ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        guard let qemu = QemuBackend.executable else {
            throw .toolMissing(tool: "qemu-i386", hint: "install it (apt-get install qemu-user) to run --mode qemu")
        }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let start = ContinuousClock.now
        let pid: pid_t
        switch HostCommand.spawn(qemu, [qemu, program.executablePath] + arguments, environment: options.environment,
                                 stdin: io.stdio.input,
                                 stdout: io.stdio.output == 1 ? nil : io.stdio.output,
                                 stderr: io.stdio.error == 2 ? nil : io.stdio.error, searchPath: false) {
        case .success(let p): pid = p
        case .failure(let e): throw .host("cannot start \(qemu): \(String(cString: strerror(e.code)))")
        }
        let watchdog = Watchdog(pid: pid, after: options.timeLimit)
        let relay = ChildSignalRelay(pid: pid)
        var info = siginfo_t()
        _ = HostIO.retryingEINTR { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        let killed = watchdog.finish()
        let interrupted = relay.finish()
        let (status, usage) = HostCommand.waitFor(pid)
        let ns = DurationText.nanoseconds(ContinuousClock.now - start)
        let output = options.io == .capture ? TempFile.readAll(io.capture!) : nil
        let rss = UInt64(max(usage.ru_maxrss, 0)) * 1024
        if killed {
            return RunResult(mode: .qemu, exitStatus: 128 + Signal.SIGXCPU, signal: Signal.SIGXCPU,
                             wallTimeNanoseconds: ns, maxResidentBytes: rss, output: output,
                             diagnostic: LimitStop.message("qemu-i386", .time(limit: options.timeLimit, executed: nil)))
        }
        let signal: Int32? = status > 128 ? status - 128 : nil
        var run = RunResult(mode: .qemu, exitStatus: status, signal: signal, wallTimeNanoseconds: ns,
                            maxResidentBytes: rss, output: output,
                            diagnostic: signal.map { "vsim: qemu-i386 ended by \(SignalName.of($0)) (exit status \(status))" })
        run.interruptedBy = interrupted
        return run
    }
}
