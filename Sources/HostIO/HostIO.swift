#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// The loops every host read and write needs, in one place: retry on `EINTR`, go on after a short
/// count, stop at end of file. Failures come back as the host `errno` (a positive value), so each
/// caller words its own message with the path or option it was working on.
public enum HostIO {
    /// Writes all of `bytes` to `fd` with as many `write(2)` calls as it takes.
    /// - Returns: nil when every byte was written; else the `errno` of the failing call
    ///   (`EPIPE`, `ENOSPC`, ...; 0 if `write` returned 0 without an error).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return 0 }
            done += n
        }
        return nil
    }

    /// ``writeAll(_:_:)-(Int32,UnsafeRawBufferPointer)`` for an array of bytes.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// ``writeAll(_:_:)-(Int32,UnsafeRawBufferPointer)`` for the UTF-8 of `text`.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// One `read(2)` into `buffer`, retried on `EINTR` (a streaming reader's step).
    /// - Returns: the byte count (0 at end of file).
    /// - Throws: ``HostError`` with the failing `errno`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(HostError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw HostError(errno) }
        }
    }

    /// One `read(2)` of up to `count` bytes, retried on `EINTR`.
    /// - Returns: the bytes read (empty at end of file), or the failing `errno`.
    public static func readSome(_ fd: Int32, upTo count: Int) -> Result<[UInt8], HostError> {
        var buffer = [UInt8](repeating: 0, count: max(1, count))
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(HostError(errno))
            }
            return .success(Array(buffer[0..<n]))
        }
    }

    /// Reads `fd` from its current offset to end of file.
    /// - Parameter limit: the most bytes to accept; more is ``HostError/tooLarge``.
    /// - Throws: ``HostError`` with the failing `errno`, or `tooLarge`.
    public static func readToEnd(_ fd: Int32, limit: Int = Int.max) throws(HostError) -> [UInt8] {
        var out: [UInt8] = []
        let failure: HostError? = withChunkBuffer { buffer in
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    return HostError(errno)
                }
                if n == 0 { return nil }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
                if out.count > limit { return HostError.tooLarge(limit: limit) }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Reads `fd` from offset 0 to end of file with `pread(2)`, leaving its offset alone
    /// (a temporary file another process wrote).
    /// - Throws: ``HostError`` with the failing `errno`.
    public static func preadAll(_ fd: Int32) throws(HostError) -> [UInt8] {
        var out: [UInt8] = []
        let failure: HostError? = withChunkBuffer { buffer in
            while true {
                let n = pread(fd, buffer.baseAddress, buffer.count, off_t(out.count))
                if n < 0 {
                    if errno == EINTR { continue }
                    return HostError(errno)
                }
                if n == 0 { return nil }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Runs `body` with a 64 KiB scratch buffer for `read(2)`, left uninitialized: zero-filling
    /// it cost more than reading the small files most calls read (/proc files, the seccomp cache).
    private static func withChunkBuffer<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536, body)
    }

    /// Reads the whole file at `path`.
    /// - Throws: ``HostError`` with the `errno` of `open` or `read`, or `tooLarge` past `limit` bytes.
    public static func readFile(_ path: String, limit: Int = Int.max) throws(HostError) -> [UInt8] {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw HostError(errno) }
        defer { close(fd) }
        return try readToEnd(fd, limit: limit)
    }

    /// The names in the directory at `path`, without "." and "..", in `readdir(3)` order.
    /// - Throws: ``HostError`` with the `errno` of `opendir`.
    public static func directoryEntries(_ path: String) throws(HostError) -> [String] {
        guard let dir = opendir(path) else { throw HostError(errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a temporary directory that holds only files (vsim's scratch folders): unlinks
    /// each entry, then the directory. Failures are ignored (a best-effort cleanup).
    public static func removeFlatDirectory(_ path: String) {
        for name in (try? directoryEntries(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    /// `waitpid`/`wait4`/`waitid`-style calls retried while they fail with `EINTR`.
    /// - Returns: the call's last result.
    @inline(__always)
    public static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let r = call()
            if r < 0 && errno == EINTR { continue }
            return r
        }
    }
}

/// A host call that failed: its `errno`, or a size past the caller's limit.
public enum HostError: Error, Equatable, CustomStringConvertible {
    /// The host call failed with this `errno`.
    case code(Int32)
    /// More than `limit` bytes arrived.
    case tooLarge(limit: Int)

    public init(_ code: Int32) { self = .code(code) }

    /// "No such file or directory (ENOENT)", or "more than N bytes".
    public var description: String {
        switch self {
        case .code(let code): return HostError.describe(code)
        case .tooLarge(let limit): return "more than \(limit) bytes"
        }
    }

    /// `strerror` text with the errno's name: "Permission denied (EACCES)".
    public static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let name = ErrnoName.table[code] else { return text }
        return "\(text) (\(name))"
    }
}
