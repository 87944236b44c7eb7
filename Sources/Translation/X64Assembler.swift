#if canImport(Glibc)
import Glibc
#endif

/// x86-64 host registers.
enum HReg: UInt8 {
    case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
    var low: UInt8 { rawValue & 7 }
    var ext: Bool { rawValue >= 8 }
}

/// A memory operand `[base + index + disp]` of the host.
struct HMem {
    var base: HReg
    var index: HReg? = nil
    var disp: Int32 = 0
}

/// Host condition codes (the low nibble of Jcc/SETcc opcodes).
enum HCond: UInt8 {
    case o = 0, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
    init(_ c: RCond) {
        switch c {
        case .eq: self = .e
        case .ne: self = .ne
        case .ltu: self = .b
        case .geu: self = .ae
        case .leu: self = .be
        case .gtu: self = .a
        case .lt: self = .l
        case .ge: self = .ge
        case .le: self = .le
        case .gt: self = .g
        }
    }
}

/// A minimal x86-64 instruction encoder (Intel SDM Vol. 2, chapter 2): only the forms the
/// back end uses. Bytes accumulate in ``bytes``; jumps are patched through offsets.
struct X64Assembler {
    var bytes: [UInt8] = []
    var offset: Int { bytes.count }

    mutating func b(_ v: UInt8) { bytes.append(v) }
    mutating func d32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func d64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// Empties the buffer, keeping its storage (one assembler serves every block).
    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    /// One opcode byte, or two (`0x0F xx`) when `opc` is above 0xFF.
    @inline(__always) mutating func opcode(_ opc: UInt16) {
        if opc > 0xFF { b(UInt8(opc >> 8)) }
        b(UInt8(truncatingIfNeeded: opc))
    }

    /// REX prefix when needed (`force` for byte registers SPL/BPL/SIL/DIL).
    mutating func rex(w: Bool, r: Bool, x: Bool, b: Bool, force: Bool = false) {
        let v: UInt8 = 0x40 | (w ? 8 : 0) | (r ? 4 : 0) | (x ? 2 : 0) | (b ? 1 : 0)
        if v != 0x40 || force { self.b(v) }
    }

    /// ModRM (+SIB, +disp) for register field `reg` and a memory operand (always mod 01/10).
    mutating func modrmMem(_ reg: UInt8, _ m: HMem) {
        let small = m.disp >= -128 && m.disp <= 127
        let mod: UInt8 = small ? 0x40 : 0x80
        if let i = m.index {
            b(mod | (reg & 7) << 3 | 4)
            b((i.low << 3) | m.base.low)
        } else if m.base.low == 4 {
            b(mod | (reg & 7) << 3 | 4)
            b(0x24)
        } else {
            b(mod | (reg & 7) << 3 | m.base.low)
        }
        if small { b(UInt8(bitPattern: Int8(m.disp))) } else { d32(UInt32(bitPattern: m.disp)) }
    }

    /// `op reg, [mem]` / `op [mem], reg` with opcode bytes `opc` (32-bit unless `w`).
    mutating func rm(_ opc: UInt16, _ reg: UInt8, _ m: HMem, w: Bool = false, byteReg: Bool = false, prefix66: Bool = false) {
        if prefix66 { b(0x66) }
        rex(w: w, r: reg >= 8, x: m.index?.ext ?? false, b: m.base.ext, force: byteReg && reg >= 4 && reg < 8)
        opcode(opc)
        modrmMem(reg, m)
    }

    /// `op reg, rmreg` (register-direct ModRM).
    mutating func rr(_ opc: UInt16, _ reg: UInt8, _ rmReg: UInt8, w: Bool = false, byteRegs: Bool = false) {
        rex(w: w, r: reg >= 8, x: false, b: rmReg >= 8, force: byteRegs && ((reg >= 4 && reg < 8) || (rmReg >= 4 && rmReg < 8)))
        opcode(opc)
        b(0xC0 | (reg & 7) << 3 | (rmReg & 7))
    }

    // MARK: moves

