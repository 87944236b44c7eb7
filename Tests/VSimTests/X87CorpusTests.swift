import Foundation
import XCTest
import VSim

/// The x87 corpus (X87CorpusGenerator.swift) on the host CPU and under vsim's interpreter and
/// translator: the logs (EAX, EFLAGS, the FNSAVE image and the bytes stores wrote) must be equal
/// byte for byte; and its disassembly must be objdump's.
///
/// Environment: VSIM_X87_CORPUS_SEED=N generates with seed N instead of the fixed default;
/// VSIM_X87_CORPUS_DIR=DIR keeps x87corpus.s, the ELF and the logs in DIR.
final class X87CorpusTests: XCTestCase {
    struct Built { var program: X87CorpusProgram; var executable: String }
    nonisolated(unsafe) static var cached: Built?
    static let lock = NSLock()

    static let seed: UInt64 = ProcessInfo.processInfo.environment["VSIM_X87_CORPUS_SEED"].flatMap { UInt64($0) }
        ?? X87CorpusGenerator.defaultSeed

    static func built() throws -> Built {
        lock.lock()
        defer { lock.unlock() }
        if let b = cached { return b }
        try ProgramsHarness.requireTools(["as", "ld"])
        let program = X87CorpusGenerator.generate(seed: seed)
        print("x87 corpus: seed 0x\(String(program.seed, radix: 16)), \(program.cases.count) cases, \(program.forms.count) forms")
        let dir = try ProcessInfo.processInfo.environment["VSIM_X87_CORPUS_DIR"] ?? ProgramsHarness.temporaryDirectory(prefix: "x87corpus")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try program.source.write(toFile: dir + "/x87corpus.s", atomically: true, encoding: .utf8)
        let b = Built(program: program, executable: try ProgramsHarness.build(sourcePath: dir + "/x87corpus.s", into: dir))
        cached = b
        return b
    }

    func testCoversTheInstructions() {
        let p = X87CorpusGenerator.generate()
        for f in ["fld m32fp", "fld m64fp", "fld m80fp", "fild m16int", "fild m64int", "fbld m80bcd", "fldpi",
                  "fst m32fp", "fstp m80fp", "fistp m64int", "fbstp m80bcd", "fadd m32fp", "fsubr st(i), st(0)",
                  "fdivrp st(i), st(0)", "fimul m16int", "fcom st(i)", "fucompp", "fcomi st(0), st(i)",
                  "fucomip st(0), st(i)", "ftst", "fxam", "fcmovnbe", "fsqrt", "frndint", "fprem", "fprem1",
                  "fscale", "fxtract", "fsincos", "fpatan", "fyl2xp1", "fxch st(i)", "ffree st(i)", "fincstp",
                  "fldcw m16", "fnstsw m16", "fnstenv m28", "frstor m108 (after fnsave)", "stack overflow: fld",
                  "stack underflow: fadd"] {
            XCTAssertTrue(p.forms.contains(f), "no x87 corpus case for \(f)")
        }
        XCTAssertEqual(X87CorpusGenerator.generate().source, p.source, "the generator is deterministic")
    }

