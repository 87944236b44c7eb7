/// An OCI content descriptor (image-spec descriptor.md): what a blob is, its digest and its
/// size in bytes. Index entries also carry the platform and annotations.
public struct Descriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: Digest
    /// The blob's size in bytes; a blob of any other size is refused.
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }

    /// The `org.opencontainers.image.ref.name` annotation.
    public var refName: String? { annotations?[refNameAnnotation] }
}

/// The platform of an index entry (image-spec image-index.md).
public struct Platform: Codable, Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?
}
