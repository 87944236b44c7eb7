import Crypto
import Dispatch
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// A guest's stdout read through a pipe as it is written and kept only as what `vsim compare`
/// needs: its size, its SHA-256 and the first ``prefixLimit`` bytes (for the mismatch message).
/// A guest that writes without end costs neither memory nor disk space. Without a ``limit`` it
/// ends at the time limit; with one (the grader's `max_output`), the reader stops and closes the
/// pipe's read end as soon as more than `limit` bytes came through, so the guest's next write
/// fails with EPIPE and SIGPIPE, as a native writer's does when its reader (`head -c`) has gone:
/// the run ends at once instead of writing until its time limit (``Summary/limitExceeded``).
/// A guest that goes on anyway (it ignores SIGPIPE, or loops on EPIPE, or stops writing) is
/// killed as a harness kills what it started: the reader then also makes ``killRequest``, which
/// the backend gave the run's process or machine, and the run ends within
/// ``Interpreter/deadlineCheckInterval`` instructions as killed by SIGKILL (137).
///
/// A reader thread drains the pipe while the run goes on. ``finish()``, called after the guest
/// has ended, takes what is still in the pipe and stops the reader even if some descendant of a
/// native guest still holds the write end.
public final class StreamedOutput: @unchecked Sendable, Equatable {
    /// Bytes kept from the start of the output: 64 KiB.
    public static let prefixLimit = 64 << 10

    /// What the guest wrote.
    public struct Summary: Sendable, Equatable {
        /// Bytes written.
        public var size: UInt64
        /// SHA-256 of all of them, lower-case hex.
        public var sha256: String
        /// The first min(size, ``StreamedOutput/prefixLimit``) bytes.
        public var prefix: [UInt8]
        /// Whether more than ``StreamedOutput/limit`` bytes came through, so that the reader
        /// stopped there (then `size` and `sha256` cover only what it read, at least limit + 1 bytes).
        public var limitExceeded = false
    }

    /// Bytes after which the reader stops and closes the read end (nil: none).
    public let limit: UInt64?
    /// With a ``limit``: killed by the reader right after it closed the read end at the limit.
    public let killRequest: KillRequest?

    /// The descriptor to give the guest as its stdout (close-on-exec; a spawned child gets a copy).
    public let writeDescriptor: Int32
    private let readDescriptor: Int32
    /// Closing `stopWrite` tells the reader to drain what is left and stop.
    private let stopRead: Int32, stopWrite: Int32
    private let done = DispatchSemaphore(value: 0)
    /// Written by the reader thread only, read after `done` was signalled.
    private var summary: Summary?
    /// Set by ``finish()``, which closes the write ends.
    private var finished = false
    /// Set by the reader when it closed the read end at ``limit`` (read after `done`).
    private var readClosed = false

    /// - Parameter limit: bytes after which the capture stops, the writer gets EPIPE and the run
    ///   is killed (``killRequest``; nil: none).
    /// - Throws: ``VSimError/host(_:status:)`` when the pipes cannot be created.
    public init(limit: UInt64? = nil) throws(VSimError) {
        self.limit = limit
        killRequest = limit == nil ? nil : KillRequest()
        var data: [Int32] = [0, 0], stop: [Int32] = [0, 0]
        guard StreamedOutput.makePipe(&data) else {
            throw .host("cannot create a pipe for the guest's output: \(String(cString: strerror(errno)))")
        }
        guard StreamedOutput.makePipe(&stop) else {
            let e = errno
            close(data[0]); close(data[1])
            throw .host("cannot create a pipe for the guest's output: \(String(cString: strerror(e)))")
        }
        (readDescriptor, writeDescriptor, stopRead, stopWrite) = (data[0], data[1], stop[0], stop[1])
        _ = fcntl(readDescriptor, F_SETFL, fcntl(readDescriptor, F_GETFL) | O_NONBLOCK)
        DispatchQueue.global().async { [self] in
            summary = drain()
            done.signal()
        }
    }

    deinit {
        if !finished {
            // Never finished (the run did not start): stop the reader before closing its ends.
            close(writeDescriptor)
            close(stopWrite)
            done.wait()
        }
        if !readClosed { close(readDescriptor) }
        close(stopRead)
    }

    public static func == (a: StreamedOutput, b: StreamedOutput) -> Bool { a === b }

    /// A pipe whose two ends are close-on-exec.
    static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Ends the capture (call once, after the run): returns the output's summary.
    public func finish() -> Summary {
        if !finished {
            finished = true
            close(writeDescriptor)
            close(stopWrite)
            done.wait()
        }
        return summary!
    }

    private func drain() -> Summary {
        var hasher = SHA256()
        var size: UInt64 = 0
        var prefix: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var stopping = false
        var exceeded = false
        while true {
            var fds = [pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, stopping ? 1 : 2, stopping ? 0 : -1)
            if ready < 0 && errno == EINTR { continue }
            if !stopping && fds[1].revents != 0 { stopping = true }
            if fds[0].revents == 0 {
                if stopping { break }       // the guest has ended and the pipe is empty
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(readDescriptor, $0.baseAddress, $0.count) }
            if n > 0 {
                let chunk = buffer[0..<n]
                hasher.update(data: chunk)
                size += UInt64(n)
                if prefix.count < StreamedOutput.prefixLimit {
                    prefix += chunk.prefix(StreamedOutput.prefixLimit - prefix.count)
                }
                if let limit, size > limit {
                    // Past the limit: no reader any more, so the writer's next write is EPIPE.
                    close(readDescriptor)
                    readClosed = true
                    exceeded = true
                    killRequest?.kill()     // and one that goes on anyway is killed
                    break
                }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                break       // every writer closed (or the pipe failed)
            }
        }
        let digest = hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return Summary(size: size, sha256: digest, prefix: prefix, limitExceeded: exceeded)
    }
}
