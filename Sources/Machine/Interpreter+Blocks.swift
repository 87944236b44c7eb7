import X86

/// Building the pre-decoded blocks that ``Interpreter/runFast(_:)`` runs (``DecodedBlockCache``).
extension Interpreter {
    /// Whether an instruction with handler `h` ends its block: it transfers control, or it needs
    /// EIP at its own address and the exact instruction count while it runs (software interrupts,
    /// the platform's and the VMM's instructions, RDTSC), or it changes what the next instruction
    /// may assume (POPF may set TF; segment loads; CLI/STI; the system instructions). Only a
    /// block's last instruction may be one; the others need neither EIP nor the count.
    static func endsBlock(_ h: H) -> Bool {
        switch h {
        case .jmp, .jmpRM, .jcc, .call, .callRM, .ret, .retf, .jmpFar, .callFar,
             .loop, .loope, .loopne, .jcxz, .iret,
             .int, .int3, .into, .ud2, .invalid, .exitBlock, .privileged, .vmcall, .cpuid, .rdtsc,
             .sgdt, .sidt, .sldt, .str, .smsw, .lar, .lsl, .verr, .verw,
             .popf, .movToSeg, .popSeg, .cli, .sti:
            return true
        default:
            return false
        }
    }

    /// Decodes the block starting at `eip` into slot `slot`. Returns false, building nothing,
    /// when its first instruction cannot be fetched or decoded or is at a debugger breakpoint
    /// (the caller runs it through ``runSingle(_:)``, which raises the exception).
    @inline(never)
    func buildBlock(_ slot: Int, _ eip: UInt32) -> Bool {
        let first = blocks.first(slot)
        var a = eip
        var n = 0
        while n < DecodedBlockCache.maxOps - 1 {   // room for the blockEnd op
            if !breakpoints.isEmpty && breakpoints.contains(a) { break }
            let op = first + n
            let single = cache + Int(a & Interpreter.cacheMask)
            if single.pointee.tag == a {
                if n > 0 && (a & 0xFFF) + UInt32(single.pointee.len) > 0x1000 { break }
                op.pointee = single.pointee
            } else {
                // Only the first instruction may run on into the next page (and fetch it): a
                // later one starts a block of its own, so that the next page is fetched when an
                // instruction on it is about to run (the translator's blocks end alike).
                guard let insn = try? decode(a, acrossPages: n == 0) else { break }
                op.pointee = DecodedOp(insn)
            }
            let len = UInt32(op.pointee.len)
            memory.markCode(a, len)
            n += 1
            let next = a &+ len
            if Interpreter.endsBlock(op.pointee.h) || next >> 12 != eip >> 12 || next < a { a = next; break }
            a = next
        }
        guard n > 0 else { return false }
        let fallsThrough = !Interpreter.endsBlock(first[n - 1].h)
        Interpreter.elideDeadFlags(first, n)
        var opCount = Interpreter.fuseCompareAndBranch(first, n)
        let end = UInt64(eip) + UInt64(a &- eip)
        if fallsThrough {
            // The block goes on at `end`: an op that says so ends it (the loop needs no count of ops).
            var stop = DecodedOp()
            stop.tag = UInt32(truncatingIfNeeded: end)
            stop.h = .blockEnd
            first[opCount] = stop
            opCount += 1
        }
        blocks.info[slot] = DecodedBlockCache.Info(tag: eip, end: end, count: UInt32(n), opCount: UInt32(opCount))
        blocks.register(slot)
        return true
    }

    // Flag classes for ``elideDeadFlags(_:_:)``: CF, OF, and the rest (SF ZF AF PF).
    static let flagC: UInt8 = 1, flagV: UInt8 = 2, flagS: UInt8 = 4, flagsAll: UInt8 = 7

