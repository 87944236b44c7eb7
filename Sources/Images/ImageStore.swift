import FoundationEssentials
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// vsim's content-addressed image store on disk. The store is itself an OCI image layout
/// (image-spec image-layout.md), so any OCI tool can read it (`skopeo inspect oci:STORE:NAME`,
/// `umoci ls --layout STORE`):
///
/// ```
/// STORE/oci-layout                 {"imageLayoutVersion": "1.0.0"}
/// STORE/index.json                 one manifest descriptor per image, named by its
///                                  org.opencontainers.image.ref.name annotation
/// STORE/blobs/sha256/<hex>         every manifest, config and layer blob, by digest
/// STORE/layers/sha256/<diff id>/   each layer unpacked once, whiteouts in overlayfs form
/// STORE/layers/sha256/<diff id>.size   the bytes of file contents it unpacked to
/// STORE/tmp/<pid>-<n>/             imports under way (renamed into place on success)
/// STORE/lock                       flock(2) held while index.json and the blobs change
/// ```
/// Default location: `$VSIM_IMAGES`, else `/var/lib/vsim/images` for root, else
/// `$XDG_DATA_HOME/vsim/images` (or `~/.local/share/vsim/images`).
public struct ImageStore: Sendable {
    /// The store's directory (symbolic links resolved).
    public let root: String

    public static func defaultRoot() -> String {
        if let v = ProcessInfo.processInfo.environment["VSIM_IMAGES"], !v.isEmpty { return v }
        if geteuid() == 0 { return "/var/lib/vsim/images" }
        if let x = ProcessInfo.processInfo.environment["XDG_DATA_HOME"], !x.isEmpty { return x + "/vsim/images" }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/vsim/images"
    }

