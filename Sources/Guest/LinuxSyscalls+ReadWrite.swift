import Machine
#if canImport(Glibc)
import Glibc
#endif

/// read, write, writev and close on the descriptor table, and the clock reads (time,
/// gettimeofday, clock_gettime(64)) on the ``GuestClock``. `read` and `write` wait for their
/// host descriptor with `poll` no longer than ``LinuxHostCalls/deadline`` (writes go out in
/// pieces of at most PIPE_BUF, 4096 bytes, each after the descriptor polled writable), so a
/// guest blocked on a pipe or terminal still ends at the host time limit.
extension LinuxHostCalls {
    func read(_ fd: Int32, _ buffer: UInt32, _ count: UInt32) -> SyscallOutcome {
        let shown = "0x" + String(buffer, radix: 16)
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, "\(fd), \(shown), \(count)") }
        let n = min(count, 1 << 24)
        guard accessible(buffer, n, .write) else { return .error(.EFAULT, "\(fd), \(shown), \(count)") }
        var data = [UInt8](repeating: 0, count: Int(n))
        guard waitUntilReady(host, events: Int16(POLLIN)) else { return .timedOut("\(fd), \(shown), \(count)") }
        var got: Int
        repeat {
            got = data.withUnsafeMutableBytes { Glibc.read(host, $0.baseAddress, Int(n)) }
        } while got < 0 && errno == EINTR
        if got < 0 { return SyscallOutcome(value: -errno, arguments: "\(fd), \(shown), \(count)") }
        let bytes = Array(data[0..<got])
        guard writeGuest(bytes, at: buffer) else { return .error(.EFAULT, "\(fd), \(shown), \(count)") }
        return SyscallOutcome(value: Int32(got), arguments: "\(fd), \(LinuxProcess.quote(bytes)), \(count)")
    }

    func write(_ fd: Int32, _ buffer: UInt32, _ count: UInt32) -> SyscallOutcome {
        let shown = "0x" + String(buffer, radix: 16)
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, "\(fd), \(shown), \(count)") }
        guard let span = space.hostSpan(buffer, count), count == 0 || span.readable > 0 else {
            return .error(.EFAULT, "\(fd), \(shown), \(count)")
        }
        let args = "\(fd), \(LinuxProcess.quote(readGuest(buffer, min(span.readable, 33)) ?? [])), \(count)"
        if span.pieces.count > 1 {
            // Scattered host memory (the guest's pages behind its page tables): one host writev.
            guard waitUntilReady(host, events: Int16(POLLOUT)) else { return .timedOut(args) }
            var vectors = span.pieces.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            var n: Int
            repeat { n = Glibc.writev(host, &vectors, Int32(vectors.count)) } while n < 0 && errno == EINTR
            return SyscallOutcome(value: n < 0 ? -errno : Int32(n), arguments: args)
        }
        guard let result = writeAll(host, span.pieces.first ?? UnsafeRawBufferPointer(start: nil, count: 0)) else {
            return .timedOut(args)
        }
        return SyscallOutcome(value: result, arguments: args)
    }

    func writev(_ fd: Int32, _ iov: UInt32, _ count: UInt32) -> SyscallOutcome {
        let plain = "\(fd), 0x\(String(iov, radix: 16)), \(count)"
        guard let host = hostDescriptor(fd) else { return .error(.EBADF, plain) }
        guard count <= 1024 else { return .error(.EINVAL, plain) }
        guard let table = readGuest(iov, count * 8) else { return .error(.EFAULT, plain) }
        var pieces: [UnsafeRawBufferPointer] = []
        var shown: [String] = []
        for i in 0..<Int(count) {
            func word(_ o: Int) -> UInt32 {
                (0..<4).reduce(0) { $0 | UInt32(table[o + $1]) << (8 * UInt32($1)) }
            }
            let base = word(i * 8), length = word(i * 8 + 4)
            guard let span = space.hostSpan(base, length) else { return .error(.EFAULT, plain) }
            shown.append("{iov_base=\(LinuxProcess.quote(readGuest(base, min(span.readable, 33)) ?? [])), iov_len=\(length)}")
            pieces += span.pieces
            // The host stops at the first hole, as for write; a mapped but unreadable page ends
            // the data here.
            if span.readable < length { break }
        }
        let args = "\(fd), [\(shown.joined(separator: ", "))], \(count)"
        let total = pieces.reduce(0) { $0 + $1.count }
        if deadline == nil || total <= 4096 {
            // One host writev, as the guest asked (a pipe takes it whole or refuses it whole).
            guard waitUntilReady(host, events: Int16(POLLOUT)) else { return .timedOut(args) }
            var vectors = pieces.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            var n: Int
            repeat { n = Glibc.writev(host, &vectors, Int32(vectors.count)) } while n < 0 && errno == EINTR
            return SyscallOutcome(value: n < 0 ? -errno : Int32(n), arguments: args)
        }
        // More than PIPE_BUF under a time limit: piece by piece, so that no write blocks.
        var done: Int32 = 0
        for piece in pieces {
            guard let n = writeAll(host, piece) else { return done > 0 ? SyscallOutcome(value: done, arguments: args) : .timedOut(args) }
            if n < 0 { return SyscallOutcome(value: done > 0 ? done : n, arguments: args) }
            done += n
            if n < piece.count { break }
        }
        return SyscallOutcome(value: done, arguments: args)
    }

    /// Writes all of `bytes` (the value for EAX: the count, or -errno when nothing went out), or
    /// nil when the descriptor was still not writable at ``deadline``. With a deadline the bytes
    /// go out in pieces of at most PIPE_BUF, each after `poll` said the descriptor is writable,
    /// so that no piece blocks.
    func writeAll(_ host: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        let piece = deadline == nil ? Int.max : 4096
        var done = 0
        while done < bytes.count {
            guard waitUntilReady(host, events: Int16(POLLOUT)) else {
                return done > 0 ? Int32(done) : nil
            }
            let n = Glibc.write(host, bytes.baseAddress! + done, min(bytes.count - done, piece))
            if n < 0 {
                if errno == EINTR { continue }
                return done > 0 ? Int32(done) : -errno
            }
            done += n
        }
        return Int32(done)
    }

    /// Waits until `host` is ready for `events` (POLLIN, POLLOUT) or reports a hangup or error,
    /// at most until ``deadline``. False: the deadline passed first. Without a deadline, or when
    /// `poll` cannot watch the descriptor, true at once (the call then blocks as it would).
    func waitUntilReady(_ host: Int32, events: Int16) -> Bool {
        guard let deadline else { return true }
        while true {
            let left = deadline - ContinuousClock.now
            let (s, attos) = left.components
            let ms = s < 0 ? 0 : Int32(min(Int64(s) * 1000 + attos / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
            var p = pollfd(fd: host, events: events, revents: 0)
            let r = poll(&p, 1, ms)
            if r > 0 { return true }
            if r < 0 {
                if errno == EINTR { continue }
                return true
            }
            if ContinuousClock.now >= deadline { return false }
        }
    }

    /// `close(fd)`: the host descriptor is closed when vsim opened it for the guest; vsim's own
    /// stdin/stdout/stderr stay open.
    func close(_ fd: Int32) -> SyscallOutcome {
        files.close(fd) ? SyscallOutcome(value: 0, arguments: "\(fd)") : .error(.EBADF, "\(fd)")
    }

    /// `time(tloc)`: the seconds of CLOCK_REALTIME (``GuestClock``).
    func time(_ tloc: UInt32) -> SyscallOutcome {
        let now = UInt32(truncatingIfNeeded: clock.reading(of: 0)?.seconds ?? 0)
        let args = tloc == 0 ? "NULL" : "0x" + String(tloc, radix: 16)
        if tloc != 0 && !writeWords([now], at: tloc) { return .error(.EFAULT, args) }
        return SyscallOutcome(value: Int32(bitPattern: now), arguments: args)
    }

    /// `gettimeofday(tv, tz)`: CLOCK_REALTIME in the i386 `struct timeval` {sec, usec}; the
    /// time zone reads as UTC {0, 0}.
    func gettimeofday(_ tv: UInt32, _ tz: UInt32) -> SyscallOutcome {
        let now = clock.reading(of: 0) ?? (0, 0)
        let args = (tv == 0 ? "NULL" : "0x" + String(tv, radix: 16)) + ", " + (tz == 0 ? "NULL" : "0x" + String(tz, radix: 16))
        if tv != 0 && !writeWords([UInt32(truncatingIfNeeded: now.seconds), UInt32(now.nanoseconds / 1000)], at: tv) {
            return .error(.EFAULT, args)
        }
        if tz != 0 && !writeWords([0, 0], at: tz) { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `clock_gettime(clock, tp)` (`wide`: clock_gettime64, `struct __kernel_timespec` {sec 64,
    /// nsec 64}; else the i386 `struct timespec` {sec 32, nsec 32}).
    func clockGettime(_ id: UInt32, _ tp: UInt32, wide: Bool) -> SyscallOutcome {
        let args = "\(id), 0x\(String(tp, radix: 16))"
        guard id <= 7, let now = clock.reading(of: id) else { return .error(.EINVAL, args) }
        let sec = UInt64(bitPattern: now.seconds), nsec = UInt64(now.nanoseconds)
        let words: [UInt32] = wide
            ? [UInt32(truncatingIfNeeded: sec), UInt32(truncatingIfNeeded: sec >> 32), UInt32(nsec), 0]
            : [UInt32(truncatingIfNeeded: sec), UInt32(nsec)]
        if !writeWords(words, at: tp) { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: args)
    }
}
