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
        // The passes create no register: one count sizes every table.
        let n = ops.registerCount
        for _ in 0..<4 {
            let before = report
            report.folded += fold(&ops, registers: n)
            report.deadFlags += deadFlags(&ops)
            report.deadCode += deadCode(&ops, registers: n)
            if report == before { break }
        }
        report.coalesced = coalesce(&ops, registers: n)
        if report.coalesced > 0 { report.deadCode += deadCode(&ops, registers: n) }
        report.sunk = sinkFlags(&ops, registers: n)
        return (ops, report)
    }

    // MARK: - constant folding and propagation

    /// Returns the number of ops changed or removed.
    ///
    /// The facts are tables indexed by register number, not dictionaries: `known[r]` is the value
    /// r holds (a constant, or a register holding the same value), valid while that register
    /// keeps the ``version`` it had when the fact was recorded (every write to a register bumps
    /// its version, which forgets the facts that name it in O(1)).
    static func fold(_ ops: inout [ROp], registers: Int? = nil) -> Int {
        let n = registers ?? ops.registerCount
        let known = table(n, RArg?.none)         // register -> constant or register holding the same value
        let knownVersion = table(n, UInt32(0))
        let version = table(n, UInt32(0))
        // temporary -> (bytes, value) for `ext8u/ext8s/ext16u/ext16s t, value`: a store of that
        // many bytes of t stores the same bytes of value. Valid in the epoch it was recorded in.
        let narrowBytes = table(n, UInt32(0))
        let narrowSource = table(n, RArg.i(0))
        let narrowVersion = table(n, UInt32(0))
        let narrowEpoch = table(n, UInt32(0))
        defer {
            known.deallocate(); knownVersion.deallocate(); version.deallocate(); narrowBytes.deallocate()
            narrowSource.deallocate(); narrowVersion.deallocate(); narrowEpoch.deallocate()
        }
        var epoch: UInt32 = 0
        var changed = 0
        // The ops are rewritten in place: `out` (the number kept) never passes the op being read.
        var out = 0
        func valid(_ v: RArg, _ recorded: UInt32) -> Bool {
            if case .r(let s) = v { return version[Int(s.n)] == recorded }
            return true
        }
        func recordVersion(_ v: RArg) -> UInt32 {
            if case .r(let s) = v { return version[Int(s.n)] }
            return 0
        }
        func isKnown(_ r: Int) -> Bool {
            guard let v = known[r] else { return false }
            return valid(v, knownVersion[r])
        }
        func forget(_ r: RReg) {
            let i = Int(r.n)
            known[i] = nil
            version[i] &+= 1
            narrowBytes[i] = 0
        }
        /// Paths merge (a label) or a helper ran the whole instruction: facts about the fixed registers go.
        func forgetFixed() {
            var facts: UInt32 = 0   // those with a fact before any is forgotten (one may name another)
            for k in 0..<32 where isKnown(k) { facts |= 1 << UInt32(k) }
            for k in 0..<32 where facts & (1 << UInt32(k)) != 0 { forget(RReg(UInt16(k))) }
            epoch &+= 1
        }
        func subst(_ a: RArg) -> RArg {
            if case .r(let r) = a, let v = known[Int(r.n)], valid(v, knownVersion[Int(r.n)]) { return v }
            return a
        }
        var unreachable = false
        let count = ops.count
        ops.withUnsafeMutableBufferPointer { ops in
        func emit(_ op: ROp) {
            ops[out] = op
            out += 1
        }
        for k in 0..<count {
            var op = ops[k]
            let original = op
            if unreachable && op.code != .label && op.code != .insnStart { changed += 1; continue }
            switch op.code {
            case .label:
                unreachable = false
                forgetFixed()
                emit(op)
                continue
            case .call:
                op.a = subst(op.a)
                if RHelper(rawValue: UInt8(op.c))?.runsInstruction == true { forgetFixed() }
                if let d = op.writes { forget(d) }
                if op != original { changed += 1 }
                emit(op)
                continue
            case .br, .exitTB, .lookupAndGoto:
                unreachable = true
                emit(op)
                continue
            case .insnStart, .gotoTB:
                emit(op)
                continue
            default:
                break
            }
            op.a = subst(op.a)
            op.b = subst(op.b)
            if op.code == .st, case .r(let t) = op.a {
                let i = Int(t.n)
                if narrowBytes[i] == op.c, narrowEpoch[i] == epoch, valid(narrowSource[i], narrowVersion[i]) { op.a = narrowSource[i] }
            }
            if let v = evaluate(op) {
                op = ROp(.mov, d: op.d, a: v)
            }
            if op.code == .brcond, let a = op.a.imm, let b = op.b.imm {
                changed += 1
                if RCond(rawValue: UInt8(op.c))!.evaluate(a, b) { emit(ROp(.br, x: op.x)); unreachable = true }
                continue
            }
            if let d = op.writes {
                forget(d)
                let i = Int(d.n)
                if op.code == .mov, op.a != .r(d) { known[i] = op.a; knownVersion[i] = recordVersion(op.a) }
                if d.isTemp, op.a != .r(d) {
                    var bytes: UInt32 = 0
                    switch op.code {
                    case .ext8u, .ext8s: bytes = 1
                    case .ext16u, .ext16s: bytes = 2
                    default: break
                    }
                    if bytes != 0 {
                        narrowBytes[i] = bytes
                        narrowSource[i] = op.a
                        narrowVersion[i] = recordVersion(op.a)
                        narrowEpoch[i] = epoch
                    }
                }
            }
            if op.code == .mov, op.a == .r(op.d) { changed += 1; continue }
            if op != original { changed += 1 }
            emit(op)
        }
        }
        ops.removeLast(count - out)
        return changed
    }

    /// A table of `count` copies of `value` (to be deallocated by the caller): the passes' per-register
    /// and per-op tables, without the reference counting and uniqueness checks of arrays.
    @inline(__always) static func table<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
        p.initialize(repeating: value)
        return p
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

    /// The condition-code registers `cc_op`...`cc_aux` as bits 0...4 of a mask.
    typealias FlagMask = UInt8
    static let allFlagsMask: FlagMask = 0x1F
    @inline(__always) static func flagBit(_ r: RReg) -> FlagMask { 1 << FlagMask(r.n - RReg.ccOp.n) }
    @inline(__always) static func flagBits(_ op: ROp) -> FlagMask {
        var m: FlagMask = 0
        if let r = op.readA, r.isFlags { m |= flagBit(r) }
        if let r = op.readB, r.isFlags { m |= flagBit(r) }
        return m
    }

    static let allFlags: Set<RReg> = [.ccOp, .ccRes, .ccSrc1, .ccSrc2, .ccAux]

    /// The condition-code registers that materializing flags for `cc_op` value `v` reads.
    static func needs(_ v: UInt32) -> FlagMask {
        switch v >> 2 {
        case LazyFlags.kEflags, LazyFlags.kLogic: return flagBit(.ccRes)
        case LazyFlags.kAdd, LazyFlags.kSub, LazyFlags.kShl, LazyFlags.kShr, LazyFlags.kSar:
            return flagBit(.ccRes) | flagBit(.ccSrc1) | flagBit(.ccSrc2)
        case LazyFlags.kInc, LazyFlags.kDec, LazyFlags.kMul: return flagBit(.ccRes) | flagBit(.ccSrc1) | flagBit(.ccAux)
        default: return allFlagsMask
        }
    }

    static func isPureHelper(_ op: ROp) -> Bool {
        op.code == .call && RHelper(rawValue: UInt8(op.c))?.runsInstruction != true
    }

    /// Keeps the ops whose flag in `keep` is set, in order.
    static func compact(_ ops: inout [ROp], _ keep: UnsafeMutableBufferPointer<Bool>) {
        let count = ops.count
        var j = 0
        ops.withUnsafeMutableBufferPointer { ops in
            for i in 0..<count where keep[i] {
                ops[j] = ops[i]
                j += 1
            }
        }
        ops.removeLast(count - j)
    }

    /// Backward over the block's DAG: what is read or seen after each point joins at the
    /// branches (a `brcond` adds what its label's code needs, a `br` takes it), so a flag write
    /// that a branch can jump over (a shift by CL whose count is 0) does not kill the flags
    /// written before it. (Branches go forward, so a label is passed before the branches to it;
    /// its two masks live in a stack buffer indexed by label number, below the op count: a label
    /// number past it, never made, would count as reading and seeing every flag.)
    static func deadFlags(_ ops: inout [ROp]) -> Int {
        let count = ops.count
        return withUnsafeTemporaryAllocation(of: FlagMask.self, capacity: 2 * max(count, 1)) { atLabel in
            var explicit: FlagMask = 0              // read by a later op
            var observed: FlagMask = allFlagsMask   // seen by a later exit or fault
            var removed = 0
            let keep = table(count, true)
            defer { keep.deallocate() }
            for i in stride(from: count - 1, through: 0, by: -1) {
                let op = ops[i]
                let x = Int(op.x)
                switch op.code {
                case .label:
                    if x < count {
                        atLabel[2 * x] = explicit
                        atLabel[2 * x + 1] = observed
                    }
                    continue
                case .br:
                    explicit = x < count ? atLabel[2 * x] : allFlagsMask
                    observed = x < count ? atLabel[2 * x + 1] : allFlagsMask
                    continue
                case .brcond:
                    explicit |= x < count ? atLabel[2 * x] : allFlagsMask
                    observed |= x < count ? atLabel[2 * x + 1] : allFlagsMask
                default:
                    break
                }
                if let d = op.writes, d.isFlags {
                    let bit = flagBit(d)
                    if explicit & bit == 0 && observed & bit == 0 {
                        keep[i] = false
                        removed += 1
                        continue
                    }
                    explicit &= ~bit
                    observed &= ~bit
                    if d == .ccOp {
                        if op.code == .mov, let v = op.a.imm { observed &= needs(v) } else { observed = allFlagsMask }
                        observed &= ~bit
                    }
                }
                if op.code == .gotoTB && op.x & 1 != 0 { continue }   // goto_tb n, cc_dead: flags not observed
                if op.observesState || isPureHelper(op) {
                    observed = allFlagsMask
                }
                explicit |= flagBits(op)
            }
            if removed > 0 { compact(&ops, keep) }
            return removed
        }
    }

    // MARK: - dead-code elimination

    static func deadCode(_ ops: inout [ROp], registers: Int? = nil) -> Int {
        let live = table(registers ?? ops.registerCount, false)
        defer { live.deallocate() }
        // Guest GPRs (bit n: register n) written again later with no read, branch, label or op
        // that can fault or leave in between (a straight-line stretch: nothing can observe the
        // first value).
        var overwritten: UInt8 = 0
        var removed = 0
        let keep = table(ops.count, true)
        defer { keep.deallocate() }
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            let op = ops[i]
            if let d = op.writes, d.isTemp, !live[Int(d.n)], !op.hasSideEffects || isPureHelper(op) {
                keep[i] = false
                removed += 1
                continue
            }
            if op.observesState || op.code == .label || op.code == .br || op.code == .brcond {
                overwritten = 0
            } else if let d = op.writes, d.isGuestGPR, !op.hasSideEffects {
                let bit = UInt8(1) << UInt8(d.n)
                if overwritten & bit != 0 {
                    keep[i] = false
                    removed += 1
                    continue
                }
                overwritten |= bit
            }
            let ra = op.readA, rb = op.readB
            if let r = ra, r.isGuestGPR { overwritten &= ~(UInt8(1) << UInt8(r.n)) }
            if let r = rb, r.isGuestGPR { overwritten &= ~(UInt8(1) << UInt8(r.n)) }
            if let r = op.readC { overwritten &= ~(UInt8(1) << UInt8(r.n)) }
            if let d = op.writes, d.isTemp { live[Int(d.n)] = false }
            if let r = ra, r.isTemp { live[Int(r.n)] = true }
            if let r = rb, r.isTemp { live[Int(r.n)] = true }
        }
        if removed > 0 { compact(&ops, keep) }
        return removed
    }

    // MARK: - copy coalescing

    /// Pass 4 (once): `op t, ...; ...; mov g, t` for a guest GPR g becomes `op g, ...` (later
    /// reads of t read g) when nothing between reads or writes g, branches, or can fault or
    /// leave (so no one can see g written early), `op` is pure or a load (whose destination is
    /// written only when it does not fault), and t is not read after g's next write.
    /// Returns the number of copies removed.
    static func coalesce(_ ops: inout [ROp], registers: Int? = nil) -> Int {
        let n = registers ?? ops.registerCount
        let def = table(n, -1)             // the op writing the temporary
        let multiple = table(n, false)
        let lastRead = table(n, -1)        // the last op reading it
        defer { def.deallocate(); multiple.deallocate(); lastRead.deallocate() }
        for (k, op) in ops.enumerated() {
            if let d = op.writes, d.isTemp {
                if def[Int(d.n)] >= 0 { multiple[Int(d.n)] = true }
                def[Int(d.n)] = k
            }
            if let r = op.readA, r.isTemp { lastRead[Int(r.n)] = k }
            if let r = op.readB, r.isTemp { lastRead[Int(r.n)] = k }
        }
        let removed = table(ops.count, false)
        defer { removed.deallocate() }
        var count = 0
        for i in ops.indices {
            let op = ops[i]
            guard op.code == .mov, op.d.isGuestGPR, case .r(let t) = op.a, t.isTemp, !multiple[Int(t.n)] else { continue }
            let j = def[Int(t.n)]
            guard j >= 0, j < i, !ops[j].hasSideEffects || ops[j].code == .ld else { continue }
            let g = op.d
            var blocked = false
            for k in (j + 1)..<i where !removed[k] {
                let o = ops[k]
                if o.code == .label || o.code == .br || o.code == .brcond || o.observesState || o.reads(g) || o.writes == g {
                    blocked = true
                    break
                }
            }
            if blocked { continue }
            // t must not be read at or after g's next write.
            let last = lastRead[Int(t.n)]
            if last > i {
                for k in (i + 1)...last where !removed[k] && ops[k].writes == g {
                    blocked = true
                    break
                }
            }
            if blocked { continue }
            ops[j].d = g
            removed[i] = true
            count += 1
            if last > j {
                for m in (j + 1)...last where !removed[m] {
                    if ops[m].a == .r(t) { ops[m].a = .r(g) }
                    if ops[m].b == .r(t) { ops[m].b = .r(g) }
                }
            }
        }
        if count > 0 {
            for k in 0..<ops.count { removed[k] = !removed[k] }
            compact(&ops, removed)
        }
        return count
    }

    // MARK: - flag sinking onto the chained exits

    /// Pass 5 (once, last): the condition-code writes of the block's last
    /// flag-setting instructions, and the pure ops computing only what they write, move from
    /// their place onto each `goto_tb n` exit, behind a `goto_tb n, cc_dead` that jumps over them
    /// when the next block overwrites the flags before reading them (``ccLiveAtEntry(_:)``).
    /// They move only over pure ops and branches: past the last op that can fault, leave or read a
    /// condition-code register, and only when no op between redefines what they read, and every
    /// exit after them is a `goto_tb`. Returns the number of ops moved.
    static func sinkFlags(_ ops: inout [ROp], registers: Int? = nil) -> Int {
        guard var firstExit = ops.firstIndex(where: { $0.code == .gotoTB }) else { return 0 }
        let exitStart = firstExit
        while firstExit > 0 && ops[firstExit - 1].code == .label { firstExit -= 1 }
        // A branch to one of those labels over ops other than branches (a shift by CL whose
        // count is 0 skips its flag writes): what it jumps over is conditional, and moving it
        // onto the exits would run it on both ways.
        if firstExit < exitStart {
            for k in 0..<firstExit where ops[k].code == .brcond || ops[k].code == .br {
                let target = ops[k].x
                guard ops[firstExit..<exitStart].contains(where: { $0.x == target }) else { continue }
                if ops[(k + 1)..<firstExit].contains(where: { $0.code != .brcond && $0.code != .insnStart }) { return 0 }
            }
        }
        // The exit region: labels, goto_tb n; mov eip, $target; exit_tb n.
        for op in ops[firstExit...] {
            switch op.code {
            case .gotoTB, .label: continue
            case .exitTB where op.c != 3: continue
            case .mov where op.d == .eip && op.a.imm != nil: continue
            default: return 0
            }
        }
        let n = registers ?? ops.registerCount
        let readers = table(n, 0)          // ops reading each register
        defer { readers.deallocate() }
        for op in ops {
            let ra = op.readA, rb = op.readB
            if let r = ra { readers[Int(r.n)] += 1 }
            if let r = rb, r != ra { readers[Int(r.n)] += 1 }
        }
        let sunk = table(ops.count, false)     // the ops to move
        var anySunk = false
        let writtenLater = table(n, false)     // written by ops after the scan point that stay
        let readLater = table(n, false)        // read by ops after the scan point that stay
        let sunkReaders = table(n, 0)          // moved ops reading each temporary
        defer { sunk.deallocate(); writtenLater.deallocate(); readLater.deallocate(); sunkReaders.deallocate() }
        var i = firstExit - 1
        scan: while i >= 0 {
            let op = ops[i]
            defer { i -= 1 }
            switch op.code {
            case .label, .br: break scan
            case .brcond:
                if anySunk { break scan }   // it could jump over the ops already chosen
            case .insnStart: continue scan
            default: break
            }
            if op.observesState { break scan }
            let ra = op.readA, rb = op.readB
            let movable: Bool
            if op.code == .mov, op.d.isFlags {
                movable = !readLater[Int(op.d.n)]
            } else if let d = op.writes, d.isTemp, !op.hasSideEffects, sunkReaders[Int(d.n)] > 0,
                      readers[Int(d.n)] - (op.reads(d) ? 1 : 0) == sunkReaders[Int(d.n)] {
                // Every other op reading d moves too.
                movable = true
            } else {
                movable = false
            }
            if movable, !(ra.map { writtenLater[Int($0.n)] } ?? false), !(rb.map { writtenLater[Int($0.n)] } ?? false),
               !(op.writes.map { writtenLater[Int($0.n)] } ?? false) {
                sunk[i] = true
                anySunk = true
                if let r = ra, r.isTemp { sunkReaders[Int(r.n)] += 1 }
                if let r = rb, r.isTemp, r != ra { sunkReaders[Int(r.n)] += 1 }
                continue
            }
            if flagBits(op) != 0 { break scan }
            if let d = op.writes { writtenLater[Int(d.n)] = true }
            if let r = ra { readLater[Int(r.n)] = true }
            if let r = rb { readLater[Int(r.n)] = true }
            if let r = op.readC { readLater[Int(r.n)] = true }
        }
        guard anySunk else { return 0 }
        let moved = ops.indices.filter { sunk[$0] }.map { ops[$0] }
        var out: [ROp] = []
        out.reserveCapacity(ops.count + 2 * moved.count)
        for (j, op) in ops.enumerated() where !sunk[j] {
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
        let mask = ccLiveMask(ops)
        return allFlags.filter { mask & flagBit($0) != 0 }
    }

    /// ``ccLiveAtEntry(_:)`` as a ``FlagMask``; from op `start` on (the flags live before it).
    static func ccLiveMask(_ ops: [ROp], from start: Int = 0) -> FlagMask {
        var explicit: FlagMask = 0
        var observed: FlagMask = allFlagsMask
        var atLabel = [(FlagMask, FlagMask)?](repeating: nil, count: ops.labelCount)
        for op in ops[start...].reversed() {
            switch op.code {
            case .label:
                atLabel[Int(op.x)] = (explicit, observed)
                continue
            case .br:
                (explicit, observed) = atLabel[Int(op.x)] ?? (0, allFlagsMask)
                continue
            case .brcond:
                let (e, o) = atLabel[Int(op.x)] ?? (0, allFlagsMask)
                explicit |= e
                observed |= o
            case .gotoTB where op.x & 1 != 0:
                continue
            default: break
            }
            if let d = op.writes, d.isFlags {
                let bit = flagBit(d)
                explicit &= ~bit
                observed &= ~bit
                if d == .ccOp {
                    if op.code == .mov, let v = op.a.imm { observed &= needs(v) }
                    observed &= ~bit
                }
            }
            if op.observesState { observed = allFlagsMask }
            explicit |= flagBits(op)
        }
        return explicit | observed
    }

    /// Where a block entered with its predecessor's flags pending (``HostCodeGenerator/PendingEntry``)
    /// must clear them: the index of its first op that writes or reads anything but temporaries
    /// and guest memory (a guest or condition-code register, a branch, a helper, an exit), when
    /// only pure ops on temporaries and at least one memory access come before it, and the flags
    /// at the block's entry are dead from there on (only those accesses' slow paths can see
    /// them, and they write them first). nil: the predecessor writes its flags before jumping.
    static func pendingBarrier(_ ops: [ROp]) -> Int? {
        var accesses = false
        for (i, op) in ops.enumerated() {
            switch op.code {
            case .insnStart: continue
            case .ld, .st: accesses = true; continue
            default: break
            }
            let readsFlags = (op.readA?.isFlags ?? false) || (op.readB?.isFlags ?? false)
            if !op.hasSideEffects, let d = op.writes, d.isTemp, !readsFlags { continue }
            guard accesses else { return nil }
            return ccLiveMask(ops, from: i) == 0 ? i : nil
        }
        return nil
    }
}
