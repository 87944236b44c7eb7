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

/// The four listings of one assembled program.
struct ObjdumpListings {
    var att: [ObjdumpLine]
    var intel: [ObjdumpLine]
    var attPlain: [ObjdumpLine]
    var intelPlain: [ObjdumpLine]
    var symbolizer: TableSymbolizer

    /// Assembles `source` with `as --32`, links it at 0x8049000 with `ld -m elf_i386`, and
    /// disassembles it with objdump in both syntaxes, with symbols and stripped. Nil (with the
    /// reason printed) when binutils are missing.
    static func make(source: String) throws -> ObjdumpListings? {
        guard let asPath = HostTools.find("as"), let ldPath = HostTools.find("ld"),
              let objdump = HostTools.find("objdump"), let nm = HostTools.find("nm"),
              let objcopy = HostTools.find("objcopy")
        else {
            print("SKIPPED objdump comparison: GNU binutils (as, ld, objdump, nm, objcopy) not found in PATH")
            return nil
        }
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
        return ObjdumpListings(
            att: ObjdumpLine.parse(try HostTools.run(objdump, common + [exe])),
            intel: ObjdumpLine.parse(try HostTools.run(objdump, common + ["-M", "intel", exe])),
            attPlain: ObjdumpLine.parse(try HostTools.run(objdump, common + [stripped])),
            intelPlain: ObjdumpLine.parse(try HostTools.run(objdump, common + ["-M", "intel", stripped])),
            symbolizer: TableSymbolizer(nmOutput: try HostTools.run(nm, ["-n", exe])))
    }

    struct Outcome {
        var lines = 0, compared = 0, outside = 0, bad = 0
        var mismatches: [String] = []
        var notes: [String] = []
        /// Encodings objdump prints but a CPU rejects with #UD, by reason.
        var accepted: [String: Int] = [:]
    }

    /// Where objdump prints an instruction that raises #UD on the CPU, and vsim says so: the
    /// reason, or nil when the disagreement is not one of these known kinds.
    static func acceptedDisagreement(_ error: DecodeError, objdumpText text: String) -> String? {
        guard case .invalid(_, _, let reason) = error else { return nil }
        if reason.hasPrefix("LOCK prefix") && text.contains("lock ") {
            return "LOCK on an instruction that is not a locked read-modify-write (#UD, Intel SDM Vol. 2A LOCK)"
        }
        if (reason.contains("no such register") && text.contains("%?")) || (reason.hasPrefix("MOV to CS") && text.hasSuffix(",%cs")) {
            return "MOV to CS or to/from segment register 6/7 (#UD, Intel SDM Vol. 2B MOV)"
        }
        if reason.contains("no such control register") && text.contains("%cr") {
            return "MOV with CR1/CR5/CR6/CR7 (#UD, Intel SDM Vol. 2B MOV—Move to/from Control Registers)"
        }
        if reason.hasPrefix("db e5") && text.hasPrefix("frstpm") {
            return "FRSTPM (DB E5), 287 only (#UD since the 387)"
        }
        if (reason.hasPrefix("0F 24") || reason.hasPrefix("0F 26")) && text.contains("%tr") {
            return "MOV with test registers, 386/486 only (#UD since the Pentium)"
        }
        return nil
    }

    /// Where objdump prints `(bad)` for an x87 register form that CPUs execute as the instruction
    /// it aliases (the reserved encodings D9 D8+i FSTP1, DC D0+i FCOM2, DC D8+i FCOMP3, DD C8+i
    /// FXCH4, DE D0+i FCOMP5, DF C8+i FXCH7, DF D0+i FSTP8, DF D8+i FSTP9: Intel SDM Vol. 2D,
    /// A.4.2 footnotes; AMD64 APM Vol. 5): the reason, else nil.
    static func acceptedAlias(_ insn: Instruction, bytes: [UInt8]) -> String? {
        let aliasing: Set<UInt32> = [0xD9D8, 0xDCD0, 0xDCD8, 0xDDC8, 0xDED0, 0xDFC8, 0xDFD0, 0xDFD8]
        guard insn.opcode > 0xFF, aliasing.contains(insn.opcode & 0xFFF8) else { return nil }
        return "reserved x87 alias encodings, executed by CPUs as FSTP/FCOM/FCOMP/FXCH"
    }

