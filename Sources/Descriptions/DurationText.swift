/// Durations as vsim prints them, without Foundation or a locale.
public enum DurationText {
    /// Whole nanoseconds in `d`; 0 for a negative duration, `UInt64.max` when it does not fit.
    public static func nanoseconds(_ d: Duration) -> UInt64 {
        let (s, attos) = d.components
        if s < 0 || attos < 0 { return 0 }    // a negative duration (a deadline already passed) has
                                               // seconds 0 and negative attoseconds when under 1 s
        if s >= Int64(UInt64.max / 1_000_000_000) { return UInt64.max }
        return UInt64(s) &* 1_000_000_000 &+ UInt64(attos / 1_000_000_000)
    }

    /// An option's value as the user wrote it: "60 s", "0.5 s".
    public static func seconds(_ d: Duration) -> String {
        let v = Double(nanoseconds(d)) / 1e9
        return v == v.rounded() && v < 1e15 ? "\(Int(v)) s" : "\(v) s"
    }

    /// A measured time with 3-4 significant digits: "812.3 ms", "1.204 s", "45.1 µs".
    public static func measured(_ seconds: Double) -> String {
        if seconds >= 1 { return NumberText.fixed(seconds, 3) + " s" }
        if seconds >= 1e-3 { return NumberText.fixed(seconds * 1e3, 1) + " ms" }
        return NumberText.fixed(seconds * 1e6, 1) + " µs"
    }
}
