#if canImport(Glibc)
import Glibc
#endif

/// vsim's own fds 0, 1 and 2 as it was started with them. A descriptor closed at start (`vsim run
/// PROG <&-`) is filled with /dev/null by ``reserve()``, so that no file vsim opens later (the
/// guest's RAM, a pipe, the ELF) lands on it and is taken for the guest's stdin or output. A
/// closed stdin is then given to the guest as closed (native: fd 0 closed in the child; user-mode
/// emulation: read(0) fails with EBADF; the guest kernel: the UART has no input connected); a
/// closed stdout or stderr is not yet modeled: what is written there is discarded.
public enum StandardDescriptors {
    /// The standard descriptors that were closed when ``reserve()`` ran.
    public nonisolated(unsafe) private(set) static var closedAtStart: Set<Int32> = []

    /// Call first thing in `main`: records which of fds 0–2 are closed and opens /dev/null on
    /// each of them (open returns the lowest free descriptor).
    public static func reserve() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            closedAtStart.insert(fd)
        }
        for fd in closedAtStart.sorted() {
            let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0 && null != fd { dup2(null, fd); close(null) }
        }
    }

    /// Whether vsim's stdin was closed at start: the guest's stdin is then closed too.
    public static var stdinClosed: Bool { closedAtStart.contains(0) }
}
