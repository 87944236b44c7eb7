/// One entry of the `manifest.json` that `docker save` writes (Docker's image tarball format,
/// moby image/spec "Combined Image JSON + Filesystem Changeset Format"): the config file, the
/// repository tags and the layer tarballs, bottom first, as paths inside the archive.
struct DockerArchiveManifest: Codable {
    var Config: String
    var RepoTags: [String]?
    var Layers: [String]
}
