/// Prefixes seen on an instruction (Intel SDM Vol. 2A, 2.1.1).
public struct Prefixes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// F0
    public static let lock = Prefixes(rawValue: 1 << 0)
    /// F3: REP / REPE
    public static let rep = Prefixes(rawValue: 1 << 1)
    /// F2: REPNE
    public static let repne = Prefixes(rawValue: 1 << 2)
    /// 66: operand-size override
    public static let operandSize = Prefixes(rawValue: 1 << 3)
    /// 67: address-size override
    public static let addressSize = Prefixes(rawValue: 1 << 4)
    /// Any of 26 2E 36 3E 64 65 (which one: ``Instruction/segmentOverride``)
    public static let segment = Prefixes(rawValue: 1 << 5)
}

/// One decoded i386 instruction.
///
/// Produced by ``Decoder``; consumed by the printers, the interpreter (`Machine`) and the
/// translator. Operands are in Intel order: `operands.0` is the destination. Implicit operands
/// (the accumulator of MUL, ESI/EDI of string instructions, the stack) are *not* listed unless
/// objdump prints them; their meaning follows from the mnemonic as in the Intel SDM.
public struct Instruction: Hashable, Sendable {
    /// Guest linear address of the first byte (first prefix).
    public var address: UInt32
    /// Length in bytes, prefixes included (1…15).
    public var length: UInt8
    public var mnemonic: Mnemonic
    /// Condition for ``Mnemonic/jcc``, ``Mnemonic/setcc``, ``Mnemonic/cmovcc`` (else 0).
    public var condition: Condition
    /// Size in bytes of the data operated on: 1, 2 or 4. For byte forms (e.g. `00 /r`) 1; for
    /// full-size forms 4, or 2 under 0x66. Stack width of PUSH/POP/CALL/RET follows it too.
    /// x87 memory forms: the size of the memory operand (2, 4, 8, 10; FLDENV/FNSTENV 28, or 14
    /// under 0x66; FNSAVE/FRSTOR 108, or 94 under 0x66); x87 register forms: 4 (2 under 0x66).
    public var operandSize: UInt8
    /// Address size in bytes: 4, or 2 under 0x67. Governs ModRM forms, string index registers
    /// (SI/DI vs ESI/EDI), the counter of REP/LOOP/JCXZ (CX vs ECX).
    public var addressSize: UInt8
    public var prefixes: Prefixes
    /// The segment-override prefix in effect (last one wins), if any.
    public var segmentOverride: SegmentRegister?
    /// The opcode bytes after prefixes, for diagnostics (`0F` escape included), at most 3. For
    /// x87 register forms the ModRM byte too (`0xD9E8` FLD1, `0xDCC1` FADD ST(1),ST).
    public var opcode: UInt32
    public var operandCount: UInt8
    public var operand0: Operand
    public var operand1: Operand
    public var operand2: Operand
    /// The prefix bytes in encoding order, 4 bits per prefix (first prefix in the low nibble):
    /// 1…6 = segment override ES CS SS DS FS GS (26 2E 36 3E 64 65), 7 = 66, 8 = 67, 9 = F0,
    /// 10 = F2, 11 = F3; 0 ends the list. At most 14 prefixes fit in an instruction of 15 bytes.
    /// Kept so that printers can reproduce objdump's text for repeated or unused prefixes
    /// (`data16`, `addr16`, `es cs nop`); ``prefixBytes`` decodes it.
    public var prefixSequence: UInt64 = 0

    public init(address: UInt32, length: UInt8, mnemonic: Mnemonic, condition: Condition = .o,
                operandSize: UInt8 = 4, addressSize: UInt8 = 4, prefixes: Prefixes = [],
                segmentOverride: SegmentRegister? = nil, opcode: UInt32 = 0,
                operands: [Operand] = []) {
        self.address = address
        self.length = length
        self.mnemonic = mnemonic
        self.condition = condition
        self.operandSize = operandSize
        self.addressSize = addressSize
        self.prefixes = prefixes
        self.segmentOverride = segmentOverride
        self.opcode = opcode
        self.operandCount = UInt8(operands.count)
        self.operand0 = operands.count > 0 ? operands[0] : .none
        self.operand1 = operands.count > 1 ? operands[1] : .none
        self.operand2 = operands.count > 2 ? operands[2] : .none
    }

    /// The operands in Intel order (destination first), `operandCount` of them.
    public var operands: [Operand] {
        [operand0, operand1, operand2].prefix(Int(operandCount)).map { $0 }
    }

    /// Address of the next instruction (`address + length`, wrapping at 2^32).
    @inlinable public var nextAddress: UInt32 { address &+ UInt32(length) }
}
