import Descriptions
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `vsim image build`: a Containerfile (the ``Containerfile`` subset) made into an image in the
/// store, one layer per `COPY` and `RUN`, each layer looked up in the ``BuildCache`` first.
///
/// `COPY` copies from the build context into a fresh directory; `RUN` runs in a container over
/// the layers so far (the caller's ``Runner``: vsim's container runtime) with a kept upper
/// layer. Either directory becomes an OCI layer with ``LayerWriter`` (whiteouts back in OCI form)
/// and is then unpacked into the store like an imported layer, so every layer on disk was made
/// the one way. `ENV`, `WORKDIR` and `CMD` change only the config (history entries with
/// `empty_layer`). The result is an ordinary image in the store, which is an OCI layout.
public struct ImageBuilder {
    /// What a `RUN` step asks the runner to do.
    public struct RunRequest: Sendable {
        /// The layers so far, top first (an empty directory for `FROM scratch`).
        public var lowerDirectories: [String]
        public var command: [String]
        /// The image's Env so far.
        public var environment: [String]
        public var workingDirectory: String?
        /// Where the container's changes must be left (overlayfs upper layer).
        public var upperDirectory: String
        /// The instruction, for messages.
        public var text: String
    }

    /// Runs one `RUN` step; throws ``ImageError/buildStep(_:)`` when it fails.
    public typealias Runner = (RunRequest) throws(ImageError) -> Void

    /// How a step went.
    public enum Outcome: Sendable, Equatable {
        case cached(Digest)
        case built(Digest)
        case config
    }

    public struct Result: Sendable {
        public var name: String
        public var manifestDigest: Digest
        public var outcomes: [Outcome]
    }

    public let store: ImageStore
    public var useCache = true
    public var limits = ArchiveLimits()
    /// Called with each line of progress ("STEP 2/5: COPY ...", " ---> ...").
    public var progress: (String) -> Void

    public init(store: ImageStore, progress: @escaping (String) -> Void = { _ in }) {
        self.store = store
        self.progress = progress
    }

