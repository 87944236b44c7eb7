#if canImport(Glibc)
import Glibc
#endif

/// The translation cache (docs/risc-target.md, "Block cache"), as QEMU's: a direct-mapped
/// *jump cache* of 4096 entries indexed by a hash of the guest PC (a linear address), in front
/// of a hash table keyed by (guest address, mode, frame of the first page: QEMU's `tb_htable`
/// keyed by `phys_pc`); plus, per frame, the blocks whose bytes lie on it (for
/// self-modifying-code invalidation, whatever linear page the write went through).
///
/// The jump cache is plain memory that generated code reads too (`lookup_and_goto`): entry i is
/// 16 bytes {pc: UInt32, mode: UInt32, host entry: UInt64}. It is keyed by linear address only,
/// so it holds a block only while the TLB entries of the block's pages, filled when the guest
/// fetched them, stay (QEMU's `tb_jmp_cache`, flushed with the TLB): the engine drops a page's
/// entries (``dropJumpEntries(onPage:)``) when its TLB entry leaves, and all of them
/// (``dropAllJumpEntries()``) when the TLB is emptied.
final class BlockCache {
    static let jumpCacheSize = 4096
    struct Key: Hashable { var pc: UInt32; var mode: UInt32; var frame: UInt32 }

    let jumpCache: UnsafeMutableRawPointer
    var jumpBlocks: [TranslationBlock?]
    var table: [Key: TranslationBlock] = [:]
    /// Frame (physical page number; the page itself in user-mode emulation) -> blocks with
    /// bytes on it.
    var pages: [UInt32: [TranslationBlock]] = [:]
    /// Per linear page (2^20 bytes from `calloc`: zero pages touched only where set): 1 when a
    /// jump-cache entry may hold a block on it; the pages set, so they can be cleared.
    let jumpPages: UnsafeMutablePointer<UInt8>
    var jumpPageList: [UInt32] = []

    var jumpLookups: UInt64 = 0
    var jumpHits: UInt64 = 0
    var tableLookups: UInt64 = 0
    var tableHits: UInt64 = 0

    init() {
        jumpCache = .allocate(byteCount: 16 * BlockCache.jumpCacheSize, alignment: 16)
        jumpBlocks = Array(repeating: nil, count: BlockCache.jumpCacheSize)
        guard let p = calloc(1 << 20, 1) else { fatalError("vsim: out of memory for the jump cache's page marks") }
        jumpPages = p.assumingMemoryBound(to: UInt8.self)
        clearJumpCache()
    }

    deinit {
        jumpCache.deallocate()
        free(jumpPages)
    }

    /// The jump-cache slot of `pc` (the hash generated code computes too).
    @inline(__always) static func slot(_ pc: UInt32) -> Int { Int((pc ^ (pc >> 12)) & UInt32(jumpCacheSize - 1)) }

    func clearJumpCache() {
        for i in 0..<BlockCache.jumpCacheSize { clearSlot(i) }
    }

    func clearSlot(_ i: Int) {
        let p = jumpCache + 16 * i
        p.storeBytes(of: UInt32.max, as: UInt32.self)
        p.storeBytes(of: UInt32.max, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
        jumpBlocks[i] = nil
    }

    /// Finds the block for (pc, mode) in the jump cache.
    @inline(__always) func lookupJump(_ pc: UInt32, _ mode: UInt32) -> TranslationBlock? {
        jumpLookups += 1
        if let b = jumpBlocks[BlockCache.slot(pc)], b.pc == pc, b.mode == mode {
            jumpHits += 1
            return b
        }
        return nil
    }

    /// Finds the block for (pc, mode) whose first page is `frame` in the hash table (after a
    /// jump-cache miss); the caller refills the jump cache (``setSlot(_:_:hostEntry:)``) once the
    /// block's other page, if any, is checked too.
    func lookupTable(_ pc: UInt32, _ mode: UInt32, _ frame: UInt32) -> TranslationBlock? {
        tableLookups += 1
        guard let b = table[Key(pc: pc, mode: mode, frame: frame)] else { return nil }
        tableHits += 1
        return b
    }

    func setSlot(_ i: Int, _ b: TranslationBlock, hostEntry: UInt64? = nil) {
        jumpBlocks[i] = b
        let p = jumpCache + 16 * i
        p.storeBytes(of: b.pc, as: UInt32.self)
        p.storeBytes(of: b.mode, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: hostEntry ?? hostAddress(b), toByteOffset: 8, as: UInt64.self)
        for page in b.pages where jumpPages[Int(page)] == 0 {
            jumpPages[Int(page)] = 1
            jumpPageList.append(page)
        }
    }

    /// Set by the engine: the host address of a block's entry.
    var hostAddress: (TranslationBlock) -> UInt64 = { _ in 0 }

    func insert(_ b: TranslationBlock) {
        table[Key(pc: b.pc, mode: b.mode, frame: b.frames[0])] = b
        for f in b.frames { pages[f, default: []].append(b) }
        setSlot(BlockCache.slot(b.pc), b)
    }

    /// Removes `b` from the table, the jump cache and the frame lists; returns the frames that
    /// hold no block any more.
    func remove(_ b: TranslationBlock) -> [UInt32] {
        let key = Key(pc: b.pc, mode: b.mode, frame: b.frames[0])
        if table[key] === b { table[key] = nil }
        let i = BlockCache.slot(b.pc)
        if jumpBlocks[i] === b { clearSlot(i) }
        var emptied: [UInt32] = []
        for f in b.frames {
            pages[f]?.removeAll { $0 === b }
            if pages[f]?.isEmpty == true {
                pages[f] = nil
                emptied.append(f)
            }
        }
        return emptied
    }

    /// Drops the jump-cache entries of blocks with bytes on linear page `page` (its TLB entry
    /// left or maps another frame); the blocks stay in the table.
    func dropJumpEntries(onPage page: UInt32) {
        guard jumpPages[Int(page)] != 0 else { return }
        jumpPages[Int(page)] = 0
        for i in 0..<BlockCache.jumpCacheSize {
            if let b = jumpBlocks[i], b.pages.contains(page) { clearSlot(i) }
        }
    }

    /// Drops every jump-cache entry (the TLB was emptied); the blocks stay in the table.
    func dropAllJumpEntries() {
        for page in jumpPageList { jumpPages[Int(page)] = 0 }
        jumpPageList.removeAll(keepingCapacity: true)
        for i in 0..<BlockCache.jumpCacheSize where jumpBlocks[i] != nil { clearSlot(i) }
    }

    func removeAll() {
        table.removeAll()
        pages.removeAll()
        dropAllJumpEntries()
    }
}
