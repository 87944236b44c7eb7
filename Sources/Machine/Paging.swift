#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Descriptions

/// Physical memory and i386 paging for a system-level guest (Intel SDM Vol. 3A, 4.3: 32-bit
/// paging with two levels of 4 KiB tables).
///
/// **How it stays fast.** The interpreter's fast path is the one of user-mode emulation: one
/// byte per *linear* page in ``GuestMemory``'s page table says what the current access may do,
/// and linear address `a` lives at host address `memory.base + a`. Here those bytes are a
/// software **TLB**: they start empty, and the first access to a linear page takes the slow path
/// into ``resolve(_:write:fetch:)``, which walks the guest's page directory and page table (or,
/// with CR0.PG = 0, maps the page to the frame of the same number), sets the accessed and dirty
/// bits, maps the 4 KiB frame of the guest's RAM (an unlinked file in /dev/shm) at that linear page with one host
/// `mmap(MAP_FIXED | MAP_SHARED)` and fills the entry. Later accesses never leave the fast path.
/// Writing CR3, CR0.PG/WP or CR4 empties the TLB; INVLPG drops one entry; like a CPU, changes to
/// page-table entries are not seen until then.
///
/// The entry gets ``PagePermissions/supervisor`` when the walk found U/S = 0 in the directory or
/// table entry, so CPL 3 faults on it while CPL 0–2 (``GuestMemory/userMode`` false) pass the
/// slow-path check. Write permission is granted only once the dirty bit is set, so the first write
/// to a clean page comes back here to set it. Supervisor writes to read-only pages follow
/// CR0.WP: with WP = 0 the access is allowed once (the slow path writes) without granting W.
///
/// The interpreter's decoded instructions are tagged by linear address, so when an entry holding
/// decoded code leaves the TLB, or a linear page is mapped to another frame, the code observers
/// are told (``CodeWriteObserver/codeMappingLeft(address:)``,
/// ``CodeWriteObserver/codeMappingsFlushed(addresses:)``) and the interpreter drops what was
/// decoded there; and on every entry to CPL 3 those on supervisor pages are dropped too
/// (``dropSupervisorCode()``), so a cached kernel instruction is never run by user code. The
/// translator's blocks are keyed by the physical frame of their code as well (QEMU's TBs by
/// `phys_pc`), and so are the BT VMM's compiled code fragments (the frames each was translated
/// from): both survive those events, and frames holding either are marked, per holder
/// (``markTranslatedFrame(page:holder:)``). Frames holding the interpreter's decoded instructions are
/// marked too, with the linear page they were decoded at (``noteDecoded(page:)``, cleared with
/// the TLB). Every TLB entry that maps a marked frame, whatever its linear page, holds the
/// "code" bit, so a write through any alias takes the slow path and reaches the observers; the
/// interpreter then drops what it decoded from the written bytes at the other linear pages too
/// (``forEachDecodedAlias(ofWrittenPage:_:)``: one table read when the frame was decoded at one
/// page, a walk of the TLB's entries only when at several). So self-modifying code written
/// through one alias and run through another is seen by both engines (SDM Vol. 3A, 11.6). The
/// fast paths are unchanged: the marks are set on a decode miss and read on a slow-path write.
public final class MMU {
    /// The default guest RAM: 32 MiB.
    public static let defaultRAMSize: UInt32 = 32 << 20

