import Guest
import X86
import Descriptions

/// Assembly syntax of `vsim disasm`.
public enum Syntax: String, CaseIterable, Sendable {
    /// AT&T, as `objdump -d`.
    case att
    /// Intel, as `objdump -d -M intel`.
    case intel
}

/// `vsim disasm`: a listing of the executable sections in `objdump -d`'s layout.
///
/// Same as objdump: the `FILE:     file format elf32-i386` header, `Disassembly of section
/// .text:`, a blank line and `08049000 <_start>:` at each symbol, instruction lines
/// ` 8049000:\tb8 01 00 00 00       \tmov    $0x1,%eax` (7 bytes per line, longer instructions
/// continue on a second line), runs of zero bytes shown as `\t...` (8 or more, or 3 or more at the
/// end of a symbol's range). Differences: an undecodable byte prints `(bad)` and one valid in x86
/// but outside the vsim subset prints `(outside the vsim subset: NAME)` with its known length;
/// when several symbols share an address vsim picks global, then function, then first in the table.
public enum Disassembler {
    /// The listing of `image`; `fileName` is shown in the header as objdump shows its argument.
    public static func listing(_ image: ELFImage, fileName: String, syntax: Syntax) -> String {
        let symbols = ELFSymbolizer(image)
        var out = "\n\(fileName):     file format elf32-i386\n\n"
        for section in image.sections where section.isExecutable && section.isAllocated && !section.bytes.isEmpty {
            out += "\nDisassembly of section \(section.name):\n"
            out += disassemble(section, symbols: symbols, syntax: syntax)
        }
        return out
    }

    static func disassemble(_ section: ELFSection, symbols: ELFSymbolizer, syntax: Syntax) -> String {
        let bytes = section.bytes
        let base = section.address
        // Label addresses inside the section; the first is the section start.
        let labels = symbols.entries.filter { $0.address >= base && UInt64($0.address) < UInt64(base) + UInt64(bytes.count) }
        var boundaries = labels.map { Int($0.address - base) }
        if boundaries.first != 0 { boundaries.insert(0, at: 0) }
        var out = ""
        for (n, startOffset) in boundaries.enumerated() {
            let stop = n + 1 < boundaries.count ? boundaries[n + 1] : bytes.count
            let address = base + UInt32(startOffset)
            // A section start without a symbol of its own is named, as objdump names it, after
            // the section's first symbol (`08049000 <_start-0x1>:`), else after the section.
            let name = symbols.label(at: address)
                ?? labels.first.map { "\($0.name)-0x\(String($0.address - address, radix: 16))" }
                ?? section.name
            out += "\n\(Hex.word(address)) <\(name)>:\n"
            var offset = startOffset
            while offset < stop {
                // objdump's zero skipping (binutils objdump.c, disassemble_bytes).
                var z = offset
                while z < stop && bytes[z] == 0 { z += 1 }
                if (z - offset >= 8) || (z == stop && z - offset >= 3) {
                    out += "\t...\n"
                    offset = z == stop ? z : offset + ((z - offset) & ~3)
                    continue
                }
                let pc = base + UInt32(offset)
                let window = Array(bytes[offset..<min(offset + Decoder.maximumLength, stop)])
                var length: Int
                var text: String
                do {
                    let insn = try Decoder.decode(window, address: pc)
                    length = Int(insn.length)
                    text = syntax == .att ? ATTPrinter.format(insn, symbols: symbols) : IntelPrinter.format(insn, symbols: symbols)
                } catch {
                    switch error {
                    case .outsideSubset(_, _, let len, let name):
                        length = max(1, min(len ?? 1, window.count))
                        text = "(outside the vsim subset" + (name.map { ": " + $0 } ?? "") + ")"
                    default:
                        length = 1
                        text = "(bad)"
                    }
                }
                out += line(pc, Array(window.prefix(length)), text)
                offset += length
            }
        }
        return out
    }

    /// One instruction in objdump's layout: 7 bytes on the first line (padded to 21 columns),
    /// the rest on continuation lines of 7.
    static func line(_ address: UInt32, _ bytes: [UInt8], _ text: String) -> String {
        let perLine = 7
        var out = pad(Hex.plain(address), 8) + ":\t"
        let first = bytes.prefix(perLine).map { Hex.byte($0) + " " }.joined()
        out += first + String(repeating: " ", count: perLine * 3 - first.count) + "\t" + text + "\n"
        var i = perLine
        while i < bytes.count {
            let chunk = bytes[i..<min(i + perLine, bytes.count)]
            out += pad(Hex.plain(address + UInt32(i)), 8) + ":\t" + chunk.map { Hex.byte($0) + " " }.joined() + "\n"
            i += perLine
        }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}
