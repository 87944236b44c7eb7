#if canImport(Glibc)
import Glibc
#endif

/// The peak resident set size of one in-process run (interpret, translate): vsim resets the
/// kernel's high-water mark just before the run and reads it right after, so the number covers
/// that run only (guest memory, interpreter or translator, and vsim's own baseline), not what
/// the process did before: `getrusage`'s `ru_maxrss` would also hold earlier runs of a compare
/// and whatever the process that exec'd vsim had touched (Linux carries it across `execve`).
///
/// Linux: writing `5` to `/proc/self/clear_refs` resets `VmHWM` to the current RSS (proc(5));
/// `VmHWM` in `/proc/self/status` is then the peak. Where either is unavailable the peak is
/// unknown (nil, shown as `-`).
enum PeakMemory {
    /// Resets the high-water mark; false when the kernel does not let vsim.
    static func reset() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// `VmHWM` in bytes, or nil.
    static func peak() -> UInt64? {
        guard let bytes = try? readFile("/proc/self/status") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.dropFirst(6).filter { $0.isNumber }
            return UInt64(digits).map { $0 * 1024 }     // "VmHWM:    17300 kB"
        }
        return nil
    }
}
