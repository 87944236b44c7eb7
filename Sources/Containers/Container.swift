import CContainerShim
#if canImport(Glibc)
import Glibc
#endif
import Descriptions
import HostIO

/// vsim's container runtime: runs one program as the init (PID 1) of new namespaces, limited by
/// cgroups, in its own root, and removes everything it made before returning.
///
/// The order, each step registering its undo with a ``Cleanup`` first:
/// 1. prepare: check the options, find the program, create the state directory;
/// 2. create the cgroups with their limits (v1 and/or v2, per controller);
/// 3. clone the init with the namespace flags; it blocks on a pipe (rootless: write its
///    uid/gid maps; v2: move it into its cgroup);
/// 4. release the init: it joins its v1 cgroups itself (writing "0" to `tasks`), unshares its
///    cgroup namespace, sets the hostname, brings up lo, mounts the root, /proc, /dev, /sys,
///    /tmp, pivots into the root, and execs the program (the shim reports a failed step by
///    index and errno, or the time its steps took);
/// 5. wait (forwarding signals, enforcing the time limit), reap, read the cgroups' counters;
/// 6. teardown: remove the cgroups (kill, then rmdir with a bounded retry) and the state
///    directory. The mounts need no teardown: they live only in the container's mount
///    namespace, which dies with its last process.
public enum Container {
    public static func run(_ spec: ContainerSpec) throws(ContainerError) -> ContainerResult {
        let started = monotonicNanoseconds()
        try spec.validate()
        let target = try ProgramLocation(spec)
        var namespaces: Namespaces = [.mount, .pid, .uts, .ipc, .cgroup]
        if spec.network == .none { namespaces.insert(.network) }
        if spec.rootless { namespaces.insert(.user) }
        if spec.isolation == .chroot { namespaces = [] }
        let layout = spec.limits.isEmpty ? CgroupLayout.none(root: spec.cgroupRoot) : CgroupLayout.detect(root: spec.cgroupRoot)

        let cleanup = Cleanup()
        let signals = spec.forwardSignals ? SignalForwarding() : nil
        defer { signals?.restore() }
        do {
            return try runPrepared(spec, target: target, namespaces: namespaces, layout: layout,
                                   cleanup: cleanup, signals: signals, started: started)
        } catch {
            _ = cleanup.runAll()
            throw error
        }
    }

