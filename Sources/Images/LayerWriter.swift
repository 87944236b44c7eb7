import CLibArchive
import Crypto
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Writes a directory as an OCI layer: an uncompressed tar (pax format), entries in sorted
/// order, with overlayfs's whiteouts turned back into OCI ones (the reverse of
/// ``ArchiveExtractor``): a character device 0/0 becomes an empty `.wh.NAME`, a directory with
/// the opaque attribute gets a `.wh..wh..opq` entry, and no `*.overlay.*` attribute is written.
/// That is how a `RUN` step's upper layer becomes an image layer (image-spec layer.md
/// "Representing Changes").
struct LayerWriter {
    /// Top-level names skipped when they are empty directories: the mount points a container's
    /// init creates in its upper layer (/dev, /proc, /sys, /tmp are mounted over them).
    var skipEmptyTopLevel: Set<String> = []

    struct Written {
        var digest: Digest
        var size: Int64
    }

    /// Writes the tar of `directory` to `output` and returns its digest (the layer's diff ID,
    /// and its blob digest: the layer is stored uncompressed).
    func write(_ directory: String, to output: String) throws(ImageError) -> Written {
        try LibArchive.load()
        guard let disk = archive_read_disk_new() else { throw .store("cannot allocate a libarchive disk reader") }
        defer { archive_read_free(disk) }
        archive_read_disk_set_symlink_physical(disk)
        guard let writer = archive_write_new() else { throw .store("cannot allocate a libarchive writer") }
        defer { archive_write_free(writer) }
        archive_write_set_format_pax_restricted(writer)
        archive_write_set_bytes_in_last_block(writer, 1)
        guard archive_write_open_filename(writer, output) == ARCHIVE_OK else {
            throw .store("cannot create the layer \(output): \(message(writer))")
        }
        var state = State(disk: disk, writer: writer)
        try add(directory, relative: "", state: &state)
        guard archive_write_close(writer) == ARCHIVE_OK else { throw .store("writing the layer \(output) failed: \(message(writer))") }
        let (digest, size) = try BlobFile.digest(output)
        return Written(digest: digest, size: size)
    }

    private struct State {
        var disk: OpaquePointer
        var writer: OpaquePointer
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    private func add(_ root: String, relative: String, state: inout State) throws(ImageError) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        guard let names = try? FileManagerList.sortedNames(dir) else { throw .store("cannot list \(dir)") }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + rel
            var st = stat()
            guard lstat(full, &st) == 0 else { throw .store("cannot stat \(full): \(String(cString: strerror(errno)))") }
            let type = st.st_mode & S_IFMT
            if relative.isEmpty && skipEmptyTopLevel.contains(name) && type == S_IFDIR && ((try? FileManagerList.sortedNames(full)) ?? ["?"]).isEmpty {
                continue
            }
            if type == S_IFCHR && st.st_rdev == 0 {
                try entry(relative.isEmpty ? ".wh." + name : relative + "/.wh." + name, mode: S_IFREG | 0o644, state: &state)
                continue
            }
            guard let e = archive_entry_new() else { throw .store("cannot allocate a libarchive entry") }
            defer { archive_entry_free(e) }
            archive_entry_copy_pathname(e, full)
            archive_entry_copy_sourcepath(e, full)
            if archive_read_disk_entry_from_file(state.disk, e, -1, &st) < ARCHIVE_WARN {
                throw .store("cannot read the metadata of \(full): \(message(state.disk))")
            }
            let opaque = stripOverlayAttributes(e)
            archive_entry_copy_pathname(e, type == S_IFDIR ? rel + "/" : rel)
            archive_entry_set_uname(e, nil)
            archive_entry_set_gname(e, nil)
            if archive_write_header(state.writer, e) < ARCHIVE_WARN {
                throw .store("cannot add \(rel) to the layer: \(message(state.writer))")
            }
            if type == S_IFREG && st.st_size > 0 { try copy(full, state: &state) }
            if type == S_IFDIR {
                if opaque { try entry(rel + "/.wh..wh..opq", mode: S_IFREG | 0o644, state: &state) }
                try add(root, relative: rel, state: &state)
            }
        }
    }

    /// Drops every `trusted.overlay.*` / `user.overlay.*` attribute; returns whether the
    /// directory was opaque.
    private func stripOverlayAttributes(_ e: OpaquePointer) -> Bool {
        var kept: [(String, [UInt8])] = []
        var opaque = false
        archive_entry_xattr_reset(e)
        var key: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK {
            guard let key else { continue }
            let k = String(cString: key)
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            if k == "trusted.overlay.opaque" || k == "user.overlay.opaque" {
                opaque = opaque || bytes == Array("y".utf8)
            } else if !k.hasPrefix("trusted.overlay.") && !k.hasPrefix("user.overlay.") {
                kept.append((k, bytes))
            }
        }
        archive_entry_xattr_clear(e)
        for (k, v) in kept { v.withUnsafeBytes { archive_entry_xattr_add_entry(e, k, $0.baseAddress, $0.count) } }
        return opaque
    }

    /// An empty entry (a whiteout) owned by root.
    private func entry(_ path: String, mode: mode_t, state: inout State) throws(ImageError) {
        guard let e = archive_entry_new() else { throw .store("cannot allocate a libarchive entry") }
        defer { archive_entry_free(e) }
        archive_entry_copy_pathname(e, path)
        archive_entry_set_mode(e, mode)
        archive_entry_set_size(e, 0)
        if archive_write_header(state.writer, e) < ARCHIVE_WARN {
            throw .store("cannot add \(path) to the layer: \(message(state.writer))")
        }
    }

    private func copy(_ path: String, state: inout State) throws(ImageError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw .store("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while true {
            let n: Int
            do { n = try state.buffer.withUnsafeMutableBytes { (b) throws(HostError) in try HostIO.read(fd, into: b) } } catch {
                throw .store("reading \(path): \(error)")
            }
            if n == 0 { return }
            let w = state.buffer.withUnsafeBytes { archive_write_data(state.writer, $0.baseAddress, n) }
            if w < 0 { throw .store("writing \(path) into the layer: \(message(state.writer))") }
        }
    }

    private func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "no detail from libarchive"
    }
}

/// Directory listing in byte order (so a layer's tar does not depend on readdir's order).
enum FileManagerList {
    struct Unreadable: Error {}

    /// The names in `path` in byte order (a layer's entries in a reproducible order).
    static func sortedNames(_ path: String) throws -> [String] {
        guard let names = try? HostIO.directoryEntries(path) else { throw Unreadable() }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
