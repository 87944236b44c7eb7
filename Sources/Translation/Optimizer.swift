import Machine

/// The optimizer (docs/risc-target.md, "Optimization passes"): three passes over one block's
/// ops, each reported separately, repeated until nothing changes (at most 4 rounds).
///
/// 1. **Constant folding and propagation** (forward): operands whose value is known (a constant
///    or a copy of a register not redefined since) are replaced; ops on constants are computed;
///    identities (`add x, 0`, `and x, $0xffffffff`, `xor x, x`) become moves; a `brcond` on
///    constants becomes `br` or disappears.
/// 2. **Dead-flag elimination** (backward, QEMU's CC liveness): a write to a condition-code
///    register is deleted when no later op reads it before it is overwritten. Every op that can
///    leave the block or fault (`ld`, `st`, `call`, `goto_tb`, `exit_tb`, `lookup_and_goto`)
///    observes the flags; it needs only the registers that the `cc_op` it sees uses (LOGIC needs
///    `cc_res`; SUB `cc_res`, `cc_src1`, `cc_src2`; INC `cc_res`, `cc_src1`, `cc_aux`; ...).
/// 3. **Dead-code elimination** (backward): ops without side effects whose temporary result is
///    never read are deleted. Guest registers and `eip` are always live at the block's exits.
public enum Optimizer {
    public struct Report: Sendable, Equatable {
        public var folded = 0
        public var deadFlags = 0
        public var deadCode = 0
        /// Copies into guest registers removed by writing the value there directly (pass 4).
        public var coalesced = 0
        /// Ops moved onto the block's chained exits (pass 5).
        public var sunk = 0
    }

    public static func optimize(_ input: [ROp]) -> (ops: [ROp], report: Report) {
        var ops = input
        var report = Report()
        for _ in 0..<4 {
            let before = report
            report.folded += fold(&ops)
            report.deadFlags += deadFlags(&ops)
            report.deadCode += deadCode(&ops)
            if report == before { break }
        }
        report.coalesced = coalesce(&ops)
        if report.coalesced > 0 { report.deadCode += deadCode(&ops) }
        report.sunk = sinkFlags(&ops)
        return (ops, report)
    }

    // MARK: - constant folding and propagation

    /// Returns the number of ops changed or removed.
    static func fold(_ ops: inout [ROp]) -> Int {
        var known: [RReg: RArg] = [:]     // register -> constant or register holding the same value
        var changed = 0
        var out: [ROp] = []
        out.reserveCapacity(ops.count)
        // temporary -> (bytes, value) for `ext8u/ext8s/ext16u/ext16s t, value`: a store of that
        // many bytes of t stores the same bytes of value.
        var narrowed: [RReg: (bytes: UInt32, source: RArg)] = [:]
        func forget(_ r: RReg) {
            known[r] = nil
            for (k, v) in known where v == .r(r) { known[k] = nil }
            narrowed[r] = nil
            for (k, v) in narrowed where v.source == .r(r) { narrowed[k] = nil }
        }
        func subst(_ a: RArg) -> RArg {
            if case .r(let r) = a, let v = known[r] { return v }
            return a
        }
        var unreachable = false
        for var op in ops {
            let original = op
            if unreachable && op.code != .label && op.code != .insnStart { changed += 1; continue }
            switch op.code {
            case .label:
                unreachable = false
                // Paths merge: facts about fixed registers may differ between them.
                for k in known.keys where k.isFixed { forget(k) }
                narrowed = [:]
                out.append(op)
                continue
            case .call:
                op.a = subst(op.a)
                if op.c == UInt32(RHelper.execInsn.rawValue) {
                    for k in known.keys where k.isFixed { forget(k) }
                    narrowed = [:]
                }
                if let d = op.writes { forget(d) }
                if op != original { changed += 1 }
                out.append(op)
                continue
            case .br, .exitTB, .lookupAndGoto:
                unreachable = true
                out.append(op)
                continue
            case .insnStart, .gotoTB:
                out.append(op)
                continue
            default:
                break
            }
            op.a = subst(op.a)
            op.b = subst(op.b)
            if op.code == .st, case .r(let t) = op.a, let n = narrowed[t], n.bytes == op.c { op.a = n.source }
            if let v = evaluate(op) {
                op = ROp(.mov, d: op.d, a: v)
            }
            if op.code == .brcond, let a = op.a.imm, let b = op.b.imm {
                changed += 1
                if RCond(rawValue: UInt8(op.c))!.evaluate(a, b) { out.append(ROp(.br, x: op.x)); unreachable = true }
                continue
            }
            if let d = op.writes {
                forget(d)
                if op.code == .mov, op.a != .r(d) { known[d] = op.a }
                if d.isTemp, op.a != .r(d) {
                    switch op.code {
                    case .ext8u, .ext8s: narrowed[d] = (1, op.a)
                    case .ext16u, .ext16s: narrowed[d] = (2, op.a)
                    default: break
                    }
                }
            }
            if op.code == .mov, op.a == .r(op.d) { changed += 1; continue }
            if op != original { changed += 1 }
            out.append(op)
        }
        ops = out
        return changed
    }