    unowned let memory: GuestMemory
    unowned let cpu: CPUState
    let fd: Int32
    /// Bytes of guest-physical RAM (a multiple of 4 KiB), at guest-physical 0.
    public let ramSize: UInt32
    /// Host address of guest-physical 0 (the whole RAM, mapped once).
    public let physical: UnsafeMutableRawPointer
    /// Per linear page: 1 + the frame mapped there, or 0.
    let alias: UnsafeMutablePointer<UInt32>
    /// ``GuestMemory``'s page table (the TLB), held here so that the decode-miss path does not
    /// go through the unowned reference.
    let tlb: UnsafeMutablePointer<UInt8>
    /// Linear page numbers whose TLB entry is set.
    var filled: [Int] = []
    /// Per frame: the ``TranslatedCodeHolder`` bits of the caches that hold code translated from
    /// it (``markTranslatedFrame(page:holder:)``, ``releaseCodeFrame(_:holder:)``); a TLB fill of
    /// a frame with any bit set sets the entry's code bit.
    let codeFrames: UnsafeMutablePointer<UInt8>
    /// Per frame: where the interpreter decoded instructions in it since the TLB was last
    /// emptied (``noteDecoded(page:)``): 0 nowhere, 1 + the linear page when at one page only,
    /// ``decodedAtSeveral`` at more than one. A TLB fill of such a frame sets the entry's code bit.
    let decodedAt: UnsafeMutablePointer<UInt32>
    static let decodedAtSeveral = UInt32.max
    /// The frames whose ``decodedAt`` is not 0 (cleared with the TLB: ``flushAll()``).
    var decodedFrames: [Int] = []
    /// TLB fills (page walks that succeeded), full flushes, host mappings made.
    public private(set) var walks: UInt64 = 0
    public private(set) var flushes: UInt64 = 0
    public private(set) var hostMappings: UInt64 = 0
    /// Called after every TLB fill with paging on, with the linear address of the page: where a
    /// shadow-paging VMM would find its shadow entry missing and take a hidden page fault
    /// (the VMM keeps the per-address-space record; the MMU only reports the walk).
    public var fillObserver: ((UInt32) -> Void)?

    /// Frames a VMM *traces* (write-protects to keep shadow page tables coherent, as classic
    /// VMMs do with the guest's page tables): with paging on, the TLB never grants write access
    /// to them, and a write faults with `#PF` (P = 1, W/R = 1) that the VMM recognizes with
    /// ``isTraced(_:)``, emulates and hides from the guest. A frame added to the set loses write
    /// access at the linear pages the TLB maps it at (their next write walks again and faults);
    /// nothing else in the TLB changes, so code translated elsewhere stays. A frame taken out of
    /// the set needs nothing: its next write walks again and gets W.
    public var tracedFrames: Set<UInt32> = [] {
        didSet {
            let added = tracedFrames.subtracting(oldValue)
            guard !added.isEmpty else { return }
            let pt = memory.pageTable
            for page in filled where pt[page] & GuestMemory.pW != 0 && added.contains(alias[page] &- 1) {
                pt[page] &= ~GuestMemory.pW
            }
        }
    }

    /// Whether a write to linear address `a` would hit a traced frame (paging on, present).
    public func isTraced(_ a: UInt32) -> Bool {
        guard !tracedFrames.isEmpty, cpu.cr0 & CR0.pg != 0, let t = translate(a) else { return false }
        return tracedFrames.contains(t.physical >> 12)
    }

    public enum Failure: Error, CustomStringConvertible {
        case host(String)
        public var description: String { switch self { case .host(let s): return s } }
    }

    /// Creates `ramSize` bytes of zeroed guest RAM and attaches the MMU to `memory` (whose
    /// page table must be empty: a fresh ``GuestMemory``).
    public init(memory: GuestMemory, cpu: CPUState, ramSize: UInt32 = MMU.defaultRAMSize) throws(Failure) {
        let size = (ramSize + 0xFFF) & ~0xFFF
        let fd = MMU.anonymousFile()
        guard fd >= 0 else { throw .host("cannot create a file for guest RAM in /dev/shm or /tmp (errno \(errno))") }
        guard ftruncate(fd, off_t(size)) == 0 else {
            close(fd)
            throw .host("cannot size guest RAM to \(size) bytes (errno \(errno))")
        }
        let p = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else {
            close(fd)
            throw .host("cannot map guest RAM (errno \(errno))")
        }
        self.memory = memory
        self.cpu = cpu
        self.fd = fd
        self.ramSize = size
        physical = p
        tlb = memory.pageTable
        alias = .allocate(capacity: 1 << 20)
        alias.initialize(repeating: 0, count: 1 << 20)
        codeFrames = .allocate(capacity: Int(size >> 12))
        codeFrames.initialize(repeating: 0, count: Int(size >> 12))
        decodedAt = .allocate(capacity: Int(size >> 12))
        decodedAt.initialize(repeating: 0, count: Int(size >> 12))
        memory.mmu = self
    }