    mutating func movRR(_ d: HReg, _ s: HReg) { if d != s { rr(0x89, s.rawValue, d.rawValue) } }
    mutating func movRR64(_ d: HReg, _ s: HReg) { rr(0x89, s.rawValue, d.rawValue, w: true) }
    mutating func movRM(_ d: HReg, _ m: HMem) { rm(0x8B, d.rawValue, m) }
    mutating func movMR(_ m: HMem, _ s: HReg) { rm(0x89, s.rawValue, m) }
    mutating func movRM64(_ d: HReg, _ m: HMem) { rm(0x8B, d.rawValue, m, w: true) }
    mutating func movMR64(_ m: HMem, _ s: HReg) { rm(0x89, s.rawValue, m, w: true) }
    mutating func movMR8(_ m: HMem, _ s: HReg) { rm(0x88, s.rawValue, m, byteReg: true) }
    mutating func movMR16(_ m: HReg, _ s: HReg, _ mem: HMem) { _ = m; rm(0x89, s.rawValue, mem, prefix66: true) }
    mutating func movRI(_ d: HReg, _ v: UInt32) {
        if v == 0 { rr(0x31, d.rawValue, d.rawValue); return }   // xor d, d
        rex(w: false, r: false, x: false, b: d.ext)
        b(0xB8 | d.low)
        d32(v)
    }
    mutating func movRI64(_ d: HReg, _ v: UInt64) {
        rex(w: true, r: false, x: false, b: d.ext)
        b(0xB8 | d.low)
        d64(v)
    }
    mutating func lea64(_ d: HReg, _ m: HMem) { rm(0x8D, d.rawValue, m, w: true) }
    /// `lea r32, [m]`: the low 32 bits of the address sum (a 32-bit add that sets no flags).
    mutating func lea32(_ d: HReg, _ m: HMem) { rm(0x8D, d.rawValue, m) }
    mutating func movMI(_ m: HMem, _ v: UInt32) { rm(0xC7, 0, m); d32(v) }
    /// movzx/movsx r32 from an 8/16-bit memory operand.
    mutating func movxRM(_ d: HReg, _ m: HMem, size: UInt32, signed: Bool) {
        rm(0x0F00 | UInt16(size == 1 ? (signed ? 0xBE : 0xB6) : (signed ? 0xBF : 0xB7)), d.rawValue, m)
    }
    /// movzx/movsx r32 from the low 8/16 bits of a register.
    mutating func movxRR(_ d: HReg, _ s: HReg, size: UInt32, signed: Bool) {
        rr(0x0F00 | UInt16(size == 1 ? (signed ? 0xBE : 0xB6) : (signed ? 0xBF : 0xB7)), d.rawValue, s.rawValue, byteRegs: size == 1)
    }

    // MARK: ALU (ext = the /digit of the 81/83 group: 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp)

