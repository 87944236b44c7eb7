import Descriptions
import FoundationEssentials

/// An image in the store: its manifest, its configuration and its layers, bottom first.
public struct StoredImage: Sendable {
    /// One layer: the blob as imported and the directory it was unpacked to.
    public struct Layer: Sendable {
        /// The layer blob (compressed or not) as the manifest lists it.
        public var blob: Descriptor
        /// The SHA-256 of the uncompressed tar (the config's `rootfs.diff_ids` entry).
        public var diffID: Digest
        /// The unpacked directory (whiteouts in overlayfs form).
        public var directory: String
        /// Bytes of file contents in the unpacked directory (nil if unknown).
        public var unpackedBytes: Int64?
    }

    public let name: String
    public let manifestDigest: Digest
    public let manifest: ImageManifest
    public let configuration: ImageConfiguration
    public let layers: [Layer]

    init(store: ImageStore, name: String, manifestDescriptor d: Descriptor) throws(ImageError) {
        self.name = name
        manifestDigest = d.digest
        manifest = try JSONFile.decode(ImageManifest.self, from: BlobFile.read(store.blobPath(d.digest)), shown: "manifest \(d.digest) of \(name)")
        configuration = try JSONFile.decode(ImageConfiguration.self, from: BlobFile.read(store.blobPath(manifest.config.digest)),
                                            shown: "config \(manifest.config.digest) of \(name)")
        let diffIDs = configuration.rootfs.diff_ids
        guard diffIDs.count == manifest.layers.count else {
            throw .malformed("image \(name): the manifest lists \(manifest.layers.count) layers but the config \(diffIDs.count) diff IDs")
        }
        layers = zip(manifest.layers, diffIDs).map { blob, diffID in
            let dir = store.layerPath(diffID)
            let size = (try? String(contentsOfFile: dir + ".size", encoding: .utf8)).flatMap { Int64($0.trimmed()) }
            return Layer(blob: blob, diffID: diffID, directory: dir, unpackedBytes: size)
        }
    }

    /// The overlay's lower directories, top layer first (overlayfs gives the leftmost
    /// `lowerdir` the highest priority).
    public var lowerDirectories: [String] { layers.reversed().map(\.directory) }

    /// The bytes of all layer blobs (what a registry would send).
    public var blobBytes: Int64 { manifest.layers.reduce(0) { $0 + $1.size } }

    /// The run defaults: the command a container of this image runs when given none
    /// (Entrypoint followed by Cmd, as Docker joins them).
    public var defaultCommand: [String] {
        (configuration.config?.Entrypoint ?? []) + (configuration.config?.Cmd ?? [])
    }
}