    /// Builds `containerfile` with `context` as the build context and names the image `name`.
    /// - Throws: ``ImageError``: `.malformed` (the Containerfile), `.missing` (the base image, a
    ///   COPY source), `.buildStep` (a RUN failed), `.store`.
    public func build(containerfile: String, context: String, name: String, run: Runner) throws(ImageError) -> Result {
        try ImageName.validate(name)
        let text: String
        do { text = try String(contentsOfFile: containerfile, encoding: .utf8) } catch {
            throw .missing("\(containerfile): cannot be read (\(fileErrorText(error)))")
        }
        let file = try Containerfile(parsing: text, file: containerfile)
        let contextDir = try Stage.resolve(context)
        var isDir = false
        guard FileManager.default.fileExists(atPath: contextDir, isDirectory: &isDir), isDir else {
            throw .usage("the build context \(context) is not a directory")
        }
        let cache = BuildCache(store: store)
        let staging = try store.makeStaging()
        defer { ImageStore.removeTree(staging) }
        let empty = staging + "/empty"
        mkdir(empty, 0o755)

        // FROM
        var state = State()
        guard case .from(let baseName) = file.steps[0].instruction else { throw .malformed("\(containerfile): no FROM") }
        var key = BuildCache.root(nil)
        if let baseName {
            let base = try store.image(named: baseName)
            state = State(base)
            key = BuildCache.root(base.manifestDigest)
        }
        let total = file.steps.count
        progress("STEP 1/\(total): \(file.steps[0].text)")
        var outcomes: [Outcome] = [.config]

        for (i, step) in file.steps.enumerated().dropFirst() {
            progress("STEP \(i + 1)/\(total): \(step.text)")
            let at = "\(containerfile):\(step.line)"
            switch step.instruction {
            case .from:
                throw .malformed("\(at): a second FROM")
            case .env(let pairs):
                for pair in pairs {
                    let name = pair.prefix { $0 != "=" }
                    state.env.removeAll { $0.hasPrefix(name + "=") }
                    state.env.append(pair)
                }
                state.note(step.text)
                key = BuildCache.key(parent: key, instruction: step.text)
                outcomes.append(.config)
            case .workdir(let dir):
                state.workdir = Self.join(state.workdir ?? "/", dir)
                state.note(step.text)
                key = BuildCache.key(parent: key, instruction: step.text)
                outcomes.append(.config)
            case .cmd(let argv):
                state.cmd = argv
                state.note(step.text)
                key = BuildCache.key(parent: key, instruction: step.text)
                outcomes.append(.config)
            case .copy(let sources, let destination):
                let content = try BuildCache.contentDigest(of: sources, context: contextDir, shown: at)
                key = BuildCache.key(parent: key, instruction: step.text, content: content)
                if useCache, let hit = cache.lookup(key) {
                    progress(" ---> cached: layer \(hit.diffID.short) (\(ImageCommandLine.formatBytes(hit.size)))")
                    state.add(hit)
                    outcomes.append(.cached(hit.diffID))
                    continue
                }
                let root = staging + "/step-\(i)/root"
                try FileManager.default.createDirectoryOrFail(root)
                try Self.copy(sources, to: destination, workdir: state.workdir ?? "/", context: contextDir, root: root, at: at)
                let made = try makeLayer(from: root, step: i, text: step.text, key: key, staging: staging, cache: cache, skip: [])
                state.add(made)
                outcomes.append(.built(made.diffID))
            case .run(let argv):
                key = BuildCache.key(parent: key, instruction: step.text)
                if useCache, let hit = cache.lookup(key) {
                    progress(" ---> cached: layer \(hit.diffID.short) (\(ImageCommandLine.formatBytes(hit.size)))")
                    state.add(hit)
                    outcomes.append(.cached(hit.diffID))
                    continue
                }
                let upper = staging + "/step-\(i)/upper"
                try FileManager.default.createDirectoryOrFail(upper)
                let lowers = state.diffIDs.reversed().map { store.layerPath($0) }
                try run(RunRequest(lowerDirectories: lowers.isEmpty ? [empty] : lowers, command: argv,
                                   environment: state.env, workingDirectory: state.workdir, upperDirectory: upper, text: step.text))
                let made = try makeLayer(from: upper, step: i, text: step.text, key: key, staging: staging, cache: cache,
                                         skip: ["dev", "proc", "sys", "tmp"])
                state.add(made)
                outcomes.append(.built(made.diffID))
            }
        }

        // The config and the manifest.
        let now = Date.ISO8601FormatStyle().format(Date())
        let config = ImageConfiguration(
            created: now, architecture: "amd64", os: "linux",
            config: .init(User: nil, Env: state.env.isEmpty ? nil : state.env, Entrypoint: state.entrypoint, Cmd: state.cmd,
                          WorkingDir: state.workdir, Labels: nil),
            rootfs: .init(type: "layers", diff_ids: state.diffIDs), history: state.history)
        let final = Stage(root: staging + "/final", store: store, limits: limits)
        mkdir(final.root, 0o700)
        try final.prepare()
        let configBytes = JSONFile.encode(config)
        let configDigest = Digest.of(configBytes)
        try JSONFile.writeAtomically(configBytes, to: final.blobs + "/" + configDigest.hex)
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.config, digest: configDigest, size: Int64(configBytes.count)),
                                     layers: state.blobs)
        let manifestBytes = JSONFile.encode(manifest)
        let manifestDigest = Digest.of(manifestBytes)
        try JSONFile.writeAtomically(manifestBytes, to: final.blobs + "/" + manifestDigest.hex)
        _ = try store.commit(final, naming: [(Descriptor(mediaType: MediaType.manifest, digest: manifestDigest,
                                                         size: Int64(manifestBytes.count)), name)])
        return Result(name: name, manifestDigest: manifestDigest, outcomes: outcomes)
    }

    /// Tars `directory` into a layer, unpacks it into the store (once), records it in the cache.
    private func makeLayer(from directory: String, step: Int, text: String, key: Digest, staging: String,
                           cache: BuildCache, skip: Set<String>) throws(ImageError) -> BuildCache.Record {
        let started = ContinuousClock.now
        let stage = Stage(root: staging + "/step-\(step)/stage", store: store, limits: limits)
        mkdir(stage.root, 0o700)
        try stage.prepare()
        let tar = staging + "/step-\(step)/layer.tar"
        let written = try LayerWriter(skipEmptyTopLevel: skip).write(directory, to: tar)
        let blob = stage.blobs + "/" + written.digest.hex
        if rename(tar, blob) != 0 { throw .store("cannot move \(tar) into the stage: \(String(cString: strerror(errno)))") }
        var stats = Stage.Stats()
        try stage.unpack(blob, index: step, blobDigest: written.digest, compressed: false, diffID: written.digest,
                         shown: "step \(step + 1) (\(text))", stats: &stats)
        _ = try store.commit(stage, naming: [])
        let record = BuildCache.Record(diffID: written.digest, size: written.size, createdBy: text)
        try cache.record(key, record)
        let ms = Double(DurationText.nanoseconds(ContinuousClock.now - started)) / 1e6
        progress(" ---> built: layer \(written.digest.short) (\(ImageCommandLine.formatBytes(written.size)), layer made in \(NumberText.fixed(ms, 0)) ms)")
        return record
    }

    /// The image being built.
    struct State {
        var diffIDs: [Digest] = []
        var blobs: [Descriptor] = []
        var history: [ImageConfiguration.History] = []
        var env: [String] = []
        var workdir: String?
        var cmd: [String]?
        var entrypoint: [String]?

        init() {}

        init(_ base: StoredImage) {
            diffIDs = base.layers.map(\.diffID)
            blobs = base.layers.map(\.blob)
            history = base.configuration.history ?? []
            let c = base.configuration.config
            env = c?.Env ?? []
            workdir = c?.WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
            cmd = c?.Cmd
            entrypoint = c?.Entrypoint
        }

        mutating func note(_ text: String) {
            history.append(.init(created: Date.ISO8601FormatStyle().format(Date()), created_by: text, comment: nil, empty_layer: true))
        }

        mutating func add(_ r: BuildCache.Record) {
            diffIDs.append(r.diffID)
            blobs.append(Descriptor(mediaType: MediaType.layerTar, digest: r.diffID, size: r.size))
            history.append(.init(created: Date.ISO8601FormatStyle().format(Date()), created_by: r.createdBy, comment: nil, empty_layer: nil))
        }
    }

    /// `dir` against the working directory `base`, normalized (".." stops at "/").
    static func join(_ base: String, _ dir: String) -> String {
        var parts: [Substring] = []
        for c in ((dir.hasPrefix("/") ? "" : base + "/") + dir).split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// COPY: each source into `root` + destination, as Docker does: a directory's contents go
    /// into the destination directory; a file goes to the destination path, or into it when it
    /// ends with "/" or there are several sources.
    static func copy(_ sources: [String], to destination: String, workdir: String, context: String, root: String,
                     at: String) throws(ImageError) {
        let dest = join(workdir, destination)
        let intoDirectory = destination.hasSuffix("/") || sources.count > 1
        let fm = FileManager.default
        for source in sources {
            let path = try Stage.inside(context, source, what: "COPY source", shown: at, rootName: "the build context")
            var isDir = false
            _ = fm.fileExists(atPath: path, isDirectory: &isDir)
            do {
                if isDir {
                    try fm.createDirectory(atPath: root + dest, withIntermediateDirectories: true)
                    for name in try fm.contentsOfDirectory(atPath: path).sorted() {
                        try fm.copyItem(atPath: path + "/" + name, toPath: root + dest + "/" + name)
                    }
                } else {
                    let target = intoDirectory ? dest + "/" + ArchivePath.base(source) : dest
                    try fm.createDirectory(atPath: root + ArchivePath.parent(target), withIntermediateDirectories: true)
                    try fm.copyItem(atPath: path, toPath: root + target)
                }
            } catch {
                throw .store("\(at): COPY \(source) to \(destination) failed: \(fileErrorText(error))")
            }
        }
    }
}

extension FileManager {
    func createDirectoryOrFail(_ path: String) throws(ImageError) {
        do { try createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .store("cannot create \(path): \(fileErrorText(error))")
        }
    }
}