    static func aluOpcode(_ ext: UInt8) -> UInt8 { ext << 3 | 3 }   // op r32, r/m32
    mutating func aluRR(_ ext: UInt8, _ d: HReg, _ s: HReg) { rr(UInt16(X64Assembler.aluOpcode(ext)), d.rawValue, s.rawValue) }
    mutating func aluRM(_ ext: UInt8, _ d: HReg, _ m: HMem) { rm(UInt16(X64Assembler.aluOpcode(ext)), d.rawValue, m) }
    mutating func aluRI(_ ext: UInt8, _ d: HReg, _ v: UInt32) {
        let sv = Int32(bitPattern: v)
        if sv >= -128 && sv <= 127 {
            rr(0x83, ext, d.rawValue); b(UInt8(bitPattern: Int8(sv)))
        } else {
            rr(0x81, ext, d.rawValue); d32(v)
        }
    }
    mutating func aluRI64(_ ext: UInt8, _ d: HReg, _ v: Int32) {
        if v >= -128 && v <= 127 { rr(0x83, ext, d.rawValue, w: true); b(UInt8(bitPattern: Int8(v))) }
        else { rr(0x81, ext, d.rawValue, w: true); d32(UInt32(bitPattern: v)) }
    }
    /// `op r64, imm32` always in the imm32 form (a field patched later): returns the imm32's offset.
    mutating func aluRI64Field(_ ext: UInt8, _ d: HReg, _ v: Int32) -> Int {
        rr(0x81, ext, d.rawValue, w: true); let at = offset; d32(UInt32(bitPattern: v)); return at
    }
    mutating func aluMI(_ ext: UInt8, _ m: HMem, _ v: UInt32) {
        let sv = Int32(bitPattern: v)
        if sv >= -128 && sv <= 127 { rm(0x83, ext, m); b(UInt8(bitPattern: Int8(sv))) }
        else { rm(0x81, ext, m); d32(v) }
    }
    mutating func aluMR(_ ext: UInt8, _ m: HMem, _ s: HReg) { rm(UInt16(ext << 3 | 1), s.rawValue, m) }
    mutating func cmpRM64(_ r: HReg, _ m: HMem) { rm(0x3B, r.rawValue, m, w: true) }
    /// `test byte [m], imm8`.
    mutating func testMI8(_ m: HMem, _ v: UInt8) { rm(0xF6, 0, m); b(v) }
    mutating func addRM64(_ r: HReg, _ m: HMem) { rm(0x03, r.rawValue, m, w: true) }
    mutating func incM64(_ m: HMem) { rm(0xFF, 0, m, w: true) }
    mutating func inc64(_ r: HReg) { rr(0xFF, 0, r.rawValue, w: true) }
    mutating func dec64(_ r: HReg) { rr(0xFF, 1, r.rawValue, w: true) }

    /// Shifts: ext 0 rol, 1 ror, 4 shl, 5 shr, 7 sar.
    mutating func shiftRI(_ ext: UInt8, _ d: HReg, _ n: UInt8) { rr(0xC1, ext, d.rawValue); b(n) }
    mutating func shiftRCL(_ ext: UInt8, _ d: HReg) { rr(0xD3, ext, d.rawValue) }
    mutating func shiftRI64(_ ext: UInt8, _ d: HReg, _ n: UInt8) { rr(0xC1, ext, d.rawValue, w: true); b(n) }

    mutating func imulRR(_ d: HReg, _ s: HReg) { rr(0x0FAF, d.rawValue, s.rawValue) }
    mutating func imulRM(_ d: HReg, _ m: HMem) { rm(0x0FAF, d.rawValue, m) }
    mutating func imulRRI(_ d: HReg, _ s: HReg, _ v: UInt32) { rr(0x69, d.rawValue, s.rawValue); d32(v) }
    /// `mul r32` (unsigned) or `imul r32` (signed): EDX:EAX = EAX * r.
    mutating func mulWide(_ s: HReg, signed: Bool) { rr(0xF7, signed ? 5 : 4, s.rawValue) }
    /// `div r32` / `div m32`: EAX = EDX:EAX / src, EDX = EDX:EAX % src (unsigned; #DE when the
    /// quotient does not fit, which the generated code rules out before it).
    mutating func divR(_ s: HReg) { rr(0xF7, 6, s.rawValue) }
    mutating func divM(_ m: HMem) { rm(0xF7, 6, m) }

    mutating func setcc(_ c: HCond, _ d: HReg) { rr(0x0F00 | UInt16(0x90 | c.rawValue), 0, d.rawValue, byteRegs: true) }

    // MARK: control

