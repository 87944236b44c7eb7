import Machine
import X86

/// The front end: lowers decoded x86 instructions to vsim RISC ops (docs/risc-target.md,
/// "Lowering"). One ``Lowering`` builds one translation block.
///
/// Conventions that make a fault inside a block restore the exact x86 state:
/// - every instruction starts with `insn_start` (its guest address);
/// - within an instruction, every op that may fault (`ld`, `st`, `call exec_insn`) comes before
///   the first write to a guest register, `eip` or a condition-code register, and there is at
///   most one `st`, so a fault at any point leaves the state of the instruction's start;
/// - `eip` is written only right before leaving the block (or calling `exec_insn`): the engine
///   restores it from the `insn_start` record of the faulting instruction.
///
/// EFLAGS use lazy condition codes with the same meaning as the interpreter's
/// (``Machine/LazyFlags``): a flag-setting instruction writes `cc_op` (a translation-time
/// constant), `cc_res`, `cc_src1`, `cc_src2` (and `cc_aux`); a consumer (Jcc, SETcc, CMOVcc,
/// INC/DEC's carry) is lowered from the `cc_op` known at translation time into a direct
/// comparison, or into a helper call when it is not known (at a block start).
public struct Lowering {
    public private(set) var ops: [ROp] = []
    var temps = 0
    var labels = 0
    /// `cc_op` at this point of the block, when known at translation time.
    var ccOp: UInt32?
    /// Whether ES, CS, SS and DS have base 0 (part of the block's mode): no base added.
    let flat: Bool
    /// Index of the instruction being lowered within the block.
    var index = 0

    public init(flat: Bool) { self.flat = flat }

    // MARK: - emission

    mutating func temp() -> RReg { defer { temps += 1 }; return .temp(temps) }
    mutating func label() -> UInt32 { defer { labels += 1 }; return UInt32(labels) }
    mutating func emit(_ op: ROp) { ops.append(op) }

    mutating func op(_ code: ROp.Code, _ a: RArg, _ b: RArg) -> RArg {
        let d = temp()
        emit(ROp(code, d: d, a: a, b: b))
        return .r(d)
    }
    mutating func unary(_ code: ROp.Code, _ a: RArg) -> RArg {
        let d = temp()
        emit(ROp(code, d: d, a: a))
        return .r(d)
    }
    mutating func mov(_ d: RReg, _ a: RArg) { emit(ROp(.mov, d: d, a: a)) }
    mutating func setcond(_ a: RArg, _ b: RArg, _ c: RCond) -> RArg {
        let d = temp()
        emit(ROp(.setcond, d: d, a: a, b: b, c: UInt32(c.rawValue)))
        return .r(d)
    }
    mutating func brcond(_ a: RArg, _ b: RArg, _ c: RCond, _ l: UInt32) {
        emit(ROp(.brcond, a: a, b: b, c: UInt32(c.rawValue), x: l))
    }
    mutating func load(_ addr: RArg, _ size: UInt8, signed: Bool = false, forUpdate: Bool = false) -> RArg {
        let d = temp()
        emit(ROp(.ld, d: d, a: addr, c: UInt32(size), x: (signed ? 1 : 0) | (forUpdate ? 2 : 0)))
        return .r(d)
    }
    mutating func store(_ v: RArg, _ addr: RArg, _ size: UInt8) {
        emit(ROp(.st, a: v, b: addr, c: UInt32(size)))
    }
    mutating func call(_ h: RHelper, _ a: RArg = .i(0)) -> RArg {
        let d = temp()
        emit(ROp(.call, d: d, a: a, c: UInt32(h.rawValue), x: UInt32(index)))
        return .r(d)
    }

    static func mask(_ size: UInt8) -> UInt32 { size == 4 ? 0xFFFF_FFFF : size == 2 ? 0xFFFF : 0xFF }
    static func w(_ size: UInt8) -> UInt32 { size == 1 ? 0 : size == 2 ? 1 : 2 }

    /// `a & mask(size)` (nothing for 32 bits).
    mutating func masked(_ a: RArg, _ size: UInt8) -> RArg {
        size == 4 ? a : unary(size == 2 ? .ext16u : .ext8u, a)
    }
    /// Sign extension of the low `size` bytes.
    mutating func signExtended(_ a: RArg, _ size: UInt8) -> RArg {
        size == 4 ? a : unary(size == 2 ? .ext16s : .ext8s, a)
    }

    // MARK: - operands

