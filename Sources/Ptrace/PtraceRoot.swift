#if canImport(Glibc)
import Glibc
#endif

/// A host directory shown to the tracee as `/` (PRoot's `-r`): guest paths resolved inside it,
/// component by component, with every symbolic link read and interpreted as the guest would see
/// it (an absolute target starts again at the root; `..` stops at the root), so no path, link
/// or `..` leads out. The same rule as openat2(2)'s RESOLVE_IN_ROOT, applied by the tracer
/// because the tracee's own system call gets a plain host path.
public struct PtraceRoot: Sendable, Equatable {
    /// The root's canonical host path (no trailing slash, no links).
    public let hostPath: String

    /// The symbolic links followed in one resolution before it fails with ELOOP (Linux's limit).
    public static let maximumLinks = 40

    /// - Throws: ``PtraceError/root(_:)`` when `directory` is not an existing directory.
    public init(_ directory: String) throws(PtraceError) {
        guard let real = realpath(directory, nil) else {
            throw .root("--root \(directory): \(String(cString: strerror(errno))); give an existing directory to show as /")
        }
        defer { free(real) }
        let path = String(cString: real)
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            throw .root("--root \(directory) is not a directory; give a directory to show as /")
        }
        hostPath = path == "/" ? "" : path
    }

    /// The host path for guest path `path` (absolute, or relative to guest directory `base`),
    /// following a link in the last component when `followLast`.
    /// - Returns: the host path, or nil when more than ``maximumLinks`` links were met (ELOOP).
    public func hostPath(for path: String, base: String, followLast: Bool) -> String? {
        let full = path.hasPrefix("/") ? path : base + "/" + path
        var pending = full.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed() as [String]
        var resolved: [String] = []
        var links = 0
        while let c = pending.popLast() {
            if c == "." { continue }
            if c == ".." { if !resolved.isEmpty { resolved.removeLast() }; continue }
            if !pending.isEmpty || followLast, let target = link(hostPath + "/" + (resolved + [c]).joined(separator: "/")) {
                links += 1
                if links > Self.maximumLinks { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            resolved.append(c)
        }
        let trailing = path.hasSuffix("/") && !resolved.isEmpty ? "/" : ""
        let joined = hostPath + "/" + resolved.joined(separator: "/") + trailing
        return joined
    }

    /// The guest path of host path `path`: `/` for the root, the part below it for a path
    /// inside; nil for a path outside the root.
    public func guestPath(forHost path: String) -> String? {
        if path == hostPath || path == hostPath + "/" { return "/" }
        if hostPath.isEmpty { return path }
        guard path.hasPrefix(hostPath + "/") else { return nil }
        return String(path.dropFirst(hostPath.count))
    }

    /// The target of the symbolic link at host path `path`, or nil when it is not a link.
    private func link(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
