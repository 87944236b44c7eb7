/// Trimming without Foundation (whose `trimmingCharacters(in:)` would pull Foundation and ICU
/// onto the start path of modules that otherwise avoid it).
extension StringProtocol {
    /// The text without the leading and trailing characters in `set`
    /// (by default spaces, tabs, carriage returns and newlines).
    public func trimmed(_ set: String = " \t\r\n") -> String {
        // By scalars: in " \t\r\n" the pair "\r\n" is one Character, which "\n" alone is not.
        let scalars = Set(set.unicodeScalars)
        var s = Substring(self)
        while let c = s.unicodeScalars.first, scalars.contains(c) { s = Substring(s.unicodeScalars.dropFirst()) }
        while let c = s.unicodeScalars.last, scalars.contains(c) { s = Substring(s.unicodeScalars.dropLast()) }
        return String(s)
    }

    /// The text without trailing spaces.
    public func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
