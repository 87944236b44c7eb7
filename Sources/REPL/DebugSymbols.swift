import Guest
import X86

/// The symbols of the program (and, in the system modes, of the guest kernel): names for
/// addresses, as objdump picks them, and addresses for names (`break print`, `x/s msg`).
struct DebugSymbols: Symbolizer {
    /// (address, name) sorted by address, one preferred name per address.
    let entries: [(address: UInt32, name: String)]
    /// Every function, object or untyped symbol by name (the first one wins), locals included.
    let byName: [String: UInt32]
    /// Sizes from the symbol table, by address (0 when unknown).
    let sizes: [UInt32: UInt32]
    /// The allocated sections (start, end): a symbol names only addresses in its own section.
    let sections: [(start: UInt32, end: UInt32)]

    init(_ images: [ELFImage]) {
        var merged: [UInt32: String] = [:]
        var names: [String: UInt32] = [:]
        var sizes: [UInt32: UInt32] = [:]
        var sections: [(start: UInt32, end: UInt32)] = []
        for image in images {
            for sec in image.sections where sec.isAllocated && sec.size > 0 {
                sections.append((sec.address, sec.address &+ sec.size))
            }
            for e in ELFSymbolizer(image).entries where merged[e.address] == nil { merged[e.address] = e.name }
            for s in image.symbols where s.sectionIndex != 0 && s.sectionIndex < 0xff00 && !s.name.isEmpty {
                guard s.kind == .function || s.kind == .notype || s.kind == .object else { continue }
                if names[s.name] == nil { names[s.name] = s.value }
                if s.size > 0 && sizes[s.value] == nil { sizes[s.value] = s.size }
            }
        }
        entries = merged.map { (address: $0.key, name: $0.value) }.sorted { $0.address < $1.address }
        byName = names
        self.sizes = sizes
        self.sections = sections.sorted { $0.start < $1.start }
    }

    /// Nearest symbol at or below `address` (objdump's rule; used by the AT&T printer).
    func symbol(for address: UInt32) -> (name: String, offset: UInt32)? {
        guard let i = index(atOrBefore: address) ?? (entries.isEmpty ? nil : 0) else { return nil }
        return (entries[i].name, address &- entries[i].address)
    }

    /// The allocated section holding `address`.
    func section(containing address: UInt32) -> (start: UInt32, end: UInt32)? {
        sections.first { address >= $0.start && address < $0.end }
    }

    /// gdb's `<name+offset>` (decimal offset) when a symbol lies at or below `address` in the
    /// same section (a stack address gets no label).
    func gdbLabel(_ address: UInt32) -> String? {
        guard let i = index(atOrBefore: address) else { return nil }
        if entries[i].address != address {
            guard let sec = section(containing: address), entries[i].address >= sec.start else { return nil }
        }
        let off = address &- entries[i].address
        return off == 0 ? "<\(entries[i].name)>" : "<\(entries[i].name)+\(off)>"
    }

    /// The function around `address`: its start and end (the next symbol, or start + size).
    func function(containing address: UInt32) -> (name: String, start: UInt32, end: UInt32)? {
        guard let i = index(atOrBefore: address) else { return nil }
        let start = entries[i].address
        var end = i + 1 < entries.count ? entries[i + 1].address : start &+ 256
        if let size = sizes[start], size > 0 { end = start &+ size }
        if let sec = section(containing: start), sec.end < end { end = sec.end }
        guard address < end else { return nil }
        return (entries[i].name, start, end)
    }

    /// Names for completion, sorted.
    var allNames: [String] { byName.keys.sorted() }

    private func index(atOrBefore address: UInt32) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].address <= address { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }
}
