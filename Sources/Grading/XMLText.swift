/// Text made safe for XML 1.0 attributes and content: the five entities escaped, characters XML
/// forbids (C0 controls other than tab, newline, carriage return; U+FFFE, U+FFFF) replaced by U+FFFD.
enum XMLText {
    /// For an attribute value: as ``escape(_:)``, and tab and newline as character references,
    /// since a parser turns a literal one in an attribute into a space (XML 1.0 §3.3.3,
    /// attribute-value normalization), so a student id with a newline read back changed.
    static func attribute(_ s: String) -> String { escape(s, attribute: true) }

    static func escape(_ s: String, attribute: Bool = false) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += attribute ? "&#9;" : "\t"
            case "\n": out += attribute ? "&#10;" : "\n"
            case "\r": out += "&#13;"
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF:
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
