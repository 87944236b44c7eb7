import Foundation
import XCTest
import Guest
import VSim
import X86

/// The instruction corpus (CorpusGenerator.swift) run on the host CPU and under vsim's
/// interpreter, log compared byte for byte; and the disassembly of every program and of the
/// corpus compared with objdump's, in AT&T and Intel syntax.
///
/// Environment:
///   VSIM_CORPUS_SEED=N   generate with seed N instead of the fixed default
///   VSIM_CORPUS_DIR=DIR  keep corpus.s, the corpus ELF, corpus.cases (the case table) and the
///                        two logs in DIR (e.g. to objdump or to run `vsim run DIR/corpus`)
final class CorpusTests: XCTestCase {
    static let seed: UInt64 = {
        if let s = ProcessInfo.processInfo.environment["VSIM_CORPUS_SEED"],
           let n = UInt64(s) ?? (s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : nil) {
            return n
        }
        return CorpusGenerator.defaultSeed
    }()

    struct Built { var program: CorpusProgram; var directory: String; var executable: String }
    nonisolated(unsafe) static var cached: Built?
    static let lock = NSLock()

    /// Generates and builds the corpus once per test run.
    static func built() throws -> Built {
        lock.lock()
        defer { lock.unlock() }
        if let b = cached { return b }
        try ProgramsHarness.requireTools(["as", "ld"])
        let program = CorpusGenerator.generate(seed: seed)
        print("corpus: seed \(program.seed) (0x\(String(program.seed, radix: 16))), \(program.cases.count) cases, "
              + "\(program.instructionsUnderTest) instructions under test, \(program.forms.count) forms")
        let keep = ProcessInfo.processInfo.environment["VSIM_CORPUS_DIR"]
        let dir = try keep ?? ProgramsHarness.temporaryDirectory(prefix: "corpus")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = dir + "/corpus.s"
        try program.source.write(toFile: src, atomically: true, encoding: .utf8)
        let table = program.cases.map { "\($0.index)\t\($0.line)\t0x\(String($0.flagsMask, radix: 16))\t\($0.form)\t\($0.text)" }
        try (table.joined(separator: "\n") + "\n").write(toFile: dir + "/corpus.cases", atomically: true, encoding: .utf8)
        let exe = try ProgramsHarness.build(sourcePath: src, into: dir)
        let b = Built(program: program, directory: dir, executable: exe)
        cached = b
        return b
    }

