import Machine
import X86

/// What a shadow-paging VMM does with the guest's page tables (trap-and-emulate, BT, and VT-x
/// without EPT): trace (write-protect) them, and perform a guest write to one after the hidden
/// page fault it causes.
enum ShadowPaging {
    /// Traces the page directory at `guestCR3` and every page table it points to.
    static func trace(machine: SystemMachine, guestCR3: UInt32) {
        let mmu = machine.mmu
        var frames: Set<UInt32> = [guestCR3 >> 12]
        for i in 0..<UInt32(1024) {
            let pde = mmu.physicalRead32((guestCR3 & ~0xFFF) &+ i * 4)
            if pde & 1 != 0 { frames.insert(pde >> 12) }
        }
        mmu.tracedFrames = frames
    }

    /// Performs `insn`, a 32-bit `mov` of a register or immediate to memory, as the VMM does for
    /// a write to a traced page table: stores the entry, traces a new page table that a new
    /// directory entry brings, drops the TLB when a present entry changed. nil when `insn` is not
    /// such a store (it is then the guest's own fault). EIP is not changed.
    static func write(_ insn: Instruction, machine m: SystemMachine, guestCR3: UInt32) -> (physical: UInt32, value: UInt32)? {
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
        if t.physical >> 12 == guestCR3 >> 12 && value & 1 != 0 { m.mmu.tracedFrames.insert(value >> 12) }
        if old & 1 != 0 { m.mmu.flushAll() }   // a changed mapping: the shadow entry is dropped
        return (t.physical, value)
    }
}
