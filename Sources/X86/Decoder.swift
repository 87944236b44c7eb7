/// Decodes i386 machine code (32-bit protected mode, default operand and address size 32) into
/// ``Instruction`` values.
///
/// Encodings follow the Intel SDM Vol. 2A, chapter 2 ("Instruction Format": prefixes, ModRM, SIB,
/// displacement, immediate) and the opcode maps of Vol. 2D, Appendix A; the subset is
/// `isa-subset.md`. The decoder is pure: it never reads more than ``maximumLength`` bytes, never
/// allocates on success, and never traps on any byte string.
///
/// Conventions of the produced ``Instruction`` beyond those of the model types:
/// - `opcode` holds the opcode bytes after the prefixes: `0x8B`, `0x0FB6`; for the `0F 01`
///   forms selected by a full ModRM byte (VMCALL) the ModRM byte too (`0x0F01C1`).
/// - Register operands are the registers objdump names: `mov %ds,%eax` (8C with a register) has a
///   32-bit register; `lar %eax,%eax`, `sldt %eax` likewise. The interpreter truncates to the
///   architectural width (16 bits for selectors).
/// - Shift and rotate by one (D0, D1) list the count as `.immediate(1, size: 1)`; by CL (D2, D3)
///   as the register CL; `opcode` tells them apart from `C0`/`C1 ib`.
/// - String instructions list the operands objdump prints: destination `ES:[EDI]` (a memory operand
///   with base EDI and `segmentOverride == .es`), source `seg:[ESI]` (base ESI and the segment
///   override prefix, if any); under 0x67 the same register numbers denote DI and SI.
///   INS/OUTS and IN/OUT list DX as a 16-bit register; XLAT lists `seg:[EBX]`.
/// - `operandSize` is 1 for byte forms, else 4 (2 under 0x66), even for instructions where the
///   prefix has no effect (the printers know which those are).
/// - Of F2 and F3, only the last one is in ``Instruction/prefixes`` (as on hardware); all prefix
///   bytes, in order, are in ``Instruction/prefixSequence``.
/// - PAUSE (F3 90) is `.nop` with `.rep` in ``Instruction/prefixes``: it executes as NOP (the
///   spin-loop hint has no architectural effect, Intel SDM Vol. 2B PAUSE); the printers write
///   `pause` as objdump does.
public enum Decoder {
    /// The longest instruction: 15 bytes, prefixes included (Intel SDM Vol. 2A, 2.3.11).
    public static let maximumLength = 15

    /// Decodes one instruction from `bytes` (at most 15 are looked at), located at guest `address`.
    ///
    /// - Throws: ``DecodeError/truncated(address:bytes:)`` when `bytes` ends inside the
    ///   instruction, ``DecodeError/outsideSubset(address:bytes:length:name:)`` for a valid
    ///   encoding vsim does not implement, ``DecodeError/invalid(address:bytes:reason:)`` for an
    ///   encoding that raises #UD on a real CPU, ``DecodeError/tooLong(address:bytes:)`` for one
    ///   that does not end within 15 bytes (#GP(0) on a real CPU).
    public static func decode(_ bytes: UnsafeRawBufferPointer, address: UInt32) throws(DecodeError) -> Instruction {
        var decoder = InstructionDecoder(base: bytes.baseAddress, count: bytes.count, address: address)
        return try decoder.decode()
    }

    /// Decodes one instruction from `bytes` (at most 15 are looked at), located at guest `address`.
    /// Same as the `UnsafeRawBufferPointer` form.
    public static func decode(_ bytes: [UInt8], address: UInt32) throws(DecodeError) -> Instruction {
        let result = bytes.withUnsafeBytes { buffer -> Result<Instruction, DecodeError> in
            do throws(DecodeError) {
                return .success(try decode(buffer, address: address))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension Instruction {
    /// The prefix bytes of the instruction in encoding order (decoded from ``prefixSequence``).
    public var prefixBytes: [UInt8] {
        var result: [UInt8] = []
        var s = prefixSequence
        while s & 15 != 0 {
            result.append(prefixByte(code: UInt8(s & 15)))
            s >>= 4
        }
        return result
    }
}

/// The prefix byte of a 4-bit code of ``Instruction/prefixSequence``.
@inline(__always) func prefixByte(code: UInt8) -> UInt8 {
    switch code {
    case 1: return 0x26
    case 2: return 0x2E
    case 3: return 0x36
    case 4: return 0x3E
    case 5: return 0x64
    case 6: return 0x65
    case 7: return 0x66
    case 8: return 0x67
    case 9: return 0xF0
    case 10: return 0xF2
    default: return 0xF3
    }
}

/// The working state of one decode: a cursor over the input plus what the prefixes selected.
