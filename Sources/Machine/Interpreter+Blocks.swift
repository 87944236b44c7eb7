import X86

/// Building the pre-decoded blocks that ``Interpreter/runFast(_:)`` runs (``DecodedBlockCache``).
extension Interpreter {
    /// Whether an instruction with handler `h` ends its block: it transfers control, or it needs
    /// EIP at its own address and the exact instruction count while it runs (software interrupts,
    /// the platform's and the VMM's instructions, RDTSC), or it changes what the next instruction
    /// may assume (POPF may set TF; segment loads; CLI/STI; the system instructions). Only a
    /// block's last instruction may be one (but a Jcc that branches within the block,
    /// ``linkBranches(_:_:loops:)``); the others need neither EIP nor the count.
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

    /// Whether an instruction of form `h` may write a segment base: it loads a segment register
    /// (MOV, POP, far transfers, IRET, interrupts), or it hands control to the platform, which
    /// may (INT n: a system call such as `set_thread_area`, a signal's delivery or return;
    /// privileged instructions and VMCALL: a hypervisor model). Each ends its block
    /// (``endsBlock(_:)``); the block loop then looks at the bases (``noteSegmentBases()``).
    static func mayLoadSegments(_ h: H) -> Bool {
        switch h {
        case .movToSeg, .popSeg, .jmpFar, .callFar, .retf, .iret, .int, .int3, .into, .privileged, .vmcall:
            return true
        default:
            return false
        }
    }

