#if canImport(Glibc)
import Glibc
#endif

/// Decimal numbers as vsim prints them in reports and messages, without Foundation or a locale.
public enum NumberText {
    /// `value` with `decimals` digits after the point, rounded as printf's `%.*f` rounds the binary
    /// value (e.g. fixed(3.14159, 2) == "3.14"); "nan", "inf", "-inf" as printf writes them.
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var buffer = [CChar](repeating: 0, count: 400)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(max(0, min(decimals, 40)))f", $0) }
        return String(cString: buffer)
    }

    /// An integer grouped by commas in threes: "1,234,567".
    public static func grouped(_ n: UInt64) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
