#if canImport(Glibc)
import Glibc
#endif

/// One guest output stream (stdout or stderr, or a COM port) captured in an unlinked temporary
/// file, so that the guest never blocks on a full pipe while the REPL is busy stepping; the REPL
/// reads what is new at each stop and shows it marked as the guest's.
///
/// ``shown`` is a high-water mark in bytes: only bytes past it are shown. After a reverse step the
/// system modes replay the guest from boot into a fresh capture, and output the student has
/// already seen is not shown a second time when the replayed guest writes it again.
final class GuestOutput {
    let fd: Int32

    init() throws(REPLError) {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(dir)/vsim-repl-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .host("cannot create a temporary file for guest output in \(dir) (errno \(errno))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Bytes the guest has written so far.
    var size: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// The bytes written past `shown`, advancing it.
    func take(since shown: inout Int) -> [UInt8] {
        let end = size
        guard end > shown else { return [] }
        var out = [UInt8](repeating: 0, count: end - shown)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, end - shown, off_t(shown)) }
        guard n > 0 else { return [] }
        out.removeLast(out.count - n)
        shown += n
        return out
    }
}

/// Opens the guest's stdin: a file the student named, or /dev/null (the terminal belongs to the
/// REPL, and in batch mode standard input holds the commands).
func openGuestInput(_ path: String?) throws(REPLError) -> Int32 {
    let p = path ?? "/dev/null"
    let fd = open(p, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .usage("cannot open --input \(p): \(String(cString: strerror(errno)))") }
    return fd
}
