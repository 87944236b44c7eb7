import Foundation
import Testing
@testable import X86

/// One instruction line of `objdump -d -z --insn-width=15`.
struct ObjdumpLine {
    var address: UInt32
    var bytes: [UInt8]
    var text: String

    /// Parses the instruction lines (`  8049000:\t66 90   \txchg   %ax,%ax`) of a listing.
    static func parse(_ listing: String) -> [ObjdumpLine] {
        var result: [ObjdumpLine] = []
        for line in listing.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].hasSuffix(":"),
                  let address = UInt32(parts[0].dropLast().trimmingCharacters(in: .whitespaces), radix: 16)
            else { continue }
            let bytes = parts[1].split(separator: " ").compactMap { UInt8($0, radix: 16) }
            result.append(ObjdumpLine(address: address, bytes: bytes, text: String(parts[2])))
        }
        return result
    }
}

/// The symbol table of the linked test program, looked up the way objdump names branch targets
/// (the nearest preceding symbol).
struct TableSymbolizer: Symbolizer {
    var symbols: [(address: UInt32, name: String)]

    init(nmOutput: String) {
        symbols = []
        for line in nmOutput.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let a = UInt32(f[0], radix: 16), f[1] == "T" || f[1] == "t" else { continue }
            symbols.append((a, String(f[2])))
        }
        symbols.sort { $0.address < $1.address }
    }

    func symbol(for address: UInt32) -> (name: String, offset: UInt32)? {
        guard let s = symbols.last(where: { $0.address <= address }) ?? symbols.first else { return nil }
        return (s.name, address &- s.address)
    }
}

@Suite("Decoder and printers against GNU objdump")
struct ObjdumpComparisonTests {
    static let seed: UInt64 = 0x5EED_0F_0B_D0_0001

    @Test("every form of the subset: length and AT&T/Intel text equal objdump's")
    func compareWithObjdump() throws {
        guard let asPath = HostTools.find("as"), let ldPath = HostTools.find("ld"),
              let objdump = HostTools.find("objdump"), let nm = HostTools.find("nm"),
              let objcopy = HostTools.find("objcopy")
        else {
            print("SKIPPED objdump comparison: GNU binutils (as, ld, objdump, nm, objcopy) not found in PATH")
            return
        }
        print("objdump comparison seed: 0x\(String(Self.seed, radix: 16))")
        var corpus = ObjdumpCorpus(seed: Self.seed)
        let source = corpus.source(randomPerSpec: 24)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-x86-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("corpus.s").path
        let obj = dir.appendingPathComponent("corpus.o").path
        let exe = dir.appendingPathComponent("corpus").path
        let stripped = dir.appendingPathComponent("corpus-stripped").path
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        _ = try HostTools.run(asPath, ["--32", "-o", obj, src])
        _ = try HostTools.run(ldPath, ["-m", "elf_i386", "-Ttext=0x8049000", "-e", "_start", "-o", exe, obj])
        _ = try HostTools.run(objcopy, ["--strip-all", exe, stripped])

        let common = ["-d", "-z", "--insn-width=15"]
        let att = ObjdumpLine.parse(try HostTools.run(objdump, common + [exe]))
        let intel = ObjdumpLine.parse(try HostTools.run(objdump, common + ["-M", "intel", exe]))
        let attPlain = ObjdumpLine.parse(try HostTools.run(objdump, common + [stripped]))
        let intelPlain = ObjdumpLine.parse(try HostTools.run(objdump, common + ["-M", "intel", stripped]))
        let symbolizer = TableSymbolizer(nmOutput: try HostTools.run(nm, ["-n", exe]))
        #expect(att.count == intel.count && att.count == attPlain.count && att.count == intelPlain.count)
        #expect(!att.isEmpty)

        // The section image, rebuilt from the bytes column.
        let start = att.first?.address ?? 0
        var image: [UInt8] = []
        for line in att { image += line.bytes }

        var compared = 0, outside = 0, bad = 0
        var mismatches: [String] = []
        for (i, line) in att.enumerated() {
            let offset = Int(line.address - start)
            let window = Array(image[offset..<min(image.count, offset + Decoder.maximumLength)])
            let hex = hexString(line.bytes)
            switch decodeResult(window, address: line.address) {
            case .success(let insn):
                if line.text.contains("(bad)") {
                    mismatches.append("\(hex): objdump (bad), vsim decoded \(ATTPrinter.format(insn, symbols: symbolizer))")
                    continue
                }
                compared += 1
                if Int(insn.length) != line.bytes.count {
                    mismatches.append("\(hex): length \(insn.length), objdump \(line.bytes.count) (\(line.text))")
                    continue
                }
                let checks: [(String, String, String)] = [
                    ("att", ATTPrinter.format(insn, symbols: symbolizer), line.text),
                    ("intel", IntelPrinter.format(insn, symbols: symbolizer), intel[i].text),
                    ("att, no symbols", ATTPrinter.format(insn, symbols: nil), attPlain[i].text),
                    ("intel, no symbols", IntelPrinter.format(insn, symbols: nil), intelPlain[i].text),
                ]
                for (what, got, expected) in checks where got != expected {
                    mismatches.append("\(hex) [\(what)]: vsim '\(got)', objdump '\(expected)'")
                }
            case .failure(let error):
                if line.text.contains("(bad)") {
                    bad += 1
                    print("rejected by both: \(hex) (objdump \(line.text)): \(error)")
                    continue
                }
                if case .outsideSubset(_, _, let length, _) = error {
                    outside += 1
                    print("outside the subset: \(hex) (objdump \(line.text)): \(error)")
                    if let length, length != line.bytes.count {
                        mismatches.append("\(hex): outside-subset length \(length), objdump \(line.bytes.count) (\(line.text))")
                    }
                    continue
                }
                mismatches.append("\(hex): vsim \(error), objdump '\(line.text)'")
            }
        }
        print("objdump comparison: \(att.count) objdump lines, \(compared) instructions compared "
              + "(length + AT&T + Intel, with and without symbols), \(outside) outside the subset, "
              + "\(bad) rejected by both, \(mismatches.count) mismatches")
        for m in mismatches.prefix(300) { print("MISMATCH " + m) }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches; first: \(mismatches.prefix(10).joined(separator: "\n"))")
        #expect(compared > 5000)
    }
}