    /// The value of an op when its operands make it known (constant, or equal to one operand).
    static func evaluate(_ op: ROp) -> RArg? {
        let a = op.a, b = op.b
        if let x = a.imm, let y = b.imm {
            switch op.code {
            case .add: return .i(x &+ y)
            case .sub: return .i(x &- y)
            case .and: return .i(x & y)
            case .or: return .i(x | y)
            case .xor: return .i(x ^ y)
            case .shl: return .i(x << (y & 31))
            case .shr: return .i(x >> (y & 31))
            case .sar: return .i(UInt32(bitPattern: Int32(bitPattern: x) >> Int32(y & 31)))
            case .mul: return .i(x &* y)
            case .muluh: return .i(UInt32(truncatingIfNeeded: (UInt64(x) * UInt64(y)) >> 32))
            case .mulsh: return .i(UInt32(truncatingIfNeeded: (Int64(Int32(bitPattern: x)) * Int64(Int32(bitPattern: y))) >> 32))
            case .setcond: return .i(RCond(rawValue: UInt8(op.c))!.evaluate(x, y) ? 1 : 0)
            case .deposit:
                let m: UInt32 = (op.x >= 32 ? UInt32.max : (1 << op.x) - 1) << op.c
                return .i((x & ~m) | ((y << op.c) & m))
            default: break
            }
        }
        if let x = a.imm {
            switch op.code {
            case .ext8u: return .i(x & 0xFF)
            case .ext8s: return .i(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: x))))
            case .ext16u: return .i(x & 0xFFFF)
            case .ext16s: return .i(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: x))))
            default: break
            }
        }
        if let y = b.imm {
            switch op.code {
            case .add, .sub, .or, .xor, .shl, .shr, .sar: if y == 0 { return a }
            case .and: if y == 0xFFFF_FFFF { return a }; if y == 0 { return .i(0) }
            case .mul: if y == 1 { return a }; if y == 0 { return .i(0) }
            default: break
            }
        }
        if let x = a.imm {
            switch op.code {
            case .add, .or, .xor: if x == 0 { return b }
            case .and, .mul, .shl, .shr, .sar: if x == 0 { return .i(0) }
            default: break
            }
        }
        if a == b, a.reg != nil {
            switch op.code {
            case .xor, .sub: return .i(0)
            case .and, .or: return a
            default: break
            }
        }
        return nil
    }

    // MARK: - dead-flag elimination

    static let allFlags: Set<RReg> = [.ccOp, .ccRes, .ccSrc1, .ccSrc2, .ccAux]

    /// The condition-code registers that materializing flags for `cc_op` value `v` reads.
    static func needs(_ v: UInt32) -> Set<RReg> {
        switch v >> 2 {
        case LazyFlags.kEflags, LazyFlags.kLogic: return [.ccRes]
        case LazyFlags.kAdd, LazyFlags.kSub, LazyFlags.kShl, LazyFlags.kShr, LazyFlags.kSar: return [.ccRes, .ccSrc1, .ccSrc2]
        case LazyFlags.kInc, LazyFlags.kDec, LazyFlags.kMul: return [.ccRes, .ccSrc1, .ccAux]
        default: return allFlags
        }
    }

    static func isPureHelper(_ op: ROp) -> Bool {
        op.code == .call && op.c != UInt32(RHelper.execInsn.rawValue)
    }

    static func deadFlags(_ ops: inout [ROp]) -> Int {
        var explicit: Set<RReg> = []       // read by a later op
        var observed: Set<RReg> = allFlags // seen by a later exit or fault
        var removed = 0
        var keep = [Bool](repeating: true, count: ops.count)
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            let op = ops[i]
            if let d = op.writes, d.isFlags {
                if !explicit.contains(d) && !observed.contains(d) {
                    keep[i] = false
                    removed += 1
                    continue
                }
                explicit.remove(d)
                observed.remove(d)
                if d == .ccOp {
                    if op.code == .mov, let v = op.a.imm { observed.formIntersection(needs(v)) } else { observed = allFlags }
                    observed.remove(.ccOp)
                }
            }
            if op.code == .gotoTB && op.x & 1 != 0 { continue }   // goto_tb n, cc_dead: flags not observed
            if (op.observesState && !isPureHelper(op)) || isPureHelper(op) {
                observed = allFlags
            }
            for r in op.reads where r.isFlags { explicit.insert(r) }
        }
        if removed > 0 { ops = zip(ops, keep).filter { $0.1 }.map { $0.0 } }
        return removed
    }

    // MARK: - dead-code elimination

    static func deadCode(_ ops: inout [ROp]) -> Int {
        var live: Set<RReg> = []
        // Guest GPRs written again later with no read, branch, label or op that can fault or
        // leave in between (a straight-line stretch: nothing can observe the first value).
        var overwritten: Set<RReg> = []
        var removed = 0
        var keep = [Bool](repeating: true, count: ops.count)
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            let op = ops[i]
            if let d = op.writes, d.isTemp, !live.contains(d), !op.hasSideEffects || isPureHelper(op) {
                keep[i] = false
                removed += 1
                continue
            }
            if op.observesState || op.code == .label || op.code == .br || op.code == .brcond {
                overwritten = []
            } else if let d = op.writes, d.isGuestGPR, !op.hasSideEffects {
                if overwritten.contains(d) {
                    keep[i] = false
                    removed += 1
                    continue
                }
                overwritten.insert(d)
            }
            for r in op.reads where r.isGuestGPR { overwritten.remove(r) }
            if let d = op.writes, d.isTemp { live.remove(d) }
            for r in op.reads where r.isTemp { live.insert(r) }
        }
        if removed > 0 { ops = zip(ops, keep).filter { $0.1 }.map { $0.0 } }
        return removed
    }

    // MARK: - copy coalescing

    /// Pass 4 (once): `op t, ...; ...; mov g, t` for a guest GPR g becomes `op g, ...` (later
    /// reads of t read g) when nothing between reads or writes g, branches, or can fault or
    /// leave (so no one can see g written early), `op` is pure or a load (whose destination is
    /// written only when it does not fault), and t is not read after g's next write.
    /// Returns the number of copies removed.
    static func coalesce(_ ops: inout [ROp]) -> Int {
        var def: [RReg: Int] = [:]
        var multiple: Set<RReg> = []
        for (k, op) in ops.enumerated() {
            if let d = op.writes, d.isTemp {
                if def[d] != nil { multiple.insert(d) }
                def[d] = k
            }
        }
        var removed = Set<Int>()
        for i in ops.indices {
            let op = ops[i]
            guard op.code == .mov, op.d.isGuestGPR, case .r(let t) = op.a, t.isTemp, !multiple.contains(t),
                  let j = def[t], j < i, !ops[j].hasSideEffects || ops[j].code == .ld else { continue }
            let g = op.d
            let between = (j + 1)..<i
            if between.contains(where: { k in
                let o = ops[k]
                return !removed.contains(k) && (o.code == .label || o.code == .br || o.code == .brcond || o.observesState
                    || o.reads.contains(g) || o.writes == g)
            }) { continue }
            let nextWrite = ((i + 1)..<ops.count).first { !removed.contains($0) && ops[$0].writes == g } ?? ops.count
            if (nextWrite..<ops.count).contains(where: { !removed.contains($0) && ops[$0].reads.contains(t) }) { continue }
            ops[j].d = g
            removed.insert(i)
            for m in (j + 1)..<ops.count where !removed.contains(m) {
                if ops[m].a == .r(t) { ops[m].a = .r(g) }
                if ops[m].b == .r(t) { ops[m].b = .r(g) }
            }
        }
        if !removed.isEmpty { ops = ops.enumerated().filter { !removed.contains($0.offset) }.map(\.element) }
        return removed.count
    }

    // MARK: - flag sinking onto the chained exits

    /// Pass 5 (once, last): the condition-code writes of the block's last
    /// flag-setting instructions, and the pure ops computing only what they write, move from
    /// their place onto each `goto_tb n` exit, behind a `goto_tb n, cc_dead` that jumps over them
    /// when the next block overwrites the flags before reading them (``ccLiveAtEntry(_:)``).
    /// They move only over pure ops and branches: past the last op that can fault, leave or read a
    /// condition-code register, and only when no op between redefines what they read, and every
    /// exit after them is a `goto_tb`. Returns the number of ops moved.
    static func sinkFlags(_ ops: inout [ROp]) -> Int {
        guard var firstExit = ops.firstIndex(where: { $0.code == .gotoTB }) else { return 0 }
        while firstExit > 0 && ops[firstExit - 1].code == .label { firstExit -= 1 }
        // The exit region: labels, goto_tb n; mov eip, $target; exit_tb n.
        for op in ops[firstExit...] {
            switch op.code {
            case .gotoTB, .label: continue
            case .exitTB where op.c != 3: continue
            case .mov where op.d == .eip && op.a.imm != nil: continue
            default: return 0
            }
        }
        var sunk: Set<Int> = []              // indices of the ops to move
        var writtenLater: Set<RReg> = []     // written by ops after the scan point that stay
        var readLater: Set<RReg> = []        // read by ops after the scan point that stay
        var sunkReads: [RReg: Int] = [:]     // temporaries read by moved ops (count)
        var i = firstExit - 1
        scan: while i >= 0 {
            let op = ops[i]
            defer { i -= 1 }
            switch op.code {
            case .label, .br: break scan
            case .brcond:
                if !sunk.isEmpty { break scan }   // it could jump over the ops already chosen
            case .insnStart: continue scan
            default: break
            }
            if op.observesState { break scan }
            let movable: Bool
            if op.code == .mov, op.d.isFlags {
                movable = !readLater.contains(op.d)
            } else if let d = op.writes, d.isTemp, !op.hasSideEffects, sunkReads[d] != nil,
                      !ops.indices.contains(where: { j in !sunk.contains(j) && j != i && ops[j].reads.contains(d) }) {
                movable = true
            } else {
                movable = false
            }
            if movable, op.reads.allSatisfy({ !writtenLater.contains($0) }), !(op.writes.map(writtenLater.contains) ?? false) {
                sunk.insert(i)
                for r in op.reads where r.isTemp { sunkReads[r, default: 0] += 1 }
                continue
            }
            if op.reads.contains(where: { $0.isFlags }) { break scan }
            if let d = op.writes { writtenLater.insert(d) }
            for r in op.reads { readLater.insert(r) }
        }
        guard !sunk.isEmpty else { return 0 }
        let moved = ops.indices.filter { sunk.contains($0) }.map { ops[$0] }
        var out: [ROp] = []
        out.reserveCapacity(ops.count + 2 * moved.count)
        for (j, op) in ops.enumerated() where !sunk.contains(j) {
            if op.code == .gotoTB {
                out.append(ROp(.gotoTB, c: op.c, x: 1))
                out.append(contentsOf: moved)
            }
            out.append(op)
        }
        ops = out
        return moved.count
    }

    /// The condition-code registers whose values at the block's entry may be read (explicitly, or
    /// by an op that can fault or leave, through the lazy state) before the block overwrites them.
    /// Empty: a predecessor need not write its flags before jumping here (`goto_tb n, cc_dead`).
    /// A backward pass over the block's DAG (branches go forward), as the dead-flag pass but
    /// joining the state of a branch's label.
    public static func ccLiveAtEntry(_ ops: [ROp]) -> Set<RReg> {
        var explicit: Set<RReg> = []
        var observed: Set<RReg> = allFlags
        var atLabel: [UInt32: (Set<RReg>, Set<RReg>)] = [:]
        for op in ops.reversed() {
            switch op.code {
            case .label:
                atLabel[op.x] = (explicit, observed)
                continue
            case .br:
                (explicit, observed) = atLabel[op.x] ?? ([], allFlags)
                continue
            case .brcond:
                let (e, o) = atLabel[op.x] ?? ([], allFlags)
                explicit.formUnion(e)
                observed.formUnion(o)
            case .gotoTB where op.x & 1 != 0:
                continue
            default: break
            }
            if let d = op.writes, d.isFlags {
                explicit.remove(d)
                observed.remove(d)
                if d == .ccOp {
                    if op.code == .mov, let v = op.a.imm { observed.formIntersection(needs(v)) }
                    observed.remove(.ccOp)
                }
            }
            if op.observesState { observed = allFlags }
            for r in op.reads where r.isFlags { explicit.insert(r) }
        }
        return explicit.union(observed)
    }
}
