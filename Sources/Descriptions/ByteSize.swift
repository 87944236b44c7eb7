/// A size in bytes as a person writes it on vsim's command line (`--memory 64M` for the guest
/// kernel's RAM, `container run --memory 1.5g` for a cgroup's limit): one reader for both, so
/// the two options accept the same spellings. Each caller then applies its own rules (the guest
/// kernel's 4 MiB granule, a cgroup's 1 MiB minimum) and words its own errors.
///
/// The spelling is Docker's (`docker run --memory`, go-units' RAMInBytes): a decimal number,
/// optionally with a fraction, then optionally a binary unit, `k`, `m`, `g` or `t` (KiB, MiB,
/// GiB, TiB), in either case, which may be followed by `b` or `ib` (`64m`, `64MB`, `64MiB` are
/// all 64 × 2^20 bytes), or `b` alone. No sign, no spaces, no hexadecimal.
public enum ByteSize {
    /// What ``read(_:)`` found.
    public enum Reading: Equatable, Sendable {
        /// A size: the number times its unit, rounded to a whole byte.
        case bytes(UInt64)
        /// Not written as a size at all.
        case notASize
        /// Written as a size, but 2^62 bytes or more (no caller accepts that much).
        case tooLarge
    }

    /// The largest size ``read(_:)`` returns is below this: 2^62 bytes (4 EiB).
    public static let limit: UInt64 = 1 << 62

    /// Reads `text` as a size.
    public static func read(_ text: String) -> Reading {
        var rest = Substring(text.lowercased())
        var shift: UInt64 = 0
        if rest.hasSuffix("ib") {
            rest = rest.dropLast(2)
            guard let last = rest.last, let s = unitShift(last) else { return .notASize }
            shift = s
            rest = rest.dropLast()
        } else if rest.hasSuffix("b") {
            rest = rest.dropLast()
            if let last = rest.last, let s = unitShift(last) {
                shift = s
                rest = rest.dropLast()
            }
        } else if let last = rest.last, let s = unitShift(last) {
            shift = s
            rest = rest.dropLast()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(isDigit) else { return .notASize }
        let fraction = parts.count == 2 ? parts[1] : nil
        if let fraction, fraction.isEmpty || !fraction.allSatisfy(isDigit) { return .notASize }
        // The whole part exactly, in integers; only a fraction goes through a Double.
        guard let n = UInt64(whole), n < limit >> shift else { return .tooLarge }
        var bytes = n << shift
        if let fraction, let f = Double("0." + fraction) {
            bytes &+= UInt64((f * Double(UInt64(1) << shift)).rounded())
            guard bytes < limit else { return .tooLarge }
        }
        return .bytes(bytes)
    }

    private static func unitShift(_ c: Character) -> UInt64? {
        switch c {
        case "k": 10
        case "m": 20
        case "g": 30
        case "t": 40
        default: nil
        }
    }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
}
