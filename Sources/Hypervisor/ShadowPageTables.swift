import Machine

/// The shadow page tables of a shadow-paging VMM (trap-and-emulate, BT, and VT-x without EPT):
/// which linear pages of which guest address space already have a shadow entry, so that the
/// first access to any other page takes a **hidden page fault** into the VMM, which walks the
/// guest's tables and builds the entry (the guest never sees the fault).
///
/// One shadow table per guest address space, keyed by the frame of its page directory (the CR3
/// the guest loads), built lazily: empty when the guest first loads that CR3, filled one entry per
/// hidden fault. A small cache of them survives address-space switches, as VMMs kept them: KVM
/// looks its shadow pages up by guest page-table frame on every CR3 load (Avi Kivity, "Define a
/// hashtable for caching shadow page tables", LKML, January 2007) and keeps the current root and
/// `KVM_MMU_NUM_PREV_ROOTS` = 3 previous ones for a fast switch back (commit b94742c958f0, 2018);
/// ``capacity`` is that 1 + 3. The least recently loaded one beyond it is dropped.
///
/// Coherence (the VMM must see every change the guest makes to a table it shadows):
/// - a traced write to an entry of the current tree (``entryWritten``): a page-table entry keeps
///   its shadow when the new value is present (the VMM writes the new shadow entry as it emulates
///   the store, as KVM's `kvm_mmu_pte_write` does) and loses it when not; a directory entry drops
///   the shadow of the 4 MiB it covered;
/// - INVLPG drops the page's shadow entry (``invalidate``);
/// - the directory of every cached address space stays traced (``cachedDirectories``): when the
///   guest writes one that is not current (the kernel frees it, or reuses the frame), the VMM
///   drops that shadow table (``unshadow``) and stops tracing the frame.
///
/// vsim keeps one set of shadowed pages per address space; the kernel's half is not shared
/// between them (KVM shares shadow pages of the same guest page table), so a new process takes a
/// hidden fault for each kernel page it touches too. Deterministic: the record depends only on
/// which pages the guest touches and in what order relative to CR3 loads, INVLPG and traced
/// writes, the same on both engines.
public final class ShadowPageTables {
    /// Shadow tables kept at once: the current one and 3 previous (KVM_MMU_NUM_PREV_ROOTS).
    public static let capacity = 4

    /// One guest address space's shadow: the linear page numbers that have a shadow entry.
    final class Table {
        let directory: UInt32
        var pages: Set<UInt32> = []
        init(directory: UInt32) { self.directory = directory }
    }

    /// Least recently loaded first; the last is the current one.
    var tables: [Table] = []
    var current: Table? { tables.last }

    /// Hidden page faults taken (shadow entries built), shadow tables built, dropped.
    public private(set) var hiddenFaults: UInt64 = 0
    public private(set) var tablesBuilt: UInt64 = 0
    public private(set) var tablesDropped: UInt64 = 0

    /// How the VMMs count a hidden fault: a trap (trap, bt) or a VM exit (hvm, exit reason 0 with
    /// `#PF`), for a shadow entry built (fill) or a cached directory written (unshadow).
    public static let trapFill = "#PF: hidden (shadow fill)"
    public static let trapUnshadow = "#PF: hidden (unshadow)"
    public static let exitFill = ExitReason.exceptionOrNMI.label + ": hidden #PF (shadow fill)"
    public static let exitUnshadow = ExitReason.exceptionOrNMI.label + ": hidden #PF (unshadow)"

    public init() {}

    /// The guest loaded CR3 = `cr3`: its shadow table becomes current, an empty one when the
    /// address space is not cached (the least recently used goes beyond ``capacity``).
    func load(cr3: UInt32) {
        let frame = cr3 >> 12
        if let i = tables.firstIndex(where: { $0.directory == frame }) {
            tables.append(tables.remove(at: i))
            return
        }
        tables.append(Table(directory: frame))
        tablesBuilt &+= 1
        if tables.count > Self.capacity {
            tables.removeFirst()
            tablesDropped &+= 1
        }
    }

    /// The guest touched linear page `linear` (a TLB fill): true when its shadow entry was
    /// missing, a hidden page fault (the entry is now built).
    func touch(_ linear: UInt32) -> Bool {
        guard let t = current, t.pages.insert(linear >> 12).inserted else { return false }
        hiddenFaults &+= 1
        return true
    }

    /// INVLPG of `linear`: its shadow entry goes.
    func invalidate(_ linear: UInt32) {
        current?.pages.remove(linear >> 12)
    }

    /// A traced write changed the entry at guest-physical `pa` from `old` to `new`: the shadow of
    /// the pages it maps, found through the current directory at `directory` (a directory entry
    /// maps 4 MiB, a table entry one page at every directory slot that points to its table).
    func entryWritten(at pa: UInt32, old: UInt32, new: UInt32, directory: UInt32, mmu: MMU) {
        guard let t = current, old & 1 != 0 else { return }
        let slot = (pa & 0xFFF) >> 2
        if pa >> 12 == directory >> 12 {
            let base = slot << 10
            t.pages = t.pages.filter { $0 & ~0x3FF != base }
            return
        }
        guard new & 1 == 0 else { return }   // the VMM writes the new shadow entry
        for i in 0..<UInt32(1024) {
            let pde = mmu.physicalRead32((directory & ~0xFFF) &+ i * 4)
            if pde & 1 != 0 && pde >> 12 == pa >> 12 { t.pages.remove(i << 10 | slot) }
        }
    }

    /// Directory frames of the cached address spaces other than the current one (the VMM traces
    /// them: a write means the guest freed or reused the directory).
    var cachedDirectories: Set<UInt32> {
        Set(tables.dropLast().map(\.directory))
    }

    /// Whether `frame` is the directory of a cached address space that is not the current one.
    func isCachedDirectory(_ frame: UInt32) -> Bool {
        tables.dropLast().contains { $0.directory == frame }
    }

    /// Drops the shadow table of the address space whose directory is `frame`.
    func unshadow(_ frame: UInt32) {
        guard let i = tables.dropLast().firstIndex(where: { $0.directory == frame }) else { return }
        tables.remove(at: i)
        tablesDropped &+= 1
    }
}
