#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Descriptions

/// Access rights of one guest page.
///
/// vsim models i386 paging **without NX** by default (as Linux on i386 without PAE/NX): every
/// readable page is executable, so instruction fetches need only ``read``; ``execute`` is kept
/// (from the ELF `p_flags` or `mmap`) and reported, and enforced only when
/// ``GuestMemory/executeDisable`` is set. ``supervisor`` marks a page that CPL 3 may not touch
/// (U/S = 0 in the page-table entry); user programs never have such pages.
public struct PagePermissions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = PagePermissions(rawValue: 1)
    public static let write = PagePermissions(rawValue: 2)
    public static let execute = PagePermissions(rawValue: 4)
    /// Accessible only at CPL < 3 (a vsim extension for the system-level guest).
    public static let supervisor = PagePermissions(rawValue: 8)

    public static let readWrite: PagePermissions = [.read, .write]
    public static let readExecute: PagePermissions = [.read, .execute]
    public static let all: PagePermissions = [.read, .write, .execute]

    /// `r-x`, `rw-`, ... (with a trailing `s` for supervisor pages).
    public var description: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.execute) ? "x" : "-")
            + (contains(.supervisor) ? "s" : "")
    }
}

/// Errors of the loader-side API (not guest faults).
public enum GuestMemoryError: Error, CustomStringConvertible, Sendable {
    case reservationFailed(errno: Int32)
    case hostMappingFailed(address: UInt32, errno: Int32)
    case notMapped(address: UInt32)
    case outOfRange(address: UInt32, size: UInt64)

    public var description: String {
        switch self {
        case .reservationFailed(let e): return "cannot reserve the 4 GiB guest address space (errno \(e))"
        case .hostMappingFailed(let a, let e): return "cannot map guest page \(Hex.address(a)) (errno \(e))"
        case .notMapped(let a): return "guest address \(Hex.address(a)) is not mapped"
        case .outOfRange(let a, let s): return "range \(Hex.address(a)) + \(s) leaves the 4 GiB guest space"
        }
    }
}

/// Told when the guest (or the loader) writes bytes that may hold decoded instructions, or when
/// the permissions of such bytes change. Observers are held weakly.
public protocol CodeWriteObserver: AnyObject {
    /// Bytes `[address, address + count)` changed (count may be large for unmap/protect).
    func codeWritten(address: UInt32, count: UInt32)
    /// The CPU entered CPL 3 and `[address, address + count)` lies on a supervisor page: code
    /// decoded there must not be run by user code. Nothing was written. The default drops it as
    /// for a write; an observer whose cached code is tagged with the privilege level it was
    /// decoded at (and never found at another) keeps it.
    func supervisorCodeLeft(address: UInt32, count: UInt32)
    /// The system-level MMU's TLB entry of the linear page at `address` (a multiple of 4096), a
    /// page holding code, left (INVLPG, a shadow entry the VMM dropped) or was refilled with
    /// another frame: what was decoded at that linear address may now stand for other bytes.
    /// Nothing was written. The default drops it as for a write of the page; an observer whose
    /// cached code is keyed by physical address keeps it and drops only what depends on the
    /// mapping.
    func codeMappingLeft(address: UInt32)
    /// The whole TLB was emptied (MOV to CR3, a change of CR0.PG/WP or CR4); `addresses`: the
    /// linear pages (multiples of 4096) whose entries held code. Nothing was written. The
    /// default is ``codeMappingLeft(address:)`` for each.
    func codeMappingsFlushed(addresses: [UInt32])
}

extension CodeWriteObserver {
    public func supervisorCodeLeft(address: UInt32, count: UInt32) { codeWritten(address: address, count: count) }
    public func codeMappingLeft(address: UInt32) { codeWritten(address: address, count: 4096) }
    public func codeMappingsFlushed(addresses: [UInt32]) {
        for a in addresses { codeMappingLeft(address: a) }
    }
}

