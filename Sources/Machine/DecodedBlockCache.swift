#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The interpreter's pre-decoded blocks (Bochs's trace cache): up to ``maxOps`` - 1 consecutive
/// ``DecodedOp``s decoded once, run by the hot loop one after the other with no fetch, no cache
/// lookup and no instruction count per instruction.
///
/// A block starts at a guest EIP and ends after the first instruction that transfers control or
/// needs the exact EIP and instruction count while it runs (``Interpreter/endsBlock(_:)``),
/// before an instruction on the next page, before a debugger breakpoint, or after ``maxOps`` - 1
/// instructions; a Jcc whose target is a later instruction of the block does not end it (the
/// block is a trace: ``Interpreter/buildBlock(_:_:)``), and a block whose last Jcc goes back to
/// its start runs again without a lookup.
/// Blocks live in a direct-mapped table of ``slotCount`` slots indexed by the low bits of the
/// start EIP; each slot keeps its ops inline, so a lookup is one tag compare. Storage comes from
/// `calloc` (fresh zero pages, touched only where blocks are built).
///
/// Invalidation is exact to the byte: a block is listed under every page its bytes lie on
/// (``pageBlocks``), and a write to code bytes (``Interpreter/codeWritten(address:count:)``)
/// drops exactly the blocks whose bytes it overlaps. A dropped block's ops are overwritten with
/// ``H/exitBlock`` (it may be the one running, e.g. a store into the next instruction), so the
/// hot loop leaves it at the first op it has not run yet, at that op's EIP.
final class DecodedBlockCache {
    static let slotBits = 12
    static let slotCount = 1 << slotBits
    static let slotMask: UInt32 = UInt32(slotCount - 1)
    /// Ops per block at most: up to `maxOps - 1` instructions and the ``H/blockEnd`` after them.
    static let maxOps = 32

    /// One slot's header.
    struct Info {
        /// Start EIP of the block; a slot is empty when its tag cannot map to it (``empty(_:)``).
        var tag: UInt32
        /// Address after the block's last byte (as a 64-bit sum: a block may end at 4 GiB).
        var end: UInt64
        /// Number of instructions (1 ... maxOps - 1).
        var count: UInt32
        /// Number of ops that run them: ``count``, one less for each CMP and Jcc that are one op
        /// (``H/cmpJcc32RR``, ``fused``), one more when the last instruction does not end the block
        /// (``Interpreter/endsBlock(_:)``) or goes back to the block's start, and an
        /// ``H/blockEnd`` op follows it, which sets EIP to
        /// ``end``. (The block's body leaves EIP alone; see ``Interpreter/execInBlock(_:)``.)
        var opCount: UInt32
        /// Bit k set: op k stands for two instructions (a CMP and the Jcc after it, fused).
        var fused: UInt32
    }

    let info: UnsafeMutablePointer<Info>
    let ops: UnsafeMutablePointer<DecodedOp>
    /// Page number -> slots whose block has bytes on it (may hold stale entries: slots since
    /// refilled with a block elsewhere; they are dropped when the page is next looked at).
    var pageBlocks: [UInt32: [Int32]] = [:]
    /// Whether any block was built since the cache was last emptied.
    var inUse = false

    init() {
        guard let i = calloc(Self.slotCount, MemoryLayout<Info>.stride),
              let o = calloc(Self.slotCount * Self.maxOps, MemoryLayout<DecodedOp>.stride) else {
            fatalError("vsim: out of memory for the decoded-block cache")
        }
        info = i.bindMemory(to: Info.self, capacity: Self.slotCount)
        ops = o.bindMemory(to: DecodedOp.self, capacity: Self.slotCount * Self.maxOps)
        // All-zero slots are empty (tag 0 cannot map to a slot other than 0), except slot 0.
        info[0].tag = Self.empty(0)
    }

    deinit {
        free(info)
        free(ops)
    }

    /// The tag of an empty slot `i`: one whose low bits are not `i`.
    @inline(__always) static func empty(_ i: Int) -> UInt32 { ~UInt32(i) }

