import CLibArchive
#if canImport(Glibc)
import Glibc
#endif

/// Unpacks one tar archive (plain, or compressed with any filter libarchive knows: gzip, zstd,
/// xz, ...) into an empty directory, refusing every entry that could reach outside it.
///
/// Each entry is checked before libarchive writes it (``ArchivePath``): absolute names and ".."
/// are refused; a relative symbolic link must resolve inside the root; a hard link must name an
/// entry inside the root; character and block devices and sockets are refused; sizes are held to
/// ``ArchiveLimits``; a truncated or corrupt archive fails on its first bad read. libarchive's
/// own guards are on as well (`ARCHIVE_EXTRACT_SECURE_SYMLINKS`: never write through a symbolic
/// link; `ARCHIVE_EXTRACT_SECURE_NODOTDOT`). The caller unpacks into a fresh directory inside
/// the store and removes it when this throws, so a refused archive leaves nothing behind.
///
/// For an image layer (``Kind/layer(opaqueAttribute:)``) the OCI whiteouts (image-spec
/// layer.md "Whiteouts") become overlayfs whiteouts (kernel Documentation/filesystems/overlayfs.rst):
/// `DIR/.wh.NAME` becomes a character device 0/0 `DIR/NAME`; `DIR/.wh..wh..opq` becomes the
/// extended attribute `trusted.overlay.opaque=y` on DIR (`user.overlay.opaque` for an
/// unprivileged store, mounted with `userxattr`). Archives may not carry `*.overlay.*`
/// attributes themselves: only whiteout entries make whiteouts.
struct ArchiveExtractor {
    enum Kind: Equatable {
        /// A `docker save` or `oci-archive` tarball: files and directories (and relative links
        /// inside it), nothing else.
        case imageArchive
        /// An image layer: whiteouts converted; absolute symbolic links allowed (they are
        /// resolved inside the container's root, never while unpacking).
        case layer(opaqueAttribute: String)
    }

    /// What was unpacked.
    struct Summary {
        var entries = 0
        /// Bytes of file contents written.
        var bytes: Int64 = 0
        var whiteouts = 0
        var opaqueDirectories = 0
    }

    let kind: Kind
    let limits: ArchiveLimits

