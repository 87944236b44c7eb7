/// Counters of one `translate` run (`vsim run --mode translate --stats`). All exact and
/// deterministic for a given program and input.
public struct TranslationStats: Sendable, Equatable {
    public var blocksTranslated: UInt64 = 0
    /// Guest instructions translated (summed over blocks; a re-translated block counts again).
    public var instructionsTranslated: UInt64 = 0
    /// RISC ops (without insn_start and labels) of the translated blocks, before and after the optimizer.
    public var opsBeforeOptimization: UInt64 = 0
    public var opsAfterOptimization: UInt64 = 0
    public var hostCodeBytes: UInt64 = 0

    /// Lookups by the main loop (one per return to it).
    public var mainLoopLookups: UInt64 = 0
    /// Lookups in the jump cache by the main loop, and how many hit.
    public var jumpCacheLookups: UInt64 = 0
    public var jumpCacheHits: UInt64 = 0
    /// Lookups in the hash table (jump-cache misses), and how many hit.
    public var hashTableLookups: UInt64 = 0
    public var hashTableHits: UInt64 = 0
    /// `lookup_and_goto` hits in generated code (indirect jumps and returns that stayed in translated code).
    public var lookupHitsInline: UInt64 = 0

    /// Block entries: from the main loop, by chained jumps, by lookup_and_goto hits.
    public var blockEntries: UInt64 = 0
    public var enteredFromMainLoop: UInt64 = 0
    /// Exits through a goto_tb slot not chained yet (the main loop then chains it).
    public var unchainedExits: UInt64 = 0
    /// Exits by exit_tb (after an instruction that needs the main loop) or a lookup_and_goto miss.
    public var mainLoopExits: UInt64 = 0
    public var helperExits: UInt64 = 0
    public var budgetExits: UInt64 = 0
    public var chainsMade: UInt64 = 0

    /// Blocks invalidated by writes to their pages, and the writes that invalidated any.
    public var invalidations: UInt64 = 0
    public var invalidatingWrites: UInt64 = 0
    /// Stores into the running block's page, re-run by the main loop.
    public var smcRetries: UInt64 = 0
    public var flushes: UInt64 = 0
    /// Under a guest kernel: the MMU's reports of TLB entries that left or were refilled with
    /// another frame (INVLPG, MOV to CR3, ...: ``TranslationEngine/codeMappingLeft(address:)``;
    /// the blocks stay, keyed by frame), and the direct jumps between pages cut because of them.
    public var mappingsLeft: UInt64 = 0
    public var chainsCut: UInt64 = 0
    /// Memory accesses that took the slow path (helper call).
    public var slowAccesses: UInt64 = 0

    /// Guest instructions retired in all.
    public var instructionsExecuted: UInt64 = 0
    /// Of those, run by `call exec_insn` from translated code.
    public var helperInstructions: UInt64 = 0
    /// Of those, REP MOVS and REP STOS done by `rep_movs` and `rep_stos` without the interpreter
    /// (those they hand to it count as exec_insn).
    public var stringHelperInstructions: UInt64 = 0
    /// Of those, stepped by the main loop outside translated code (budget ends, untranslatable
    /// code, SMC retries).
    public var instructionsStepped: UInt64 = 0

    /// Exits from one block straight into another through a chained goto_tb slot.
    public var chainedExits: UInt64 {
        blockEntries &- enteredFromMainLoop &- lookupHitsInline
    }

    /// Guest instructions executed from translated code (inline or by exec_insn), per cent.
    public var translatedShare: Double {
        instructionsExecuted == 0 ? 0 : 100 * Double(instructionsExecuted - instructionsStepped) / Double(instructionsExecuted)
    }

    public var opsPerInstructionBefore: Double {
        instructionsTranslated == 0 ? 0 : Double(opsBeforeOptimization) / Double(instructionsTranslated)
    }
    public var opsPerInstructionAfter: Double {
        instructionsTranslated == 0 ? 0 : Double(opsAfterOptimization) / Double(instructionsTranslated)
    }

    /// The `--stats` text.
    public var text: String {
        func f(_ v: Double) -> String {
            let x = (v * 100).rounded() / 100
            var s = String(x)
            if let dot = s.firstIndex(of: ".") {
                let decimals = s.distance(from: dot, to: s.endIndex) - 1
                if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
            }
            return s
        }
        let lines: [(String, String)] = [
            ("blocks translated", "\(blocksTranslated)"),
            ("guest instructions translated", "\(instructionsTranslated)"),
            ("RISC ops per guest instruction", "\(f(opsPerInstructionBefore)) before optimization, \(f(opsPerInstructionAfter)) after"),
            ("host code", "\(hostCodeBytes) bytes"),
            ("main-loop lookups", "\(mainLoopLookups): jump cache \(jumpCacheHits) hits of \(jumpCacheLookups), hash table \(hashTableHits) hits of \(hashTableLookups)"),
            ("lookup_and_goto hits", "\(lookupHitsInline)"),
            ("block entries", "\(blockEntries): \(enteredFromMainLoop) from the main loop, \(chainedExits) chained, \(lookupHitsInline) by lookup_and_goto"),
            ("chained exits", "\(chainedExits)"),
            ("unchained exits", "\(unchainedExits + mainLoopExits + helperExits + budgetExits): goto_tb not yet chained \(unchainedExits), exit_tb or lookup miss \(mainLoopExits), helper \(helperExits), budget \(budgetExits)"),
            ("chains made", "\(chainsMade)"),
            ("invalidations", "\(invalidations) blocks by \(invalidatingWrites) writes; \(smcRetries) stores re-run by the main loop; \(flushes) cache flushes"),
            ("guest instructions executed", "\(instructionsExecuted): \(instructionsExecuted - instructionsStepped - helperInstructions - stringHelperInstructions) translated inline, \(stringHelperInstructions) by rep_movs/rep_stos, \(helperInstructions) by exec_insn, \(instructionsStepped) stepped by the main loop"),
            ("executed from translated code", "\(f(translatedShare))%"),
        ]
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }.joined(separator: "\n") + "\n"
    }
}