    /// An unlinked file for the RAM (in /dev/shm when possible), so linear pages can be mapped
    /// onto its frames with `MAP_SHARED`.
    static func anonymousFile() -> Int32 {
        for dir in ["/dev/shm", "/tmp"] {
            var template = Array("\(dir)/vsim-ram-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 {
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                return fd
            }
        }
        return -1
    }

    deinit {
        munmap(physical, Int(ramSize))
        close(fd)
        alias.deallocate()
        codeFrames.deallocate()
        decodedAt.deallocate()
    }

    // MARK: physical access (page walks, the boot loader, devices)

    /// Reads the 32-bit word at guest-physical `pa` (0 beyond RAM).
    public func physicalRead32(_ pa: UInt32) -> UInt32 {
        guard pa <= ramSize &- 4 else { return 0 }
        return physical.loadUnaligned(fromByteOffset: Int(pa), as: UInt32.self)
    }

    /// Writes the 32-bit word at guest-physical `pa` (ignored beyond RAM).
    public func physicalWrite32(_ pa: UInt32, _ v: UInt32) {
        guard pa <= ramSize &- 4 else { return }
        physical.storeBytes(of: v, toByteOffset: Int(pa), as: UInt32.self)
    }

    /// Copies `bytes` to guest-physical `pa` (the boot loader). Returns false beyond RAM.
    @discardableResult
    public func loadPhysical(_ bytes: UnsafeRawBufferPointer, at pa: UInt32) -> Bool {
        guard UInt64(pa) + UInt64(bytes.count) <= UInt64(ramSize) else { return false }
        if bytes.count > 0 { (physical + Int(pa)).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        return true
    }

    @discardableResult
    public func loadPhysical(_ bytes: [UInt8], at pa: UInt32) -> Bool {
        bytes.withUnsafeBytes { loadPhysical($0, at: pa) }
    }

    // MARK: translation

    /// The result of a page walk for `linear` without side effects: guest-physical address and
    /// whether user and write access are allowed; nil when not present.
    public func translate(_ linear: UInt32) -> (physical: UInt32, user: Bool, writable: Bool)? {
        if cpu.cr0 & CR0.pg == 0 { return (linear, true, true) }
        let pde = physicalRead32((cpu.cr3 & ~0xFFF) &+ (linear >> 22) * 4)
        guard pde & 1 != 0 else { return nil }
        let pte = physicalRead32((pde & ~0xFFF) &+ ((linear >> 12) & 0x3FF) * 4)
        guard pte & 1 != 0 else { return nil }
        return ((pte & ~0xFFF) | (linear & 0xFFF), pde & pte & 4 != 0, pde & pte & 2 != 0)
    }

    /// Called by ``GuestMemory``'s slow-path checks when the TLB entry of `a` does not allow the
    /// access: walks the tables, fills the entry (or allows a CR0.WP = 0 supervisor write once),
    /// or throws `#PF` with the SDM error code (P, W/R, U/S) and `faultAddress` = `a`.
    func resolve(_ a: UInt32, write: Bool, fetch: Bool) throws(CPUException) {
        let user = memory.userMode
        let page = Int(a >> 12)
        var frame: UInt32
        var mayWrite = true, userOK = true
        if cpu.cr0 & CR0.pg == 0 {
            frame = a >> 12
            guard a < ramSize else {
                throw CPUException(vector: .gp, errorCode: 0,
                                   detail: "physical address \(Hex.address(a)) is beyond the \(ramSize >> 20) MiB of guest RAM")
            }
        } else {
            let pdeAddr = (cpu.cr3 & ~0xFFF) &+ (a >> 22) * 4
            var pde = physicalRead32(pdeAddr)
            guard pde & 1 != 0 else { throw fault(a, present: false, write: write, user: user, fetch: fetch, "page directory entry not present") }
            let pteAddr = (pde & ~0xFFF) &+ ((a >> 12) & 0x3FF) * 4
            var pte = physicalRead32(pteAddr)
            guard pte & 1 != 0 else { throw fault(a, present: false, write: write, user: user, fetch: fetch, "page not present") }
            userOK = pde & pte & 4 != 0
            let writable = pde & pte & 2 != 0
            if write && tracedFrames.contains(pte >> 12) && (writable || (!user && cpu.cr0 & CR0.wp == 0)) {
                throw fault(a, present: true, write: true, user: user, fetch: false, "write to a page-table page the VMM traces")
            }
            if user && !userOK { throw fault(a, present: true, write: write, user: true, fetch: fetch, "supervisor page") }
            if write && !writable && (user || cpu.cr0 & CR0.wp != 0) {
                throw fault(a, present: true, write: true, user: user, fetch: false, "read-only page")
            }
            if pde & 0x20 == 0 { pde |= 0x20; physicalWrite32(pdeAddr, pde) }
            if pte & 0x20 == 0 || (write && pte & 0x40 == 0) {
                pte |= 0x20 | (write ? 0x40 : 0)
                physicalWrite32(pteAddr, pte)
            }
            frame = pte >> 12
            guard frame < ramSize >> 12 else {
                throw CPUException(vector: .gp, errorCode: 0,
                                   detail: "page \(Hex.address(a & ~0xFFF)) maps physical \(Hex.address(frame << 12)), beyond the \(ramSize >> 20) MiB of guest RAM")
            }
            // W in the TLB only for a writable, dirty page (the first write sets D here).
            mayWrite = writable && pte & 0x40 != 0 && !tracedFrames.contains(pte >> 12)
            if write && !writable {
                // CR0.WP = 0 supervisor write to a read-only page: allowed once, W not granted.
                try mapFrame(page, frame)
                fill(page, frame, write: false, supervisor: !userOK)
                fillObserver?(a & ~0xFFF)
                return
            }
        }
        try mapFrame(page, frame)
        fill(page, frame, write: mayWrite, supervisor: !userOK)
        if cpu.cr0 & CR0.pg != 0, let fillObserver { fillObserver(a & ~0xFFF) }
    }

    private func fill(_ page: Int, _ frame: UInt32, write: Bool, supervisor: Bool) {
        let pt = memory.pageTable
        let old = pt[page]
        if old & GuestMemory.pMapped == 0 { filled.append(page) }
        var e = GuestMemory.pMapped | GuestMemory.pR | GuestMemory.pX | (old & GuestMemory.pCode)
        if codeFrames[Int(frame)] != 0 || decodedAt[Int(frame)] != 0 { e |= GuestMemory.pCode }
        if write { e |= GuestMemory.pW }
        if supervisor { e |= GuestMemory.pS }
        pt[page] = e
        walks &+= 1
    }

    private func mapFrame(_ page: Int, _ frame: UInt32) throws(CPUException) {
        if alias[page] == frame &+ 1 { return }
        let host = memory.base + (page << 12)
        let p = mmap(host, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off_t(frame) << 12)
        guard let p, p != MAP_FAILED else {
            throw CPUException(vector: .gp, errorCode: 0, detail: "host could not map guest frame \(Hex.address(frame << 12)) (errno \(errno))")
        }
        hostMappings &+= 1
        if alias[page] != 0 || memory.pageTable[page] & GuestMemory.pCode != 0 {
            memory.pageTable[page] &= ~GuestMemory.pCode
            memory.notifyMappingLeft(UInt32(page << 12))
        }
        alias[page] = frame &+ 1
    }

    private func fault(_ a: UInt32, present: Bool, write: Bool, user: Bool, fetch: Bool, _ why: String) -> CPUException {
        var code: UInt32 = present ? 1 : 0
        if write { code |= 2 }
        if user { code |= 4 }
        let what = fetch ? "fetch from" : write ? "write to" : "read of"
        return CPUException(vector: .pf, errorCode: code, faultAddress: a, eip: 0,
                            detail: "\(what) \(Hex.address(a)): \(why)")
    }

    // MARK: TLB maintenance

    /// Empties the TLB (MOV to CR3, CR0.PG/WP or CR4 changes).
    public func flushAll() {
        let pt = memory.pageTable
        var code: [UInt32] = []
        for page in filled {
            if pt[page] & GuestMemory.pCode != 0 { code.append(UInt32(page << 12)) }
            pt[page] = 0
        }
        filled.removeAll(keepingCapacity: true)
        // The interpreter drops what it decoded on every code page of the TLB (below): no frame
        // holds its instructions any more.
        for f in decodedFrames { decodedAt[f] = 0 }
        decodedFrames.removeAll(keepingCapacity: true)
        flushes &+= 1
        memory.notifyMappingsFlushed(code)
    }

    /// Drops the TLB entry of the page of `linear` (INVLPG).
    public func flush(_ linear: UInt32) {
        let page = Int(linear >> 12)
        let pt = memory.pageTable
        guard pt[page] & GuestMemory.pMapped != 0 else { return }
        if pt[page] & GuestMemory.pCode != 0 { memory.notifyMappingLeft(UInt32(page << 12)) }
        pt[page] = 0
        filled.removeAll { $0 == page }
    }

    /// Drops decoded instructions on supervisor pages (called on every entry to CPL 3), through
    /// ``CodeWriteObserver/supervisorCodeLeft(address:count:)``: the interpreter drops them; the
    /// translator keeps its blocks, whose mode says the privilege they were translated at (so a
    /// CPL 3 lookup never finds one). The pages stay marked as holding code, so a later write
    /// there still reaches every observer.
    func dropSupervisorCode() {
        let pt = memory.pageTable
        let both = GuestMemory.pS | GuestMemory.pCode
        for page in filled where pt[page] & both == both {
            memory.notifySupervisorCodeLeft(UInt32(page << 12))
        }
    }

    // MARK: frames holding translated code

    /// The frame the TLB maps linear page `page` to; nil when the page has no TLB entry.
    public func frame(ofLinearPage page: UInt32) -> UInt32? {
        memory.pageTable[Int(page)] & GuestMemory.pMapped != 0 ? alias[Int(page)] &- 1 : nil
    }

    /// Marks the frame the TLB maps linear page `page` to (it must have an entry: the code was
    /// just fetched) as holding code that `holder` translated: from now on every TLB entry
    /// mapping it, those already filled at other linear pages included, has the code bit, so a
    /// write through any alias takes the slow path and tells the code observers.
    func markTranslatedFrame(page: Int, holder: TranslatedCodeHolder) {
        guard memory.pageTable[page] & GuestMemory.pMapped != 0 else { return }
        let tag = alias[page]
        let frame = Int(tag &- 1)
        guard frame < Int(ramSize >> 12) else { return }
        let held = codeFrames[frame]
        codeFrames[frame] = held | holder.rawValue
        guard held == 0 else { return }   // (the entries have the bit already)
        let pt = memory.pageTable
        for p in filled where alias[p] == tag { pt[p] |= GuestMemory.pCode }
    }

    /// `holder` holds no code translated from `frame` any more: once no holder does, later TLB
    /// fills of it do not set the code bit (entries that have it keep it until they leave: a
    /// stray slow path at most).
    public func releaseCodeFrame(_ frame: UInt32, holder: TranslatedCodeHolder) {
        if frame < ramSize >> 12 { codeFrames[Int(frame)] &= ~holder.rawValue }
    }

    // MARK: frames holding the interpreter's decoded instructions

    /// The interpreter decoded an instruction with bytes on linear page `page` (it has a TLB
    /// entry: the instruction was just fetched): its frame is recorded with the page
    /// (``decodedAt``), and the first time, every TLB entry that maps the frame at another linear
    /// page gets the code bit, as later fills of it will, so that a write through any alias
    /// takes the slow path and reaches the interpreter (``forEachDecodedAlias(ofWrittenPage:_:)``).
    /// The entry gets ``GuestMemory/pDecodedFrame``, so later decodes there until its next fill
    /// do not call here.
    func noteDecoded(page: Int) {
        let pt = tlb
        guard pt[page] & GuestMemory.pMapped != 0 else { return }
        let tag = alias[page]
        let frame = Int(tag &- 1)
        guard frame < Int(ramSize >> 12) else { return }
        pt[page] |= GuestMemory.pDecodedFrame
        let seen = decodedAt[frame]
        if seen == UInt32(page) &+ 1 || seen == MMU.decodedAtSeveral { return }
        if seen != 0 { decodedAt[frame] = MMU.decodedAtSeveral; return }
        decodedAt[frame] = UInt32(page) &+ 1
        decodedFrames.append(frame)
        if codeFrames[frame] != 0 { return }   // (the translator's mark set the bits already)
        for p in filled where alias[p] == tag { pt[p] |= GuestMemory.pCode }
    }

    /// Calls `body` with every other linear page at which the interpreter may hold instructions
    /// decoded from the frame that a write to linear page `page` reached (its TLB entry's frame,
    /// or without one the frame the guest's tables give): nothing when that frame holds none or
    /// only at `page` itself. Pages where decoding was recorded and whose mapping has since
    /// changed may be named too (the interpreter then drops instructions it would have kept).
    func forEachDecodedAlias(ofWrittenPage page: UInt32, _ body: (UInt32) -> Void) {
        guard !decodedFrames.isEmpty else { return }
        let frame: UInt32
        if tlb[Int(page)] & GuestMemory.pMapped != 0 {
            frame = alias[Int(page)] &- 1
        } else if let t = translate(page << 12) {
            frame = t.physical >> 12
        } else {
            return
        }
        guard frame < ramSize >> 12 else { return }
        let seen = decodedAt[Int(frame)]
        if seen == 0 || seen == page &+ 1 { return }
        if seen != MMU.decodedAtSeveral { body(seen &- 1); return }
        let pt = tlb, tag = frame &+ 1
        for p in filled where alias[p] == tag && p != Int(page) && pt[p] & GuestMemory.pCode != 0 {
            body(UInt32(p))
        }
    }

    /// Number of linear pages currently in the TLB.
    public var tlbEntries: Int { filled.count }
}

/// A cache of code translated from guest frames, as the system-level MMU marks those frames
/// (``MMU/markTranslatedFrame(page:holder:)``): a frame stays marked, and every TLB entry that
/// maps it keeps the code bit, while any holder has code from it.
public enum TranslatedCodeHolder: UInt8, Sendable {
    /// The binary translator's blocks (the `Translation` module).
    case translator = 1
    /// The BT VMM's compiled code fragments of the guest kernel (`Hypervisor`'s
    /// `BinaryTranslationVMM`).
    case vmm = 2
}

/// CR0 bits (Intel SDM Vol. 3A, 2.5).
public enum CR0 {
    public static let pe: UInt32 = 1 << 0
    public static let mp: UInt32 = 1 << 1
    public static let em: UInt32 = 1 << 2
    public static let ts: UInt32 = 1 << 3
    public static let et: UInt32 = 1 << 4
    public static let ne: UInt32 = 1 << 5
    public static let wp: UInt32 = 1 << 16
    public static let am: UInt32 = 1 << 18
    public static let pg: UInt32 = 1 << 31
}

/// CR4 bits vsim models (Intel SDM Vol. 3A, 2.5).
public enum CR4 {
    public static let tsd: UInt32 = 1 << 2
    public static let pse: UInt32 = 1 << 4
    public static let pge: UInt32 = 1 << 7
    /// User-mode instruction prevention: SGDT SIDT SLDT SMSW STR raise #GP(0) at CPL > 0.
    public static let umip: UInt32 = 1 << 11
}
