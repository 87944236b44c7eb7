import Machine
import Descriptions

/// A register of the vsim RISC target (docs/risc-target.md).
///
/// Numbers 0…21 are the *fixed* registers: each is the 32-bit word of the same index in
/// ``Machine/CPUState/raw``, so guest state needs no copying in or out of translated code:
/// 0…7 the guest GPRs EAX…EDI, 9 `eip`, 10…14 the lazy condition codes (`cc_op`, `cc_res`,
/// `cc_src1`, `cc_src2`, `cc_aux`), 15 `eflags` (EFLAGS without the six status flags: DF, IF,
/// ...), 16…21 the segment bases. Numbers from 32 up are the block-local temporaries t0, t1, ...
public struct RReg: Hashable, Sendable, Comparable {
    public var n: UInt16
    public init(_ n: UInt16) { self.n = n }
    public static func guest(_ i: Int) -> RReg { RReg(UInt16(i)) }
    public static func temp(_ i: Int) -> RReg { RReg(UInt16(32 + i)) }
    public static let eip = RReg(9), ccOp = RReg(10), ccRes = RReg(11), ccSrc1 = RReg(12), ccSrc2 = RReg(13),
        ccAux = RReg(14), eflags = RReg(15)
    public static func segBase(_ s: Int) -> RReg { RReg(UInt16(16 + s)) }

    public var isTemp: Bool { n >= 32 }
    public var isFixed: Bool { n < 32 }
    public var isFlags: Bool { n >= 10 && n <= 14 }
    /// EAX...EDI.
    public var isGuestGPR: Bool { n < 8 }
    public var tempIndex: Int { Int(n) - 32 }
    public static func < (a: RReg, b: RReg) -> Bool { a.n < b.n }

    public var name: String {
        if isTemp { return "t\(tempIndex)" }
        switch n {
        case 0...7: return ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"][Int(n)]
        case 9: return "eip"
        case 10: return "cc_op"
        case 11: return "cc_res"
        case 12: return "cc_src1"
        case 13: return "cc_src2"
        case 14: return "cc_aux"
        case 15: return "eflags"
        case 16...21: return ["es", "cs", "ss", "ds", "fs", "gs"][Int(n) - 16] + "_base"
        default: return "r\(n)"
        }
    }
}

/// A source operand: a register or a 32-bit immediate.
public enum RArg: Hashable, Sendable {
    case r(RReg)
    case i(UInt32)

    public var reg: RReg? { if case .r(let r) = self { return r } else { return nil } }
    public var imm: UInt32? { if case .i(let v) = self { return v } else { return nil } }
    public var text: String {
        switch self {
        case .r(let r): return r.name
        case .i(let v): return v < 10 ? "$\(v)" : "$0x" + String(v, radix: 16)
        }
    }
}

/// Comparison of `brcond` and `setcond` (TCG's TCGCond names).
public enum RCond: UInt8, Sendable, CaseIterable {
    case eq, ne, ltu, geu, leu, gtu, lt, ge, le, gt
    public var name: String { ["eq", "ne", "ltu", "geu", "leu", "gtu", "lt", "ge", "le", "gt"][Int(rawValue)] }
    public var inverted: RCond {
        switch self {
        case .eq: return .ne
        case .ne: return .eq
        case .ltu: return .geu
        case .geu: return .ltu
        case .leu: return .gtu
        case .gtu: return .leu
        case .lt: return .ge
        case .ge: return .lt
        case .le: return .gt
        case .gt: return .le
        }
    }
    public func evaluate(_ a: UInt32, _ b: UInt32) -> Bool {
        let sa = Int32(bitPattern: a), sb = Int32(bitPattern: b)
        switch self {
        case .eq: return a == b
        case .ne: return a != b
        case .ltu: return a < b
        case .geu: return a >= b
        case .leu: return a <= b
        case .gtu: return a > b
        case .lt: return sa < sb
        case .ge: return sa >= sb
        case .le: return sa <= sb
        case .gt: return sa > sb
        }
    }
}

/// Helpers reachable with `call` (docs/risc-target.md, "Helpers").
public enum RHelper: UInt8, Sendable {
    /// `call exec_insn, $addr`: runs the whole x86 instruction at `addr` in the interpreter (EIP set
    /// first); what is not worth inlining (CMPS, SCAS, DIV, BCD, CPUID, ...).
    case execInsn
    /// `call cc_compute_all -> d`: the six status flags materialized from the lazy state.
    case ccComputeAll
    /// `call cc_cond -> d, $cc`: 1 if x86 condition cc (0…15) holds on the lazy state, else 0.
    case ccCond
    /// `call cc_carry -> d`: CF of the lazy state (0 or 1).
    case ccCarry
    /// `call rep_movs, $addr, $size` / `call rep_stos, $addr, $size`: REP MOVS / REP STOS of
    /// `size`-byte elements (1, 2, 4) at `addr` (32-bit addresses, flat segments, EIP set first),
    /// done by a host copy or fill when every page is there with its permission
    /// (QEMU's `helper_*`); any other case runs the instruction as `exec_insn` does
    /// (TranslationEngine+Strings.swift).
    case repMovs, repStos

