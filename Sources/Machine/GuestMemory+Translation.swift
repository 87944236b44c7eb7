/// What a binary translator (the `Translation` module) needs from guest memory and the
/// interpreter: the page table for inline permission checks in generated code, code-page
/// marking for self-modifying-code detection, guest-semantics slow paths for one access, and the
/// shared retired-instruction counter. Additive: nothing here changes how the interpreter runs.
extension GuestMemory {
    /// Page-table entry bits as seen by generated code (see the class comment).
    public static let entryRead: UInt8 = pR, entryWrite: UInt8 = pW, entrySupervisor: UInt8 = pS,
        entryCode: UInt8 = pCode

    /// The page table: one byte per 4 KiB guest page (2^20 entries).
    public var pageTableBase: UnsafeMutablePointer<UInt8> { pageTable }

    /// Marks the pages of `[address, address+count)` as holding decoded or translated code, so
    /// that guest writes to them take the slow path and reach the ``CodeWriteObserver``s.
    public func markCodePages(address: UInt32, count: UInt32) { markCodeBits(address, count) }

    /// Reads `size` (1, 2, 4) bytes at `a` as the guest would, possibly crossing a page: `#PF`
    /// unless every touched page is readable (and writable too when `forUpdate`, as the
    /// read half of a read-modify-write faults as a write). `eip` of the exception is 0.
    public func guestLoad(_ a: UInt32, size: Int, forUpdate: Bool) throws(CPUException) -> UInt32 {
        let last = a &+ UInt32(size) &- 1
        if forUpdate {
            try checkWrite(a)
            if last >> 12 != a >> 12 { try checkWrite(last & ~0xFFF) }
        }
        try checkRead(a)
        if last >> 12 != a >> 12 { try checkRead(last & ~0xFFF) }
        var v: UInt32 = 0
        for i in 0..<UInt32(size) {
            v |= UInt32(base.load(fromByteOffset: Int(a &+ i), as: UInt8.self)) << (8 * i)
        }
        return v
    }

    /// Checks that `size` bytes at `a` may be written by the guest (`#PF` otherwise), without writing.
    public func guestCheckStore(_ a: UInt32, size: Int) throws(CPUException) {
        let last = a &+ UInt32(size) &- 1
        try checkWrite(a)
        if last >> 12 != a >> 12 { try checkWrite(last & ~0xFFF) }
    }

    /// Writes the low `size` bytes of `v` at `a` as the guest would (all or nothing) and tells the
    /// code observers when a code page is touched.
    public func guestStore(_ a: UInt32, size: Int, value v: UInt32) throws(CPUException) {
        try guestCheckStore(a, size: size)
        withHostAccess(address: a, count: size) {
            for i in 0..<UInt32(size) {
                base.storeBytes(of: UInt8(truncatingIfNeeded: v >> (8 * i)), toByteOffset: Int(a &+ i), as: UInt8.self)
            }
        }
        notifyWrite(a, UInt32(size), force: false)
    }

    /// `#PF` unless the byte at `a` may be fetched as an instruction byte.
    public func guestCheckFetch(_ a: UInt32) throws(CPUException) { try checkFetch(a) }
}

extension Interpreter {
    /// Sets the retired-instruction counter (also the guest's RDTSC), for an engine that runs
    /// part of the guest itself and steps the interpreter for the rest.
    public func setInstructionsExecuted(_ n: UInt64) { instructionsExecuted = n }
}

/// What a translator whose blocks are keyed by the physical frame of their code needs from the
/// system-level MMU (Paging.swift): in user-mode emulation (no MMU) the frame of a page is the
/// page itself.
extension GuestMemory {
    /// Marks the pages of `[address, address+count)` as holding code that `holder` translated,
    /// as ``markCodePages(address:count:)`` does, and under a system-level MMU also the frames
    /// their TLB entries map, so that a write to those frames through any linear alias, now or
    /// after the TLB is refilled, takes the slow path and reaches the ``CodeWriteObserver``s.
    /// The pages must have been fetched (have TLB entries).
    public func markTranslatedCode(address: UInt32, count: UInt32, holder: TranslatedCodeHolder = .translator) {
        markCodeBits(address, count)
        guard let mmu else { return }
        let first = Int(address >> 12), last = Int((address &+ count &- 1) >> 12)
        mmu.markTranslatedFrame(page: first, holder: holder)
        if last != first { mmu.markTranslatedFrame(page: last, holder: holder) }
    }

    /// The frame (physical page number) that linear page `page` is mapped to for an instruction
    /// fetch now: its TLB entry's frame, nil when it has none. Without a system-level MMU, the
    /// page itself.
    public func fetchedFrame(ofPage page: UInt32) -> UInt32? {
        guard let mmu else { return page }
        return mmu.frame(ofLinearPage: page)
    }

    /// The frame that a write to linear page `page` reached: its TLB entry's frame if it has one
    /// (guest stores go through the TLB), else the frame a walk of the guest's page tables finds
    /// (a device writing through the tables; fills nothing); nil when not present. Without a
    /// system-level MMU, the page itself.
    public func writtenFrame(ofPage page: UInt32) -> UInt32? {
        guard let mmu else { return page }
        if let f = mmu.frame(ofLinearPage: page) { return f }
        return mmu.translate(page << 12).map { $0.physical >> 12 }
    }

    /// `holder` holds no code translated from `frame` any more (``MMU/releaseCodeFrame(_:holder:)``);
    /// nothing without a system-level MMU.
    public func releaseTranslatedFrame(_ frame: UInt32, holder: TranslatedCodeHolder = .translator) {
        mmu?.releaseCodeFrame(frame, holder: holder)
    }
}
