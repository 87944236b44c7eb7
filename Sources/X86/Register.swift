/// A register named by an instruction operand.
///
/// `number` is the 3-bit field from the ModRM/opcode encoding (Intel SDM Vol. 2A, Table 2-1/2-2):
/// for ``Kind/gpr32`` 0…7 = EAX ECX EDX EBX ESP EBP ESI EDI; for ``Kind/gpr16`` the same order with
/// 16-bit names; for ``Kind/gpr8`` 0…7 = AL CL DL BL AH CH DH BH (4…7 are the *high* bytes of
/// EAX…EBX, not of ESP…EDI); for ``Kind/segment`` 0…5 = ES CS SS DS FS GS; for ``Kind/control``
/// CRn and ``Kind/debug`` DRn the number is n; for ``Kind/fpu`` 0…7 = ST(0)…ST(7), relative to
/// the x87 stack top, and 8 = ST, the stack top named implicitly (objdump's `%st` beside `%st(i)`).
public struct Register: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case gpr8, gpr16, gpr32, segment, control, debug, fpu
    }
    public var kind: Kind
    public var number: UInt8

    @inlinable public init(_ kind: Kind, _ number: UInt8) {
        self.kind = kind
        self.number = number
    }

    /// Width of the register in bytes (1, 2 or 4; segment registers are 2; x87 registers 10).
    @inlinable public var width: Int {
        switch kind {
        case .gpr8: return 1
        case .gpr16, .segment: return 2
        case .gpr32, .control, .debug: return 4
        case .fpu: return 10
        }
    }

    /// The lower-case name as objdump prints it, without the `%` of AT&T syntax.
    public var name: String {
        switch kind {
        case .gpr8: return ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"][Int(number & 7)]
        case .gpr16: return ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"][Int(number & 7)]
        case .gpr32: return ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"][Int(number & 7)]
        case .segment: return ["es", "cs", "ss", "ds", "fs", "gs", "?6", "?7"][Int(number & 7)]
        case .control: return "cr\(number)"
        case .debug: return "db\(number)"
        case .fpu: return number > 7 ? "st" : "st(\(number))"
        }
    }

    public static let eax = Register(.gpr32, 0), ecx = Register(.gpr32, 1), edx = Register(.gpr32, 2),
        ebx = Register(.gpr32, 3), esp = Register(.gpr32, 4), ebp = Register(.gpr32, 5),
        esi = Register(.gpr32, 6), edi = Register(.gpr32, 7)
    public static let es = Register(.segment, 0), cs = Register(.segment, 1), ss = Register(.segment, 2),
        ds = Register(.segment, 3), fs = Register(.segment, 4), gs = Register(.segment, 5)
}

/// Segment register numbers as encoded in instructions and prefixes (Intel SDM Vol. 2A, 2.1.1).
public enum SegmentRegister: UInt8, Sendable, CaseIterable {
    case es = 0, cs, ss, ds, fs, gs

    public var name: String { ["es", "cs", "ss", "ds", "fs", "gs"][Int(rawValue)] }
    /// The prefix byte that selects this segment (26 2E 36 3E 64 65).
    public var prefixByte: UInt8 { [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65][Int(rawValue)] }
}