    /// Runs a whole guest instruction, reading and writing guest registers and memory (so the
    /// optimizer treats it as a barrier; it is not a pure helper).
    public var runsInstruction: Bool { self == .execInsn || self == .repMovs || self == .repStos }

    public var name: String {
        switch self {
        case .execInsn: return "exec_insn"
        case .ccComputeAll: return "cc_compute_all"
        case .ccCond: return "cc_cond"
        case .ccCarry: return "cc_carry"
        case .repMovs: return "rep_movs"
        case .repStos: return "rep_stos"
        }
    }
}

/// One operation of the vsim RISC target. Three-operand form `d = a OP b`; see
/// docs/risc-target.md for each opcode.
public struct ROp: Hashable, Sendable {
    public enum Code: UInt8, Sendable {
        /// Marks the start of guest instruction number `x` at guest address `c` (QEMU's insn_start).
        case insnStart
        case mov
        case add, sub, and, or, xor, shl, shr, sar, mul
        /// High 32 bits of the unsigned / signed 64-bit product.
        case muluh, mulsh
        /// d = (eax:a) / b and (eax:a) % b, unsigned: the 64-bit dividend's high half a, its low
        /// half always the fixed register eax (read implicitly, ``ROp/readC``). Defined only
        /// when b != 0 and a < b (the quotient fits): DIV's lowering branches to `exec_insn`
        /// (which raises `#DE`) otherwise.
        case divu, remu
        case ext8u, ext8s, ext16u, ext16s
        /// d = a with bits [c, c+x) replaced by the low x bits of b (TCG deposit_i32).
        case deposit
        /// d = (a cond b) ? 1 : 0, cond in c.
        case setcond
        /// d = load of c bytes (1, 2, 4) at guest address a; x bit 0: sign-extend, bit 1: check W too.
        case ld
        /// store the low c bytes of a at guest address b.
        case st
        /// if (a cond b) goto label x; cond in c.
        case brcond
        case br
        case label
        /// Chained jump through slot c (0 or 1) of this TB. x = 1 (`goto_tb n, cc_dead`): taken
        /// only when chained to a block that overwrites the lazy flags before anything can read
        /// them, and the instruction budget has room for any block; otherwise it falls through
        /// to the flag writes that follow it and the plain `goto_tb n` after them.
        case gotoTB
        /// Return to the main loop; c: the slot that was not chained yet (0, 1), or 3 = no slot.
        case exitTB
        /// Look eip up in the jump cache and jump there, else return to the main loop.
        case lookupAndGoto
        /// d = helper c (a, b); x = the guest instruction index for exec_insn.
        case call
    }
    public var code: Code
    public var d: RReg
    public var a: RArg
    public var b: RArg
    public var c: UInt32
    public var x: UInt32

    public init(_ code: Code, d: RReg = RReg(8), a: RArg = .i(0), b: RArg = .i(0), c: UInt32 = 0, x: UInt32 = 0) {
        self.code = code; self.d = d; self.a = a; self.b = b; self.c = c; self.x = x
    }

    /// Registers read.
    public var reads: [RReg] { [readA, readB, readC].compactMap { $0 } }

    /// The register an op reads implicitly: eax, the low half of `divu`/`remu`'s dividend.
    @inline(__always) public var readC: RReg? { code == .divu || code == .remu ? .guest(0) : nil }

    /// The register read through operand `a` (or `eip` by `lookup_and_goto`), if any: with
    /// ``readB``, ``reads`` without building an array (the optimizer's and the back end's passes).
    @inline(__always) public var readA: RReg? {
        switch code {
        case .insnStart, .label, .br, .gotoTB, .exitTB: return nil
        case .lookupAndGoto: return .eip
        default: return a.reg
        }
    }

    /// The register read through operand `b`, if any.
    @inline(__always) public var readB: RReg? {
        switch code {
        case .insnStart, .label, .br, .gotoTB, .exitTB, .lookupAndGoto, .mov, .ext8u, .ext8s, .ext16u, .ext16s, .ld: return nil
        default: return b.reg
        }
    }

