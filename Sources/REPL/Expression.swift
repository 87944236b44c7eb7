import Machine

/// Address and value expressions as gdb students type them: `0x804a000`, `42`, `msg`,
/// `$esp`, `print+3`, `$esp+4`, `*$esp` (the 32-bit word there), `&msg`, parentheses.
struct ExpressionEvaluator {
    let symbols: DebugSymbols
    let cpu: CPUState?
    let readWord: (UInt32) -> UInt32?

    static let registers32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
    /// The 16-bit halves, as gdb's i386 word pseudo-registers: no `$sp` among them, which is
    /// gdb's alias of the stack pointer (`$esp`), as `$pc` is of `$eip` and `$fp` of `$ebp`.
    static let registers16 = ["ax", "cx", "dx", "bx", "", "bp", "si", "di"]
    static let registers8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
    static let segmentNames = ["es", "cs", "ss", "ds", "fs", "gs"]
    /// Every `$name` the evaluator knows, for completion and help.
    static let registerNames = registers32 + ["eip", "pc", "eflags", "fp", "sp"] + registers16.filter { !$0.isEmpty } + registers8 + segmentNames
        + ["cr0", "cr2", "cr3", "cr4", "cpl"]

    func evaluate(_ text: String) -> Result<UInt32, REPLError> {
        var p = Parser(chars: Array(text), pos: 0)
        do {
            let v = try expression(&p)
            p.skipSpaces()
            if p.pos < p.chars.count { throw REPLError.usage("cannot make sense of '\(String(p.chars[p.pos...]))' in '\(text)'") }
            return .success(v)
        } catch let e as REPLError {
            return .failure(e)
        } catch {
            return .failure(.usage("\(error)"))
        }
    }

    struct Parser {
        var chars: [Character]
        var pos: Int
        mutating func skipSpaces() { while pos < chars.count && chars[pos] == " " { pos += 1 } }
        mutating func peek() -> Character? { skipSpaces(); return pos < chars.count ? chars[pos] : nil }
    }

    private func expression(_ p: inout Parser) throws -> UInt32 {
        var v = try term(&p)
        while let c = p.peek(), c == "+" || c == "-" {
            p.pos += 1
            let r = try term(&p)
            v = c == "+" ? v &+ r : v &- r
        }
        return v
    }

    private func term(_ p: inout Parser) throws -> UInt32 {
        guard let c = p.peek() else { throw REPLError.usage("an address or value is missing") }
        if c == "*" {
            p.pos += 1
            let a = try term(&p)
            guard let w = readWord(a) else { throw REPLError.usage("Cannot access memory at address 0x\(String(a, radix: 16))") }
            return w
        }
        if c == "&" { p.pos += 1; return try term(&p) }
        if c == "-" { p.pos += 1; return 0 &- (try term(&p)) }
        if c == "(" {
            p.pos += 1
            let v = try expression(&p)
            guard p.peek() == ")" else { throw REPLError.usage("a ')' is missing") }
            p.pos += 1
            return v
        }
        var word = ""
        while p.pos < p.chars.count, isWordChar(p.chars[p.pos]) { word.append(p.chars[p.pos]); p.pos += 1 }
        if word.isEmpty { throw REPLError.usage("unexpected '\(c)'") }
        if word.hasPrefix("$") { return try register(String(word.dropFirst())) }
        if let first = word.first, first.isNumber { return try number(word) }
        if let a = symbols.byName[word] { return a }
        throw REPLError.usage("No symbol \"\(word)\" in the program (`info symbol` lists them; registers are written $eax, $esp, ...).")
    }

    private func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "$" }

    private func number(_ w: String) throws -> UInt32 {
        let lower = w.lowercased()
        let v: UInt64?
        if lower.hasPrefix("0x") { v = UInt64(lower.dropFirst(2), radix: 16) } else { v = UInt64(lower) }
        guard let n = v, n <= UInt64(UInt32.max) else { throw REPLError.usage("'\(w)' is not a 32-bit number") }
        return UInt32(n)
    }

    private func register(_ name: String) throws -> UInt32 {
        guard let cpu else { throw REPLError.usage("The program is not being run.") }
        let n = name.lowercased()
        if let i = Self.registers32.firstIndex(of: n) { return cpu[reg32: i] }
        if !n.isEmpty, let i = Self.registers16.firstIndex(of: n) { return UInt32(cpu[reg16: i]) }
        if let i = Self.registers8.firstIndex(of: n) { return UInt32(cpu[reg8: i]) }
        if let i = Self.segmentNames.firstIndex(of: n) { return UInt32(cpu.segments[i]) }
        switch n {
        case "eip", "pc": return cpu.eip
        case "fp": return cpu.ebp
        case "sp": return cpu.esp
        case "eflags": return cpu.eflags
        case "cr0": return cpu.cr0
        case "cr2": return cpu.cr2
        case "cr3": return cpu.cr3
        case "cr4": return cpu.cr4
        case "cpl": return UInt32(cpu.cpl)
        default: throw REPLError.usage("no register $\(name) (known: \(Self.registerNames.map { "$" + $0 }.joined(separator: " ")))")
        }
    }
}
