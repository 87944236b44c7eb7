/// The media types vsim reads (OCI image-spec media-types.md, and the Docker image manifest v2
/// schema 2 types that `docker save` and older registries use for the same things).
public enum MediaType {
    public static let index = "application/vnd.oci.image.index.v1+json"
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let config = "application/vnd.oci.image.config.v1+json"
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar"

    static let indexes: Set<String> = [index, dockerManifestList]
    static let manifests: Set<String> = [manifest, dockerManifest]
    static let configs: Set<String> = [config, dockerConfig]
    static let layers: Set<String> = [layerTar, layerGzip, layerZstd, dockerLayerGzip, dockerLayerTar]
}

/// The annotation that names an image in an OCI layout's index.json (image-spec
/// annotations.md); `skopeo copy ... oci:DIR:NAME` writes it.
public let refNameAnnotation = "org.opencontainers.image.ref.name"
