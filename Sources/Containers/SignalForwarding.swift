import CContainerShim
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT blocked in the calling thread and read from a signalfd
/// while a container runs, so that vsim forwards them and still tears down (the init inherits
/// the blocked mask through clone and the shim empties it before execve).
final class SignalForwarding {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    let fd: Int32
    private var previous = sigset_t()

    init?() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in SignalForwarding.forwarded { sigaddset(&set, s) }
        guard pthread_sigmask(SIG_BLOCK, &set, &previous) == 0 else { return nil }
        fd = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        if fd < 0 {
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            return nil
        }
    }

    /// The next pending signal, if any.
    func take() -> Int32? {
        var info = [UInt8](repeating: 0, count: 128)   // struct signalfd_siginfo
        let n = info.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n == 128 else { return nil }
        return info.withUnsafeBytes { Int32(bitPattern: $0.loadUnaligned(as: UInt32.self)) }
    }

    /// Restores the mask. A signal still pending then is delivered as usual: a ^C during
    /// teardown still ends vsim, after the cleanup.
    func restore() {
        close(fd)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
}
