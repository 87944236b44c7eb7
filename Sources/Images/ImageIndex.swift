/// An OCI image index (image-spec image-index.md): the `index.json` of an image layout, or a
/// multi-platform list of manifests.
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor]) {
        schemaVersion = 2
        mediaType = MediaType.index
        self.manifests = manifests
    }
}