    func testMatchesHostCPU() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let b = try Self.built()
        let native = try ProgramsHarness.run([b.executable], directExecutable: true)
        XCTAssertEqual(native.status, 0, "the x87 corpus failed natively: \(native.stderr)")
        XCTAssertEqual(native.stdout.count, b.program.expectedOutputSize)
        for mode in [Mode.interpret, .translate] {
            var options = RunOptions()
            options.io = .capture
            options.timeLimit = .seconds(300)
            let r = try VSim.run(program: .path(b.executable), mode: mode, options: options)
            let log = r.output ?? []
            if let dir = ProcessInfo.processInfo.environment["VSIM_X87_CORPUS_DIR"] {
                _ = FileManager.default.createFile(atPath: dir + "/native.log", contents: Data(native.stdout))
                _ = FileManager.default.createFile(atPath: dir + "/vsim-\(mode).log", contents: Data(log))
            }
            XCTAssertEqual(r.exitStatus, 0, "x87 corpus under \(mode): \(r.diagnostic ?? "")")
            if log == native.stdout { print("x87 corpus: \(b.program.cases.count) cases equal to the host CPU under \(mode)"); continue }
            XCTFail(Self.describeDifferences(b.program, native: native.stdout, vsim: log, mode: "\(mode)"))
        }
    }

    static func describeDifferences(_ p: X87CorpusProgram, native: [UInt8], vsim: [UInt8], mode: String) -> String {
        let size = X87CorpusProgram.recordSize
        var differing: [String: Int] = [:]
        var shown: [String] = []
        for c in p.cases {
            let lo = c.index * size, hi = lo + size
            let e = native.count >= hi ? Array(native[lo..<hi]) : []
            let a = vsim.count >= hi ? Array(vsim[lo..<hi]) : []
            if e == a { continue }
            differing[c.form, default: 0] += 1
            if shown.count < 12 {
                shown.append("case \(c.index) \(c.form): `\(c.text)` (line \(c.line))\n  host: \(describe(e))\n  vsim: \(describe(a))")
            }
        }
        var s = "x87 corpus under \(mode): \(differing.values.reduce(0, +)) of \(p.cases.count) cases differ from the host CPU"
        if vsim.count != native.count { s += " (log sizes: vsim \(vsim.count), host \(native.count))" }
        s += "\n" + shown.joined(separator: "\n")
        s += "\ndiffering forms: " + differing.sorted { $0.value > $1.value }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        return s
    }

    /// EAX, EFLAGS, CW SW TW, FIP FCS:FOP FDP FDS, ST(0)-ST(7) as se:significand, mem.
    static func describe(_ r: [UInt8]) -> String {
        guard r.count == X87CorpusProgram.recordSize else { return "(no record)" }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(r[o + $1]) << (8 * UInt32($1)) } }
        func h(_ v: UInt64) -> String { String(v, radix: 16) }
        var s = "eax=\(h(UInt64(u32(0)))) fl=\(h(UInt64(u32(4)))) cw=\(h(UInt64(u32(8)))) sw=\(h(UInt64(u32(12)))) tw=\(h(UInt64(u32(16))))"
        s += " fip=\(h(UInt64(u32(20)))) fop=\(h(UInt64(u32(24)))) fdp=\(h(UInt64(u32(28)))) fds=\(h(UInt64(u32(32))))"
        for k in 0..<8 {
            let o = 36 + 10 * k
            let sig = (0..<8).reduce(UInt64(0)) { $0 | UInt64(r[o + $1]) << (8 * UInt64($1)) }
            let se = UInt16(r[o + 8]) | UInt16(r[o + 9]) << 8
            s += " st\(k)=\(h(UInt64(se))):\(h(sig))"
        }
        s += " mem=" + r[116..<132].map { String(format: "%02x", $0) }.joined()
        return s
    }

    /// An unmasked exception stays pending until the next waiting x87 instruction (here FWAIT),
    /// which raises #MF: SIGFPE (136) natively and under vsim; the no-wait FNSTSW before it runs.
    func testPendingUnmaskedExceptionRaisesMF() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "x87mf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, wait) in [("mf_fwait", "fwait"), ("mf_fadd", "fadd %st(0),%st"), ("mf_none", "fnclex; fwait")] {
            let source = """
                .globl _start
                .data
                cw: .word 0x037b
                one: .long 0x3f800000
                zero: .long 0
                .text
                _start:
                fldcw cw
                flds one
                fdivs zero
                fnstsw %ax
                \(wait)
                movl $1, %eax
                movl $5, %ebx
                int $0x80

                """
            try source.write(toFile: dir + "/\(name).s", atomically: true, encoding: .utf8)
            let exe = try ProgramsHarness.build(sourcePath: dir + "/\(name).s", into: dir)
            let native = try ProgramsHarness.run([exe], directExecutable: true).status
            for mode in [Mode.interpret, .translate] {
                var options = RunOptions()
                options.io = .capture
                let r = try VSim.run(program: .path(exe), mode: mode, options: options)
                XCTAssertEqual(r.exitStatus, native, "\(name) under \(mode): \(r.diagnostic ?? "")")
            }
        }
    }

    func testDisassemblesLikeObjdump() throws {
        try ProgramsHarness.requireTools(["as", "ld", "objdump"])
        let b = try Self.built()
        try CorpusTests(name: "x87 corpus disassembly", testClosure: { _ in }).checkDisassembly(b.executable, name: "x87 corpus")
    }
}
