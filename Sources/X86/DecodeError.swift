import Descriptions
/// Why ``Decoder/decode(_:address:)-(UnsafeRawBufferPointer,_)`` produced no instruction.
///
/// The interpreter turns every case into `#UD` with ``description`` as the detail (contracts.md),
/// except ``tooLong(address:bytes:)``, which is `#GP(0)` as on a real CPU.
/// `bytes` are the instruction's bytes when its length is known, otherwise the bytes the decoder
/// looked at (prefixes included).
public enum DecodeError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The bytes end before the instruction does (e.g. at the end of a segment).
    case truncated(address: UInt32, bytes: [UInt8])
    /// A valid x86 encoding outside the vsim subset (x87, SSE, ...): `length` in bytes (prefixes
    /// included) when the decoder can tell it, `name` (lower-case mnemonic) when it knows one.
    /// description: "outside the vsim subset: 0f 58 c1 (addps) at 0x08049000"
    case outsideSubset(address: UInt32, bytes: [UInt8], length: Int?, name: String?)
    /// Not a valid encoding at all (e.g. LEA with a register operand; LOCK on a non-lockable
    /// instruction): a real CPU raises #UD (Intel SDM Vol. 2A, 2.1.2 and the instruction's
    /// "Exceptions" table).
    case invalid(address: UInt32, bytes: [UInt8], reason: String)
    /// The instruction does not end within 15 bytes (prefixes included): a real CPU raises
    /// #GP(0) (Intel SDM Vol. 2A, 2.3.11), which Linux delivers as SIGSEGV. `bytes` are the 15
    /// bytes looked at.
    case tooLong(address: UInt32, bytes: [UInt8])

    /// Guest address of the instruction's first byte.
    public var address: UInt32 {
        switch self {
        case .truncated(let a, _), .outsideSubset(let a, _, _, _), .invalid(let a, _, _), .tooLong(let a, _): return a
        }
    }

    /// The bytes named by the error (see the type's documentation).
    public var bytes: [UInt8] {
        switch self {
        case .truncated(_, let b), .outsideSubset(_, let b, _, _), .invalid(_, let b, _), .tooLong(_, let b): return b
        }
    }

    public var description: String {
        let hexBytes = bytes.map { Hex.byte($0) }.joined(separator: " ")
        let at = "at 0x" + Hex.word(address)
        switch self {
        case .truncated:
            return "truncated instruction: \(hexBytes) \(at)"
        case .outsideSubset(_, _, _, let name):
            let named = name.map { " (\($0))" } ?? ""
            return "outside the vsim subset: \(hexBytes)\(named) \(at)"
        case .invalid(_, _, let reason):
            return "invalid instruction: \(hexBytes) (\(reason)) \(at)"
        case .tooLong:
            return "instruction longer than 15 bytes: \(hexBytes) (#GP(0), Intel SDM Vol. 2A 2.3.11) \(at)"
        }
    }
}