    /// Decodes the block starting at `eip` into slot `slot`. Returns false, building nothing,
    /// when its first instruction cannot be fetched or decoded or is at a debugger breakpoint
    /// (the caller runs it through ``runSingle(_:)``, which raises the exception).
    ///
    /// A block is a trace in address order: it goes on through a Jcc whose target lies at most
    /// ``traceReach`` bytes ahead on the same page, as long as that target is the start of a
    /// later instruction of the block (the Jcc then branches within the block either way,
    /// ``linkBranches(_:_:loops:)``); at the first Jcc whose target is not, the block ends. So a
    /// block never leaves by a side exit, and never runs more instructions than its count.
    /// Instructions decoded here go into the decoded-instruction cache too (a block cut short
    /// leaves them for the next).
    @inline(never)
    func buildBlock(_ slot: Int, _ eip: UInt32) -> Bool {
        let first = blocks.first(slot)
        var a = eip
        var n = 0
        // The Jccs whose targets are not reached yet (bit i: op i, whose `imm` is the target),
        // to stop decoding as soon as one is passed; ``cutAtBranchesOut(_:_:)`` then makes the
        // cut exact. A mask, not an array: no allocation per block.
        var pending: UInt32 = 0
        while n < DecodedBlockCache.maxOps - 1 {   // room for the blockEnd op
            var passed = -1   // the first pending Jcc whose target is inside an instruction
            var rest = pending
            while rest != 0 {
                let i = rest.trailingZeroBitCount
                rest &= rest &- 1
                if first[i].imm == a { pending &= ~(1 << UInt32(i)) } else if first[i].imm < a && passed < 0 { passed = i }
            }
            if passed >= 0 { n = passed + 1; break }
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
                single.pointee = op.pointee
                cacheInUse = true
            }
            let len = UInt32(op.pointee.len)
            memory.markCode(a, len)
            n += 1
            let next = a &+ len
            let h = op.pointee.h
            let target = op.pointee.imm
            let ahead = h == .jcc && target >= next && target &- next <= Interpreter.traceReach && target >> 12 == eip >> 12
            if ahead { pending |= 1 << UInt32(n - 1) }
            if (Interpreter.endsBlock(h) && !ahead) || next >> 12 != eip >> 12 || next < a { break }
            a = next
        }
        guard n > 0 else { return false }
        n = Interpreter.cutAtBranchesOut(first, n)
        let bytes = UInt64(first[n - 1].tag &- eip) + UInt64(first[n - 1].len)
        let end = UInt64(eip) + bytes
        // A Jcc at the end back to the block's start: a loop of one block, run again in place.
        let loops = first[n - 1].h == .jcc && first[n - 1].imm == eip
        let fallsThrough = !Interpreter.endsBlock(first[n - 1].h)
        Interpreter.elideDeadFlags(first, n)
        var (opCount, fused) = Interpreter.linkBranches(first, n, loops: loops)
        Interpreter.specializeAddressing(first, opCount, flatSegments)
        if fallsThrough || loops {
            // The block goes on at `end`: an op that says so ends it (the loop needs no count of ops).
            var stop = DecodedOp()
            stop.tag = UInt32(truncatingIfNeeded: end)
            stop.h = .blockEnd
            first[opCount] = stop
            opCount += 1
        }
        blocks.info[slot] = DecodedBlockCache.Info(tag: eip, end: end, count: UInt32(n), opCount: UInt32(opCount),
                                                   fused: fused)
        blocks.register(slot)
        return true
    }

    /// The number of the `n` decoded instructions at `ops` that the block keeps: it ends after
    /// the first Jcc before its last instruction whose target is not the start of a later
    /// instruction of the block (the block would have to leave there).
    static func cutAtBranchesOut(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int) -> Int {
        var n = n, i = 0
        while i < n - 1 {
            let target = ops[i].imm
            if ops[i].h == .jcc && !(i + 1 ..< n).contains(where: { ops[$0].tag == target }) {
                n = i + 1   // cut here, and look again at the earlier ones: their targets may be gone
                i = 0
                continue
            }
            i += 1
        }
        return n
    }

    /// How far ahead (bytes after the Jcc) a block goes on through a Jcc to reach its target:
    /// the short forward branches of `if` without `else` (sieve's `je 5f` over one `incl`).
    /// Farther targets are seldom an instruction of the block, and decoding up to them would
    /// be wasted when the block is cut at the Jcc.
    static let traceReach: UInt32 = 32

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
    /// Condition Codes") after a CMP, as ``HotContext/compareTaken(_:_:_:_:)`` decides it, where
    /// it is a comparison of the operands (SDM Vol. 1, Table B-1): the comparison in bits 0-2
    /// (1 below, 2 equal, 3 below or equal, 4 less, 5 less or equal: B, E, BE, L, LE) and bit 3
    /// for its negation (AE, NE, A, GE, G). Nil for O, NO, S, NS, P, NP, which read the flags:
    /// a CMP and such a Jcc are not fused (rare after a CMP; ``compareTaken`` would read them
    /// from the flags out of line).
    static func comparisonClass(_ cc: UInt8) -> UInt8? {
        let negate = (cc & 1) << 3
        switch cc >> 1 {
        case 1: return 1 | negate   // B, AE
        case 2: return 2 | negate   // E, NE
        case 3: return 3 | negate   // BE, A
        case 6: return 4 | negate   // L, GE
        case 7: return 5 | negate   // LE, G
        default: return nil
        }
    }

    /// The fused form of CMP `cmp` and a Jcc after it, if it has one: CMP r32, r32 and CMP r32,
    /// imm (``H/cmpJcc32RR``, ``H/cmpJcc32RI``) and CMP with a memory operand (``H/cmpJccMR``,
    /// ``H/cmpJccRM``, ``H/cmpJccMI``; bytes with 32-bit addressing: ``H/cmpJcc8MR``,
    /// ``H/cmpJcc8MI``).
    static func fusedForm(_ cmp: DecodedOp) -> H? {
        switch cmp.h {
        case .cmp32RR: return .cmpJcc32RR
        case .cmp32RI: return .cmpJcc32RI
        case .cmpMR: return cmp.size == 1 && !cmp.addr16 ? .cmpJcc8MR : .cmpJccMR
        case .cmpRM: return .cmpJccRM
        case .cmpMI: return cmp.size == 1 && !cmp.addr16 ? .cmpJcc8MI : .cmpJccMI
        default: return nil
        }
    }

    /// Replaces the `n` ops at `ops` that have a form for the shape of their memory operand
    /// with it, where the operand's segment is one of `flat` (bit n: segment register n, ES CS
    /// SS DS FS GS, has base 0: ``flatSegments``): [base + index] (scale 1, no displacement:
    /// ``H/mov8MRbi``, ``H/cmpJcc8MRbi``, ``H/cmpJcc8MRbiInBlock``, as in sieve's
    /// `movb %bl, (%edi,%eax)`) and [base + disp] (no index: ``H/mov32RMbd``, ``H/mov32MRbd``,
    /// a compiler's locals and fields). Their linear address leaves out the parts the shape
    /// has not and the segment base (``HotContext/ea32bi(_:)``, ``HotContext/ea32bd(_:)``): the
    /// same sum (the missing index is the always-zero word, the base is 0 while the block lives:
    /// ``noteSegmentBases()`` drops every block when it no longer is).
    static func specializeAddressing(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int, _ flat: UInt8) {
        for i in 0 ..< n {
            let o = ops[i]
            guard flat >> (o.seg & 7) & 1 != 0 else { continue }
            let bi = o.scale == 0 && o.disp == 0, bd = o.index == 8
            switch o.h {
            case .mov8MR where bi: ops[i].h = .mov8MRbi
            case .cmpJcc8MR where bi: ops[i].h = .cmpJcc8MRbi
            case .cmpJcc8MRInBlock where bi: ops[i].h = .cmpJcc8MRbiInBlock
            case .mov32RM where bd: ops[i].h = .mov32RMbd
            case .mov32MR where bd: ops[i].h = .mov32MRbd
            default: break
            }
        }
    }

    /// The form of a Jcc or a fused CMP and Jcc (`h`) that branches to an op of its own block.
    static func inBlockForm(_ h: H) -> H {
        switch h {
        case .jcc: return .jccInBlock
        case .cmpJcc32RR: return .cmpJcc32RRInBlock
        case .cmpJcc32RI: return .cmpJcc32RIInBlock
        case .cmpJccMR: return .cmpJccMRInBlock
        case .cmpJccRM: return .cmpJccRMInBlock
        case .cmpJccMI: return .cmpJccMIInBlock
        case .cmpJcc8MR: return .cmpJcc8MRInBlock
        default: return .cmpJcc8MIInBlock
        }
    }

    /// Turns the `n` instructions at `ops` (one op each, as decoded; every Jcc before the last
    /// has its target among the later ones: ``cutAtBranchesOut(_:_:)``) into the ops the block
    /// loop runs, in place, and returns their number and which of them stand for two
    /// instructions (bit k: op k).
    ///
    /// - A CMP and the Jcc after it become one op (``fusedForm(_:)``): the flags are set as by
    ///   the CMP, and the condition is decided on its operands (``comparisonClass(_:)``); the Jcc
    ///   cannot fault, so no state between the two is ever seen (a CMP that faults is reported
    ///   as itself). Not where another branch of the block goes to the Jcc itself, nor for a
    ///   Jcc that reads the flags alone (JO, JS, JP and their negations).
    /// - The Jccs before the last, and the last when `loops` (it goes back to the block's
    ///   start), branch within the block (``inBlockForm(_:)``): `imm2` = the bytes to move (an
    ///   Int32 bit pattern), `len` (an Int8 bit pattern) = the instructions skipped (forward:
    ///   given back to the slice) or minus the block's count (back: taken again). The last Jcc
    ///   otherwise ends the block: a fused op's `imm2` is the target and its `len` that of both
    ///   instructions.
    static func linkBranches(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int, loops: Bool) -> (Int, UInt32) {
        // Fixed storage on the stack (a block has at most maxOps - 1 instructions): no allocation
        // per block. target[i]: the instruction index a branch within the block at instruction i
        // goes to; opIndex[i]: the op instruction i becomes.
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 2 * DecodedBlockCache.maxOps) { buf in
            linkBranches(ops, n, loops: loops, target: buf.baseAddress!, opIndex: buf.baseAddress! + DecodedBlockCache.maxOps)
        }
    }

    /// ``linkBranches(_:_:loops:)`` with its scratch storage (`maxOps` entries each).
    private static func linkBranches(_ ops: UnsafeMutablePointer<DecodedOp>, _ n: Int, loops: Bool,
                                     target: UnsafeMutablePointer<Int8>, opIndex: UnsafeMutablePointer<Int8>) -> (Int, UInt32) {
        // The branches within the block (bit i: instruction i) and their targets' instruction
        // indices, taken before the ops are rewritten (buildBlock kept only Jccs whose targets
        // are in the block).
        var branches: UInt32 = 0
        var targeted: UInt32 = 0
        for i in 0 ..< n where ops[i].h == .jcc && (i < n - 1 || loops) {
            var t = 0
            if i < n - 1 { while ops[t].tag != ops[i].imm { t += 1 } }
            branches |= 1 << UInt32(i)
            target[i] = Int8(t)
            targeted |= 1 << UInt32(t)
        }
        // Fuse and compact: instruction i becomes op opIndex[i].
        var fused: UInt32 = 0
        var i = 0, p = 0
        while i < n {
            opIndex[i] = Int8(p)
            if i + 1 < n, ops[i + 1].h == .jcc, targeted & (1 << UInt32(i + 1)) == 0, let f = fusedForm(ops[i]),
               let c = comparisonClass(ops[i + 1].sub) {
                var o = ops[i]
                o.h = f
                o.sub = c
                o.imm2 = ops[i + 1].imm
                o.len &+= ops[i + 1].len
                opIndex[i + 1] = Int8(p)
                ops[p] = o
                fused |= 1 << UInt32(p)
                i += 2
            } else {
                ops[p] = ops[i]
                i += 1
            }
            p += 1
        }
        // Link the branches within the block.
        var rest = branches
        while rest != 0 {
            let b = rest.trailingZeroBitCount
            rest &= rest &- 1
            let t = Int(target[b]), q = Int(opIndex[b])
            ops[q].h = inBlockForm(ops[q].h)
            ops[q].imm2 = UInt32(bitPattern: Int32((Int(opIndex[t]) - q) * MemoryLayout<DecodedOp>.stride))
            ops[q].len = UInt8(bitPattern: Int8(t > b ? t - b - 1 : -n))
        }
        return (p, fused)
    }
}
