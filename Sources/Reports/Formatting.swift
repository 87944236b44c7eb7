#if canImport(Glibc)
import Glibc
#endif

/// Number formatting shared by the renderers (fixed decimals, no locale).
enum Format {
    /// `value` with `decimals` digits after the point (e.g. fixed(3.14159, 2) == "3.14").
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.\(decimals)f", $0) }
        return String(cString: buffer)
    }

    /// A duration in seconds with a unit that keeps 3–4 significant digits: "812.3 ms", "1.204 s", "45.1 µs".
    static func duration(_ seconds: Double) -> String {
        if seconds >= 1 { return fixed(seconds, 3) + " s" }
        if seconds >= 1e-3 { return fixed(seconds * 1e3, 1) + " ms" }
        return fixed(seconds * 1e6, 1) + " µs"
    }

    /// A byte count in MiB with one decimal ("12.4 MiB").
    static func mebibytes(_ bytes: UInt64) -> String { fixed(Double(bytes) / 1048576, 1) + " MiB" }

    /// An integer with thin grouping by commas ("1,234,567").
    static func grouped(_ n: UInt64) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Ratio like "42.1x".
    static func ratio(_ r: Double) -> String { fixed(r, r >= 100 ? 0 : (r >= 10 ? 1 : 2)) + "x" }
}
