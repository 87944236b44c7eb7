/// One word of a command line as a POSIX shell reads it back, for the command lines vsim shows
/// (`vsim compare`'s header and the `command` of each mode in its JSON): a word of only
/// `A-Z a-z 0-9 @ % + = : , . / _ -` as it is; any other word in single quotes (POSIX.1-2017
/// XCU 2.2.2: nothing is special inside them; a `'` is written `'\''`); a word holding a control
/// character (a newline, a tab, ESC) in bash's ANSI-C quoting `$'...'` (bash(1), "QUOTING"), so
/// that the line stays one line: `\n`, `\t`, `\r`, `\\`, `\'` and `\xHH` for the rest.
public enum ShellWord {
    /// `word` quoted as above; the empty word is `''`.
    public static func quoted(_ word: String) -> String {
        let bytes = Array(word.utf8)
        if !bytes.isEmpty && bytes.allSatisfy(isPlain) { return word }
        if !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        }
        return ansiC(word)
    }

    /// A command line of `words`, each ``quoted(_:)``, joined by spaces.
    public static func line(_ words: [String]) -> String { words.map(quoted).joined(separator: " ") }

    static func isPlain(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "@%+=:,./_-".utf8.contains(b)
        }
    }

    /// `$'...'` of `word`: control characters escaped, every other character (non-ASCII
    /// included) as it is.
    static func ansiC(_ word: String) -> String {
        var out = "$'"
        for ch in word.unicodeScalars {
            switch ch.value {
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x5C: out += "\\\\"
            case 0x27: out += "\\'"
            case 0..<0x20, 0x7F: out += "\\x" + (ch.value < 0x10 ? "0" : "") + String(ch.value, radix: 16)
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "'"
    }
}
