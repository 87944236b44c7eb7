#if canImport(Glibc)
import Glibc
#endif

/// One open guest file descriptor: the host descriptor behind it.
struct GuestFile {
    /// The host descriptor.
    var host: Int32
    /// vsim opened `host` for the guest (it is closed with the guest descriptor); false for
    /// vsim's own stdin/stdout/stderr behind guest 0–2 (and their duplicates), which stay open.
    var owned: Bool
    /// FD_CLOEXEC of the guest descriptor (vsim never executes another program; `fcntl` keeps it).
    var closeOnExec = false
    /// For a descriptor opened by path: the guest path it was opened with (the base of `*at`
    /// calls that name it as their directory).
    var path: String? = nil
    /// A directory whose host offsets (`d_off`, `lseek`) are 64-bit hash cookies, handed to the
    /// guest as their high 32 bits (LinuxSyscalls+Files.swift, ``LinuxProcess/guestDirectoryOffset(_:)``).
    var directoryOffsetsShifted = false
}

/// The guest's descriptor table, as Linux's `files_struct`: guest descriptor numbers, the
/// lowest free one given out first (`open`, `dup`, `pipe`), up to RLIMIT_NOFILE (the host's
/// soft limit, as the native process has it; EMFILE beyond). Each owned host descriptor belongs
/// to exactly one guest descriptor (`dup` of an owned one duplicates it on the host, so the two
/// share the open file description and its offset, as on Linux), and every owned descriptor is
/// closed when the process goes away: a run leaves nothing open behind.
final class GuestFileTable {
    private(set) var entries: [Int32: GuestFile] = [:]
    /// RLIMIT_NOFILE's soft limit.
    let limit: Int32

    /// Guest 0, 1, 2 on the host descriptors of `stdio` (a negative one: closed).
    init(stdio: GuestStdio) {
        var r = rlimit()
        let soft = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &r) == 0 ? r.rlim_cur : 1024
        limit = Int32(min(UInt64(soft), 1 << 20))
        for (fd, host) in [(Int32(0), stdio.input), (1, stdio.output), (2, stdio.error)] where host >= 0 {
            entries[fd] = GuestFile(host: host, owned: false)
        }
    }

    deinit {
        for e in entries.values where e.owned { Glibc.close(e.host) }
    }

    subscript(fd: Int32) -> GuestFile? {
        get { entries[fd] }
        set { entries[fd] = newValue }
    }

    /// The lowest free descriptor at or above `minimum`, or nil (EMFILE).
    func lowestFree(from minimum: Int32 = 0) -> Int32? {
        var fd = max(minimum, 0)
        while fd < limit {
            if entries[fd] == nil { return fd }
            fd += 1
        }
        return nil
    }

    /// Installs `file` at the lowest free descriptor ≥ `minimum`; nil (and the host descriptor
    /// closed if owned) when the table is full.
    func install(_ file: GuestFile, from minimum: Int32 = 0) -> Int32? {
        guard let fd = lowestFree(from: minimum) else {
            if file.owned { Glibc.close(file.host) }
            return nil
        }
        entries[fd] = file
        return fd
    }

    /// Installs `file` at `fd`, closing what was there (dup2/dup3).
    func install(_ file: GuestFile, at fd: Int32) {
        close(fd)
        entries[fd] = file
    }

    /// Closes guest descriptor `fd`; false if it was not open (EBADF).
    @discardableResult
    func close(_ fd: Int32) -> Bool {
        guard let e = entries.removeValue(forKey: fd) else { return false }
        if e.owned { Glibc.close(e.host) }
        return true
    }

    /// A copy of `file` for a new guest descriptor: an owned host descriptor is duplicated on
    /// the host (nil and errno when that fails), vsim's own is shared.
    func duplicate(_ file: GuestFile) -> GuestFile? {
        var copy = file
        copy.closeOnExec = false
        if file.owned {
            let host = fcntl(file.host, F_DUPFD_CLOEXEC, 3)
            guard host >= 0 else { return nil }
            copy.host = host
        }
        return copy
    }
}