    /// Decodes every instruction objdump found and compares length and text.
    /// `withSymbols`: also compare the listings with symbols (only meaningful when branch
    /// targets stay inside the text section).
    func compare(withSymbols: Bool) -> Outcome {
        var o = Outcome()
        o.lines = att.count
        guard att.count == intel.count, att.count == attPlain.count, att.count == intelPlain.count else {
            o.mismatches.append("listings differ in length: \(att.count) \(intel.count) \(attPlain.count) \(intelPlain.count)")
            return o
        }
        // The section image, rebuilt from the bytes column.
        let start = att.first?.address ?? 0
        var image: [UInt8] = []
        for line in att { image += line.bytes }
        for (i, line) in att.enumerated() {
            let offset = Int(line.address - start)
            let window = Array(image[offset..<min(image.count, offset + Decoder.maximumLength)])
            let hex = hexString(line.bytes)
            switch decodeResult(window, address: line.address) {
            case .success(let insn):
                if line.text.contains("(bad)") {
                    if insn.mnemonic == .fwait && Int(insn.length) < line.bytes.count {
                        // FWAIT before an undefined x87 encoding: objdump rejects both together;
                        // the CPU executes the FWAIT, then raises #UD on what follows.
                        o.accepted["FWAIT joined to what follows by objdump", default: 0] += 1
                        continue
                    }
                    if let why = Self.acceptedAlias(insn, bytes: line.bytes) {
                        o.accepted[why, default: 0] += 1
                        continue
                    }
                    o.mismatches.append("\(hex): objdump (bad), vsim decoded \(ATTPrinter.format(insn, symbols: nil))")
                    continue
                }
                if insn.mnemonic == .fwait && Int(insn.length) < line.bytes.count {
                    // objdump joins FWAIT to the x87 instruction after it (and to prefixes after
                    // it); the CPU executes FWAIT (9B) as an instruction of its own (Intel SDM
                    // Vol. 2B, WAIT/FWAIT; Vol. 2A FSTSW: "FWAIT followed by FNSTSW").
                    o.accepted["FWAIT joined to what follows by objdump", default: 0] += 1
                    continue
                }
                o.compared += 1
                if Int(insn.length) != line.bytes.count {
                    o.mismatches.append("\(hex): length \(insn.length), objdump \(line.bytes.count) (\(line.text))")
                    continue
                }
                var checks: [(String, String, String)] = [
                    ("att, no symbols", ATTPrinter.format(insn, symbols: nil), attPlain[i].text),
                    ("intel, no symbols", IntelPrinter.format(insn, symbols: nil), intelPlain[i].text),
                ]
                if withSymbols {
                    checks += [("att", ATTPrinter.format(insn, symbols: symbolizer), line.text),
                               ("intel", IntelPrinter.format(insn, symbols: symbolizer), intel[i].text)]
                }
                for (what, got, expected) in checks where got != expected {
                    o.mismatches.append("\(hex) [\(what)]: vsim '\(got)', objdump '\(expected)'")
                }
            case .failure(let error):
                if line.text.contains("(bad)") {
                    o.bad += 1
                    o.notes.append("rejected by both: \(hex) (objdump \(line.text)): \(error)")
                    continue
                }
                if case .outsideSubset(_, _, let length, _) = error {
                    o.outside += 1
                    o.notes.append("outside the subset: \(hex) (objdump \(line.text)): \(error)")
                    if let length, length != line.bytes.count {
                        o.mismatches.append("\(hex): outside-subset length \(length), objdump \(line.bytes.count) (\(line.text))")
                    }
                    continue
                }
                if let why = Self.acceptedDisagreement(error, objdumpText: line.text) {
                    o.accepted[why, default: 0] += 1
                    continue
                }
                o.mismatches.append("\(hex): vsim \(error), objdump '\(line.text)'")
            }
        }
        return o
    }
}

@Suite("Decoder and printers against GNU objdump")
struct ObjdumpComparisonTests {
    static let seed: UInt64 = 0x5EED_0F_0B_D0_0001

    @Test("every form of the subset: length and AT&T/Intel text equal objdump's")
    func compareWithObjdump() throws {
        print("objdump comparison seed: 0x\(String(Self.seed, radix: 16))")
        var corpus = ObjdumpCorpus(seed: Self.seed)
        guard let listings = try ObjdumpListings.make(source: corpus.source(randomPerSpec: 24)) else { return }
        let o = listings.compare(withSymbols: true)
        print("objdump comparison: \(o.lines) objdump lines, \(o.compared) instructions compared "
              + "(length + AT&T + Intel, with and without symbols), \(o.outside) outside the subset, "
              + "\(o.bad) rejected by both, \(o.mismatches.count) mismatches")
        for m in o.mismatches.prefix(100) { print("MISMATCH " + m) }
        #expect(o.mismatches.isEmpty, "\(o.mismatches.count) mismatches; first: \(o.mismatches.prefix(10).joined(separator: "\n"))")
        #expect(o.compared > 10_000)
    }

    /// Random bytes (biased towards prefixes and the 0F escape) as one `.byte` stream: wherever
    /// objdump finds an instruction vsim must agree on its length, and on its text when it is in
    /// the subset; where objdump says `(bad)` vsim must reject the bytes too.
    @Test("random byte stream: lengths, texts and rejections agree with objdump")
    func randomStream() throws {
        let seed = Self.seed ^ 0xA5A5
        print("random stream seed: 0x\(String(seed, radix: 16))")
        var rng = SeededGenerator(seed: seed)
        var lines = [".text", ".globl _start", "_start:"]
        let leaders: [UInt8] = [0x66, 0x67, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x0F]
        for _ in 0..<12_000 {
            var bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let r = rng.next()
            if r & 3 == 0 { bytes[0] = leaders[Int(r >> 8) % leaders.count] }
            if r & 12 == 0 { bytes[1] = 0x0F }
            lines.append(".byte " + bytes.map { String(format: "0x%02x", $0) }.joined(separator: ","))
        }
        lines.append(".fill 32,1,0x90")
        guard let listings = try ObjdumpListings.make(source: lines.joined(separator: "\n") + "\n") else { return }
        let o = listings.compare(withSymbols: false)
        print("random stream: \(o.lines) objdump lines, \(o.compared) decoded and compared, "
              + "\(o.outside) outside the subset, \(o.bad) rejected by both, \(o.mismatches.count) mismatches")
        for (why, n) in o.accepted.sorted(by: { $0.key < $1.key }) {
            print("random stream: \(n) × objdump shows an instruction, vsim rejects it as the CPU does: \(why)")
        }
        for m in o.mismatches.prefix(100) { print("MISMATCH " + m) }
        #expect(o.mismatches.isEmpty, "\(o.mismatches.count) mismatches; first: \(o.mismatches.prefix(10).joined(separator: "\n"))")
    }
}