    /// Whether the op reads `r`.
    @inline(__always) public func reads(_ r: RReg) -> Bool { readA == r || readB == r || readC == r }

    /// The register written, if any.
    public var writes: RReg? {
        switch code {
        case .insnStart, .label, .br, .gotoTB, .exitTB, .lookupAndGoto, .st, .brcond: return nil
        case .call: return d.n == 8 ? nil : d
        default: return d
        }
    }

    /// May raise a guest exception or otherwise leave the block (all guest state is observed there).
    public var observesState: Bool {
        switch code {
        case .ld, .st, .call, .gotoTB, .exitTB, .lookupAndGoto: return true
        default: return false
        }
    }

    /// Has an effect beyond its destination register.
    public var hasSideEffects: Bool {
        switch code {
        case .ld, .st, .call, .brcond, .br, .label, .gotoTB, .exitTB, .lookupAndGoto, .insnStart: return true
        default: return false
        }
    }

    /// The op in the printed syntax of docs/risc-target.md.
    public var text: String {
        switch code {
        case .insnStart: return "insn_start " + Hex.prefixed(c)
        case .mov: return "mov \(d.name), \(a.text)"
        case .add, .sub, .and, .or, .xor, .shl, .shr, .sar, .mul, .muluh, .mulsh:
            return "\(code) \(d.name), \(a.text), \(b.text)"
        case .divu, .remu: return "\(code) \(d.name), \(a.text):eax, \(b.text)"
        case .ext8u, .ext8s, .ext16u, .ext16s: return "\(code) \(d.name), \(a.text)"
        case .deposit: return "deposit \(d.name), \(a.text), \(b.text), \(c), \(x)"
        case .setcond: return "setcond \(d.name), \(a.text), \(b.text), \(RCond(rawValue: UInt8(c))!.name)"
        case .ld:
            let kind = c == 4 ? "32" : "\(c * 8)" + (x & 1 != 0 ? "s" : "u")
            return "ld\(kind)\(x & 2 != 0 ? ".w" : "") \(d.name), [\(a.text)]"
        case .st: return "st\(c * 8) \(a.text), [\(b.text)]"
        case .brcond: return "brcond \(a.text), \(b.text), \(RCond(rawValue: UInt8(c))!.name), L\(x)"
        case .br: return "br L\(x)"
        case .label: return "L\(x):"
        case .gotoTB: return "goto_tb \(c)" + (x & 1 != 0 ? ", cc_dead" : "")
        case .exitTB: return c == 3 ? "exit_tb" : "exit_tb \(c)"
        case .lookupAndGoto: return "lookup_and_goto eip"
        case .call:
            let h = RHelper(rawValue: UInt8(c))!
            var t = "call \(h.name)"
            if d.n != 8 { t += " -> \(d.name)" }
            if h == .execInsn { return t + ", " + a.text }
            if h == .repMovs || h == .repStos { return t + ", " + a.text + ", " + b.text }
            if h == .ccCond { t += ", " + a.text }
            return t
        }
    }
}


/// The ops of one guest instruction: its `insn_start` and what follows up to the next one.
public struct RGroup: Sendable {
    public var address: UInt32
    public var ops: ArraySlice<ROp>
}

extension Array where Element == ROp {
    /// Splits a block's ops at each `insn_start`.
    public var groups: [RGroup] {
        var out: [RGroup] = []
        var start = 0
        for (i, op) in enumerated() where op.code == .insnStart && i > start {
            out.append(RGroup(address: self[start].c, ops: self[start..<i]))
            start = i
        }
        if start < count { out.append(RGroup(address: self[start].c, ops: self[start..<count])) }
        return out
    }

    /// Ops other than insn_start and labels (what "RISC ops per guest instruction" counts).
    public var realOpCount: Int { reduce(0) { $0 + ($1.code != .insnStart && $1.code != .label ? 1 : 0) } }

    /// One more than the highest register number the ops name (the size of a table indexed by
    /// register: the fixed registers 0...31, then the temporaries).
    var registerCount: Int {
        var n = 32
        for op in self {
            if op.d.n >= n { n = Int(op.d.n) + 1 }
            if case .r(let r) = op.a, r.n >= n { n = Int(r.n) + 1 }
            if case .r(let r) = op.b, r.n >= n { n = Int(r.n) + 1 }
        }
        return n
    }

    /// One more than the highest label number the ops name.
    var labelCount: Int {
        var n = 0
        for op in self where (op.code == .label || op.code == .br || op.code == .brcond) && Int(op.x) >= n { n = Int(op.x) + 1 }
        return n
    }
}