/// The guest's 4 GiB linear address space (i386, flat segments: linear == physical here).
///
/// The whole space is reserved once on the host with `mmap(PROT_NONE, MAP_NORESERVE)`, so guest
/// address `a` lives at host address `base + a` and only touched pages cost host memory (RSS).
/// Mapped pages are host read/write (with ``hostProtection`` on, while the translator runs in user
/// mode: what generated code may do there, GuestMemory+HostProtection.swift); the guest's view (R/W/X, user/supervisor) is a one-byte
/// entry per 4 KiB page in ``pageTable`` that every guest access consults (one load and test on
/// the fast path; an access crossing a page boundary checks both pages).
///
/// Page-table byte layout (internal): bits 0–3 are ``PagePermissions``; bit 4 = mapped;
/// bit 5 = "holds decoded code" (writes to such pages take the slow path and tell the
/// ``CodeWriteObserver``s, which is how self-modifying code is detected).
public final class GuestMemory {
    public static let pageSize: UInt32 = 4096
    public static let pageShift: UInt32 = 12
    static let pageCount = 1 << 20
    static let reservedBytes = (1 << 32) + 4096
    /// The page table's bytes (one per page), which lie just below ``base``.
    static let pageTableBytes = pageCount

    // Page-table entry bits.
    @usableFromInline static let pR: UInt8 = 1, pW: UInt8 = 2, pX: UInt8 = 4, pS: UInt8 = 8
    @usableFromInline static let pMapped: UInt8 = 16, pCode: UInt8 = 32
    /// Under a system-level MMU: the frame this TLB entry maps is recorded as holding the
    /// interpreter's decoded code at this page (``MMU/noteDecoded(page:)``); the entry's next
    /// fill drops the bit.
    static let pDecodedFrame: UInt8 = 64

    /// Host address of guest address 0.
    public let base: UnsafeMutableRawPointer
    /// One byte per guest page (2^20 entries), at ``base`` - ``pageTableBytes``; see the class
    /// comment.
    @usableFromInline let pageTable: UnsafeMutablePointer<UInt8>
    private var mappedPages = 0
    /// Whether every mapped page's host protection is what generated code may do there
    /// (``setHostProtection(_:)``).
    public internal(set) var hostProtection = false

    /// Accesses are made at CPL 3 (user mode): sets U/S in `#PF` error codes and forbids
    /// ``PagePermissions/supervisor`` pages. The interpreter keeps it equal to `CPUState.cpl == 3`.
    public var userMode = true
    /// Enforce ``PagePermissions/execute`` on instruction fetches (like NX/XD). Default `false`:
    /// vsim follows i386 without NX, where any readable page is executable.
    public var executeDisable = false
    /// The system-level MMU (Paging.swift), when the guest runs its own kernel: a page whose
    /// entry does not allow an access is then looked up in the guest's page tables before `#PF`.
    public internal(set) var mmu: MMU?

    private var observers: [WeakObserver] = []
    private struct WeakObserver { weak var o: CodeWriteObserver? }

    /// Reserves the 4 GiB guest space (and one guard page above it, so that an access of up to
    /// 8 bytes at the top of the space faults on the host too); nothing is mapped. The page table
    /// lies in the same reservation, its 1 MiB just below guest address 0
    /// (``pageTable`` = ``base`` - ``pageTableBytes``), so that the interpreter's block loop
    /// reaches both through one host register (``HotContext/pt``).
    public init() throws {
        let size = GuestMemory.pageTableBytes + GuestMemory.reservedBytes
        let p = mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { throw GuestMemoryError.reservationFailed(errno: errno) }
        // Read/write anonymous pages: the zero entries ("not mapped") come from fresh zero pages,
        // touched only where the guest maps memory, instead of a memset at every start-up.
        guard mprotect(p, GuestMemory.pageTableBytes, PROT_READ | PROT_WRITE) == 0 else {
            let e = errno
            munmap(p, size)
            throw GuestMemoryError.reservationFailed(errno: e)
        }
        pageTable = p.assumingMemoryBound(to: UInt8.self)
        base = p + GuestMemory.pageTableBytes
    }

    deinit {
        munmap(pageTable, GuestMemory.pageTableBytes + GuestMemory.reservedBytes)
    }

    /// Bytes of guest memory currently mapped (a multiple of 4096).
    public var mappedBytes: Int { mappedPages * Int(GuestMemory.pageSize) }

    public func addCodeObserver(_ o: CodeWriteObserver) {
        observers.removeAll { $0.o == nil }
        observers.append(WeakObserver(o: o))
    }

    /// Host pointer for guest address `address` (no checks).
    @inline(__always) public func hostPointer(_ address: UInt32) -> UnsafeMutableRawPointer {
        base + Int(address)
    }

