import Machine
import X86

/// Number formatting shared by the REPL's displays.
enum Hex {
    /// `0x0804900a`.
    static func word(_ v: UInt32) -> String { "0x" + pad(String(v, radix: 16), 8) }
    /// gdb's unpadded `0x804900a`.
    static func short(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
    static func pad(_ s: String, _ n: Int, with c: Character = "0") -> String {
        s.count >= n ? s : String(repeating: c, count: n - s.count) + s
    }
    static func column(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}

/// EFLAGS decoded, and which conditional jumps the flags would take.
enum FlagsDisplay {
    static let names: [(UInt32, String)] = [
        (EFLAGS.cf, "CF"), (EFLAGS.pf, "PF"), (EFLAGS.af, "AF"), (EFLAGS.zf, "ZF"), (EFLAGS.sf, "SF"),
        (EFLAGS.tf, "TF"), (EFLAGS.if, "IF"), (EFLAGS.df, "DF"), (EFLAGS.of, "OF"), (EFLAGS.nt, "NT"),
        (EFLAGS.rf, "RF"), (EFLAGS.vm, "VM"), (EFLAGS.ac, "AC"), (EFLAGS.vif, "VIF"), (EFLAGS.vip, "VIP"), (EFLAGS.id, "ID"),
    ]

    /// gdb's `[ PF ZF IF ]`, with IOPL when it is not 0.
    static func decode(_ f: UInt32) -> String {
        var parts = names.filter { f & $0.0 != 0 }.map(\.1)
        let iopl = (f >> 12) & 3
        if iopl != 0 { parts.append("IOPL=\(iopl)") }
        return "[ " + parts.joined(separator: " ") + (parts.isEmpty ? "]" : " ]")
    }

    /// The 16 Jcc conditions in encoding order (SDM Vol. 2, Jcc) and whether each is taken.
    static func jumps(_ f: UInt32, ecx: UInt32) -> (taken: [String], notTaken: [String]) {
        let cf = f & EFLAGS.cf != 0, zf = f & EFLAGS.zf != 0, sf = f & EFLAGS.sf != 0
        let of = f & EFLAGS.of != 0, pf = f & EFLAGS.pf != 0
        let table: [(String, Bool)] = [
            ("jo", of), ("jno", !of), ("jb", cf), ("jae", !cf), ("je", zf), ("jne", !zf),
            ("jbe", cf || zf), ("ja", !cf && !zf), ("js", sf), ("jns", !sf), ("jp", pf), ("jnp", !pf),
            ("jl", sf != of), ("jge", sf == of), ("jle", zf || sf != of), ("jg", !zf && sf == of),
            ("jecxz", ecx == 0),
        ]
        return (table.filter(\.1).map(\.0), table.filter { !$0.1 }.map(\.0))
    }
}

/// gdb's `x/NFU` format.
struct ExamineFormat: Equatable {
    var count = 1
    /// x d u o t a c s i
    var format: Character = "x"
    /// 1 2 4 8 (b h w g)
    var size = 4

    /// Parses the part after `x/` (e.g. "4xw", "s", "3i"), starting from the last format.
    static func parse(_ text: String, last: ExamineFormat) -> Result<ExamineFormat, REPLError> {
        var f = last
        f.count = 1
        var digits = ""
        var sizeGiven = false
        let countRefusal = REPLError.usage("x/: the count must be a whole number from 1 to 4096 (got \"\(text)\"), e.g. x/4xw $esp")
        for c in text {
            if c.isASCII && c.isNumber { digits.append(c); continue }
            if c == "-" || c == "+" || c == "." { return .failure(countRefusal) }
            switch c {
            case "x", "d", "u", "o", "t", "a", "c", "s", "i": f.format = c
            case "b": f.size = 1; sizeGiven = true
            case "h": f.size = 2; sizeGiven = true
            case "w": f.size = 4; sizeGiven = true
            case "g": f.size = 8; sizeGiven = true
            default: return .failure(.usage("Invalid number \"\(text)\": x/ takes a count, a format (x d u o t a c s i) and a size (b h w g)"))
            }
        }
        if !digits.isEmpty {
            guard let n = Int(digits), n > 0, n <= 4096 else { return .failure(countRefusal) }
            f.count = n
        }
        if f.format == "a" { f.size = 4 }
        if (f.format == "c" || f.format == "s") && !sizeGiven { f.size = 1 }
        return .success(f)
    }

    /// Units per output line, as gdb prints them.
    var perLine: Int {
        switch format {
        case "a": return 2
        case "c": return 8
        default: return size == 8 ? 2 : size == 4 ? 4 : 8
        }
    }

    func render(_ v: UInt64) -> String {
        let bits = size * 8
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let u = v & mask
        switch format {
        case "x": return "0x" + Hex.pad(String(u, radix: 16), size * 2)
        case "d":
            let signBit: UInt64 = 1 << UInt64(bits - 1)
            return u & signBit != 0 ? "-" + String((~u &+ 1) & mask) : String(u)
        case "u": return String(u)
        case "o": return u == 0 ? "0" : "0" + String(u, radix: 8)
        case "t": return Hex.pad(String(u, radix: 2), bits)
        case "c": return "\(Int8(truncatingIfNeeded: u)) '\(ExamineFormat.escape(UInt8(truncatingIfNeeded: u), quote: "'"))'"
        default: return "0x" + String(u, radix: 16)
        }
    }

    /// A byte as gdb shows it inside quotes.
    static func escape(_ b: UInt8, quote: Character) -> String {
        switch b {
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0x00: return "\\000"
        case 0x5C: return "\\\\"
        default:
            if b == quote.asciiValue { return "\\" + String(quote) }
            if b >= 0x20 && b < 0x7F { return String(UnicodeScalar(b)) }
            return "\\" + Hex.pad(String(b, radix: 8), 3)
        }
    }
}
