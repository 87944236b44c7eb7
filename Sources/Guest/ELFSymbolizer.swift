import X86

/// Names guest addresses after the nearest preceding symbol of an ``ELFImage``, as objdump does
/// for branch targets (`call 8049010 <print>`, `jmp 804901b <_start+0x1b>`).
///
/// Only function, object and untyped symbols with a section are used. Among symbols at the same
/// address, global beats weak beats local, then function beats untyped beats object, then the
/// earlier one in the symbol table.
public struct ELFSymbolizer: Symbolizer, Sendable {
    /// (address, name), sorted by address; one entry per address (the preferred symbol).
    public let entries: [(address: UInt32, name: String)]
    /// Allocated sections as [start, end) ranges: a lookup stays inside the target's section.
    let sections: [(start: UInt32, end: UInt64)]

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
        sections = image.sections.filter { $0.isAllocated && $0.size > 0 }
            .map { (start: $0.address, end: UInt64($0.address) + UInt64($0.size)) }
    }

    /// The preferred symbol exactly at `address`, if any.
    public func label(at address: UInt32) -> String? {
        guard let i = index(atOrBefore: address), entries[i].address == address else { return nil }
        return entries[i].name
    }

    public func symbol(for address: UInt32) -> (name: String, offset: UInt32)? {
        guard let i = index(atOrBefore: address) else { return nil }
        let e = entries[i]
        // Stay within the section that holds the address, when one does.
        if let section = sections.first(where: { address >= $0.start && UInt64(address) < $0.end }),
           e.address < section.start {
            return nil
        }
        return (e.name, address - e.address)
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
