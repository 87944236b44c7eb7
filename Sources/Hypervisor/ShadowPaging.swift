import Machine
import X86

/// What a shadow-paging VMM does with the guest's page tables (trap-and-emulate, BT, and VT-x
/// without EPT): trace (write-protect) them, and perform a guest write to one after the hidden
/// page fault it causes.
enum ShadowPaging {
    /// Traces the page directory at `guestCR3` and every page table it points to, and the
    /// directories of the other address spaces whose shadow tables `shadow` caches.
    static func trace(machine: SystemMachine, guestCR3: UInt32, shadow: ShadowPageTables) {
        let mmu = machine.mmu
        var frames: Set<UInt32> = shadow.cachedDirectories
        frames.insert(guestCR3 >> 12)
        for i in 0..<UInt32(1024) {
            let pde = mmu.physicalRead32((guestCR3 & ~0xFFF) &+ i * 4)
            if pde & 1 != 0 { frames.insert(pde >> 12) }
        }
        mmu.tracedFrames = frames
    }

    /// Performs `insn`, a 32-bit `mov` of a register or immediate to memory, as the VMM does for
    /// a write to a traced page table: stores the entry, traces a new page table that a new
    /// directory entry brings, drops the TLB entries a changed present entry mapped and updates
    /// the shadow (``ShadowPageTables/entryWritten(at:old:new:directory:mmu:)``); a store to the
    /// directory of another cached address space drops that shadow table and its trace. nil when
    /// `insn` is not such a store (it is then the guest's own fault). EIP is not changed.
    static func write(_ insn: Instruction, machine m: SystemMachine, guestCR3: UInt32, shadow: ShadowPageTables) -> (physical: UInt32, value: UInt32)? {
        let cpu = m.cpu
        guard insn.mnemonic == .mov, insn.operandSize == 4, case .memory(let mo) = insn.operand0 else { return nil }
        let value: UInt32
        switch insn.operand1 {
        case .register(let r) where r.kind == .gpr32: value = cpu[reg32: Int(r.number)]
        case .immediate(let v, _): value = v
        default: return nil
        }
        let a = m.linearAddress(mo)
        guard a & 3 == 0, let t = m.mmu.translate(a) else { return nil }
        let old = m.mmu.physicalRead32(t.physical)
        m.mmu.physicalWrite32(t.physical, value)
        if shadow.isCachedDirectory(t.physical >> 12) {
            shadow.unshadow(t.physical >> 12)
            m.mmu.tracedFrames.remove(t.physical >> 12)
            return (t.physical, value)
        }
        if t.physical >> 12 == guestCR3 >> 12 && value & 1 != 0 { m.mmu.tracedFrames.insert(value >> 12) }
        shadow.entryWritten(at: t.physical, old: old, new: value, directory: guestCR3, mmu: m.mmu)
        if old & 1 != 0 { dropShadowEntries(entryAt: t.physical, machine: m, guestCR3: guestCR3) }
        return (t.physical, value)
    }

    /// A present entry at guest-physical `pa` changed: drops the TLB (shadow) entries of the linear
    /// pages it took part in mapping, one page per page-table entry (QEMU's `tlb_flush_page`;
    /// a VMM updates the one shadow entry), the 4 MiB a directory entry covers. Found through
    /// the directory at `guestCR3`: entry `j` of a page table that directory entry `i` points to
    /// maps linear `i << 22 | j << 12`. The rest of the TLB, and with it the translations of code
    /// on other pages, stays (dropping it all made every munmap retranslate the guest's code).
    static func dropShadowEntries(entryAt pa: UInt32, machine m: SystemMachine, guestCR3: UInt32) {
        let mmu = m.mmu
        let directory = guestCR3 & ~0xFFF
        let slot = (pa & 0xFFF) >> 2
        if pa >> 12 == directory >> 12 {
            for j in 0..<UInt32(1024) { mmu.flush(slot << 22 | j << 12) }
        }
        for i in 0..<UInt32(1024) {
            let pde = mmu.physicalRead32(directory &+ i * 4)
            if pde & 1 != 0 && pde >> 12 == pa >> 12 { mmu.flush(i << 22 | slot << 12) }
        }
    }
}