    private static func runPrepared(_ spec: ContainerSpec, target: ProgramLocation, namespaces: Namespaces,
                                    layout: CgroupLayout, cleanup: Cleanup, signals: SignalForwarding?,
                                    started: Int64) throws(ContainerError) -> ContainerResult {
        var timings = PhaseTimings()
        let name = ContainerName.make()
        // The state root is where the init mounts its tmpfs (in its own mount namespace only).
        let scratch = spec.stateRoot ?? StateRoot.default()
        try StateRoot.ensure(scratch)
        // Whatever killed vsims left (cgroups, state directories, --keep-upper work folders) goes
        // now, without being asked; only runs whose owner is dead are touched.
        let swept = ContainerJanitor.sweep(cgroupRoot: spec.cgroupRoot, stateRoot: scratch)
        var layers: InitPlan.Layers? = nil
        if let lowers = spec.rootfs.map({ [absolute($0)] }) ?? spec.imageLayers, spec.isolation == .pivotRoot {
            if let keep = spec.keepUpper {
                let state = try StateDirectory(stateRoot: scratch, name: name, keepUpper: keep)
                cleanup.add("state directory") { state.remove() }
                layers = InitPlan.Layers(lowers: lowers, upper: state.upper, work: state.work, onScratch: false)
            } else {
                layers = InitPlan.Layers(lowers: lowers, upper: scratch + "/upper", work: scratch + "/work", onScratch: true)
            }
        }
        var jail: String? = nil
        if spec.isolation == .chroot {
            if let r = spec.rootfs {
                jail = absolute(r)
            } else {
                let made = try Jail.make(stateRoot: scratch, name: name, program: target)
                cleanup.add("jail directory") { Jail.remove(made) }
                jail = made.root
            }
        }
        let filter = spec.seccomp == .default ? try SeccompProfile.bpf(for: spec.capabilities, cacheDirectory: SeccompProfile.cacheDirectory(beside: scratch)) : nil
        let hostname = spec.hostname ?? name.shortName
        let environment = spec.environment ?? spec.imageEnvironment.map { imageEnvironment($0, hostname: hostname) }
            ?? defaultEnvironment(hostname: hostname)
        let t1 = monotonicNanoseconds()
        timings.prepare = (t1 - started) / 1000

        // cgroups: created with their limits before the init exists; it joins the v1 ones itself
        let cgroups = try ContainerCgroups(name: name.description, limits: spec.limits, layout: layout, tolerant: spec.rootless)
        cleanup.add("cgroups") { cgroups.destroy() }
        let steps = jail.map { InitPlan.chrootSteps(root: $0, joinCgroups: cgroups.joinFiles, workingDirectory: spec.workingDirectory) }
            ?? InitPlan.steps(namespaces: namespaces, hostname: hostname, scratch: scratch, layers: layers,
                              program: target.hostProgram.map { ($0, target.pathInside) }, rootless: spec.rootless,
                              joinCgroups: cgroups.joinFiles, systemPaths: spec.systemPaths,
                              workingDirectory: spec.workingDirectory)
        let t2 = monotonicNanoseconds()
        timings.cgroups = (t2 - t1) / 1000

        // clone
        var child = try clone(steps: steps, namespaces: namespaces, path: target.pathInside,
                              argv: [target.argv0] + spec.command.dropFirst(), environment: environment, spec: spec,
                              filter: filter)
        let pid = child.pid
        var reaped = false
        cleanup.add("init process") {
            if !reaped {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = HostIO.retryingEINTR { waitpid(pid, &status, 0) }
            }
            if child.control_fd >= 0 { close(child.control_fd) }
            close(child.report_fd)
            close(child.pidfd)
            return []
        }
        if spec.rootless { try mapIDs(pid) }
        let tCloned = monotonicNanoseconds()
        timings.clone = (tCloned - t2) / 1000
        try cgroups.attachFromOutside(pid)
        let t3 = monotonicNanoseconds()
        timings.cgroups += (t3 - tCloned) / 1000

        // release the init; its report says which step failed, or that it is about to exec
        let rc = vsim_ct_release(&child)
        if rc != 0 { throw ContainerError.setup("release the container's init", errno: -rc) }
        let report = try readReports(child, signals: signals)
        let tExec = monotonicNanoseconds()
        guard let ready = report.ready else {
            if let failed = report.failed {
                if Int(failed.step) < steps.count {
                    throw stepFailure(steps[Int(failed.step)], errno: failed.error, spec: spec)
                }
                if Int(failed.step) > steps.count {
                    throw lateFailure(Int(failed.step) - steps.count, errno: failed.error, spec: spec)
                }
                throw execFailure(target, errno: failed.error, spec: spec)
            }
            if let s = report.interruption { throw ContainerError.interrupted(signal: s, step: "start the container's init") }
            throw ContainerError.setup(step: "start the container's init", reason: "it ended before running its steps", hint: nil, status: 71)
        }
        if let failed = report.failed { throw execFailure(target, errno: failed.error, spec: spec) }
        timings.mounts = max(0, ready.steps_finished_ns - t3) / 1000
        timings.exec = max(0, tExec - ready.steps_finished_ns) / 1000

        // run
        let outcome = waitForExit(child, spec: spec, signals: signals)
        var raw: Int32 = 0
        var usage = rusage()
        _ = HostIO.retryingEINTR { wait4(pid, &raw, 0, &usage) }
        reaped = true
        let t5 = monotonicNanoseconds()
        timings.run = (t5 - tExec) / 1000

        // teardown
        let statistics = cgroups.statistics()
        let cgroupSummary = cgroups.summary
        let unapplied = cgroups.unapplied
        let problems = cleanup.runAll()
        let end = monotonicNanoseconds()
        timings.teardown = (end - t5) / 1000
        timings.total = (end - started) / 1000

        let signal: Int32? = (raw & 0x7f) != 0 ? raw & 0x7f : nil
        var status = signal.map { 128 + $0 } ?? (raw >> 8) & 0xff
        let oomKills = statistics.oomKills ?? 0
        // The program itself: the init (SIGKILL), or under --init the program whose status the
        // init passes on (128+SIGKILL).
        let oom = oomKills > 0 && (signal == SIGKILL || (spec.useInit && signal == nil && status == 128 + SIGKILL))
        var diagnostic: String? = nil
        let limitText = spec.limits.memoryBytes.map { limit in
            let file = cgroupSummary.contains("v2") && !cgroupSummary.contains("v1") ? "cgroup v2 memory.max" : "cgroup v1 memory.limit_in_bytes"
            return "its memory limit of \(ResourceLimits.formatBytes(limit)) (--memory, \(file))"
        } ?? "its memory limit"
        let victims = "\(oomKills) process\(oomKills == 1 ? "" : "es")"
        if outcome.timedOut {
            status = 128 + SIGXCPU
            diagnostic = LimitStop.message("container", .time(limit: spec.timeLimit!, executed: nil))
        } else if oom {
            diagnostic = "vsim: the kernel's OOM killer ended the container's \(spec.useInit ? "program" : "init") (SIGKILL, exit status 137): it reached \(limitText); \(victims) killed in all"
        } else if oomKills > 0 {
            diagnostic = "vsim: the kernel's OOM killer killed \(victims) in the container (not the \(spec.useInit ? "program" : "init"), which ended with status \(status)): it reached \(limitText); `dmesg | grep -i 'killed process'` names the victims"
        } else if let s = outcome.forwarded {
            diagnostic = "vsim: the container ended after vsim forwarded \(SignalName.of(s)) to it (exit status \(status))"
        } else if let s = signal {
            diagnostic = "vsim: the container's init was ended by \(SignalName.of(s)) (exit status \(status))"
        } else if let hits = statistics.pidsLimitHits, hits > 0, let max = spec.limits.pids {
            diagnostic = "vsim: \(hits) fork/clone call\(hits == 1 ? "" : "s") failed at the pids limit of \(max) (--pids)"
        }
        return ContainerResult(name: name, exitStatus: status, signal: outcome.timedOut ? SIGXCPU : signal, oomKilled: oom,
                               timedOut: outcome.timedOut, forwardedSignal: outcome.forwarded, statistics: statistics,
                               unappliedLimits: unapplied, cleanupProblems: problems, timings: timings,
                               namespaces: namespaces, cgroupSummary: cgroupSummary,
                               maxResidentBytes: UInt64(max(usage.ru_maxrss, 0)) * 1024, diagnostic: diagnostic,
                               oomKills: oomKills, sweptLeftovers: swept.removedCgroups.count + swept.removedStateDirectories.count)
    }

