import X86

/// Names guest addresses after the nearest preceding symbol of an ``ELFImage``, as objdump does
/// for branch targets (`call 8049010 <print>`, `jmp 804901b <_start+0x1b>`).
///
/// The rule is binutils objdump's (`find_symbol_for_address` and `objdump_print_addr_with_sym`
/// in objdump.c, for an executable): the symbol with the highest address at or below the target,
/// whatever section either lies in; a target below every symbol is named after the lowest one
/// (`jmp 1000 <_start-0x8048000>`). Only function, object and untyped symbols with a section are
/// used. Among symbols at the same address, global beats weak beats local, then function beats
/// untyped beats object, then the earlier one in the symbol table.
public struct ELFSymbolizer: Symbolizer, Sendable {
    /// (address, name), sorted by address; one entry per address (the preferred symbol).
    public let entries: [(address: UInt32, name: String)]

    public init(_ image: ELFImage) {
        var best: [UInt32: (rank: Int, order: Int, name: String)] = [:]
        for (order, s) in image.symbols.enumerated() where s.sectionIndex != 0 && s.sectionIndex < 0xff00 {
            guard s.kind == .function || s.kind == .notype || s.kind == .object else { continue }
            let bindRank = s.binding == .global ? 0 : (s.binding == .weak ? 1 : 2)
            let kindRank = s.kind == .function ? 0 : (s.kind == .notype ? 1 : 2)
            let rank = bindRank * 3 + kindRank
            if let current = best[s.value], (current.rank, current.order) <= (rank, order) { continue }
            best[s.value] = (rank, order, s.name)
        }
        entries = best.map { (address: $0.key, name: $0.value.name) }.sorted { $0.address < $1.address }
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
