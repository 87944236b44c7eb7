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
        return (ops, report)
    }

    // MARK: - constant folding and propagation

    /// Returns the number of ops changed or removed.
    static func fold(_ ops: inout [ROp]) -> Int {
        var known: [RReg: RArg] = [:]     // register -> constant or register holding the same value
        var changed = 0
        var out: [ROp] = []
        out.reserveCapacity(ops.count)
        func forget(_ r: RReg) {
            known[r] = nil
            for (k, v) in known where v == .r(r) { known[k] = nil }
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
                out.append(op)
                continue
            case .call:
                op.a = subst(op.a)
                if op.c == UInt32(RHelper.execInsn.rawValue) {
                    for k in known.keys where k.isFixed { forget(k) }
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
        var removed = 0
        var keep = [Bool](repeating: true, count: ops.count)
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            let op = ops[i]
            if let d = op.writes, d.isTemp, !live.contains(d), !op.hasSideEffects || isPureHelper(op) {
                keep[i] = false
                removed += 1
                continue
            }
            if let d = op.writes, d.isTemp { live.remove(d) }
            for r in op.reads where r.isTemp { live.insert(r) }
        }
        if removed > 0 { ops = zip(ops, keep).filter { $0.1 }.map { $0.0 } }
        return removed
    }
}
