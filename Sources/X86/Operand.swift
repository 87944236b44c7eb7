/// A memory operand as encoded by ModRM (+SIB, +displacement), or by a `moffs` form (A0–A3).
///
/// Effective address (Intel SDM Vol. 2A, 2.1.5): `base + index*scale + displacement`, truncated to
/// 16 bits when `addressSize == 2`. Under 16-bit addressing `base`/`index` use the 16-bit forms
/// `[bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx]`, expressed here as 32-bit register numbers
/// of BX/BP (base) and SI/DI (index) with scale 1.
///
/// The encoding details (`modrm`, `sib`, `displacementSize`) are kept so that printers can reproduce
/// objdump's text exactly (it writes `0x0(%eax)` for a zero disp8, `(%eax,%eiz,1)` for a SIB
/// without index, and so on).
public struct MemoryOperand: Hashable, Sendable {
    /// Base register number (0…7, EAX…EDI), or `nil`.
    public var base: UInt8?
    /// Index register number (0…7, never 4 = ESP), or `nil`.
    public var index: UInt8?
    /// Scale factor: 1, 2, 4 or 8.
    public var scale: UInt8
    /// Signed displacement, already sign-extended from its encoded size.
    public var displacement: Int32
    /// Encoded displacement size in bytes: 0, 1, 2 or 4.
    public var displacementSize: UInt8
    /// Address size in bytes: 4 (default) or 2 (under a 0x67 prefix).
    public var addressSize: UInt8
    /// An explicit segment-override prefix, or `nil` (the default segment is DS, or SS for
    /// EBP/ESP-based forms; see ``defaultSegment``).
    public var segmentOverride: SegmentRegister?
    /// The ModRM byte, when the operand came from one (nil for moffs and implicit string operands).
    public var modrm: UInt8?
    /// The SIB byte, when present.
    public var sib: UInt8?

    public init(base: UInt8?, index: UInt8?, scale: UInt8 = 1, displacement: Int32 = 0,
                displacementSize: UInt8 = 0, addressSize: UInt8 = 4,
                segmentOverride: SegmentRegister? = nil, modrm: UInt8? = nil, sib: UInt8? = nil) {
        self.base = base
        self.index = index
        self.scale = scale
        self.displacement = displacement
        self.displacementSize = displacementSize
        self.addressSize = addressSize
        self.segmentOverride = segmentOverride
        self.modrm = modrm
        self.sib = sib
    }

    /// The segment used when no override is present: SS when the base is EBP/ESP (or BP under
    /// 16-bit addressing), DS otherwise (Intel SDM Vol. 1, 3.7.4).
    public var defaultSegment: SegmentRegister {
        if let b = base, b == 4 || b == 5 { return .ss }
        return .ds
    }

    /// The segment actually used: the override or the default.
    public var segment: SegmentRegister { segmentOverride ?? defaultSegment }
}

/// One operand of an ``Instruction``. Operands are stored in Intel order (destination first).
public enum Operand: Hashable, Sendable {
    case none
    case register(Register)
    case memory(MemoryOperand)
    /// An immediate, already extended to the instruction's operand size as the CPU uses it
    /// (e.g. `83 /0 ib` sign-extends); `size` is the encoded immediate size in bytes (1, 2 or 4).
    case immediate(UInt32, size: UInt8)
    /// The absolute target of a relative branch (`EIP_next + rel`, truncated to 16 bits under 0x66).
    case relative(UInt32)
    /// A far pointer `ptr16:16/32` (EA, 9A).
    case farPointer(selector: UInt16, offset: UInt32)

    public var isNone: Bool { if case .none = self { return true } else { return false } }
}
