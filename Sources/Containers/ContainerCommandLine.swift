import Images
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// What `vsim container run` and `vsim container prune` do, so that their command types hold
/// only argument declarations. Messages go to stderr as `vsim: error: ...`; the program's own
/// output passes through untouched.
public enum ContainerCommandLine {
    /// `vsim container run`. Returns vsim's exit status: the program's, or 128+signal, or one
    /// of ``ContainerError/exitStatus``.
    public static func run(rootfs: String?, keepUpper: String?, memory: String?, cpus: Double?, pids: Int?,
                           hostname: String?, network: NetworkMode, rootless: Bool, timings: Bool,
                           capAdd: [String] = [], capDrop: [String] = [], seccomp: SeccompMode = .default,
                           systemPaths: SystemPathsMode = .masked, useInit: Bool = false, timeLimit: Double? = nil,
                           image: String? = nil, imageStore: String? = nil, isolation: Isolation = .pivotRoot,
                           command: [String]) -> Int32 {
        var spec = ContainerSpec(command: command)
        spec.isolation = isolation
        if let image {
            if rootfs != nil { return fail(.usage("--rootfs and --image both give the root: choose one")) }
            let stored: StoredImage
            do { stored = try ImageStore(path: imageStore, create: false).image(named: image) } catch {
                printError("vsim: error: \(error.description)\n")
                return error.exitStatus
            }
            spec.imageLayers = stored.lowerDirectories
            if command.isEmpty {
                spec.command = stored.defaultCommand
                if spec.command.isEmpty {
                    return fail(.usage("image \(image) has no Entrypoint or Cmd: give the command after --"))
                }
            }
            spec.imageEnvironment = stored.configuration.config?.Env ?? []
            if let w = stored.configuration.config?.WorkingDir, !w.isEmpty { spec.workingDirectory = w }
        } else if imageStore != nil {
            return fail(.usage("--store names the image store for --image; give --image NAME too"))
        }
        do { spec.capabilities = try CapabilitySet.applying(add: capAdd, drop: capDrop) } catch { return fail(error) }
        spec.seccomp = seccomp
        spec.systemPaths = systemPaths
        spec.useInit = useInit
        if let t = timeLimit {
            guard t.isFinite, t > 0, t <= 31_536_000 else {
                return fail(.usage("--time-limit must be a number of seconds above 0 (e.g. 2 or 0.5); got \(t)"))
            }
            spec.timeLimit = .nanoseconds(Int64(t * 1e9))
        }
        spec.rootfs = rootfs
        spec.keepUpper = keepUpper
        spec.hostname = hostname
        spec.network = network
        spec.rootless = rootless
        do {
            spec.limits.memoryBytes = try memory.map { s throws(ContainerError) in try ResourceLimits.parseSize(s) }
        } catch { return fail(error) }
        spec.limits.cpus = cpus
        spec.limits.pids = pids
        let result: ContainerResult
        do { result = try Container.run(spec) } catch { return fail(error) }
        for line in result.unappliedLimits { printError("vsim: warning: \(line)\n") }
        for line in result.cleanupProblems { printError("vsim: warning: \(line)\n") }
        if let d = result.diagnostic { printError(d + "\n") }
        if timings { printError(render(result)) }
        return result.exitStatus
    }

    /// `vsim container prune`.
    public static func prune() -> Int32 {
        let report = ContainerJanitor.prune()
        for c in report.removedCgroups { writeOut("removed cgroup \(c)\n") }
        for d in report.removedStateDirectories { writeOut("removed state directory \(d)\n") }
        if report.killedProcesses > 0 { writeOut("killed \(report.killedProcesses) leftover process\(report.killedProcesses == 1 ? "" : "es")\n") }
        for m in report.strayMounts { printError("vsim: warning: a mount is still visible at \(m); unmount it with umount -l\n") }
        for p in report.problems { printError("vsim: error: \(p)\n") }
        if report.removedCgroups.isEmpty && report.removedStateDirectories.isEmpty && report.problems.isEmpty {
            writeOut("nothing to prune\n")
        }
        return report.problems.isEmpty ? 0 : 1
    }

    /// The `--timings` table.
    public static func render(_ r: ContainerResult) -> String {
        var out = "vsim: container \(r.name): namespaces \(r.namespaces); cgroups \(r.cgroupSummary.isEmpty ? "none" : r.cgroupSummary)\n"
        if r.sweptLeftovers > 0 { out += "vsim: removed \(r.sweptLeftovers) leftover cgroups and state directories of killed runs first\n" }
        let width = 24
        out += "  " + "phase".padding(width) + "      µs\n"
        for (name, us) in r.timings.phases + [("total", r.timings.total)] {
            let n = String(us)
            out += "  " + name.padding(width) + String(repeating: " ", count: max(0, 8 - n.count)) + n + "\n"
        }
        return out
    }

    static func fail(_ error: ContainerError) -> Int32 {
        printError("vsim: error: \(error.description)\n")
        return error.exitStatus
    }

    static func writeOut(_ text: String) { StandardStreams.write(text, to: 1) }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