    private func pageRange(_ address: UInt32, _ size: UInt32) throws -> Range<Int> {
        let first = Int(address >> 12)
        let end = (UInt64(address) + UInt64(size) + 4095) >> 12
        guard end <= 1 << 20 else { throw GuestMemoryError.outOfRange(address: address, size: UInt64(size)) }
        return first..<Int(end)
    }

    /// Maps `[address, address+size)` rounded out to whole pages, zero-filled, with `permissions`.
    /// Pages already mapped keep their contents and get the new permissions.
    public func map(address: UInt32, size: UInt32, permissions: PagePermissions) throws {
        let r = try pageRange(address, size)
        if r.isEmpty { return }
        let host = base + (r.lowerBound << 12)
        if mprotect(host, r.count << 12, PROT_READ | PROT_WRITE) != 0 {
            throw GuestMemoryError.hostMappingFailed(address: UInt32(r.lowerBound << 12), errno: errno)
        }
        for page in r {
            let e = pageTable[page]
            if e & GuestMemory.pMapped == 0 { mappedPages += 1 }
            pageTable[page] = (e & GuestMemory.pCode) | GuestMemory.pMapped | permissions.rawValue
        }
        applyHostProtection(r)
        notifyRange(UInt32(r.lowerBound << 12), r.count)
    }

    /// Unmaps the pages covering `[address, address+size)`; their contents are discarded.
    public func unmap(address: UInt32, size: UInt32) {
        guard let r = try? pageRange(address, size), !r.isEmpty else { return }
        notifyRange(UInt32(r.lowerBound << 12), r.count)
        let host = base + (r.lowerBound << 12)
        // Replace with fresh PROT_NONE anonymous memory: frees the host pages.
        _ = mmap(host, r.count << 12, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0)
        for page in r where pageTable[page] & GuestMemory.pMapped != 0 {
            mappedPages -= 1
            pageTable[page] = 0
        }
    }

    /// Tells the code observers that the contents of `[address, address+size)` changed outside
    /// guest stores (e.g. `madvise(MADV_DONTNEED)` zeroed them).
    public func discarded(address: UInt32, size: UInt32) {
        guard let r = try? pageRange(address, size), !r.isEmpty else { return }
        notifyRange(UInt32(r.lowerBound << 12), r.count)
    }

    /// Changes the permissions of mapped pages in the range; throws if any page is unmapped.
    public func protect(address: UInt32, size: UInt32, permissions: PagePermissions) throws {
        let r = try pageRange(address, size)
        for page in r where pageTable[page] & GuestMemory.pMapped == 0 {
            throw GuestMemoryError.notMapped(address: UInt32(page << 12))
        }
        for page in r {
            pageTable[page] = (pageTable[page] & (GuestMemory.pCode | GuestMemory.pMapped)) | permissions.rawValue
        }
        applyHostProtection(r)
        notifyRange(UInt32(r.lowerBound << 12), r.count)
    }

    /// Permissions of the page holding `address`, or `nil` if it is unmapped.
    public func permissions(at address: UInt32) -> PagePermissions? {
        let e = pageTable[Int(address >> 12)]
        guard e & GuestMemory.pMapped != 0 else { return nil }
        return PagePermissions(rawValue: e & 0x0F)
    }

