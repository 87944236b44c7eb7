/// Operands: ModRM and SIB addressing forms (Intel SDM Vol. 2A, 2.1.5, Tables 2-1 to 2-3),
/// immediates, relative targets, and the implicit string operands.
extension InstructionDecoder {

    var mod: UInt8 { modrm >> 6 }
    var regField: UInt8 { (modrm >> 3) & 7 }
    var rmField: UInt8 { modrm & 7 }

    @inline(__always) func gpr(_ size: UInt8, _ n: UInt8) -> Register {
        Register(size == 1 ? .gpr8 : size == 2 ? .gpr16 : .gpr32, n)
    }

    @inline(__always) mutating func readModRM() throws(DecodeError) {
        modrm = try u8()
    }

    /// The `reg` field as a general register of `size` bytes.
    @inline(__always) func G(_ size: UInt8) -> Operand {
        .register(gpr(size, regField))
    }

    /// The r/m operand: a general register of `size` bytes when mod = 11, else memory.
    @inline(__always) mutating func E(_ size: UInt8) throws(DecodeError) -> Operand {
        if mod == 3 { return .register(gpr(size, rmField)) }
        return .memory(try memory())
    }

    /// The r/m operand when it must be memory (LEA, LGDT, far pointers): mod = 11 is #UD.
    mutating func M(_ what: String) throws(DecodeError) -> Operand {
        if mod == 3 { throw invalid("\(what) needs a memory operand (ModRM mod=11 is #UD)") }
        return .memory(try memory())
    }

    /// Decodes the memory form of the ModRM byte already read (mod != 11), with SIB and
    /// displacement (Intel SDM Vol. 2A, Tables 2-1, 2-2 and 2-3).
    mutating func memory() throws(DecodeError) -> MemoryOperand {
        let mod = self.mod, rm = rmField
        var m = MemoryOperand(base: nil, index: nil, addressSize: adsize, segmentOverride: segment,
                              modrm: modrm)
        if adsize == 4 {
            if rm == 4 {
                let sib = try u8()
                m.sib = sib
                m.scale = 1 << (sib >> 6)
                let index = (sib >> 3) & 7
                m.index = index == 4 ? nil : index
                let b = sib & 7
                if b == 5 && mod == 0 {
                    m.displacement = Int32(bitPattern: try u32())
                    m.displacementSize = 4
                } else {
                    m.base = b
                }
            } else if rm == 5 && mod == 0 {
                m.displacement = Int32(bitPattern: try u32())
                m.displacementSize = 4
            } else {
                m.base = rm
            }
            if mod == 1 {
                m.displacement = Int32(Int8(bitPattern: try u8()))
                m.displacementSize = 1
            } else if mod == 2 {
                m.displacement = Int32(bitPattern: try u32())
                m.displacementSize = 4
            }
        } else {
            switch rm {
            case 0: m.base = 3; m.index = 6
            case 1: m.base = 3; m.index = 7
            case 2: m.base = 5; m.index = 6
            case 3: m.base = 5; m.index = 7
            case 4: m.index = 6
            case 5: m.index = 7
            case 6: if mod != 0 { m.base = 5 }
            default: m.base = 3
            }
            if mod == 0 && rm == 6 {
                m.displacement = Int32(Int16(bitPattern: try u16()))
                m.displacementSize = 2
            } else if mod == 1 {
                m.displacement = Int32(Int8(bitPattern: try u8()))
                m.displacementSize = 1
            } else if mod == 2 {
                m.displacement = Int32(Int16(bitPattern: try u16()))
                m.displacementSize = 2
            }
        }
        return m
    }

    /// Skips the memory part of a ModRM-based encoding (for outside-subset lengths).
    mutating func skipModRMOperand() throws(DecodeError) {
        if mod != 3 { _ = try memory() }
    }

    /// An immediate of `size` bytes, zero-extended.
    @inline(__always) mutating func imm(_ size: UInt8) throws(DecodeError) -> Operand {
        switch size {
        case 1: return .immediate(UInt32(try u8()), size: 1)
        case 2: return .immediate(UInt32(try u16()), size: 2)
        default: return .immediate(try u32(), size: 4)
        }
    }

    /// An 8-bit immediate sign-extended to `size` bytes (83, 6A, 6B).
    @inline(__always) mutating func immS8(_ size: UInt8) throws(DecodeError) -> Operand {
        let v = UInt32(bitPattern: Int32(Int8(bitPattern: try u8())))
        return .immediate(size == 2 ? v & 0xFFFF : size == 1 ? v & 0xFF : v, size: 1)
    }

    /// A relative branch target of `size` displacement bytes (1, 2 or 4), truncated to 16 bits
    /// when the operand size is 16 (Intel SDM Vol. 2A, JMP/Jcc: "EIP ← EIP AND 0000FFFFH").
    mutating func rel(_ size: UInt8) throws(DecodeError) -> Operand {
        let disp: Int32
        switch size {
        case 1: disp = Int32(Int8(bitPattern: try u8()))
        case 2: disp = Int32(Int16(bitPattern: try u16()))
        default: disp = Int32(bitPattern: try u32())
        }
        var target = address &+ UInt32(pos) &+ UInt32(bitPattern: disp)
        if opsize == 2 { target &= 0xFFFF }
        return .relative(target)
    }

    /// The implicit string operand `ES:[EDI]` (or `ES:[DI]`).
    var stringDestination: Operand {
        .memory(MemoryOperand(base: 7, index: nil, addressSize: adsize, segmentOverride: .es))
    }

    /// The implicit string operand `DS:[ESI]` (or `seg:[SI]` under an override).
    var stringSource: Operand {
        .memory(MemoryOperand(base: 6, index: nil, addressSize: adsize, segmentOverride: segment))
    }

    static let dx = Operand.register(Register(.gpr16, 2))
    static let cl = Operand.register(Register(.gpr8, 1))

    // MARK: Building the result

    func make(_ mnemonic: Mnemonic, size: UInt8, condition: Condition = .o,
              _ o0: Operand = .none, _ o1: Operand = .none, _ o2: Operand = .none) -> Instruction {
        var i = Instruction(address: address, length: UInt8(pos), mnemonic: mnemonic,
                            condition: condition, operandSize: size, addressSize: adsize,
                            prefixes: prefixes, segmentOverride: segment, opcode: opcode,
                            operands: [])
        i.prefixSequence = sequence
        i.operand0 = o0
        i.operand1 = o1
        i.operand2 = o2
        i.operandCount = o0.isNone ? 0 : o1.isNone ? 1 : o2.isNone ? 2 : 3
        return i
    }

}