    // MARK: clone and release

    private static func clone(steps: [InitStep], namespaces: Namespaces, path: String, argv: [String],
                              environment: [String], spec: ContainerSpec, filter: [UInt8]?) throws(ContainerError) -> vsim_ct_child {
        let pool = CStringPool()
        let cSteps = steps.map { s in
            vsim_ct_step(kind: Int32(s.kind.rawValue), source: pool.add(s.source), target: pool.add(s.target),
                         fstype: pool.add(s.fstype), flags: s.flags, data: pool.add(s.data))
        }
        let cPath = pool.add(path)
        let cArgv = pool.array(argv)
        let cEnv = pool.array(environment)
        var child = vsim_ct_child(pid: 0, pidfd: -1, control_fd: -1, report_fd: -1)
        let bpf = filter ?? []
        let dropCapabilities = spec.capabilities != .all
        let rc = cSteps.withUnsafeBufferPointer { stepsBuffer in
            cArgv.withUnsafeBufferPointer { argvBuffer in
                cEnv.withUnsafeBufferPointer { envBuffer in
                    bpf.withUnsafeBytes { filterBytes in
                        var cSpec = vsim_ct_spec(clone_flags: namespaces.rawValue, steps: stepsBuffer.baseAddress,
                                                 step_count: Int32(stepsBuffer.count), path: cPath,
                                                 argv: argvBuffer.baseAddress, envp: envBuffer.baseAddress,
                                                 stdin_fd: spec.stdin, stdout_fd: spec.stdout, stderr_fd: spec.stderr,
                                                 die_with_parent: 1,
                                                 drop_capabilities: dropCapabilities ? 1 : 0,
                                                 last_capability: Int32(CapabilitySet.lastCapability()),
                                                 capabilities: spec.capabilities.mask,
                                                 no_new_privs: spec.noNewPrivileges ? 1 : 0,
                                                 seccomp_filter: filter == nil ? nil : filterBytes.baseAddress,
                                                 seccomp_instructions: Int32(bpf.count / 8),
                                                 init: spec.useInit ? 1 : 0)
                        return vsim_ct_clone(&cSpec, &child)
                    }
                }
            }
        }
        guard rc == 0 else {
            let e = -rc
            var hint: String? = nil
            if e == EINVAL && namespaces.contains(.user) { hint = "this kernel does not support user namespaces here" }
            if e == ENOSPC { hint = "a namespace count limit was reached (/proc/sys/user/max_*_namespaces)" }
            if (e == EPERM || e == EACCES) && namespaces.contains(.user) && geteuid() != 0 {
                hint = "unprivileged user namespaces are disabled here (kernel.unprivileged_userns_clone, user.max_user_namespaces or an AppArmor policy)"
            }
            throw ContainerError.setup("clone the container's init with namespaces \(namespaces)", errno: e, hint: hint)
        }
        return child
    }