    /// Loader write: copies `bytes` to guest memory ignoring W (pages must be mapped).
    public func load(_ bytes: UnsafeRawBufferPointer, at address: UInt32) throws {
        guard bytes.count > 0 else { return }
        let r = try pageRange(address, UInt32(truncatingIfNeeded: bytes.count))
        guard UInt64(bytes.count) <= UInt64(UInt32.max) else {
            throw GuestMemoryError.outOfRange(address: address, size: UInt64(bytes.count))
        }
        for page in r where pageTable[page] & GuestMemory.pMapped == 0 {
            throw GuestMemoryError.notMapped(address: UInt32(page << 12))
        }
        withHostAccess(address: address, count: bytes.count) {
            (base + Int(address)).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        notifyWrite(address, UInt32(bytes.count), force: false)
    }

    public func load(_ bytes: [UInt8], at address: UInt32) throws {
        try bytes.withUnsafeBytes { try load($0, at: address) }
    }

    /// Reads as the guest would (needs R on every page, else `#PF`; `eip` of the exception is 0).
    public func read(at address: UInt32, count: Int) throws(CPUException) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let a = address &+ UInt32(truncatingIfNeeded: i)
            if i == 0 || a & 0xFFF == 0 { try checkRead(a) }
            out[i] = base.load(fromByteOffset: Int(a), as: UInt8.self)
        }
        return out
    }

    /// Writes as the guest would (needs W on every page, else `#PF` and nothing is written).
    public func write(_ bytes: UnsafeRawBufferPointer, at address: UInt32) throws(CPUException) {
        let n = bytes.count
        guard n > 0 else { return }
        var i = 0
        while i < n {   // check every page first: all or nothing
            let a = address &+ UInt32(truncatingIfNeeded: i)
            try checkWrite(a)
            i += Int(4096 - (a & 0xFFF))
        }
        withHostAccess(address: address, count: n) {
            for j in 0..<n {
                base.storeBytes(of: bytes[j], toByteOffset: Int(address &+ UInt32(truncatingIfNeeded: j)), as: UInt8.self)
            }
        }
        notifyWrite(address, UInt32(truncatingIfNeeded: n), force: false)
    }

    public func write(_ bytes: [UInt8], at address: UInt32) throws(CPUException) {
        var failure: CPUException?
        bytes.withUnsafeBytes { b in
            do throws(CPUException) { try write(b, at: address) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    // MARK: checks (used by the interpreter)

    /// `#PF` for a data read of the byte at `a`, if not allowed.
    @inline(__always) func checkRead(_ a: UInt32) throws(CPUException) {
        let e = pageTable[Int(a >> 12)]
        if e & GuestMemory.pR == 0 || (userMode && e & GuestMemory.pS != 0) {
            if let m = mmu { try m.resolve(a, write: false, fetch: false); return }
            throw pageFault(a, entry: e, write: false, fetch: false)
        }
    }

    /// `#PF` for a data write of the byte at `a`, if not allowed.
    @inline(__always) func checkWrite(_ a: UInt32) throws(CPUException) {
        let e = pageTable[Int(a >> 12)]
        if e & GuestMemory.pW == 0 || (userMode && e & GuestMemory.pS != 0) {
            if let m = mmu { try m.resolve(a, write: true, fetch: false); return }
            throw pageFault(a, entry: e, write: true, fetch: false)
        }
    }

    /// `#PF` for an instruction fetch of the byte at `a`, if not allowed.
    func checkFetch(_ a: UInt32) throws(CPUException) {
        let e = pageTable[Int(a >> 12)]
        if e & GuestMemory.pR == 0 || (userMode && e & GuestMemory.pS != 0)
            || (executeDisable && e & GuestMemory.pX == 0) {
            if let m = mmu { try m.resolve(a, write: false, fetch: true); return }
            throw pageFault(a, entry: e, write: false, fetch: true)
        }
    }

    /// The code byte at `a` as a decoder may look at it without fetching it: nil where a fetch
    /// would fault. A page the TLB holds is read in place; with paging, one it does not hold is
    /// read through a walk of the guest's tables that fills nothing and sets no accessed bit
    /// (``MMU/translate(_:)``). This is the emulator reading code (a translator translating, a
    /// decoder looking past a page's end), not the guest's CPU fetching it: only a fetch
    /// (``checkFetch(_:)``) may change what the modeled TLB holds and count a page walk.
    public func peekCode(_ a: UInt32) -> UInt8? {
        let e = pageTable[Int(a >> 12)]
        if e & GuestMemory.pR != 0 && !(userMode && e & GuestMemory.pS != 0) && !(executeDisable && e & GuestMemory.pX == 0) {
            return base.load(fromByteOffset: Int(a), as: UInt8.self)
        }
        guard let m = mmu, let t = m.translate(a), t.user || !userMode, t.physical < m.ramSize else { return nil }
        return m.physical.load(fromByteOffset: Int(t.physical), as: UInt8.self)
    }

    /// Copies the instruction bytes at `a` for a decoder into `buffer` (room for 15 bytes) and
    /// returns how many it copied: those on `a`'s page as they are (the caller has fetched that
    /// page: ``checkFetch(_:)``), then those on the next page as far as ``peekCode(_:)`` sees
    /// them, fetching nothing: the next page is fetched only when an instruction on it is about
    /// to run. The interpreter and the translator both decode through here.
    public func codeBytes(at a: UInt32, into buffer: UnsafeMutableRawPointer) -> Int {
        let onPage = min(15, 0x1000 - Int(a & 0xFFF))
        buffer.copyMemory(from: base + Int(a), byteCount: onPage)
        var n = onPage
        while n < 15, let b = peekCode(a &+ UInt32(n)) {   // (wraps around 4 GiB)
            buffer.storeBytes(of: b, toByteOffset: n, as: UInt8.self)
            n += 1
        }
        return n
    }

    /// Builds the `#PF` for an access to `a` (EIP filled in by the interpreter).
    func pageFault(_ a: UInt32, entry e: UInt8, write: Bool, fetch: Bool) -> CPUException {
        let mapped = e & GuestMemory.pMapped != 0
        // A mapped page without R has no present PTE in Linux (PROT_NONE): P = 0.
        let present = mapped && e & GuestMemory.pR != 0
        var code: UInt32 = present ? 1 : 0
        if write { code |= 2 }
        if userMode { code |= 4 }
        if fetch && executeDisable { code |= 16 }
        let what: String
        if !mapped { what = (fetch ? "fetch from" : write ? "write to" : "read of") + " unmapped address " }
        else if fetch { what = "fetch from non-executable address " }
        else if write { what = "write to read-only address " }
        else { what = "read of unreadable address " }
        return CPUException(vector: .pf, errorCode: code, faultAddress: a, eip: 0, detail: what + Hex.address(a))
    }

    // MARK: code tracking

    /// Marks the pages of `[address, address+count)` as holding the interpreter's decoded code;
    /// under a system-level MMU their frames too (``MMU/noteDecoded(page:)``), so that a write to
    /// those frames through another linear page reaches the interpreter as well.
    func markCode(_ address: UInt32, _ count: UInt32) {
        markCodeBits(address, count)
        let first = Int(address >> 12), last = Int((address &+ count &- 1) >> 12)
        if pageTable[first] & GuestMemory.pDecodedFrame == 0, let mmu { mmu.noteDecoded(page: first) }
        if last != first, pageTable[last] & GuestMemory.pDecodedFrame == 0, let mmu { mmu.noteDecoded(page: last) }
    }

    /// Sets the code bit of the pages of `[address, address+count)` (what the translators mark
    /// through ``markCodePages(address:count:)`` and ``markTranslatedCode(address:count:holder:)``).
    func markCodeBits(_ address: UInt32, _ count: UInt32) {
        let first = Int(address >> 12), last = Int((address &+ count &- 1) >> 12)
        for page in [first, last] where pageTable[page] & GuestMemory.pCode == 0 {
            let before = GuestMemory.hostProtection(of: pageTable[page])
            pageTable[page] |= GuestMemory.pCode
            if before != GuestMemory.hostProtection(of: pageTable[page]) { applyHostProtection(page..<page + 1) }
        }
    }

    /// Whether the page of `a` holds decoded code.
    func isCode(_ a: UInt32) -> Bool { pageTable[Int(a >> 12)] & GuestMemory.pCode != 0 }

    /// Tells observers about a write of `count` bytes at `a` if it touches a code page.
    func notifyWrite(_ a: UInt32, _ count: UInt32, force: Bool) {
        guard count > 0 else { return }
        let last = a &+ (count &- 1)
        if force || isCode(a) || isCode(last) || count > 4096 {
            for w in observers { w.o?.codeWritten(address: a, count: count) }
        }
    }

    /// Tells observers that the TLB entry of the linear code page at `a` left or maps another
    /// frame now (``CodeWriteObserver/codeMappingLeft(address:)``).
    func notifyMappingLeft(_ a: UInt32) {
        for w in observers { w.o?.codeMappingLeft(address: a) }
    }

    /// Tells observers that the whole TLB was emptied; `addresses`: its code pages
    /// (``CodeWriteObserver/codeMappingsFlushed(addresses:)``).
    func notifyMappingsFlushed(_ addresses: [UInt32]) {
        guard !addresses.isEmpty else { return }
        for w in observers { w.o?.codeMappingsFlushed(addresses: addresses) }
    }

    /// Tells observers that the CPU entered CPL 3 while the supervisor page at `a` held decoded
    /// code (``CodeWriteObserver/supervisorCodeLeft(address:count:)``).
    func notifySupervisorCodeLeft(_ a: UInt32) {
        for w in observers { w.o?.supervisorCodeLeft(address: a, count: 4096) }
    }

    // MARK: host protections (generated code's checks, GuestMemory+HostProtection.swift)

    private func notifyRange(_ a: UInt32, _ pages: Int) {
        for w in observers { w.o?.codeWritten(address: a, count: UInt32(truncatingIfNeeded: pages << 12)) }
    }
}
