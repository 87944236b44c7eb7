import Descriptions

/// Number formatting shared by the renderers (fixed decimals, no locale).
enum Format {
    /// `value` with `decimals` digits after the point (``NumberText/fixed(_:_:)``).
    static func fixed(_ value: Double, _ decimals: Int) -> String { NumberText.fixed(value, decimals) }

    /// A measured duration in seconds: "812.3 ms" (``DurationText/measured(_:)``).
    static func duration(_ seconds: Double) -> String { DurationText.measured(seconds) }

    /// A byte count in MiB with one decimal ("12.4 MiB").
    static func mebibytes(_ bytes: UInt64) -> String { fixed(Double(bytes) / 1048576, 1) + " MiB" }

    /// "1,234,567" (``NumberText/grouped(_:)``).
    static func grouped(_ n: UInt64) -> String { NumberText.grouped(n) }

    /// Ratio like "42.1x".
    static func ratio(_ r: Double) -> String { fixed(r, r >= 100 ? 0 : (r >= 10 ? 1 : 2)) + "x" }
}
