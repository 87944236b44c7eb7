import Machine
import X86
import Descriptions

/// What `vsim translate --show` prints for each block (QEMU's `-d in_asm,op,op_opt`).
public enum TranslationView: String, CaseIterable, Sendable {
    /// The guest instructions of the block.
    case in_asm
    /// The RISC ops as lowered, grouped under the x86 instruction each came from.
    case ir
    /// The RISC ops after the optimizer, with what each pass removed.
    case ir_opt
}

/// The text of `vsim translate` (docs/translation-walkthrough.md shows examples).
public enum TranslationPrinter {
    /// The blocks from `start` and those its direct jumps lead to, breadth first, `count` in all,
    /// translated (never run) and printed with the chosen views; nil when nothing can be
    /// translated at `start`.
    public static func listing(_ memory: GuestMemory, from start: UInt32, mode: UInt32, count: Int,
                               symbols: Symbolizer?, show: [TranslationView]) -> String? {
        var queue = [start]
        var seen: Set<UInt32> = []
        var out = ""
        while !queue.isEmpty && seen.count < max(count, 1) {
            let pc = queue.removeFirst()
            if seen.contains(pc) { continue }
            seen.insert(pc)
            guard let b = Translator.translate(memory, pc: pc, mode: mode) else {
                if seen.count == 1 { return nil }
                continue
            }
            if !out.isEmpty { out += "\n" }
            out += block(b, symbols: symbols, show: show)
            for op in b.ops where op.code == .mov && op.d == .eip {
                if let t = op.a.imm, !seen.contains(t) { queue.append(t) }
            }
        }
        return out
    }

    public static func block(_ b: TranslationBlock, symbols: Symbolizer?, show: [TranslationView]) -> String {
        var out = ""
        var where_ = Hex.address(b.pc)
        if let s = symbols?.symbol(for: b.pc) { where_ += s.offset == 0 ? " <\(s.name)>" : " <\(s.name)+0x\(String(s.offset, radix: 16))>" }
        let texts = Dictionary(b.instructions.map { ($0.address, ATTPrinter.format($0, symbols: symbols)) }, uniquingKeysWith: { a, _ in a })
        if show.contains(.in_asm) {
            out += "IN: \(where_)\n"
            for i in b.instructions { out += "\(Hex.address(i.address)):  \(texts[i.address]!)\n" }
        }
        if show.contains(.ir) {
            if !out.isEmpty { out += "\n" }
            out += "OP: \(b.ops.realOpCount) ops for \(b.instructions.count) instructions\n"
            out += ops(b.ops, texts)
        }
        if show.contains(.ir_opt) {
            if !out.isEmpty { out += "\n" }
            out += "OP after optimization: \(b.optimizedOps.realOpCount) ops (constant folding changed \(b.report.folded), "
                + "dead-flag elimination removed \(b.report.deadFlags), dead-code elimination removed \(b.report.deadCode), "
                + "copies coalesced \(b.report.coalesced), flag sinking moved \(b.report.sunk))\n"
            out += ops(b.optimizedOps, texts)
        }
        return out
    }

    static func ops(_ ops: [ROp], _ texts: [UInt32: String]) -> String {
        var out = ""
        for op in ops {
            if op.code == .insnStart {
                out += " ---- \(Hex.address(op.c))  \(texts[op.c] ?? "")\n"
            } else if op.code == .label {
                out += " \(op.text)\n"
            } else {
                out += "   \(op.text)\n"
            }
        }
        return out
    }

}
