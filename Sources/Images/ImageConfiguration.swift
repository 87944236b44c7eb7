/// An OCI image configuration (image-spec config.md): how to run the image, the diff IDs of its
/// layers (the SHA-256 of each layer's *uncompressed* tar stream) and its history.
public struct ImageConfiguration: Codable, Sendable {
    public var created: String?
    public var architecture: String?
    public var os: String?
    public var config: RunConfig?
    public var rootfs: RootFS
    public var history: [History]?

    /// `config` in the image config: the defaults of a container made from the image.
    public struct RunConfig: Codable, Sendable {
        public var User: String?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
    }

    public struct RootFS: Codable, Sendable {
        /// Always "layers".
        public var type: String
        /// One per layer, bottom first: `sha256:` of the uncompressed tar stream.
        public var diff_ids: [Digest]
    }

    /// One step of how the image was made; `empty_layer` steps (ENV, CMD, ...) made no layer.
    public struct History: Codable, Sendable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?
    }
}