    /// Effective address (offset within the segment) of a memory operand.
    mutating func offset(_ m: MemoryOperand) -> RArg {
        var a: RArg? = m.base.map { .r(.guest(Int($0))) }
        if let i = m.index {
            var x: RArg = .r(.guest(Int(i)))
            if m.scale > 1 { x = op(.shl, x, .i(UInt32(m.scale.trailingZeroBitCount))) }
            a = a.map { op(.add, $0, x) } ?? x
        }
        let disp = UInt32(bitPattern: m.displacement)
        if let base = a {
            if disp != 0 { a = op(.add, base, .i(disp)) }
        } else {
            a = .i(m.addressSize == 2 ? disp & 0xFFFF : disp)
        }
        if m.addressSize == 2, a?.imm == nil { a = unary(.ext16u, a!) }
        return a!
    }

    /// Adds the base of segment `s` unless the block's mode says it is 0.
    mutating func segmented(_ off: RArg, _ s: SegmentRegister) -> RArg {
        if flat && s != .fs && s != .gs { return off }
        return op(.add, off, .r(.segBase(Int(s.rawValue))))
    }

    /// Linear address of a memory operand.
    mutating func address(_ m: MemoryOperand) -> RArg { segmented(offset(m), m.segment) }

    /// Reads a register operand, zero-extended to 32 bits.
    mutating func readReg(_ r: Register) -> RArg {
        switch r.kind {
        case .gpr32:
            // A copy: the register may be written before the value is last used (cc_src1).
            let t = temp()
            mov(t, .r(.guest(Int(r.number))))
            return .r(t)
        case .gpr16: return unary(.ext16u, .r(.guest(Int(r.number))))
        default:
            if r.number < 4 { return unary(.ext8u, .r(.guest(Int(r.number)))) }
            let h = op(.shr, .r(.guest(Int(r.number - 4))), .i(8))
            return unary(.ext8u, h)
        }
    }

    /// Writes the low bytes of `v` to a register operand (upper bits kept for 8/16-bit registers).
    mutating func writeReg(_ r: Register, _ v: RArg) {
        let g = RReg.guest(Int(r.number & 3 | (r.kind == .gpr8 ? 0 : r.number & 4)))
        switch r.kind {
        case .gpr32: mov(g, v)
        case .gpr16: emit(ROp(.deposit, d: g, a: .r(g), b: v, c: 0, x: 16))
        default: emit(ROp(.deposit, d: g, a: .r(g), b: v, c: r.number < 4 ? 0 : 8, x: 8))
        }
    }

    /// Reads a read-modify-write destination (INC, DEC, NEG, NOT, shifts): for memory, its
    /// address computed once and the value loaded with the write check done up front
    /// (`forUpdate`, so the later store cannot fault after flags changed); for a register, its
    /// value and no address.
    mutating func readForUpdate(_ o: Operand, _ size: UInt8) -> (value: RArg, address: RArg?) {
        if case .memory(let m) = o {
            let addr = address(m)
            return (load(addr, size, forUpdate: true), addr)
        }
        return (read(o, size), nil)
    }

    /// Reads an operand of `size` bytes (zero-extended, or sign-extended when `signed`).
    mutating func read(_ o: Operand, _ size: UInt8, signed: Bool = false) -> RArg {
        switch o {
        case .register(let r):
            let v = readReg(r)
            return signed ? signExtended(v, size) : v
        case .memory(let m): return load(address(m), size, signed: signed && size < 4)
        case .immediate(let v, _): return .i(signed ? UInt32(bitPattern: Int32(truncatingIfNeeded: signExtend(v, size))) : v & Lowering.mask(size))
        case .relative(let t): return .i(t)
        default: return .i(0)
        }
    }

    func signExtend(_ v: UInt32, _ size: UInt8) -> Int32 {
        size == 4 ? Int32(bitPattern: v) : size == 2 ? Int32(Int16(truncatingIfNeeded: v)) : Int32(Int8(truncatingIfNeeded: v))
    }

    // MARK: - stack

    mutating func stackAddress(_ off: RArg) -> RArg { segmented(off, .ss) }

    /// PUSH of `size` bytes: the store first, then ESP (a faulting push changes nothing).
    mutating func push(_ v: RArg, _ size: UInt8) {
        let sp = op(.sub, .r(.guest(4)), .i(UInt32(size)))
        store(v, stackAddress(sp), size)
        mov(.guest(4), sp)
    }
}
