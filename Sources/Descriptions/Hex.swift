/// Hexadecimal text for addresses, registers and bytes: lower-case digits, no Foundation, no locale.
/// Every vsim message, trace and listing formats numbers through here so that one address looks
/// the same wherever a student meets it (`0x0804900a` in a fault, a trace and the REPL alike).
public enum Hex {
    /// One lower-case hex digit for `v` (0...15).
    @inline(__always) public static func digit(_ v: UInt8) -> Character {
        Character(Unicode.Scalar(v < 10 ? 48 + v : 87 + v))
    }

    /// Two digits: `0f`.
    public static func byte(_ b: UInt8) -> String { String([digit(b >> 4), digit(b & 15)]) }

    /// Eight digits, zero-padded, no prefix: `0804900a` (objdump's address column).
    public static func word(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Eight digits with the `0x` prefix: `0x0804900a` (vsim's addresses in messages).
    public static func address(_ v: UInt32) -> String { "0x" + word(v) }

    /// As few digits as needed, with the prefix: `0x1f` (immediates, sizes, error codes).
    public static func prefixed<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }

    /// As few digits as needed, no prefix: `1f`.
    public static func plain<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }

    /// Bytes separated by spaces: `f3 0f 1e fb` (objdump's byte column).
    public static func bytes<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        bytes.map(byte).joined(separator: " ")
    }
}
