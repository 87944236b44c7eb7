/// One x87 data register: an 80-bit double extended-precision value (Intel SDM Vol. 1, 4.2.2),
/// kept as its bits so that every encoding (denormals, pseudo-denormals, unnormals, NaN payloads)
/// survives loads and stores exactly. In memory it is the 10 bytes of `significand` then
/// `signExponent`, little-endian, which is also this struct's layout.
public struct X87Register: Equatable, Hashable, Sendable {
    /// Bits 0-63: the significand, explicit integer bit (bit 63) included.
    public var significand: UInt64
    /// Bit 15: sign; bits 0-14: the biased exponent (bias 16383).
    public var signExponent: UInt16

    public init(significand: UInt64, signExponent: UInt16) {
        self.significand = significand
        self.signExponent = signExponent
    }

    /// The 10 bytes as stored by FSTP m80fp.
    public init(bytes: [UInt8]) {
        var s: UInt64 = 0
        for i in 0..<8 { s |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        self.init(significand: s, signExponent: UInt16(bytes[8]) | UInt16(bytes[9]) << 8)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: significand >> (8 * UInt64($0))) }
            + [UInt8(truncatingIfNeeded: signExponent), UInt8(signExponent >> 8)]
    }

    public var isNegative: Bool { signExponent & 0x8000 != 0 }
    public var exponent: UInt16 { signExponent & 0x7FFF }
    /// +0 or -0.
    public var isZero: Bool { exponent == 0 && significand == 0 }

    /// The tag a full tag word gives this value (SDM Vol. 1, 8.1.7): 0 valid, 1 zero, 2 special
    /// (NaN, infinity, denormal, unsupported formats).
    public var tag: UInt16 {
        if exponent == 0 { return significand == 0 ? 1 : 2 }
        if exponent == 0x7FFF { return 2 }
        return significand >> 63 == 0 ? 2 : 0   // an unnormal is an unsupported format
    }

    /// The QNaN floating-point indefinite, the masked response to an invalid operation.
    public static let indefinite = X87Register(significand: 0xC000_0000_0000_0000, signExponent: 0xFFFF)

    #if arch(x86_64) || arch(i386)
    /// The value as the host's `Float80` (the same 80 bits).
    public var float80: Float80 {
        Float80(sign: isNegative ? .minus : .plus, exponentBitPattern: UInt(exponent),
                significandBitPattern: significand)
    }

    public init(_ v: Float80) {
        self.init(significand: v.significandBitPattern | (v.exponentBitPattern != 0 ? 1 << 63 : 0),
                  signExponent: UInt16(v.exponentBitPattern) | (v.sign == .minus ? 0x8000 : 0))
    }
    #endif
}

/// The x87 FPU's architectural state (Intel SDM Vol. 1, 8.1): eight data registers used as a
/// stack, the control, status and tag words, and the last instruction and data pointers. Kept in
/// ``CPUState/x87``; the instructions are in `Interpreter+X87.swift`.
///
/// The tag word is kept abridged (one "empty" bit per physical register, as the FXSAVE format
/// has it, and as CPUs since the Pentium Pro keep it); the full two-bit tags FNSTENV and FNSAVE
/// store are computed from the registers' contents (``fullTagWord``).
public struct X87State: Equatable, Sendable {
    typealias Storage = (X87Register, X87Register, X87Register, X87Register,
                         X87Register, X87Register, X87Register, X87Register)
    static let zero = X87Register(significand: 0, signExponent: 0)
    /// R0-R7 inline (no array: the state is copied and mutated on every x87 instruction).
    var storage: Storage = (zero, zero, zero, zero, zero, zero, zero, zero)

    /// Physical register R`i` (0…7).
    @inline(__always) public subscript(physical i: Int) -> X87Register {
        get { withUnsafeBytes(of: storage) { $0.load(fromByteOffset: (i & 7) * MemoryLayout<X87Register>.stride, as: X87Register.self) } }
        set {
            withUnsafeMutableBytes(of: &storage) {
                $0.storeBytes(of: newValue, toByteOffset: (i & 7) * MemoryLayout<X87Register>.stride, as: X87Register.self)
            }
        }
    }

    /// The physical registers R0-R7; ST(i) is R[(TOP + i) mod 8].
    public var registers: [X87Register] {
        get { (0..<8).map { self[physical: $0] } }
        set { for (i, r) in newValue.prefix(8).enumerated() { self[physical: i] = r } }
    }