    /// Opens the store at `path` (default ``defaultRoot()``), creating it (mode 0700: unpacked
    /// layers may hold setuid files) when `create` is set.
    /// - Throws: ``ImageError/missing(_:)`` when it does not exist and `create` is false;
    ///   ``ImageError/store(_:)`` when it cannot be created.
    public init(path: String? = nil, create: Bool = true) throws(ImageError) {
        let wanted = path ?? ImageStore.defaultRoot()
        let fm = FileManager.default
        if !fm.fileExists(atPath: wanted + "/oci-layout") {
            guard create else {
                throw .missing("no image store at \(wanted) (import an image first: vsim image import PATH)")
            }
            do {
                try fm.createDirectory(atPath: wanted, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: wanted + "/oci-layout"))
            } catch {
                throw .store("cannot create the image store \(wanted): \(fileErrorText(error)); set VSIM_IMAGES or --store to a directory you can write")
            }
        }
        guard let resolved = realpath(wanted, nil) else {
            throw .store("cannot resolve the image store path \(wanted): \(String(cString: strerror(errno)))")
        }
        root = String(cString: resolved)
        free(resolved)
        if root.contains(":") || root.contains(",") {
            throw .usage("the image store \(root) has ':' or ',' in its path, which overlayfs cannot take in lowerdir; choose another (VSIM_IMAGES or --store)")
        }
        for d in [blobsDirectory, layersDirectory, root + "/tmp"] {
            do { try fm.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw .store("cannot create \(d): \(fileErrorText(error))")
            }
        }
    }

    public var blobsDirectory: String { root + "/blobs/sha256" }
    public var layersDirectory: String { root + "/layers/sha256" }
    public func blobPath(_ d: Digest) -> String { blobsDirectory + "/" + d.hex }
    /// The unpacked layer whose uncompressed tar has diff ID `d`.
    public func layerPath(_ d: Digest) -> String { layersDirectory + "/" + d.hex }

    /// The extended attribute that marks an opaque directory in this store's layers:
    /// `trusted.overlay.opaque` (root), `user.overlay.opaque` (an unprivileged user's store,
    /// which the container mounts with overlayfs's `userxattr` option).
    public static var opaqueAttribute: String { geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque" }

    // MARK: the index

    /// index.json (an empty index when missing).
    public func readIndex() throws(ImageError) -> ImageIndex {
        let path = root + "/index.json"
        guard FileManager.default.fileExists(atPath: path) else { return ImageIndex(manifests: []) }
        return try JSONFile.decode(ImageIndex.self, from: BlobFile.read(path), shown: path)
    }

    func writeIndex(_ index: ImageIndex) throws(ImageError) {
        try JSONFile.writeAtomically(JSONFile.encode(index), to: root + "/index.json")
    }

    /// Every image, in index order.
    public func images() throws(ImageError) -> [StoredImage] {
        var out: [StoredImage] = []
        for d in try readIndex().manifests {
            guard let name = d.refName else { continue }
            out.append(try StoredImage(store: self, name: name, manifestDescriptor: d))
        }
        return out
    }

    /// The image named `name`.
    /// - Throws: ``ImageError/missing(_:)`` listing the names there are.
    public func image(named name: String) throws(ImageError) -> StoredImage {
        let index = try readIndex()
        guard let d = index.manifests.first(where: { $0.refName == name }) else {
            let names = index.manifests.compactMap(\.refName)
            throw .missing("no image named '\(name)' in \(root) (" + (names.isEmpty ? "the store is empty" : "images: " + names.joined(separator: ", ")) + "); vsim image import PATH")
        }
        return try StoredImage(store: self, name: name, manifestDescriptor: d)
    }

    /// What ``remove(named:)`` deleted.
    public struct Removal: Sendable {
        public var blobs = 0
        public var layers = 0
    }

    /// Removes the image from the index, then those of its blobs and unpacked layers that no
    /// remaining image uses.
    public func remove(named name: String) throws(ImageError) -> Removal {
        try withLock { () throws(ImageError) -> Removal in
            var index = try readIndex()
            let removed = index.manifests.filter { $0.refName == name }
            guard !removed.isEmpty else {
                _ = try image(named: name)          // the missing-image message
                return Removal()
            }
            index.manifests.removeAll { $0.refName == name }
            try writeIndex(index)
            return collectGarbage(removed: removed, keeping: index)
        }
    }

    /// The blobs (hex digests) and unpacked layers (hex diff IDs) a manifest reaches.
    private func references(_ d: Descriptor) -> (blobs: Set<String>, layers: Set<String>) {
        var blobs: Set<String> = [d.digest.hex], layers = Set<String>()
        guard let m = try? JSONFile.decode(ImageManifest.self, from: BlobFile.read(blobPath(d.digest)), shown: "manifest") else {
            return (blobs, layers)
        }
        blobs.insert(m.config.digest.hex)
        m.layers.forEach { blobs.insert($0.digest.hex) }
        if let c = try? JSONFile.decode(ImageConfiguration.self, from: BlobFile.read(blobPath(m.config.digest)), shown: "config") {
            c.rootfs.diff_ids.forEach { layers.insert($0.hex) }
        }
        return (blobs, layers)
    }

    /// Deletes what the `removed` manifests reached and no manifest in `index` does. Only
    /// those: a layer another import or build has just moved into place, and not named yet,
    /// is never touched.
    func collectGarbage(removed: [Descriptor], keeping index: ImageIndex) -> Removal {
        var blobs = Set<String>(), layers = Set<String>()
        for d in removed {
            let r = references(d)
            blobs.formUnion(r.blobs)
            layers.formUnion(r.layers)
        }
        for d in index.manifests {
            let r = references(d)
            blobs.subtract(r.blobs)
            layers.subtract(r.layers)
        }
        var removal = Removal()
        let fm = FileManager.default
        for hex in blobs where (try? fm.removeItem(atPath: blobsDirectory + "/" + hex)) != nil { removal.blobs += 1 }
        for hex in layers {
            try? fm.removeItem(atPath: layersDirectory + "/" + hex + ".size")
            if fm.fileExists(atPath: layersDirectory + "/" + hex) {
                ImageStore.removeTree(layersDirectory + "/" + hex)
                removal.layers += 1
            }
        }
        return removal
    }

    /// Under the lock: moves the stage's blobs and layers into place, then names each manifest
    /// in index.json (a name already there is moved to the new manifest, and what only the old
    /// one used is deleted). Readers see an image only once everything it names is there.
    /// - Returns: for each name, whether it replaced an image.
    func commit(_ stage: Stage, naming images: [(Descriptor, String)]) throws(ImageError) -> [Bool] {
        try withLock { () throws(ImageError) -> [Bool] in
            try stage.commit()
            var index = try readIndex()
            var replaced: [Bool] = []
            var dropped: [Descriptor] = []
            for (d, name) in images {
                var entry = d
                entry.annotations = [refNameAnnotation: name]
                entry.platform = nil
                let previous = index.manifests.filter { $0.refName == name }
                replaced.append(!previous.isEmpty)
                dropped += previous
                index.manifests.removeAll { $0.refName == name }
                index.manifests.append(entry)
            }
            if !images.isEmpty { try writeIndex(index) }
            if !dropped.isEmpty { _ = collectGarbage(removed: dropped, keeping: index) }
            return replaced
        }
    }

    // MARK: locking and staging

    /// Runs `body` holding the store's lock (flock on STORE/lock): one writer at a time.
    func withLock<T>(_ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        let fd = open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw .store("cannot open \(root)/lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw .store("cannot lock \(root)/lock: \(String(cString: strerror(errno)))") }
        }
        return try body()
    }

    /// A fresh staging directory `STORE/tmp/<pid>-<n>`, after removing those of dead vsims.
    func makeStaging() throws(ImageError) -> String {
        let tmp = root + "/tmp"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] {
            guard let pid = pid_t(name.split(separator: "-").first ?? ""), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { Self.removeTree(tmp + "/" + name) }
        }
        for _ in 0..<100 {
            let path = tmp + "/\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if mkdir(path, 0o700) == 0 { return path }
            if errno != EEXIST { throw .store("cannot create a staging directory in \(tmp): \(String(cString: strerror(errno)))") }
        }
        throw .store("cannot create a staging directory in \(tmp)")
    }

    /// Removes a tree that may hold directories without write permission (unpacked layers).
    static func removeTree(_ path: String) {
        let fm = FileManager.default
        if (try? fm.removeItem(atPath: path)) != nil || !fm.fileExists(atPath: path) { return }
        // Every directory made writable (and readable, to list it) before its entries are listed.
        func open(_ directory: String) {
            chmod(directory, 0o700)
            for name in (try? HostIO.directoryEntries(directory)) ?? [] {
                var st = stat()
                let p = directory + "/" + name
                if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { open(p) }
            }
        }
        open(path)
        try? fm.removeItem(atPath: path)
    }
}
