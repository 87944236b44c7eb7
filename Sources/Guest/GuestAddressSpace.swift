import Machine

/// How the file and time calls (``LinuxHostCalls``) reach the guest's memory: the one seam
/// between the calls' implementation and where they run. User-mode emulation
/// (``LinuxProcess``) answers from its flat 4 GiB address space and page permissions; the
/// guest kernel's host-call device (``HostCallDevice``) walks the guest's page tables from
/// CR3, as Xen's `copy_from_guest`/`copy_to_guest` do for an HVM guest. Addresses are
/// guest-virtual (linear); a range that is not accessible is the caller's -EFAULT.
public protocol GuestAddressSpace: AnyObject {
    /// Whether every byte of `[address, address + count)` may be accessed with `permission`
    /// (`.read` or `.write`) by the guest program; true for `count` 0.
    func accessible(_ address: UInt32, _ count: UInt32, _ permission: PagePermissions) -> Bool
    /// `count` bytes at `address`, or nil when any of them is not readable.
    func readGuest(_ address: UInt32, _ count: UInt32) -> [UInt8]?
    /// Stores `bytes` at `address`; false (nothing stored) when any byte is not writable.
    func writeGuest(_ bytes: [UInt8], at address: UInt32) -> Bool
    /// The host memory behind the guest buffer `[address, address + count)` that a `write`
    /// hands the host kernel: `readable` is the prefix the guest may read, `pieces` the host
    /// buffers in order (together `length` bytes: where the backing lets the host kernel meet
    /// the same hole the native process would, past `readable`); nil when the range passes the
    /// top of the address space (Linux's `access_ok` fails: -EFAULT).
    func hostSpan(_ address: UInt32, _ count: UInt32) -> (readable: UInt32, pieces: [UnsafeRawBufferPointer])?
}

extension GuestAddressSpace {
    /// Little-endian 32-bit `words` stored at `address` (false: not writable).
    func writeWords(_ words: [UInt32], at address: UInt32) -> Bool {
        var bytes: [UInt8] = []
        for w in words { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(i)))) } }
        return writeGuest(bytes, at: address)
    }

    /// A NUL-terminated guest string (at most `limit` bytes), or nil if it crosses unreadable memory.
    func guestString(_ address: UInt32, limit: Int = 4096) -> String? {
        var out: [UInt8] = []
        var p = address
        while out.count < limit {
            guard let b = readGuest(p, 1)?.first else { return nil }
            if b == 0 { return String(decoding: out, as: UTF8.self) }
            out.append(b)
            p &+= 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The guest's clocks as the time calls read them (``LinuxHostCalls``): user-mode emulation
/// reads the host's clocks and sleeps on its guest clock (IntervalTimers.swift); the guest
/// kernel's host-call device reads the machine's deterministic clock (1 ns per instruction).
public protocol GuestClock: AnyObject {
    /// Clock `id` (CLOCK_REALTIME 0, CLOCK_MONOTONIC 1, ... up to CLOCK_BOOTTIME 7) as seconds
    /// and nanoseconds, or nil when the clock is not one the guest may read (EINVAL).
    func reading(of clock: UInt32) -> (seconds: Int64, nanoseconds: Int64)?
    /// Sleeps `nanoseconds` on the guest clock; the nanoseconds still left when a signal ended
    /// the sleep early (0: it slept them all).
    func sleep(nanoseconds: UInt64) -> UInt64
}