    public static func == (a: X87State, b: X87State) -> Bool {
        a.controlWord == b.controlWord && a.statusFlags == b.statusFlags && a.top == b.top
            && a.emptyMask == b.emptyMask && a.lastInstructionPointer == b.lastInstructionPointer
            && a.lastCodeSelector == b.lastCodeSelector && a.lastOpcode == b.lastOpcode
            && a.lastDataPointer == b.lastDataPointer && a.lastDataSelector == b.lastDataSelector
            && (0..<8).allSatisfy { a[physical: $0] == b[physical: $0] }
    }
    /// FPU control word: default 0x037F after FNINIT (all exceptions masked, 64-bit precision,
    /// round to nearest).
    public var controlWord: UInt16 = 0x037F
    /// FPU status word without TOP (bits 11-13 are ``top``).
    public var statusFlags: UInt16 = 0
    /// The stack top, 0…7.
    public var top: Int = 0
    /// Bit n set: physical register n is empty (tag 11).
    public var emptyMask: UInt8 = 0xFF
    /// FPU instruction pointer: the offset and CS selector of the last non-control x87 instruction.
    public var lastInstructionPointer: UInt32 = 0
    public var lastCodeSelector: UInt16 = 0
    /// Its opcode: the low 3 bits of the escape byte and the ModRM byte (11 bits).
    public var lastOpcode: UInt16 = 0
    /// FPU data pointer: the offset and selector of that instruction's memory operand, if it had one.
    public var lastDataPointer: UInt32 = 0
    public var lastDataSelector: UInt16 = 0

    public init() {}

    // Status word bits (SDM Vol. 1, Figure 8-4).
    public static let ie: UInt16 = 1 << 0, de: UInt16 = 1 << 1, ze: UInt16 = 1 << 2, oe: UInt16 = 1 << 3,
        ue: UInt16 = 1 << 4, pe: UInt16 = 1 << 5, sf: UInt16 = 1 << 6, es: UInt16 = 1 << 7,
        c0: UInt16 = 1 << 8, c1: UInt16 = 1 << 9, c2: UInt16 = 1 << 10, c3: UInt16 = 1 << 14,
        busy: UInt16 = 1 << 15
    /// The condition-code bits C0-C3.
    public static let conditionCodes: UInt16 = c0 | c1 | c2 | c3

    /// The status word as FNSTSW stores it (TOP in bits 11-13).
    public var statusWord: UInt16 {
        get { statusFlags & ~0x3800 | UInt16(top) << 11 }
        set { statusFlags = newValue & ~0x3800; top = Int(newValue >> 11) & 7 }
    }

    /// The two-bit tags of R0-R7 (R0 in bits 0-1), as FNSTENV/FNSAVE store them.
    public var fullTagWord: UInt16 {
        var t: UInt16 = 0
        for i in 0..<8 {
            let tag: UInt16 = emptyMask & (1 << i) != 0 ? 3 : self[physical: i].tag
            t |= tag << (2 * UInt16(i))
        }
        return t
    }

    /// Physical register number of ST(i).
    @inline(__always) public func physical(_ i: Int) -> Int { (top + i) & 7 }
    /// Whether ST(i) is empty.
    @inline(__always) public func isEmpty(_ i: Int) -> Bool { emptyMask & (1 << physical(i)) != 0 }
    /// ST(i) (whatever its tag).
    @inline(__always) public func st(_ i: Int) -> X87Register { self[physical: physical(i)] }
    /// Writes ST(i) and tags it non-empty.
    @inline(__always) public mutating func setST(_ i: Int, _ v: X87Register) {
        let p = physical(i)
        self[physical: p] = v
        emptyMask &= ~(1 << p)
    }
    /// Pushes a value (no overflow check: the caller raises the stack fault).
    public mutating func push(_ v: X87Register) {
        top = (top + 7) & 7
        setST(0, v)
    }
    /// Marks ST(0) empty and increments TOP.
    public mutating func pop() {
        emptyMask |= 1 << top
        top = (top + 1) & 7
    }

    /// FNINIT (SDM Vol. 2A FINIT/FNINIT): CW 0x037F, SW 0, all registers empty, pointers 0.
    public mutating func reset() {
        controlWord = 0x037F
        statusFlags = 0
        top = 0
        emptyMask = 0xFF
        lastInstructionPointer = 0; lastCodeSelector = 0; lastOpcode = 0
        lastDataPointer = 0; lastDataSelector = 0
    }

    /// The `si_code` Linux gives the SIGFPE of an `#MF` raised by this state (arch/x86/kernel/
    /// fpu/core.c `fpu__exception_code`, from the status word's flags not masked by the control
    /// word): FPE_FLTINV 7 (invalid operation, stack fault included), FPE_FLTDIV 3, FPE_FLTOVF 4,
    /// FPE_FLTUND 5 (underflow or denormal), FPE_FLTRES 6 (precision); 0 when none is pending.
    public var linuxFPECode: Int32 {
        let err = statusFlags & ~controlWord
        if err & 0x001 != 0 { return 7 }
        if err & 0x004 != 0 { return 3 }
        if err & 0x008 != 0 { return 4 }
        if err & 0x012 != 0 { return 5 }
        if err & 0x020 != 0 { return 6 }
        return 0
    }

    /// Sets ES and B when an exception flag is set whose mask bit is clear (SDM Vol. 1, 8.1.3.1),
    /// clears them otherwise.
    public mutating func updateSummary() {
        if statusFlags & ~controlWord & 0x3F != 0 {
            statusFlags |= X87State.es | X87State.busy
        } else {
            statusFlags &= ~(X87State.es | X87State.busy)
        }
    }
}