    func testCorpusCoversTheSubset() throws {
        let p = CorpusGenerator.generate(seed: Self.seed)
        XCTAssertGreaterThanOrEqual(p.instructionsUnderTest, 20_000)
        // every family of isa-subset.md's user-level list appears
        let families = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "inc", "dec", "neg", "not", "test",
                        "mul", "imul", "div", "idiv", "daa", "das", "aaa", "aas", "aam", "aad",
                        "rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "shld", "shrd", "bt", "bts", "btr", "btc",
                        "bsf", "bsr", "sete", "setne", "seto", "setg", "cmove", "cmovne", "cmovs", "cmovle", "mov", "movzx", "movsx", "lea", "xchg", "xlat", "bswap",
                        "push", "pop", "pusha", "popa", "pushf", "popf", "lahf", "sahf", "cbw", "cwde", "cwd", "cdq",
                        "enter", "leave", "cmpxchg", "xadd", "jmp", "je", "call", "ret", "loop", "loope", "loopne",
                        "jcxz", "jecxz", "movsb", "cmpsw", "scasl", "lodsb", "stosw", "clc", "stc", "cmc", "cld", "std",
                        "nop", "into", "tzcnt", "cmpxchg8b", "endbr32", "worked 1", "worked 2", "worked 3", "worked 4", "worked 5", "worked 6", "worked 7", "worked 8"]
        let prefixes = ["lock ", "rep ", "repe ", "repne ", "addr16 "]
        let mnemonics = Set(p.forms.map { form -> String in
            var f = Substring(form)
            while let pre = prefixes.first(where: { f.hasPrefix($0) }) { f = f.dropFirst(pre.count) }
            return String(f.prefix { $0 != " " && $0 != ":" })
        })
        for f in families where !f.hasPrefix("worked") {
            XCTAssertTrue(mnemonics.contains(f), "no corpus case for \(f)")
        }
        for f in families where f.hasPrefix("worked") {
            XCTAssertTrue(p.forms.contains { $0.hasPrefix(f + ":") }, "no corpus case for \(f) of references/emulation.md section 4")
        }
        // the generator is deterministic
        XCTAssertEqual(CorpusGenerator.generate(seed: Self.seed).source, p.source)
    }

    /// The corpus log from the host CPU and from vsim's interpreter must be identical.
    func testCorpusMatchesHostCPU() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let b = try Self.built()
        let native = try ProgramsHarness.run([b.executable], directExecutable: true)
        XCTAssertEqual(native.status, 0, "the corpus failed natively: \(native.stderr)")
        XCTAssertEqual(native.stdout.count, b.program.expectedOutputSize, "native log size")

        var options = RunOptions()
        options.io = .capture
        options.timeLimit = .seconds(300)
        let start = Date()
        let r = try VSim.run(program: .path(b.executable), mode: .interpret, options: options)
        let seconds = Date().timeIntervalSince(start)
        let log = r.output ?? []
        print("corpus: vsim interpreted \(r.instructions ?? 0) instructions in \(String(format: "%.2f", seconds)) s, exit \(r.exitStatus)")
        if let keep = ProcessInfo.processInfo.environment["VSIM_CORPUS_DIR"] {
            _ = FileManager.default.createFile(atPath: keep + "/native.log", contents: Data(native.stdout))
            _ = FileManager.default.createFile(atPath: keep + "/vsim.log", contents: Data(log))
        }
        XCTAssertEqual(r.exitStatus, 0, "the corpus under vsim: \(r.diagnostic ?? "no diagnostic")")
        if log == native.stdout { return }

        // Describe the first difference and count the rest, by form.
        let size = CorpusRecord.size
        var first: Int?
        var differing: [String: Int] = [:]
        var total = 0
        for c in b.program.cases {
            let lo = c.index * size, hi = lo + size
            let expected = native.stdout.count >= hi ? native.stdout[lo..<hi] : []
            let actual = log.count >= hi ? log[lo..<hi] : []
            if expected != actual {
                total += 1
                differing[c.form, default: 0] += 1
                if first == nil { first = c.index }
            }
        }
        var message = "corpus (seed \(b.program.seed)): \(total) of \(b.program.cases.count) cases differ between the host CPU and vsim"
        if log.count != native.stdout.count {
            message += "; vsim wrote \(log.count) bytes of log, the host \(native.stdout.count)"
            if log.count < native.stdout.count {
                message += " (the log stops after case \(log.count / size - 1): \(r.diagnostic ?? "exit \(r.exitStatus)"))"
            }
        }
        if r.exitStatus != 0, let c = try Self.faultingCase(r.diagnostic, b) {
            message += "\nvsim ended in case \(c.index), \(c.form): `\(c.text)` (corpus.s line \(c.line)); its setup:\n"
                + Self.context(b.program, c)
        }
        if let i = first {
            let c = b.program.cases[i]
            let lo = i * size
            let expected = CorpusRecord(native.stdout[lo..<min(lo + size, native.stdout.count)])
            let actual = CorpusRecord(log.count > lo ? log[lo..<min(lo + size, log.count)] : [])
            let context = Self.context(b.program, c)
            message += """

                first difference: case \(i), \(c.form): `\(c.text)` (corpus.s line \(c.line))
                  host CPU: \(expected.describe(mask: c.flagsMask))
                  vsim:     \(actual.describe(mask: c.flagsMask, comparedTo: expected))
                source:
                \(context)
                """
        }
        let worst = differing.sorted { $0.value > $1.value }.prefix(40)
        message += "\ndiffering forms (cases): " + worst.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        XCTFail(message)
    }

    /// The source lines of case `c`, from its label to its `call dump`.
    static func context(_ p: CorpusProgram, _ c: CorpusCase) -> String {
        let lines = p.source.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines[..<min(c.line, lines.count)].lastIndex(where: { $0 == "case_\(c.index):" }) else { return "" }
        let end = lines[c.line...].firstIndex(where: { $0.contains("call dump") }) ?? min(c.line + 3, lines.count - 1)
        return lines[start...end].joined(separator: "\n")
    }

    /// The case whose code holds the EIP named in a fault diagnostic ("... at 0x0804900a: ...").
    static func faultingCase(_ diagnostic: String?, _ b: Built) throws -> CorpusCase? {
        guard let d = diagnostic, let at = d.range(of: "at 0x") else { return nil }
        let hex = d[at.upperBound...].prefix { $0.isHexDigit }
        guard let eip = UInt32(hex, radix: 16) else { return nil }
        let image = try ELFImage(path: b.executable)
        var best: (address: UInt32, index: Int)?
        for s in image.symbols where s.name.hasPrefix("case_") && s.value <= eip {
            if let i = Int(s.name.dropFirst(5)), best == nil || s.value > best!.address { best = (s.value, i) }
        }
        return best.map { b.program.cases[$0.index] }
    }

    // MARK: disassembly vs objdump

    struct ObjdumpLine { var address: UInt32; var bytes: [UInt8]; var text: String }

    /// Parses `objdump -d -w` output: instruction lines `  8049000:\tb8 01 00 00 00 \tmov    $0x1,%eax`.
    static func parseObjdump(_ listing: String) -> [ObjdumpLine] {
        var result: [ObjdumpLine] = []
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, fields[0].hasSuffix(":"),
                  let address = UInt32(fields[0].dropLast().trimmingCharacters(in: .whitespaces), radix: 16) else { continue }
            let bytes = fields[1].split(separator: " ").compactMap { UInt8($0, radix: 16) }
            let text = fields[2...].joined(separator: "\t").trimmingCharacters(in: .whitespaces)
            result.append(ObjdumpLine(address: address, bytes: bytes, text: text))
        }
        return result
    }

    /// Compares vsim's decoder and printer with objdump for every instruction of `exe`.
    /// Returns (instructions compared, mismatch descriptions).
    func compareDisassembly(_ exe: String, intel: Bool) throws -> (Int, [String]) {
        let out = try ProgramsHarness.run(["objdump", "-d", "-w"] + (intel ? ["-M", "intel"] : []) + [exe])
        XCTAssertEqual(out.status, 0, out.stderr)
        let lines = Self.parseObjdump(String(decoding: out.stdout, as: UTF8.self))
        let image = try ELFImage(path: exe)
        let symbols = ELFSymbolizer(image)
        // The section bytes by address, to give the decoder up to 15 bytes from each start.
        var mismatches: [String] = []
        var compared = 0
        for section in image.sections where section.isExecutable && section.isAllocated && !section.bytes.isEmpty {
            let base = section.address
            let bytes = section.bytes
            for l in lines where l.address >= base && UInt64(l.address) < UInt64(base) + UInt64(bytes.count) {
                if l.text == "..." || l.text.hasPrefix("(bad)") { continue }
                let offset = Int(l.address - base)
                let window = Array(bytes[offset..<min(offset + Decoder.maximumLength, bytes.count)])
                compared += 1
                let hex = l.bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
                do {
                    let insn = try Decoder.decode(window, address: l.address)
                    if insn.mnemonic == .fwait && Int(insn.length) < l.bytes.count {
                        // objdump joins FWAIT to the x87 instruction after it (`fstsw`); the CPU
                        // executes two instructions, and vsim decodes them (X86Tests accept it too).
                        compared -= 1
                        continue
                    }
                    let text = intel ? IntelPrinter.format(insn, symbols: symbols) : ATTPrinter.format(insn, symbols: symbols)
                    if Int(insn.length) != l.bytes.count {
                        mismatches.append("\(String(l.address, radix: 16)): \(hex): objdump length \(l.bytes.count) `\(l.text)`, vsim length \(insn.length) `\(text)`")
                    } else if text != l.text {
                        mismatches.append("\(String(l.address, radix: 16)): \(hex): objdump `\(l.text)`, vsim `\(text)`")
                    }
                } catch {
                    mismatches.append("\(String(l.address, radix: 16)): \(hex): objdump `\(l.text)`, vsim: \(error)")
                }
            }
        }
        return (compared, mismatches)
    }

    func checkDisassembly(_ exe: String, name: String) throws {
        for intel in [false, true] {
            let (n, bad) = try compareDisassembly(exe, intel: intel)
            print("disassembly: \(name), \(intel ? "Intel" : "AT&T"): \(n - bad.count) of \(n) instructions as objdump")
            XCTAssertGreaterThan(n, 0, "\(name): objdump listed no instructions")
            if !bad.isEmpty {
                XCTFail("\(name) (\(intel ? "Intel" : "AT&T") syntax): \(bad.count) of \(n) instructions differ from objdump:\n"
                        + bad.prefix(25).joined(separator: "\n"))
            }
        }
    }

    func testProgramsDisassembleLikeObjdump() throws {
        try ProgramsHarness.requireTools(["as", "ld", "objdump"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "disasm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for src in try ProgramsHarness.programSources() {
            let exe = try ProgramsHarness.build(sourcePath: src, into: dir)
            try checkDisassembly(exe, name: URL(fileURLWithPath: src).lastPathComponent)
        }
    }

    /// System instructions, I/O, far transfers, INT n, CPUID, RDTSC, 16-bit addressing and
    /// prefixes: every form the corpus cannot execute in a user process.
    func testSubsetRemainderDisassemblesLikeObjdump() throws {
        try ProgramsHarness.requireTools(["as", "ld", "objdump"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "remainder")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CorpusSubsetRemainder.inSubset.write(toFile: dir + "/remainder.s", atomically: true, encoding: .utf8)
        let exe = try ProgramsHarness.build(sourcePath: dir + "/remainder.s", into: dir)
        try checkDisassembly(exe, name: "system and other forms")
    }

    /// FXSAVE, SSE, MMX, SYSCALL, SYSENTER, SALC: decoded as far as their length, then "outside the
    /// vsim subset" (never a wrong instruction, never a wrong length).
    func testOutsideSubsetIsRecognised() throws {
        try ProgramsHarness.requireTools(["as", "ld", "objdump"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "outside")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CorpusSubsetRemainder.outsideSubset.write(toFile: dir + "/outside.s", atomically: true, encoding: .utf8)
        let exe = try ProgramsHarness.build(sourcePath: dir + "/outside.s", into: dir)
        let out = try ProgramsHarness.run(["objdump", "-d", "-w", exe])
        let lines = Self.parseObjdump(String(decoding: out.stdout, as: UTF8.self))
        XCTAssertEqual(lines.count, 6)
        for l in lines {
            do {
                let insn = try Decoder.decode(l.bytes + [0x90, 0x90, 0x90], address: l.address)
                XCTFail("\(l.text): decoded as an instruction of the subset (\(ATTPrinter.format(insn, symbols: nil)))")
            } catch {
                if case .outsideSubset(_, _, let length, _) = error {
                    if let n = length { XCTAssertEqual(n, l.bytes.count, "\(l.text): length") }
                } else {
                    XCTFail("\(l.text): \(error), expected outsideSubset")
                }
            }
        }
    }

    func testCorpusDisassemblesLikeObjdump() throws {
        try ProgramsHarness.requireTools(["as", "ld", "objdump"])
        let b = try Self.built()
        try checkDisassembly(b.executable, name: "corpus (seed \(b.program.seed))")
    }
}