    /// `jcc rel32` to be patched; returns the offset of the rel32 field.
    mutating func jcc(_ c: HCond) -> Int { b(0x0F); b(0x80 | c.rawValue); let at = offset; d32(0); return at }
    /// `jmp rel32` to be patched; returns the offset of the rel32 field.
    mutating func jmp() -> Int { b(0xE9); let at = offset; d32(0); return at }
    mutating func jmpR(_ r: HReg) { rr(0xFF, 4, r.rawValue) }
    mutating func jmpM(_ m: HMem) { rm(0xFF, 4, m) }
    mutating func callR(_ r: HReg) { rr(0xFF, 2, r.rawValue) }
    /// `call rel32` to be patched; returns the offset of the rel32 field.
    mutating func call() -> Int { b(0xE8); let at = offset; d32(0); return at }
    /// `test d, s` (64-bit).
    mutating func testRR64(_ d: HReg, _ s: HReg) { rr(0x85, s.rawValue, d.rawValue, w: true) }
    /// `btr r, bit` (64-bit): CF = the bit, then the bit cleared.
    mutating func btr64(_ r: HReg, _ bit: UInt8) { rr(0x0FBA, 6, r.rawValue, w: true); b(bit) }
    mutating func push(_ r: HReg) { if r.ext { b(0x41) }; b(0x50 | r.low) }
    mutating func pop(_ r: HReg) { if r.ext { b(0x41) }; b(0x58 | r.low) }
    mutating func ret() { b(0xC3) }

    /// Overwrites the 5 bytes at `at` with `jmp rel32` to `target` (offsets in this buffer).
    mutating func overwriteJump(at: Int, to target: Int) {
        bytes[at] = 0xE9
        patch(at + 1, to: target)
    }

    /// Writes the 32-bit value at `field` (offsets in this buffer).
    mutating func patchImm32(_ field: Int, _ value: UInt32) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: field, as: UInt32.self) }
    }

    /// Points the rel32 at `field` to `target` (offsets in this buffer).
    mutating func patch(_ field: Int, to target: Int) {
        let rel = Int32(target - (field + 4))
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: rel.littleEndian, toByteOffset: field, as: Int32.self) }
    }
}

/// Executable memory for generated code: one RWX mapping filled from the start and flushed
/// whole when full (as QEMU's code buffer in 2005).
final class CodeBuffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0

    init(capacity: Int) throws {
        let p = mmap(nil, capacity, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw TranslationError.codeBuffer(errno: errno) }
        base = p
        self.capacity = capacity
    }

    deinit { munmap(base, capacity) }

    /// Where the next ``append(_:)`` puts its bytes (16-byte aligned).
    var nextStart: Int { (used + 15) & ~15 }

    /// Copies `bytes` in (16-byte aligned, at ``nextStart``); nil when they do not fit.
    func append(_ bytes: [UInt8]) -> Int? {
        let start = nextStart
        guard start + bytes.count <= capacity else { return nil }
        bytes.withUnsafeBytes { (base + start).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        used = start + bytes.count
        return start
    }

    func reset(keeping prefix: Int) { used = prefix }

    /// Writes the 32-bit immediate at absolute buffer offset `field`.
    func patchImm32(at field: Int, to value: Int32) {
        (base + field).storeBytes(of: value.littleEndian, toByteOffset: 0, as: Int32.self)
    }

    /// Writes `add rbp, imm32` (7 bytes) at absolute buffer offset `at`.
    func patchAddRBP(at: Int, _ value: Int32) {
        let p = base + at
        p.storeBytes(of: UInt8(0x48), toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: UInt8(0x81), toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: UInt8(0xC5), toByteOffset: 2, as: UInt8.self)
        patchImm32(at: at + 3, to: value)
    }

    /// Writes `jmp rel32` (5 bytes) at absolute buffer offset `at`, jumping to `target`.
    func patchJump(at: Int, to target: Int) {
        (base + at).storeBytes(of: UInt8(0xE9), toByteOffset: 0, as: UInt8.self)
        patchRel32(at: at + 1, to: target)
    }

    /// Writes a rel32 at absolute buffer offset `field` so that it jumps to `target`.
    func patchRel32(at field: Int, to target: Int) {
        let rel = Int32(target - (field + 4))
        (base + field).storeBytes(of: rel.littleEndian, toByteOffset: 0, as: Int32.self)
    }
}

/// Errors of the translator's set-up.
public enum TranslationError: Error, CustomStringConvertible {
    case codeBuffer(errno: Int32)
    public var description: String {
        switch self {
        case .codeBuffer(let e): return "cannot map the translation code buffer (errno \(e)); the host must allow executable anonymous memory"
        }
    }
}
