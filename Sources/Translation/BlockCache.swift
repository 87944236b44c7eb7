/// The translation cache (docs/risc-target.md, "Block cache"), as QEMU's: a direct-mapped
/// *jump cache* of 4096 entries indexed by a hash of the guest PC, in front of a hash table
/// keyed by (guest address, mode); plus, per guest page, the blocks whose bytes lie on it (for
/// self-modifying-code invalidation).
///
/// The jump cache is plain memory that generated code reads too (`lookup_and_goto`): entry i is
/// 16 bytes {pc: UInt32, mode: UInt32, host entry: UInt64}.
final class BlockCache {
    static let jumpCacheSize = 4096
    struct Key: Hashable { var pc: UInt32; var mode: UInt32 }

    let jumpCache: UnsafeMutableRawPointer
    var jumpBlocks: [TranslationBlock?]
    var table: [Key: TranslationBlock] = [:]
    var pages: [UInt32: [TranslationBlock]] = [:]

    var jumpLookups: UInt64 = 0
    var jumpHits: UInt64 = 0
    var tableLookups: UInt64 = 0
    var tableHits: UInt64 = 0

    init() {
        jumpCache = .allocate(byteCount: 16 * BlockCache.jumpCacheSize, alignment: 16)
        jumpBlocks = Array(repeating: nil, count: BlockCache.jumpCacheSize)
        clearJumpCache()
    }

    deinit { jumpCache.deallocate() }

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

    /// Finds the block for (pc, mode): jump cache first, then the hash table (refilling the jump cache).
    func lookup(_ pc: UInt32, _ mode: UInt32) -> TranslationBlock? {
        jumpLookups += 1
        let i = BlockCache.slot(pc)
        if let b = jumpBlocks[i], b.pc == pc, b.mode == mode {
            jumpHits += 1
            return b
        }
        tableLookups += 1
        guard let b = table[Key(pc: pc, mode: mode)] else { return nil }
        tableHits += 1
        setSlot(i, b)
        return b
    }

    func setSlot(_ i: Int, _ b: TranslationBlock, hostEntry: UInt64? = nil) {
        jumpBlocks[i] = b
        let p = jumpCache + 16 * i
        p.storeBytes(of: b.pc, as: UInt32.self)
        p.storeBytes(of: b.mode, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: hostEntry ?? hostAddress(b), toByteOffset: 8, as: UInt64.self)
    }

    /// Set by the engine: the host address of a block's entry.
    var hostAddress: (TranslationBlock) -> UInt64 = { _ in 0 }

    func insert(_ b: TranslationBlock) {
        table[Key(pc: b.pc, mode: b.mode)] = b
        for p in b.pages { pages[p, default: []].append(b) }
        setSlot(BlockCache.slot(b.pc), b)
    }

    /// Removes `b` from the table, the jump cache and the page lists.
    func remove(_ b: TranslationBlock) {
        let key = Key(pc: b.pc, mode: b.mode)
        if table[key] === b { table[key] = nil }
        let i = BlockCache.slot(b.pc)
        if jumpBlocks[i] === b { clearSlot(i) }
        for p in b.pages {
            pages[p]?.removeAll { $0 === b }
            if pages[p]?.isEmpty == true { pages[p] = nil }
        }
    }

    func removeAll() {
        table.removeAll()
        pages.removeAll()
        clearJumpCache()
    }
}
