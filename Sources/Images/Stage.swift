import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The staging directory of one import: verified blobs in `blobs/`, newly unpacked layers in
/// `layers/`, moved into the store by ``commit()``.
final class Stage {
    struct Stats {
        var layers = 0
        var unpacked = 0
        var bytes: Int64 = 0
    }

    let root: String
    let store: ImageStore
    let limits: ArchiveLimits
    var blobs: String { root + "/blobs" }
    var layers: String { root + "/layers" }

    init(root: String, store: ImageStore, limits: ArchiveLimits) {
        self.root = root
        self.store = store
        self.limits = limits
    }

    func prepare() throws(ImageError) {
        for d in [blobs, layers] where mkdir(d, 0o700) != 0 {
            throw .store("cannot create \(d): \(String(cString: strerror(errno)))")
        }
    }

    /// `path` with symbolic links resolved.
    static func resolve(_ path: String) throws(ImageError) -> String {
        guard let r = realpath(path, nil) else { throw .missing("\(path): \(String(cString: strerror(errno)))") }
        defer { free(r) }
        return String(cString: r)
    }

    /// A file named inside the input (an OCI layout, an unpacked archive, a build context:
    /// `rootName` names it in the error), refused if it resolves outside it.
    static func inside(_ root: String, _ relative: String, what: String, shown: String,
                       rootName: String = "the image") throws(ImageError) -> String {
        let clean = try ArchivePath.normalize(relative, archive: shown)
        let path = root + "/" + clean
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missing("\(shown): the \(what) \(relative) is missing")
        }
        let resolved = try resolve(path)
        guard resolved.hasPrefix(root + "/") else {
            throw .hostileArchive("\(shown): the \(what) \(relative) resolves to \(resolved), outside \(rootName)")
        }
        return resolved
    }

    /// Copies the blob `d` from the layout into the stage, verifying its digest and size.
    func blob(_ d: Descriptor, layout: String, what: String, shown: String) throws(ImageError) -> String {
        let staged = blobs + "/" + d.digest.hex
        if FileManager.default.fileExists(atPath: staged) { return staged }
        let source = try Stage.inside(layout, "blobs/sha256/" + d.digest.hex, what: "\(what) blob \(d.digest)", shown: shown)
        let (digest, size) = try BlobFile.digest(source, copyTo: staged + ".part")
        guard digest == d.digest else {
            unlink(staged + ".part")
            throw .malformed("\(shown): the \(what) blob \(d.digest) has the content of \(digest): it was changed after it was made (tampered or corrupt)")
        }
        guard size == d.size else {
            unlink(staged + ".part")
            throw .malformed("\(shown): the \(what) blob \(d.digest) is \(size) bytes, but its descriptor says \(d.size)")
        }
        rename(staged + ".part", staged)
        return staged
    }

    /// Stages an OCI image: manifest, config, layers (verified, new layers unpacked).
    func ociImage(_ d: Descriptor, layout: String, shown: String) throws(ImageError) -> (Descriptor, Stats) {
        let manifest = try JSONFile.decode(ImageManifest.self, from: BlobFile.read(blob(d, layout: layout, what: "manifest", shown: shown)),
                                           shown: "\(shown): manifest \(d.digest)")
        guard MediaType.configs.contains(manifest.config.mediaType) else {
            throw .malformed("\(shown): manifest \(d.digest): the config's media type \(manifest.config.mediaType) is not an image config")
        }
        let configPath = try blob(manifest.config, layout: layout, what: "config", shown: shown)
        let config = try JSONFile.decode(ImageConfiguration.self, from: BlobFile.read(configPath), shown: "\(shown): config \(manifest.config.digest)")
        try Stage.checkLayers(manifest.layers.count, config, shown: shown)
        var stats = Stats()
        for (i, layer) in manifest.layers.enumerated() {
            guard MediaType.layers.contains(layer.mediaType) else {
                throw .malformed("\(shown): layer \(i) (\(layer.digest)) has media type \(layer.mediaType), which vsim cannot unpack (tar, tar+gzip or tar+zstd)")
            }
            let staged = try blob(layer, layout: layout, what: "layer \(i)", shown: shown)
            let compressed = layer.mediaType != MediaType.layerTar && layer.mediaType != MediaType.dockerLayerTar
            try unpack(staged, index: i, blobDigest: layer.digest, compressed: compressed,
                       diffID: config.rootfs.diff_ids[i], shown: shown, stats: &stats)
        }
        var out = d
        out.mediaType = MediaType.manifests.contains(d.mediaType) ? d.mediaType : MediaType.manifest
        return (out, stats)
    }

    static func checkLayers(_ count: Int, _ config: ImageConfiguration, shown: String) throws(ImageError) {
        guard config.rootfs.type == "layers" else {
            throw .malformed("\(shown): the config's rootfs.type is '\(config.rootfs.type)', not 'layers'")
        }
        guard config.rootfs.diff_ids.count == count else {
            throw .malformed("\(shown): the manifest lists \(count) layers but the config has \(config.rootfs.diff_ids.count) diff_ids")
        }
    }

    /// Verifies a layer's diff ID and unpacks it, unless the store or this stage has it.
    func unpack(_ blob: String, index i: Int, blobDigest: Digest, compressed: Bool, diffID: Digest, shown: String,
                stats: inout Stats) throws(ImageError) {
        stats.layers += 1
        let target = layers + "/" + diffID.hex
        let fm = FileManager.default
        if fm.fileExists(atPath: store.layerPath(diffID)) || fm.fileExists(atPath: target) { return }
        let what = "\(shown): layer \(i) (\(blobDigest))"
        let actual = compressed ? try BlobFile.uncompressedDigest(blob, shown: what, limit: limits.maxTotalBytes) : blobDigest
        guard actual == diffID else {
            throw .malformed("\(what): its uncompressed content has digest \(actual), but the config's diff_ids[\(i)] is \(diffID) (tampered or corrupt)")
        }
        guard mkdir(target, 0o755) == 0 else { throw .store("cannot create \(target): \(String(cString: strerror(errno)))") }
        let summary = try ArchiveExtractor(kind: .layer(opaqueAttribute: ImageStore.opaqueAttribute), limits: limits)
            .extract(blob, into: target, shown: what)
        try JSONFile.writeAtomically(Array("\(summary.bytes)\n".utf8), to: target + ".size")
        stats.unpacked += 1
        stats.bytes += summary.bytes
    }

    /// Stages a `docker save` image of the older format, converting it to an OCI manifest (the
    /// config blob as is, each layer.tar as an uncompressed OCI layer).
    func dockerImage(_ e: DockerArchiveManifest, archive: String, shown: String) throws(ImageError) -> (Descriptor, Stats) {
        let configSource = try Stage.inside(archive, e.Config, what: "config", shown: shown)
        let (configDigest, configSize) = try copyIn(configSource)
        let named = ArchivePath.base(e.Config).replacing(".json", with: "")
        if Digest.isHex(named) && named != configDigest.hex {
            throw .malformed("\(shown): the config \(e.Config) has the content of \(configDigest): it was changed after it was made (tampered or corrupt)")
        }
        let config = try JSONFile.decode(ImageConfiguration.self, from: BlobFile.read(blobs + "/" + configDigest.hex), shown: "\(shown): \(e.Config)")
        try Stage.checkLayers(e.Layers.count, config, shown: shown)
        var stats = Stats()
        var descriptors: [Descriptor] = []
        for (i, path) in e.Layers.enumerated() {
            let source = try Stage.inside(archive, path, what: "layer", shown: shown)
            let (digest, size) = try copyIn(source)
            let diffID = config.rootfs.diff_ids[i]
            let compressed = digest != diffID
            if ArchivePath.parent(path).hasSuffix("blobs/sha256") && ArchivePath.base(path) != digest.hex {
                throw .malformed("\(shown): the layer \(path) has the content of \(digest) (tampered or corrupt)")
            }
            try unpack(blobs + "/" + digest.hex, index: i, blobDigest: digest, compressed: compressed, diffID: diffID,
                       shown: shown, stats: &stats)
            descriptors.append(Descriptor(mediaType: compressed ? MediaType.layerGzip : MediaType.layerTar, digest: digest, size: size))
        }
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.config, digest: configDigest, size: configSize),
                                     layers: descriptors)
        let bytes = JSONFile.encode(manifest)
        let digest = Digest.of(bytes)
        try JSONFile.writeAtomically(bytes, to: blobs + "/" + digest.hex)
        return (Descriptor(mediaType: MediaType.manifest, digest: digest, size: Int64(bytes.count)), stats)
    }

    /// Copies a file into the stage's blobs under its own digest.
    private func copyIn(_ source: String) throws(ImageError) -> (Digest, Int64) {
        let part = blobs + "/incoming-\(UInt32.random(in: 0...UInt32.max)).part"
        let (digest, size) = try BlobFile.digest(source, copyTo: part)
        let final = blobs + "/" + digest.hex
        if FileManager.default.fileExists(atPath: final) { unlink(part) } else { rename(part, final) }
        return (digest, size)
    }

    /// Moves the staged blobs and layers into the store (those it already has are dropped).
    func commit() throws(ImageError) {
        let fm = FileManager.default
        for (from, to) in [(blobs, store.blobsDirectory), (layers, store.layersDirectory)] {
            let names = (try? fm.contentsOfDirectory(atPath: from)) ?? []
            // A layer's .size file goes in after its directory: its presence is never ahead of it.
            for name in names.sorted(by: { !$0.hasSuffix(".size") && $1.hasSuffix(".size") }) {
                let dest = to + "/" + name
                if fm.fileExists(atPath: dest) { continue }
                if rename(from + "/" + name, dest) != 0 {
                    throw .store("cannot move \(from)/\(name) into the store: \(String(cString: strerror(errno)))")
                }
            }
        }
    }
}
