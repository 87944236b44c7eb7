#if canImport(Glibc)
import Glibc
#endif

/// Guest pages with host protections (QEMU user mode's way, `linux-user` + `page_protect`):
/// when ``hostProtection`` is on, every mapped guest page is mapped on the host with exactly what
/// the translator's generated code may do there without asking, so that code needs no inline
/// permission check and an access the guest page does not allow arrives as a host `SIGSEGV` at
/// that instruction (the `Translation` module sends it to the access's slow path):
///
/// | page-table entry | host protection |
/// |---|---|
/// | R and W, no decoded code, not supervisor | `PROT_READ | PROT_WRITE` |
/// | R (or R and W holding decoded code: stores go the slow way, for self-modifying code), not supervisor | `PROT_READ` |
/// | anything else (unmapped, no R, write-only, supervisor) | `PROT_NONE` |
///
/// The interpreter's own fast paths do only what this allows (they test the same bits), and
/// vsim's own writes into guest memory that the guest page does not allow on the host (the
/// loader, stores into pages holding code, `madvise` zeroing) go through ``withHostAccess``.
/// Off by default; only user-mode emulation turns it on (under a guest kernel the page table is
/// the MMU's software TLB, and its fast path stays an inline check).
extension GuestMemory {
    /// The host protection of a page with page-table entry `e` (table above).
    @inline(__always) static func hostProtection(of e: UInt8) -> Int32 {
        if e & (pMapped | pR | pS) != pMapped | pR { return PROT_NONE }
        return e & (pW | pCode) == pW ? PROT_READ | PROT_WRITE : PROT_READ
    }

    /// Turns host protections on (every mapped page gets its protection from the table above)
    /// or off (every mapped page read/write again, as the interpreter alone needs). Throws
    /// ``GuestMemoryError/hostMappingFailed(address:errno:)`` when `mprotect` fails (then nothing is on).
    public func setHostProtection(_ on: Bool) throws {
        guard on != hostProtection else { return }
        hostProtection = on
        var page = 0
        while page < GuestMemory.pageCount {
            // Skip unmapped pages 64 at a time (their host protection is PROT_NONE either way).
            if page & 63 == 0 {
                let words = UnsafeRawPointer(pageTable + page).assumingMemoryBound(to: UInt64.self)
                var any: UInt64 = 0
                for w in 0..<8 { any |= words[w] }
                if any == 0 {
                    page += 64
                    continue
                }
            }
            if pageTable[page] & GuestMemory.pMapped == 0 {
                page += 1
                continue
            }
            // A run of mapped pages.
            var end = page + 1
            while end < GuestMemory.pageCount, pageTable[end] & GuestMemory.pMapped != 0 { end += 1 }
            if on {
                applyHostProtection(page..<end)
            } else if mprotect(base + (page << 12), (end - page) << 12, PROT_READ | PROT_WRITE) != 0 {
                throw GuestMemoryError.hostMappingFailed(address: UInt32(page << 12), errno: errno)
            }
            page = end
        }
    }

    /// Gives the mapped pages of `pages` the host protection of their entries (runs of equal
    /// protection in one `mprotect`); nothing while ``hostProtection`` is off.
    func applyHostProtection(_ pages: Range<Int>) {
        guard hostProtection else { return }
        var start = pages.lowerBound
        while start < pages.upperBound {
            let prot = GuestMemory.hostProtection(of: pageTable[start])
            var end = start + 1
            while end < pages.upperBound, GuestMemory.hostProtection(of: pageTable[end]) == prot { end += 1 }
            if pageTable[start] & GuestMemory.pMapped != 0 {
                // Cannot fail for a range inside the reservation with these protections.
                _ = mprotect(base + (start << 12), (end - start) << 12, prot)
            }
            start = end
        }
    }

    /// Runs `body`, which reads or writes the host bytes of `[address, address + count)`
    /// directly, with the mapped pages of that range host readable and writable; afterwards they
    /// get their protections back. Costs nothing while ``hostProtection`` is off or the pages are
    /// host writable already. For vsim's own accesses (the loader, system calls, the debugger),
    /// never the guest's: its permissions are checked by the caller.
    public func withHostAccess<R>(address: UInt32, count: Int, _ body: () throws -> R) rethrows -> R {
        guard hostProtection, count > 0 else { return try body() }
        let first = Int(address >> 12)
        let last = min(Int((UInt64(address) + UInt64(count) - 1) >> 12), GuestMemory.pageCount - 1)
        var lifted = false
        for page in first...last where pageTable[page] & GuestMemory.pMapped != 0
            && GuestMemory.hostProtection(of: pageTable[page]) != PROT_READ | PROT_WRITE {
            _ = mprotect(base + (page << 12), 4096, PROT_READ | PROT_WRITE)
            lifted = true
        }
        defer { if lifted { applyHostProtection(first..<last + 1) } }
        return try body()
    }
}
