import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Crypto

/// `vsim image build`'s layer cache, keyed like Docker's build cache: a step's key is the
/// SHA-256 of its parent's key, the instruction as written and, for `COPY`, the content of
/// every file it reads (names, modes, bytes, link targets). A `RUN` is keyed by its text alone:
/// what it would do differently today (a network download, the date) is not seen, exactly as
/// in Docker. Records live in `STORE/cache/<key>.json` and name the layer the step made; a
/// record whose layer was removed from the store is a miss.
public struct BuildCache: Sendable {
    /// What a layer step made.
    public struct Record: Codable, Sendable {
        public var diffID: Digest
        public var size: Int64
        public var createdBy: String
    }

    public let store: ImageStore
    var directory: String { store.root + "/cache" }

    public init(store: ImageStore) { self.store = store }

    /// The key of the first step: `FROM scratch`, or FROM the base image's manifest digest.
    public static func root(_ base: Digest?) -> Digest {
        Digest.of(Array("FROM \(base?.description ?? "scratch")".utf8))
    }

    /// The key of a step after `parent`.
    public static func key(parent: Digest, instruction: String, content: Digest? = nil) -> Digest {
        Digest.of(Array("\(parent)\n\(instruction)\n\(content?.description ?? "")".utf8))
    }

    /// The layer recorded for `key`, if the store still has it.
    public func lookup(_ key: Digest) -> Record? {
        guard let bytes = try? BlobFile.read(directory + "/" + key.hex + ".json"),
              let r = try? JSONDecoder().decode(Record.self, from: Data(bytes)) else { return nil }
        let fm = FileManager.default
        guard fm.fileExists(atPath: store.blobPath(r.diffID)), fm.fileExists(atPath: store.layerPath(r.diffID)) else { return nil }
        return r
    }

    public func record(_ key: Digest, _ r: Record) throws(ImageError) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JSONFile.writeAtomically(JSONFile.encode(r), to: directory + "/" + key.hex + ".json")
    }

    /// The digest of what `COPY` reads: each source (relative to `context`, which it must stay
    /// inside), walked in sorted order: relative names, file types and modes, contents, link
    /// targets.
    public static func contentDigest(of sources: [String], context: String, shown: String) throws(ImageError) -> Digest {
        var hasher = SHA256()
        for source in sources {
            let path = try Stage.inside(context, source, what: "COPY source", shown: shown, rootName: "the build context")
            hasher.update(data: Array("source \(source)\n".utf8))
            try hash(path, relative: "", into: &hasher)
        }
        return Digest(hex: hasher.finalize().hexString)
    }

    private static func hash(_ path: String, relative: String, into hasher: inout SHA256) throws(ImageError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw .missing("\(path): \(String(cString: strerror(errno)))") }
        hasher.update(data: Array("\(relative) \(String(st.st_mode, radix: 8))\n".utf8))
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let (d, size) = try BlobFile.digest(path)
            hasher.update(data: Array("\(size) \(d)\n".utf8))
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
            hasher.update(data: Array("-> \(target)\n".utf8))
        case S_IFDIR:
            for name in (try? FileManagerList.sortedNames(path)) ?? [] {
                try hash(path + "/" + name, relative: relative + "/" + name, into: &hasher)
            }
        default:
            throw .usage("COPY source \(path) is not a file, directory or symbolic link")
        }
    }
}
