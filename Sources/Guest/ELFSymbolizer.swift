import X86

/// Names guest addresses after the nearest preceding symbol of an ``ELFImage``, as objdump does
/// for branch targets (`call 8049010 <print>`, `jmp 804901b <_start+0x1b>`).
///
/// The rule is binutils objdump's (`find_symbol_for_address` and `objdump_print_addr_with_sym`
/// in objdump.c, for an executable): the symbol with the highest address at or below the target,
/// whatever section either lies in; a target below every symbol is named after the lowest one
/// (`jmp 1000 <_start-0x8048000>`). Only function, object and untyped symbols with a section are
/// used. Among symbols at the same address the one objdump names is the first in the order of
/// `compare_symbols` (objdump.c): a name like a file's (`x.o`, `x.a`) or holding `gnu_compiled`
/// last, then functions first, then objects, then non-local before local, global before weak,
/// the larger `st_size` first, a name starting with `.` last, and finally by name (`strcmp`):
/// so `call <_IO_printf>` for glibc's `printf`, `__printf` and `_IO_printf`, as objdump prints it.
public struct ELFSymbolizer: Symbolizer, Sendable {
    /// (address, name), sorted by address; one entry per address (the preferred symbol).
    public let entries: [(address: UInt32, name: String)]

    public init(_ image: ELFImage) {
        var best: [UInt32: ELFSymbol] = [:]
        for s in image.symbols where s.sectionIndex != 0 && s.sectionIndex < 0xff00 {
            guard s.kind == .function || s.kind == .notype || s.kind == .object else { continue }
            if let current = best[s.value], !ELFSymbolizer.objdumpPrefers(s, over: current) { continue }
            best[s.value] = s
        }
        entries = best.map { (address: $0.key, name: $0.value.name) }.sorted { $0.address < $1.address }
    }

    /// Whether objdump's `compare_symbols` sorts `a` before `b` (two symbols at one address).
    static func objdumpPrefers(_ a: ELFSymbol, over b: ELFSymbol) -> Bool {
        func fileLike(_ n: String) -> Bool {
            let u = Array(n.utf8)
            return n.contains("gnu_compiled") || n.contains("gcc2_compiled")
                || (u.count > 2 && u[u.count - 2] == UInt8(ascii: ".") && (u.last == UInt8(ascii: "o") || u.last == UInt8(ascii: "a")))
        }
        func key(_ s: ELFSymbol) -> [Int] {
            [fileLike(s.name) ? 1 : 0, s.kind == .function ? 0 : 1, s.kind == .object ? 0 : 1,
             s.binding == .local ? 1 : 0, s.binding == .global ? 0 : 1, -Int(s.size), s.name.hasPrefix(".") ? 1 : 0]
        }
        let ka = key(a), kb = key(b)
        if ka != kb { return ka.lexicographicallyPrecedes(kb) }
        return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
    }

    /// The preferred symbol exactly at `address`, if any.
    public func label(at address: UInt32) -> String? {
        guard let i = index(atOrBefore: address), entries[i].address == address else { return nil }
        return entries[i].name
    }

    /// The nearest symbol at or below `address`, else the lowest symbol; `offset` is
    /// `address - symbol` modulo 2^32 (see ``Symbolizer``). Nil only without symbols.
    public func symbol(for address: UInt32) -> (name: String, offset: UInt32)? {
        guard let e = index(atOrBefore: address).map({ entries[$0] }) ?? entries.first else { return nil }
        return (e.name, address &- e.address)
    }

    func index(atOrBefore address: UInt32) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].address <= address { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }
}
