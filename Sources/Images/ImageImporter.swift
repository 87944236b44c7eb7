import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `vsim image import`: copies an image into the store, verifying every digest, and unpacks each
/// layer it does not have yet.
///
/// The input is an OCI image layout directory (`skopeo copy ... oci:DIR:NAME`), or a tarball of
/// one (`skopeo copy ... oci-archive:FILE:NAME`, and `docker save` since Docker 25), or a
/// `docker save` tarball of the older format (`manifest.json` with a config file and one
/// `layer.tar` per layer). Everything happens in a staging directory inside the store
/// (`STORE/tmp/<pid>-<n>`); only when every blob has been verified and every new layer unpacked
/// are they renamed into place and the image added to `index.json`. A failure at any point
/// removes the staging directory: the store is as before.
///
/// What is verified (OCI image-spec descriptor.md, config.md): each blob's SHA-256 and size
/// against its descriptor; each layer's uncompressed stream against the config's `diff_ids`;
/// media types against those vsim can read; in a `docker save` archive, the config against its
/// file name and the layers against `diff_ids`.
public struct ImageImporter {
    public let store: ImageStore
    public var limits: ArchiveLimits

    public init(store: ImageStore, limits: ArchiveLimits = ArchiveLimits()) {
        self.store = store
        self.limits = limits
    }

    /// What one import did for one image.
    public struct Imported: Sendable {
        public var name: String
        public var manifestDigest: Digest
        public var layers: Int
        /// Layers unpacked now (the rest were in the store already).
        public var unpackedLayers: Int
        /// Bytes of file contents unpacked now.
        public var unpackedBytes: Int64
        /// The name was in the store already and now names this image.
        public var replaced: Bool
    }

    /// Imports every image of the layout or archive at `path`.
    /// - Parameter name: the name to store the image under; required when the input does not
    ///   name it, refused when it holds several images.
    /// - Throws: ``ImageError``: `.missing` (no such path, a blob missing from the layout),
    ///   `.malformed` (bad JSON, digest or size mismatch, unknown media type),
    ///   `.hostileArchive` (an entry refused while unpacking), `.usage` (bad or missing name),
    ///   `.store` (the store cannot be written).
    public func importImage(from path: String, name: String? = nil) throws(ImageError) -> [Imported] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .missing("\(path): \(String(cString: strerror(errno)))") }
        if let name { try ImageName.validate(name) }
        let staging = try store.makeStaging()
        defer { ImageStore.removeTree(staging) }
        let stage = Stage(root: staging, store: store, limits: limits)
        try stage.prepare()

        let source: String
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            source = try Stage.resolve(path)
        case S_IFREG:
            source = staging + "/input"
            mkdir(source, 0o700)
            _ = try ArchiveExtractor(kind: .imageArchive, limits: limits).extract(path, into: source, shown: path)
        default:
            throw .malformed("\(path): neither an OCI layout directory nor an image tarball")
        }

        var found = try candidates(in: source, shown: path, stage: stage)
        guard !found.isEmpty else { throw .malformed("\(path): the image index lists no image") }
        if let name {
            guard found.count == 1 else {
                throw .usage("\(path) holds \(found.count) images (\(found.map { $0.name ?? "unnamed" }.joined(separator: ", "))); --name can name only one: import without --name")
            }
            found[0].name = name
        }
        var seen = Set<String>()
        for c in found {
            guard let n = c.name else {
                throw .usage("\(path): the image has no \(refNameAnnotation) annotation (nor a docker save RepoTag); give it one with --name NAME")
            }
            try ImageName.validate(n)
            guard seen.insert(n).inserted else { throw .malformed("\(path): two images are named '\(n)'") }
        }

        var results: [Imported] = []
        var named: [(Descriptor, String)] = []
        for c in found {
            let (manifest, stats) = try c.stage()
            named.append((manifest, c.name!))
            results.append(Imported(name: c.name!, manifestDigest: manifest.digest, layers: stats.layers,
                                    unpackedLayers: stats.unpacked, unpackedBytes: stats.bytes, replaced: false))
        }
        for (i, replaced) in try store.commit(stage, naming: named).enumerated() { results[i].replaced = replaced }
        return results
    }

    /// One image found in the input, with how to stage it.
    struct Candidate {
        var name: String?
        var stage: () throws(ImageError) -> (Descriptor, Stage.Stats)
    }

    private func candidates(in source: String, shown: String, stage: Stage) throws(ImageError) -> [Candidate] {
        let fm = FileManager.default
        if fm.fileExists(atPath: source + "/index.json") {
            let index = try JSONFile.decode(ImageIndex.self, from: BlobFile.read(source + "/index.json"), shown: "\(shown): index.json")
            var out: [Candidate] = []
            for d in index.manifests {
                if MediaType.manifests.contains(d.mediaType) {
                    out.append(Candidate(name: d.refName) { () throws(ImageError) in try stage.ociImage(d, layout: source, shown: shown) })
                } else if MediaType.indexes.contains(d.mediaType) {
                    let nested = try JSONFile.decode(ImageIndex.self, from: BlobFile.read(stage.blob(d, layout: source, what: "image index", shown: shown)),
                                                     shown: "\(shown): image index \(d.digest)")
                    let chosen = try Self.choosePlatform(nested, shown: shown)
                    out.append(Candidate(name: d.refName) { () throws(ImageError) in try stage.ociImage(chosen, layout: source, shown: shown) })
                } else {
                    throw .malformed("\(shown): index.json lists a \(d.mediaType), which is neither an image manifest nor an index")
                }
            }
            return out
        }
        if fm.fileExists(atPath: source + "/manifest.json") {
            let entries = try JSONFile.decode([DockerArchiveManifest].self, from: BlobFile.read(source + "/manifest.json"),
                                              shown: "\(shown): manifest.json")
            return entries.map { e in
                Candidate(name: e.RepoTags?.first) { () throws(ImageError) in try stage.dockerImage(e, archive: source, shown: shown) }
            }
        }
        throw .malformed("\(shown): neither an OCI image layout (no index.json) nor a docker save archive (no manifest.json)")
    }

    /// The manifest for this host from a multi-platform index: linux/amd64, else linux/386.
    static func choosePlatform(_ index: ImageIndex, shown: String) throws(ImageError) -> Descriptor {
        for arch in ["amd64", "386"] {
            if let d = index.manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == arch && MediaType.manifests.contains($0.mediaType) }) {
                return d
            }
        }
        let offered = index.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }
        throw .malformed("\(shown): the image index has no linux/amd64 or linux/386 manifest (it has \(offered.joined(separator: ", ")))")
    }
}
