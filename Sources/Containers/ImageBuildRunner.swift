import Descriptions
import Images
#if canImport(Glibc)
import Glibc
#endif

/// Runs a `RUN` step of `vsim image build` in a vsim container: the layers so far as the
/// overlay's lower layers, the step's upper layer kept for the builder, the image's Env and
/// WorkingDir, no network (a build step sees only its layers), stdin from /dev/null, its
/// output on vsim's stdout and stderr.
public enum ImageBuildRunner {
    public static func run(_ request: ImageBuilder.RunRequest) throws(ImageError) {
        var spec = ContainerSpec(command: request.command)
        spec.imageLayers = request.lowerDirectories
        spec.keepUpper = request.upperDirectory
        spec.imageEnvironment = request.environment
        spec.workingDirectory = request.workingDirectory
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        spec.stdin = null
        let result: ContainerResult
        do { result = try Container.run(spec) } catch {
            if case .interrupted(let s, _) = error {
                throw .interrupted(signal: s, "\(request.text): the build was stopped by \(SignalName.of(s)) while the step's container was set up "
                                   + "(every step of the setup was undone); nothing of this step was kept")
            }
            throw .buildStep("\(request.text): the container could not start: \(error.description)")
        }
        for line in result.cleanupProblems { printError("vsim: warning: \(line)\n") }
        // A Ctrl-C (or SIGTERM, ...) forwarded to the step's container is the user stopping the
        // build, not the step failing: 128 + the signal, not 1.
        if let s = result.forwardedSignal {
            throw .interrupted(signal: s, "\(request.text): the build was stopped by \(SignalName.of(s)) (vsim forwarded it to the step's "
                               + "container, which was torn down); nothing of this step was kept")
        }
        guard result.exitStatus == 0 else {
            throw .buildStep("\(request.text): returned exit status \(result.exitStatus)" + (result.diagnostic.map { " (\($0))" } ?? ""))
        }
    }
}

/// `vsim image build`.
public enum ImageBuildCommandLine {
    public static func build(context: String, file: String?, tag: String, noCache: Bool, store: String?) -> Int32 {
        do {
            let s = try ImageStore(path: store)
            var builder = ImageBuilder(store: s) { ContainerCommandLine.writeOut($0 + "\n") }
            builder.useCache = !noCache
            let started = monotonicNanoseconds()
            let r = try builder.build(containerfile: file ?? context + "/Containerfile", context: context, name: tag,
                                      run: ImageBuildRunner.run)
            let seconds = Double(monotonicNanoseconds() - started) / 1e9
            var cached = 0, built = 0
            for o in r.outcomes {
                if case .cached = o { cached += 1 }
                if case .built = o { built += 1 }
            }
            ContainerCommandLine.writeOut("built \(r.name) \(r.manifestDigest) in \(NumberText.fixed(seconds, 2)) s: \(cached + built) layer steps, \(cached) cached, \(built) built\n")
            return 0
        } catch {
            printError("vsim: error: \(error.description)\n")
            return error.exitStatus
        }
    }
}
