#if canImport(Glibc)
import Glibc
#endif
import Machine

/// A harness's orderly stop at SIGINT, SIGTERM, SIGHUP or SIGQUIT (`vsim grade` under
/// Gradescope's or a CI job's timeout): after ``hold()`` the four signals no longer end the
/// process by their default action. They are still passed on to a host process that runs a
/// guest (``ChildSignalRelay``: `native`, `qemu`; `container` forwards them to its init), and
/// an in-process run (interpret, translate, the modeled VMMs) registered with
/// ``whileRunning(_:_:)`` is ended through its ``KillRequest`` (within 2^20 guest
/// instructions). The harness then reads ``received`` after each run, stops, cleans up and
/// exits 128 + the signal, as `vsim compare` does (docs/exit-status.md).
///
/// The signal handler only records the signal and writes a byte to a pipe; a thread of this
/// type reads the pipe and makes the kill requests (Swift objects are not touched in a handler).
/// A signal whose disposition was not the default one (ignored under `nohup`) stays as it was;
/// the four are unblocked in the calling thread (a blocked mask is inherited across exec).
public enum StopSignal {
    /// Keeps the four signals from ending this process from now on (idempotent).
    public static func hold() {
        state.lock.lock()
        defer { state.lock.unlock() }
        guard !state.holding else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        state.holding = true
        state.reader = fds[0]
        // A pthread, not Foundation's Thread: the VSim module stays off Foundation, whose 1,800
        // conformance records every `vsim` start would walk (docs/performance.md, "Start-up").
        var thread = pthread_t()
        guard pthread_create(&thread, nil, { _ in StopSignal.readNotifications(); return nil }, nil) == 0 else {
            fds.forEach { close($0) }
            state.holding = false
            return
        }
        pthread_detach(thread)
        ChildSignalRelay.hold(notify: fds[1])
        // A mask inherited blocked (a parent's worker thread spawned us: libdispatch's block
        // nearly every signal, and posix_spawn keeps the mask) would hold them for ever.
        var set = sigset_t()
        sigemptyset(&set)
        ChildSignalRelay.relayed.forEach { sigaddset(&set, $0) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The first of the four signals received since ``hold()``; nil: none (or not held).
    public static var received: Int32? {
        let s = ChildSignalRelay.heldSignal
        return s == 0 ? nil : s
    }

    /// Runs `body` (an in-process run) with `request` killed as soon as a held signal arrives,
    /// or at once when one arrived before. `request` nil: `body` alone.
    public static func whileRunning<T, E: Error>(_ request: KillRequest?, _ body: () throws(E) -> T) throws(E) -> T {
        guard let request else { return try body() }
        state.lock.lock()
        let id = state.next
        state.next += 1
        state.requests[id] = request
        state.lock.unlock()
        if received != nil { request.kill() }
        defer {
            state.lock.lock()
            state.requests[id] = nil
            state.lock.unlock()
        }
        return try body()
    }

    /// The reader thread's loop: each byte the handler writes kills every registered run.
    private static func readNotifications() {
        var byte: UInt8 = 0
        while true {
            let n = read(state.reader, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            state.lock.lock()
            state.requests.values.forEach { $0.kill() }
            state.lock.unlock()
        }
    }

    private final class State: @unchecked Sendable {
        let lock = RelayLock()
        var holding = false
        /// The read end of the handler's pipe (set before the reader thread starts).
        var reader: Int32 = -1
        var next = 0
        var requests: [Int: KillRequest] = [:]
    }

    private static let state = State()
}
