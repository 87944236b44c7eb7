/// An OCI image manifest (image-spec manifest.md): the config blob and the layer blobs, bottom
/// layer first.
public struct ImageManifest: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(config: Descriptor, layers: [Descriptor]) {
        schemaVersion = 2
        mediaType = MediaType.manifest
        self.config = config
        self.layers = layers
    }
}