    /// Unpacks `archivePath` into `root` (an existing, empty directory whose path has no
    /// symbolic link in it). `shown` names the archive in messages.
    /// - Throws: ``ImageError/hostileArchive(_:)`` naming the entry, or ``ImageError/malformed(_:)``
    ///   for an archive libarchive cannot read.
    func extract(_ archivePath: String, into root: String, shown: String) throws(ImageError) -> Summary {
        try LibArchive.load()
        guard let reader = archive_read_new() else { throw .store("cannot allocate a libarchive reader") }
        defer { archive_read_free(reader) }
        archive_read_support_filter_all(reader)
        archive_read_support_format_tar(reader)
        guard archive_read_open_filename(reader, archivePath, 1 << 20) == ARCHIVE_OK else {
            throw .malformed("\(shown): cannot open as a tar archive: \(message(reader))")
        }
        guard let writer = archive_write_disk_new() else { throw .store("cannot allocate a libarchive writer") }
        defer { archive_write_free(writer) }
        var options = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        if case .layer = kind {
            options |= ARCHIVE_EXTRACT_XATTR
            if geteuid() == 0 { options |= ARCHIVE_EXTRACT_OWNER }
        }
        archive_write_disk_set_options(writer, options)

        var summary = Summary()
        var symlinks = Set<String>()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            var entry: OpaquePointer?
            let r = archive_read_next_header(reader, &entry)
            if r == ARCHIVE_EOF { break }
            guard r >= ARCHIVE_WARN, let entry else {
                throw .hostileArchive("\(shown): unreadable after \(summary.entries) entries (truncated or corrupt): \(message(reader))")
            }
            summary.entries += 1
            if summary.entries > limits.maxEntries {
                throw .hostileArchive("\(shown): more than \(limits.maxEntries) entries")
            }
            let rawName = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let path = try ArchivePath.normalize(rawName, archive: shown)
            let type = archive_entry_filetype(entry) & S_IFMT
            let declared = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0
            if declared > limits.maxEntryBytes {
                throw .hostileArchive("\(shown): entry '\(rawName)' declares \(declared) bytes, over the limit of \(limits.maxEntryBytes) per entry")
            }
            if summary.bytes + declared > limits.maxTotalBytes {
                throw .hostileArchive("\(shown): the entries up to '\(rawName)' exceed the limit of \(limits.maxTotalBytes) bytes in all")
            }
            try checkAttributes(entry, name: rawName, shown: shown)
            if path.isEmpty {
                if type != S_IFDIR { throw .hostileArchive("\(shown): entry '\(rawName)' names the root but is not a directory") }
                continue        // the root's own metadata: the store decides it
            }
            // Never write through a link this archive made (libarchive refuses too; this says so clearly).
            var prefix = ArchivePath.parent(path)
            while !prefix.isEmpty {
                if symlinks.contains(prefix) {
                    throw .hostileArchive("\(shown): entry '\(rawName)' would be written through the symbolic link '\(prefix)'")
                }
                prefix = ArchivePath.parent(prefix)
            }
            symlinks.remove(path)

            if case .layer(let opaque) = kind, ArchivePath.base(path).hasPrefix(".wh.") {
                try whiteout(path, rawName: rawName, opaque: opaque, root: root, writer: writer, shown: shown, summary: &summary)
                continue
            }
            let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
            if let linkName = hardlink {
                // A hard link's target is another entry's name: it must stay inside too.
                if linkName.hasPrefix("/") || linkName.split(separator: "/").contains("..") {
                    throw .hostileArchive("\(shown): hard link '\(rawName)' -> '\(linkName)' points out of the root")
                }
                let target = try ArchivePath.normalize(linkName, archive: shown)
                if target.isEmpty { throw .hostileArchive("\(shown): hard link '\(rawName)' points at the root") }
                archive_entry_set_hardlink(entry, root + "/" + target)
            }
            switch type {
            case _ where hardlink != nil:
                break
            case S_IFREG, S_IFDIR, S_IFIFO:
                break
            case S_IFLNK:
                let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                if target.isEmpty { throw .hostileArchive("\(shown): symbolic link '\(rawName)' has no target") }
                if target.hasPrefix("/") {
                    if kind == .imageArchive {
                        throw .hostileArchive("\(shown): symbolic link '\(rawName)' -> '\(target)' points out of the archive (absolute target)")
                    }
                } else if !ArchivePath.relativeTargetStaysInside(entry: path, target: target) {
                    throw .hostileArchive("\(shown): symbolic link '\(rawName)' -> '\(target)' points out of the root")
                }
                symlinks.insert(path)
            case S_IFCHR, S_IFBLK:
                let what = type == S_IFCHR ? "character" : "block"
                throw .hostileArchive("\(shown): entry '\(rawName)' is a \(what) device node \(archive_entry_rdevmajor(entry)):\(archive_entry_rdevminor(entry)) (image layers may not create devices)")
            default:
                throw .hostileArchive("\(shown): entry '\(rawName)' has an unsupported type (mode \(String(type, radix: 8)))")
            }
            archive_entry_set_pathname(entry, root + "/" + path)
            let w = archive_write_header(writer, entry)
            if w < ARCHIVE_WARN {
                throw .hostileArchive("\(shown): entry '\(rawName)' cannot be written: \(message(writer))")
            }
            if type == S_IFREG && hardlink == nil {
                summary.bytes += try copyData(reader, writer, buffer: &buffer, entry: rawName, shown: shown,
                                              already: summary.bytes)
            }
            if archive_write_finish_entry(writer) < ARCHIVE_WARN {
                throw .hostileArchive("\(shown): entry '\(rawName)' cannot be finished: \(message(writer))")
            }
        }
        if archive_write_close(writer) < ARCHIVE_WARN {
            throw .store("\(shown): setting the unpacked files' permissions and times failed: \(message(writer))")
        }
        return summary
    }

    /// Copies the current entry's data, holding it to the limits by the bytes actually read.
    private func copyData(_ reader: OpaquePointer, _ writer: OpaquePointer, buffer: inout [UInt8], entry: String,
                          shown: String, already: Int64) throws(ImageError) -> Int64 {
        var written: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(reader, $0.baseAddress, $0.count) }
            if n == 0 { return written }
            if n < 0 {
                throw .hostileArchive("\(shown): entry '\(entry)' is truncated or corrupt: \(message(reader))")
            }
            written += Int64(n)
            if written > limits.maxEntryBytes || already + written > limits.maxTotalBytes {
                throw .hostileArchive("\(shown): entry '\(entry)' is larger than the limits (\(limits.maxEntryBytes) bytes per entry, \(limits.maxTotalBytes) in all)")
            }
            let w = buffer.withUnsafeBytes { archive_write_data(writer, $0.baseAddress, n) }
            if w < 0 { throw .store("\(shown): writing entry '\(entry)' failed: \(message(writer))") }
        }
    }

    /// Refuses overlayfs's own attributes in an archive (only whiteout entries make whiteouts).
    private func checkAttributes(_ entry: OpaquePointer, name: String, shown: String) throws(ImageError) {
        archive_entry_xattr_reset(entry)
        var key: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK {
            guard let key else { continue }
            let k = String(cString: key)
            if k.hasPrefix("trusted.overlay.") || k.hasPrefix("user.overlay.") {
                throw .hostileArchive("\(shown): entry '\(name)' carries the overlayfs attribute \(k) (whiteouts must be .wh. entries)")
            }
        }
        archive_entry_xattr_reset(entry)
    }

    /// `DIR/.wh..wh..opq`: DIR becomes opaque; `DIR/.wh.NAME`: a 0/0 character device DIR/NAME.
    private func whiteout(_ path: String, rawName: String, opaque: String, root: String, writer: OpaquePointer,
                          shown: String, summary: inout Summary) throws(ImageError) {
        let dir = ArchivePath.parent(path)
        let base = ArchivePath.base(path)
        guard let e = archive_entry_new() else { throw .store("cannot allocate a libarchive entry") }
        defer { archive_entry_free(e) }
        let what: String
        if base == ".wh..wh..opq" {
            // Rewrite the directory's own entry with the attribute, keeping its metadata.
            let full = dir.isEmpty ? root : root + "/" + dir
            var st = stat()
            if lstat(full, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw .hostileArchive("\(shown): opaque marker '\(rawName)' is inside '\(dir)', which is not a directory")
                }
                archive_entry_set_mode(e, st.st_mode)
                archive_entry_set_uid(e, Int64(st.st_uid))
                archive_entry_set_gid(e, Int64(st.st_gid))
                archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
            } else {
                archive_entry_set_mode(e, S_IFDIR | 0o755)
            }
            archive_entry_set_pathname(e, full)
            archive_entry_xattr_add_entry(e, opaque, "y", 1)
            summary.opaqueDirectories += 1
            what = "mark '\(dir.isEmpty ? "/" : dir)' opaque (\(opaque)=y)"
        } else if base.hasPrefix(".wh..wh.") {
            throw .hostileArchive("\(shown): entry '\(rawName)' is an unknown whiteout metadata name (only .wh..wh..opq is defined)")
        } else {
            let name = String(base.dropFirst(4))
            if name.isEmpty || name == "." || name == ".." {
                throw .hostileArchive("\(shown): whiteout '\(rawName)' names no file")
            }
            archive_entry_set_pathname(e, root + "/" + (dir.isEmpty ? name : dir + "/" + name))
            archive_entry_set_mode(e, S_IFCHR | 0)
            archive_entry_set_rdev(e, 0)
            summary.whiteouts += 1
            what = "create the whiteout (character device 0/0) for '\(rawName)'"
        }
        if archive_write_header(writer, e) != ARCHIVE_OK || archive_write_finish_entry(writer) != ARCHIVE_OK {
            let privilege = geteuid() != 0 ? " (an unprivileged store needs a kernel that allows 0/0 whiteouts and user xattrs here)" : ""
            throw .store("\(shown): cannot \(what): \(message(writer))\(privilege)")
        }
    }

    private func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "no detail from libarchive"
    }
}
