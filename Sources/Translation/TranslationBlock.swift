import Machine
import X86

/// A translation block (TB): guest code from ``pc`` up to a control transfer or an instruction
/// that needs the main loop, at most ``Translator/maxInstructions`` instructions and two guest
/// pages, with its RISC ops before and after optimization and, once installed, its host code.
public final class TranslationBlock {
    /// Number within the engine (exit codes carry it).
    public internal(set) var index: UInt32 = 0
    public let pc: UInt32
    /// The static CPU state the block was translated for (``TranslationEngine/mode(of:)``).
    public let mode: UInt32
    public let instructions: [Instruction]
    /// Guest bytes covered: `[pc, pc + size)`.
    public let size: UInt32
    public let ops: [ROp]
    public let optimizedOps: [ROp]
    public let report: Optimizer.Report

    /// Offset of the host code in the code buffer, and of the rel32 fields of goto_tb slots 0/1.
    var entry = 0
    var slotFields: [Int?] = [nil, nil]
    /// The body, after the entry's count and budget check (chained jumps count and check
    /// themselves), and the chain sites of `goto_tb n` and `goto_tb n, cc_dead` (code-buffer offsets).
    var body = 0
    var slotSites: [HostCodeGenerator.ChainSite?] = [nil, nil]
    var fastSites: [HostCodeGenerator.ChainSite?] = [nil, nil]
    /// Whether the block's entry flags are seen only by the slow paths of its first accesses
    /// (before it writes any guest state), so a predecessor may leave them pending
    /// (``Ctx/pending``) instead of writing them.
    var takesPendingFlags = false
    /// Whether the block overwrites the lazy flags before anything can read them
    /// (``Optimizer/ccLiveAtEntry(_:)`` is empty): `goto_tb n, cc_dead` may jump here.
    public let ccDeadAtEntry: Bool
    /// Blocks this one jumps to directly, by slot.
    var chained: [TranslationBlock?] = [nil, nil]
    /// Blocks (and their slot) that jump directly here.
    var incoming: [(block: TranslationBlock, slot: Int)] = []
    public internal(set) var valid = true
    /// Guest pages holding the block's bytes (one or two: only a block's first instruction may
    /// run into the next page), and the frames (physical page numbers) they were fetched from,
    /// in the same order (equal to the pages in user-mode emulation). The block stands for
    /// those bytes at those linear addresses: it is found only where the pages map the same
    /// frames (QEMU's TB key of `pc` and `phys_pc`, and `page_addr[1]`).
    public let pages: [UInt32]
    public internal(set) var frames: [UInt32] = []

    init(pc: UInt32, mode: UInt32, instructions: [Instruction], ops: [ROp], optimizedOps: [ROp], report: Optimizer.Report) {
        self.pc = pc
        self.mode = mode
        self.instructions = instructions
        self.size = instructions.last.map { $0.nextAddress &- pc } ?? 0
        self.ops = ops
        self.optimizedOps = optimizedOps
        self.report = report
        self.ccDeadAtEntry = Optimizer.ccLiveMask(optimizedOps) == 0
        let first = pc >> 12, last = (pc &+ max(size, 1) &- 1) >> 12
        pages = first == last ? [first] : [first, last]
    }

    /// Whether the block's bytes include any of `[lo, hi)` (offsets within the page) of `frame`.
    func overlaps(frame: UInt32, _ lo: UInt32, _ hi: UInt32) -> Bool {
        let start = pc & 0xFFF, end = UInt64(start) + UInt64(max(size, 1))   // bytes on the first page: [start, min(end, 4096))
        for (i, f) in frames.enumerated() where f == frame {
            let (a, b): (UInt64, UInt64) = i == 0 ? (UInt64(start), min(end, 0x1000)) : (0, end - 0x1000)
            if UInt64(lo) < b && UInt64(hi) > a { return true }
        }
        return false
    }

    /// The guest addresses this block's goto_tb slots 0 and 1 are chained to (nil: not chained),
    /// for teaching tools that show which direct jumps were chained.
    public var chainedTargets: [UInt32?] { chained.map { $0?.pc } }

}

/// The front end driver: decodes guest instructions from memory and lowers them into a block.
public enum Translator {
    /// QEMU's TCG_MAX_INSNS.
    public static let maxInstructions = 512

    /// Decodes the instruction at `address` for translation; nil when it cannot be fetched or
    /// decoded (the interpreter then raises the right exception). The page of `address` is
    /// fetched (the block is about to run from it: a TLB fill where it is missing); bytes on
    /// the next page are only looked at (``Machine/GuestMemory/peekCode(_:)``): translating is
    /// the emulator reading code, and the guest's CPU fetches the next page only when an
    /// instruction on it is about to run (``translate(_:pc:mode:optimize:stopBefore:)``).
    public static func decode(_ memory: GuestMemory, at address: UInt32) -> Instruction? {
        do throws(CPUException) { try memory.guestCheckFetch(address) } catch { return nil }
        var bytes: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &bytes) { buffer -> Instruction? in
            let count = memory.codeBytes(at: address, into: buffer.baseAddress!)
            return try? Decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), address: address)
        }
    }

    /// Translates the block at `pc`; nil when its first instruction cannot be decoded.
    /// - Parameter stopBefore: addresses no instruction of the block may have but the first (a
    ///   debugger's breakpoints, as QEMU's translator loop ends a block at one): the block ends
    ///   with a jump to such an address, so the engine's main loop sees it before it runs.
    public static func translate(_ memory: GuestMemory, pc: UInt32, mode: UInt32, optimize: Bool = true,
                                 stopBefore: Set<UInt32> = []) -> TranslationBlock? {
        var lowering = Lowering(flat: mode & 1 != 0)
        var instructions: [Instruction] = []
        var address = pc
        let firstPage = pc >> 12
        while true {
            if !instructions.isEmpty && address >> 12 != firstPage {
                // The block reached its page's end (see below).
                lowering.gotoTB(0, address)
                break
            }
            guard let insn = decode(memory, at: address) else {
                if instructions.isEmpty { return nil }
                lowering.gotoTB(0, address)
                break
            }
            if !instructions.isEmpty && !stopBefore.isEmpty && stopBefore.contains(address) {
                lowering.gotoTB(0, address)
                break
            }
            let last = address &+ UInt32(insn.length) &- 1
            if last >> 12 != firstPage {
                // An instruction that runs on into the next page: the guest fetches that page
                // when the instruction is about to run. Only a block's first instruction may
                // (the block is about to run: fetched now); a later one starts a block of its
                // own, as the interpreter's blocks end, so both engines fetch every page at the
                // same instruction.
                if !instructions.isEmpty {
                    lowering.gotoTB(0, address)
                    break
                }
                do throws(CPUException) { try memory.guestCheckFetch(last & ~0xFFF) } catch { return nil }
            }
            instructions.append(insn)
            let end = lowering.lower(insn, index: instructions.count - 1)
            if end != .none { break }
            address = insn.nextAddress
            if instructions.count == maxInstructions {
                lowering.gotoTB(0, address)
                break
            }
        }
        let ops = lowering.ops
        let (opt, report) = optimize ? Optimizer.optimize(ops) : (ops, Optimizer.Report())
        return TranslationBlock(pc: pc, mode: mode, instructions: instructions, ops: ops, optimizedOps: opt, report: report)
    }
}