    @inline(__always) static func slot(_ eip: UInt32) -> Int { Int(eip & slotMask) }

    /// The first op of slot `i`.
    @inline(__always) func first(_ i: Int) -> UnsafeMutablePointer<DecodedOp> { ops + i * Self.maxOps }

    /// Where op `op` of a block lies: the number of instructions of the block in its address
    /// order before it (ops before it that stand for two count twice; instructions a branch
    /// in the block skipped count too: the loop gave them back when it skipped them), and the
    /// block's instruction count.
    func position(_ op: UnsafeMutablePointer<DecodedOp>) -> (index: UInt64, count: UInt64) {
        let k = op - ops
        let i = k % Self.maxOps, slot = info[k / Self.maxOps]
        let before = slot.fused & ((1 << UInt32(i)) &- 1)
        return (UInt64(i + before.nonzeroBitCount), UInt64(slot.count))
    }

    /// Records the block just built in slot `i` under the pages it lies on.
    func register(_ i: Int) {
        inUse = true
        let firstPage = info[i].tag >> 12
        let lastPage = UInt32(truncatingIfNeeded: (info[i].end - 1) >> 12)
        list(i, under: firstPage)
        if lastPage != firstPage { list(i, under: lastPage) }
    }

    /// Adds slot `i` to the list of `page` (in place: no copy of the list).
    private func list(_ i: Int, under page: UInt32) {
        if let n = pageBlocks[page]?.count, n >= 64 { pageBlocks[page]!.removeAll { !lies(Int($0), on: page) } }
        pageBlocks[page, default: []].append(Int32(i))
    }

    /// Whether the block in slot `i` has bytes on `page`.
    func lies(_ i: Int, on page: UInt32) -> Bool {
        let t = info[i].tag
        guard Self.slot(t) == i else { return false }
        return UInt64(page) >= UInt64(t >> 12) && UInt64(page) <= (info[i].end - 1) >> 12
    }

    /// Drops the block in slot `i`: its ops become ``H/exitBlock`` and the slot empty.
    func drop(_ i: Int) {
        let p = first(i)
        for k in 0..<Int(info[i].opCount) { p[k].h = .exitBlock }
        info[i].tag = Self.empty(i)
    }

    /// Drops every block with a byte in `[address, address + count)`.
    func invalidate(address: UInt32, count: UInt32) {
        guard inUse, count > 0 else { return }
        let lo = UInt64(address), hi = UInt64(address) + UInt64(count)
        let firstPage = UInt32(lo >> 12), lastPage = UInt32((hi - 1) >> 12)
        if UInt64(lastPage - firstPage) < UInt64(pageBlocks.count) {
            for page in firstPage...lastPage { invalidate(page: page, lo, hi) }
        } else {
            for page in pageBlocks.keys.filter({ $0 >= firstPage && $0 <= lastPage }) { invalidate(page: page, lo, hi) }
        }
    }

    /// Drops the blocks listed under `page` that have a byte in `[lo, hi)`, and the list's stale entries.
    private func invalidate(page: UInt32, _ lo: UInt64, _ hi: UInt64) {
        guard let list = pageBlocks[page] else { return }
        // A data store next to code (the common case) drops nothing: leave the list alone.
        if !list.contains(where: { !lies(Int($0), on: page) || (UInt64(info[Int($0)].tag) < hi && info[Int($0)].end > lo) }) {
            return
        }
        var kept: [Int32] = []
        for e in list {
            let i = Int(e)
            guard lies(i, on: page) else { continue }
            if UInt64(info[i].tag) < hi && info[i].end > lo {
                drop(i)
            } else if !kept.contains(e) {
                kept.append(e)
            }
        }
        pageBlocks[page] = kept.isEmpty ? nil : kept
    }

    /// Drops every block.
    func removeAll() {
        guard inUse else { return }
        for i in 0..<Self.slotCount where Self.slot(info[i].tag) == i { drop(i) }
        pageBlocks.removeAll()
        inUse = false
    }
}
