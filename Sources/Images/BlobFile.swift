import CLibArchive
import Crypto
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// Reading blobs: their SHA-256 and size, a verified copy, and the digest of a compressed
/// layer's uncompressed stream (its diff ID).
enum BlobFile {
    /// The digest and size of the file at `path`; with `copyTo`, also writes the bytes there
    /// (a new file, mode 0644) as it reads them.
    static func digest(_ path: String, copyTo destination: String? = nil) throws(ImageError) -> (Digest, Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .missing("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: Int32 = -1
        if let destination {
            out = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            if out < 0 { throw .store("cannot create \(destination): \(String(cString: strerror(errno)))") }
        }
        defer { if out >= 0 { close(out) } }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { (b) throws(HostError) in try HostIO.read(fd, into: b) } } catch {
                throw .store("reading \(path): \(error)")
            }
            if n == 0 { break }
            let chunk = buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<n]) }
            hasher.update(bufferPointer: chunk)
            size += Int64(n)
            if out >= 0, let code = buffer.withUnsafeBytes({ HostIO.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                throw .store("writing \(destination ?? ""): \(HostError.describe(code))")
            }
        }
        return (Digest(hex: hasher.finalize().hexString), size)
    }

    /// The SHA-256 of the decompressed stream of `path` (gzip, zstd, ... as libarchive detects
    /// it): an OCI layer's diff ID. At most `limit` bytes are read.
    static func uncompressedDigest(_ path: String, shown: String, limit: Int64) throws(ImageError) -> Digest {
        try LibArchive.load()
        guard let reader = archive_read_new() else { throw .store("cannot allocate a libarchive reader") }
        defer { archive_read_free(reader) }
        archive_read_support_filter_all(reader)
        archive_read_support_format_raw(reader)
        func detail() -> String { archive_error_string(reader).map { String(cString: $0) } ?? "no detail from libarchive" }
        guard archive_read_open_filename(reader, path, 1 << 20) == ARCHIVE_OK else {
            throw .malformed("\(shown): cannot be opened for decompression: \(detail())")
        }
        var hasher = SHA256()
        var entry: OpaquePointer?
        let r = archive_read_next_header(reader, &entry)
        if r == ARCHIVE_EOF { return Digest(hex: hasher.finalize().hexString) }
        guard r >= ARCHIVE_WARN else { throw .hostileArchive("\(shown): cannot decompress: \(detail())") }
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(reader, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 { throw .hostileArchive("\(shown): truncated or corrupt compressed stream: \(detail())") }
            total += Int64(n)
            if total > limit { throw .hostileArchive("\(shown): decompresses to more than \(limit) bytes") }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return Digest(hex: hasher.finalize().hexString)
    }

    /// The whole (small: JSON) file, at most `limit` bytes.
    static func read(_ path: String, limit: Int = 16 << 20) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .missing("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            return try HostIO.readToEnd(fd, limit: limit)
        } catch .tooLarge {
            throw .malformed("\(path): larger than \(limit) bytes (not an image's JSON)")
        } catch {
            throw .store("reading \(path): \(error)")
        }
    }
}
