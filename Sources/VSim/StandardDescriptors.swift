#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// vsim's own fds 0, 1 and 2 as it was started with them. A descriptor closed at start (`vsim run
/// PROG <&-`) is filled with /dev/null by ``reserve()``, so that no file vsim opens later (the
/// guest's RAM, a pipe, the ELF) lands on it and is taken for the guest's stdin or output. A
/// closed stdin is then given to the guest as closed (native: fd 0 closed in the child; user-mode
/// emulation: read(0) fails with EBADF; the guest kernel: the UART has no input connected); a
/// closed stdout or stderr is not yet modeled: what is written there is discarded.
///
/// A stdout or stderr that is a pipe whose reader has gone (`vsim ... | head -1`) is another
/// matter: ``reserve()`` also ignores SIGPIPE for the process (``StandardStreams``), so a guest
/// that runs in vsim's process gets its own SIGPIPE from vsim, and vsim's own output stops vsim
/// with 141 (128 + SIGPIPE) at the first write that finds the reader gone.
public enum StandardDescriptors {
    /// The standard descriptors that were closed when ``reserve()`` ran.
    public nonisolated(unsafe) private(set) static var closedAtStart: Set<Int32> = []

    /// Call first thing in `main`: records which of fds 0–2 are closed and opens /dev/null on
    /// each of them (open returns the lowest free descriptor); ignores SIGPIPE for the process
    /// (``StandardStreams/ignoreSIGPIPE()``: the one place vsim and vsim-lab do).
    public static func reserve() {
        StandardStreams.ignoreSIGPIPE()
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