    /// Maps the caller's uid and gid to root in the new user namespace ("setgroups deny" first,
    /// as an unprivileged process must).
    private static func mapIDs(_ pid: pid_t) throws(ContainerError) {
        let writes = [("setgroups", "deny"), ("uid_map", "0 \(geteuid()) 1"), ("gid_map", "0 \(getegid()) 1")]
        for (file, value) in writes {
            let e = HostFiles.write(value, to: "/proc/\(pid)/\(file)")
            if e != 0 { throw ContainerError.setup("write '\(value)' to /proc/\(pid)/\(file) (user namespace mapping)", errno: e) }
        }
    }

    private struct Reports {
        var ready: vsim_ct_report?
        var failed: vsim_ct_report?
        /// The signal vsim received before the init was ready (it was killed then).
        var interruption: Int32?
    }

    /// Reads the init's reports until EOF (execve succeeded, or the init exited). A signal to
    /// vsim meanwhile kills the init: it has not started the program yet.
    private static func readReports(_ child: vsim_ct_child, signals: SignalForwarding?) throws(ContainerError) -> Reports {
        var result = Reports()
        var buffer = [UInt8]()
        let size = MemoryLayout<vsim_ct_report>.size
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            // Once the init said it is about to exec, the program is as good as started: a signal
            // then waits for the exec's EOF and is forwarded like any other (the report pipe is
            // closed only while execve runs, after the program already shows in /proc).
            let watchSignals = result.ready == nil
            let ready = pollReadable([child.report_fd, watchSignals ? signals?.fd ?? -1 : -1], timeoutMilliseconds: -1)
            if ready.count > 1 && ready[1] && !ready[0], let s = signals?.take() {
                kill(child.pid, SIGKILL)
                result.interruption = s
                return result
            }
            let n = chunk.withUnsafeMutableBytes { read(child.report_fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 { break }
            buffer += chunk[0..<n]
            while buffer.count >= size {
                let r = buffer.withUnsafeBytes { $0.loadUnaligned(as: vsim_ct_report.self) }
                buffer.removeFirst(size)
                if r.kind == Int32(VSIM_CT_REPORT_READY.rawValue) { result.ready = r } else { result.failed = r }
            }
        }
        return result
    }

    private struct Outcome {
        var timedOut = false
        var forwarded: Int32?
    }

    /// Waits for the init to exit: poll(2) on its pidfd and vsim's signalfd, with the time limit
    /// and the grace period after a forwarded signal as timeouts.
    private static func waitForExit(_ child: vsim_ct_child, spec: ContainerSpec, signals: SignalForwarding?) -> Outcome {
        var outcome = Outcome()
        let limitAt = spec.timeLimit.map { monotonicNanoseconds() + Int64(clamping: DurationText.nanoseconds($0)) }
        var killAt: Int64? = nil
        while true {
            let now = monotonicNanoseconds()
            let deadlines = [limitAt, killAt].compactMap { $0 }
            let timeout: Int32 = deadlines.min().map { Int32(clamping: max(0, ($0 - now + 999_999) / 1_000_000)) } ?? -1
            let ready = pollReadable([child.pidfd, signals?.fd ?? -1], timeoutMilliseconds: timeout)
            if ready[0] { return outcome }
            if ready[1], let s = signals?.take() {
                if outcome.forwarded != nil {
                    spec.notice("vsim: second \(SignalName.of(s)): killing the container")
                    kill(child.pid, SIGKILL)
                } else {
                    outcome.forwarded = s
                    kill(child.pid, s)
                    spec.notice("vsim: forwarded \(SignalName.of(s)) to the container; as PID 1 it ignores signals it has no handler for, so it is killed in \(DurationText.seconds(spec.stopGracePeriod)) unless it exits")
                    killAt = monotonicNanoseconds() + Int64(clamping: DurationText.nanoseconds(spec.stopGracePeriod))
                }
                continue
            }
            let after = monotonicNanoseconds()
            if let l = limitAt, after >= l, !outcome.timedOut {
                outcome.timedOut = true
                kill(child.pid, SIGKILL)
            }
            if let k = killAt, after >= k {
                killAt = nil
                kill(child.pid, SIGKILL)
            }
        }
    }

    // MARK: errors

    private static func stepFailure(_ step: InitStep, errno e: Int32, spec: ContainerSpec) -> ContainerError {
        var hint: String? = nil
        if step.fstype == "overlay" {
            if e == ENODEV { hint = "this kernel has no overlayfs (modprobe overlay)" }
            if e == EINVAL { hint = "overlayfs refused these directories (the upper and work directories must be on one file system that supports overlay upper layers, e.g. not another overlay or NFS)" }
        }
        if step.kind == VSIM_CT_LINK_UP && (e == EPERM || e == EACCES) { hint = "no CAP_NET_ADMIN in the network namespace" }
        return ContainerError.setup(step.title, errno: e, hint: hint)
    }

    /// A failure after the steps: dropping privileges, loading the seccomp filter, the init's fork.
    private static func lateFailure(_ late: Int, errno e: Int32, spec: ContainerSpec) -> ContainerError {
        let what: String
        switch UInt32(late) {
        case VSIM_CT_LATE_BOUNDING.rawValue: what = "drop capabilities from the bounding set (PR_CAPBSET_DROP)"
        case VSIM_CT_LATE_AMBIENT.rawValue: what = "clear the ambient capabilities (PR_CAP_AMBIENT_CLEAR_ALL)"
        case VSIM_CT_LATE_CAPSET.rawValue: what = "set the capabilities to \(spec.capabilities) (capset)"
        case VSIM_CT_LATE_NO_NEW_PRIVS.rawValue: what = "set no_new_privs (PR_SET_NO_NEW_PRIVS)"
        case VSIM_CT_LATE_SECCOMP.rawValue: what = "load the seccomp filter (PR_SET_SECCOMP)"
        case VSIM_CT_LATE_INIT_FORK.rawValue: what = "fork the program from the container's init (--init)"
        case VSIM_CT_LATE_DESCRIPTORS.rawValue: what = "install the program's standard descriptors"
        default: what = "step \(late) after the mounts"
        }
        var hint: String? = nil
        if late == Int(VSIM_CT_LATE_SECCOMP.rawValue) && e == EINVAL {
            hint = "this kernel lacks CONFIG_SECCOMP_FILTER; run with --seccomp unconfined"
        }
        return ContainerError.setup(what, errno: e, hint: hint)
    }

    private static func execFailure(_ target: ProgramLocation, errno e: Int32, spec: ContainerSpec) -> ContainerError {
        let shown = spec.command[0]
        switch e {
        case ENOENT:
            let why: String
            if spec.imageLayers != nil {
                why = "execve \(target.pathInside) in the image: the file or its program loader (a dynamic program's ld.so) is not in the image's layers (list them with `vsim image inspect`)"
            } else if spec.rootfs == nil {
                why = "execve found no file or no program loader: without --rootfs the container holds only the program, so it must be statically linked (give --rootfs with its libraries otherwise)"
            } else {
                why = "execve \(target.pathInside) in the rootfs: the file or its program loader (a dynamic program's ld.so) is missing"
            }
            return .command("\(shown): \(why)", status: 127)
        case EACCES: return .command("\(shown): permission denied (not executable, or on a noexec mount)", status: 126)
        case ENOEXEC: return .command("\(shown): not an executable format this kernel can run", status: 126)
        default: return .command("\(shown): execve \(target.pathInside) failed: \(HostError.describe(e))", status: 126)
        }
    }

    // MARK: helpers

    static func defaultEnvironment(hostname: String) -> [String] {
        var env = ["PATH=\(ContainerSpec.defaultPath)", "HOSTNAME=\(hostname)", "HOME=/"]
        if let t = getenv("TERM") { env.append("TERM=" + String(cString: t)) }
        return env
    }

    /// An image's Env with HOSTNAME set, and PATH and HOME added where the image has none
    /// (as Docker does).
    static func imageEnvironment(_ env: [String], hostname: String) -> [String] {
        var out = env.filter { !$0.hasPrefix("HOSTNAME=") }
        if !out.contains(where: { $0.hasPrefix("PATH=") }) { out.insert("PATH=\(ContainerSpec.defaultPath)", at: 0) }
        out.append("HOSTNAME=\(hostname)")
        if !out.contains(where: { $0.hasPrefix("HOME=") }) { out.append("HOME=/") }
        return out
    }

    /// `path` made absolute against the current directory (symbolic links kept).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let dir = String(cString: cwd)
        let rest = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return (dir == "/" ? "" : dir) + "/" + rest
    }
}

/// poll(2) for readability; fd -1 entries are never ready.
func pollReadable(_ fds: [Int32], timeoutMilliseconds: Int32) -> [Bool] {
    var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while true {
        let n = entries.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds) }
        if n < 0 && errno == EINTR { continue }
        return entries.map { $0.fd >= 0 && $0.revents != 0 }
    }
}