    /// Replaces ops whose flag results nothing reads with their flag-less forms (``H/imul32RRnf``,
    /// ``H/inc32Rnf``, ``H/dec32Rnf``, ``H/add32RRnf`` and the other ADD/SUB r32 forms; CMP/TEST
    /// become NOP), by a backward liveness pass over
    /// the block: all flags are live at the block's end, before any instruction that may fault
    /// (an exception shows the flags as they are) and around any instruction this pass does
    /// not model. So the flags are exact wherever the guest or a handler can look at them:
    /// after the block, at a fault, at a stop, and where an invalidated block is left (only
    /// after a store, which may fault). A block cut short by the instruction count never runs:
    /// its instructions run one at a time through ``runSingle(_:)``, with all their flags.
    static func elideDeadFlags(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int) {
        var live = flagsAll
        for i in stride(from: n - 1, through: 0, by: -1) {
            let op = ops + i
            switch op.pointee.h {
            case .add32RR, .add32RI, .sub32RR, .sub32RI:
                if live == 0 {
                    switch op.pointee.h {
                    case .add32RR: op.pointee.h = .add32RRnf
                    case .add32RI: op.pointee.h = .add32RInf
                    case .sub32RR: op.pointee.h = .sub32RRnf
                    default: op.pointee.h = .sub32RInf
                    }
                }
                live = 0   // writes all of them, reads none
            case .xor32RR, .and32RR, .or32RR:
                live = 0
            case .cmp32RR, .cmp32RI, .test32RR:
                if live == 0 { op.pointee.h = .nop }
                live = 0
            case .inc32R, .dec32R:
                // Writes OF and SF ZF AF PF, keeps CF (reads it).
                if live == 0 { op.pointee.h = op.pointee.h == .inc32R ? .inc32Rnf : .dec32Rnf }
                else { live = (live & ~(flagV | flagS)) | flagC }
            case .imul32RR:
                // Writes CF and OF, keeps SF ZF AF PF (reads them).
                if live == 0 { op.pointee.h = .imul32RRnf }
                else { live = (live & ~(flagC | flagV)) | flagS }
            case .mov32RR, .mov32RI, .movRR, .movRI, .lea, .nop, .jmp:
                break      // no flags, no fault
            default:
                live = flagsAll   // reads flags, may fault, or not modeled here
            }
        }
    }

    /// Condition `cc` of a Jcc (its opcode's low nibble, SDM Vol. 1, Appendix B, "EFLAGS
    /// Condition Codes") after a CMP, as ``HotContext/compareTaken(_:_:_:_:)`` decides it: where
    /// it is a comparison of the operands (SDM Vol. 1, Table B-1), the comparison in bits 0-2
    /// (1 below, 2 equal, 3 below or equal, 4 less, 5 less or equal: B, E, BE, L, LE) and bit 3
    /// for its negation (AE, NE, A, GE, G); for O, NO, S, NS, P, NP: cc << 4 (read from the flags).
    static func comparisonClass(_ cc: UInt8) -> UInt8 {
        let negate = (cc & 1) << 3
        switch cc >> 1 {
        case 1: return 1 | negate   // B, AE
        case 2: return 2 | negate   // E, NE
        case 3: return 3 | negate   // BE, A
        case 6: return 4 | negate   // L, GE
        case 7: return 5 | negate   // LE, G
        default: return cc << 4
        }
    }

    /// Makes a block ending in a CMP and a Jcc run them as one op: CMP r32, r32 and CMP r32, imm
    /// (``H/cmpJcc32RR``, ``H/cmpJcc32RI``) and CMP with a memory operand (``H/cmpJccMR``,
    /// ``H/cmpJccRM``, ``H/cmpJccMI``; bytes with 32-bit addressing: ``H/cmpJcc8MR``,
    /// ``H/cmpJcc8MI``): the flags are set as by the CMP, and the condition is
    /// decided on its operands. Returns the number of ops to run. The Jcc cannot fault, so no
    /// state between the two is ever seen (a CMP that faults is reported as itself, as alone).
    static func fuseCompareAndBranch(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int) -> Int {
        guard n >= 2, ops[n - 1].h == .jcc else { return n }
        let cmp = ops + (n - 2), jcc = ops + (n - 1)
        let cc = jcc.pointee.sub, taken = jcc.pointee.imm
        let fused: H
        switch cmp.pointee.h {
        case .cmp32RR: fused = .cmpJcc32RR
        case .cmp32RI: fused = .cmpJcc32RI
        case .cmpMR: fused = cmp.pointee.size == 1 && !cmp.pointee.addr16 ? .cmpJcc8MR : .cmpJccMR
        case .cmpRM: fused = .cmpJccRM
        case .cmpMI: fused = cmp.pointee.size == 1 && !cmp.pointee.addr16 ? .cmpJcc8MI : .cmpJccMI
        default: return n
        }
        cmp.pointee.h = fused
        cmp.pointee.sub = comparisonClass(cc)
        cmp.pointee.imm2 = taken
        cmp.pointee.len &+= jcc.pointee.len
        return n - 1
    }
}
