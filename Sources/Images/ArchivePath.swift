/// The checks on a name inside an archive, before anything is written: where an entry lands
/// and where a link points must stay inside the directory it is unpacked into.
enum ArchivePath {
    /// An entry name made relative and canonical: "./a//b/" becomes "a/b"; "." and "./" become ""
    /// (the root itself).
    /// - Throws: ``ImageError/hostileArchive(_:)`` for an absolute name or one with a ".."
    ///   component (both would write outside the root), or a NUL-free but empty component list
    ///   that is not the root.
    static func normalize(_ name: String, archive: String) throws(ImageError) -> String {
        if name.hasPrefix("/") {
            throw .hostileArchive("\(archive): entry '\(name)' has an absolute name (it would be written outside the directory it is unpacked into)")
        }
        var parts: [Substring] = []
        for c in name.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                throw .hostileArchive("\(archive): entry '\(name)' climbs out with '..' (path traversal)")
            }
            parts.append(c)
        }
        return parts.joined(separator: "/")
    }

    /// Whether a symbolic link at `entry` (normalized) with a *relative* `target` stays inside
    /// the root when resolved lexically from the link's directory.
    static func relativeTargetStaysInside(entry: String, target: String) -> Bool {
        var depth = entry.split(separator: "/").count - 1
        for c in target.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                depth -= 1
                if depth < 0 { return false }
            } else {
                depth += 1
            }
        }
        return true
    }

    /// The directory part of a normalized path ("" at the top).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// The last component of a normalized path.
    static func base(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
