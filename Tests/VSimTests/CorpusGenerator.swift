// The instruction corpus: one generated i386 program that executes every user-level form of the
// vsim subset (isa-subset.md) on edge and random operands, one instruction at a time, and logs the
// machine state after each. Run natively it records what the host CPU does; run under vsim it
// records what vsim does; CorpusTests compares the two logs byte for byte.
//
// The program (AT&T syntax, GNU as --32, ld -m elf_i386, static, no libc):
//   for each case:  movl $STACK_TOP, %esp            (every case starts with the same ESP)
//                   [store known values into the 32-byte scratch buffer]   (memory cases)
//                   pushl $FLAGS; popf                 (known CF PF AF ZF SF OF, and DF)
//                   movl $v, %eax ... %edi             (known registers, ESP excepted)
//                   <the instruction under test>       (sometimes with a marker, see Jcc)
//                   pushl $MASK; call dump             (log registers, masked EFLAGS, memory)
//   every 64 cases: write the new log records to stdout (a run that dies still shows the
//                   cases before it); at the end the rest, then exit(0). Each case starts at a
//                   local symbol case_N, so a fault address names its case.
//
// One log record (84 bytes, little-endian dwords), see `CorpusRecord`:
//   EAX ECX EDX EBX ESP EBP ESI EDI   the registers after the instruction (ESP as it was after the
//                                     instruction: the stack is the program's own, so it is static)
//   EFLAGS & MASK                     only the flags the Intel SDM defines after this instruction
//   scratch[0..7]                     the 32-byte scratch buffer that memory forms read and write
//   stack[0..3]                       the 4 dwords at the top of the stack (PUSH, CALL, ENTER ...)
//
// Undefined flags (the MASK, per the Intel SDM Vol. 2 "Flags Affected" of each instruction); the
// mask always keeps every flag the instruction does not touch, since "unaffected" is defined:
//   AND OR XOR TEST                       AF undefined
//   MUL IMUL                              SF ZF AF PF undefined
//   DIV IDIV                              all six status flags undefined
//   DAA DAS                               OF undefined
//   AAA AAS                               OF SF ZF PF undefined
//   AAM AAD                               OF AF CF undefined
//   SHL SHR SAR (masked count c)          c = 0: nothing changes; c = 1: AF undefined;
//                                         c > 1: AF OF undefined; c >= width (8/16-bit): CF too
//   ROL ROR RCL RCR                       c != 1: OF undefined (SF ZF AF PF are unaffected)
//   SHLD SHRD                             c = 1: AF undefined; c > 1: AF OF undefined
//                                         (16-bit counts above 16 leave the result undefined
//                                         in the SDM: generated, compared with the host's)
//   BT BTS BTR BTC                        OF SF AF PF undefined; ZF "unaffected" per Intel but
//                                         undefined per AMD: masked too
//   BSF BSR                               CF OF SF AF PF undefined
//   everything else in the corpus         all flags defined
// Where the SDM says the *result* is undefined the generator does not produce such operands
// (BSWAP of a 16-bit register, DIV/IDIV that would fault).
//
// The generator is deterministic for a seed (SplitMix64); the default seed is fixed so that the
// corpus is the same on every run, and it is printed by the tests.

import Foundation

/// SplitMix64: small, seedable, good enough for operand choice.
struct CorpusRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 16) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func bool() -> Bool { next() & 1 == 1 }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// One instruction (or worked case) of the corpus.
struct CorpusCase {
    /// Record number in the log (0-based).
    var index: Int
    /// The form, e.g. "add r/m32, r32" or "shl r/m8, cl (count 9)".
    var form: String
    /// The assembly text of the instruction under test (one line or a few joined by "; ").
    var text: String
    /// 1-based line number of the instruction under test in the generated source.
    var line: Int
    /// The EFLAGS bits kept in the log for this case.
    var flagsMask: UInt32
}

/// One decoded log record.
struct CorpusRecord: Equatable {
    static let size = 84
    static let registerNames = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
    var registers: [UInt32]     // EAX ECX EDX EBX ESP EBP ESI EDI
    var eflags: UInt32
    var scratch: [UInt32]       // 8 dwords
    var stack: [UInt32]         // 4 dwords

    init(_ bytes: ArraySlice<UInt8>) {
        var words: [UInt32] = []
        var i = bytes.startIndex
        while i + 3 < bytes.endIndex && words.count < 21 {
            words.append(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            i += 4
        }
        while words.count < 21 { words.append(0) }
        registers = Array(words[0..<8])
        eflags = words[8]
        scratch = Array(words[9..<17])
        stack = Array(words[17..<21])
    }

    static func flagString(_ f: UInt32, mask: UInt32) -> String {
        let bits: [(Character, UInt32)] = [("O", 0x800), ("D", 0x400), ("S", 0x80), ("Z", 0x40), ("A", 0x10), ("P", 0x4), ("C", 0x1)]
        return String(bits.map { (c, b) in mask & b == 0 ? "-" : (f & b != 0 ? c : ".") })
    }

    /// Multi-line description, marking with `*` the fields that differ from `other`.
    func describe(mask: UInt32, comparedTo other: CorpusRecord? = nil) -> String {
        func hex(_ v: UInt32) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 8 - s.count) + s }
        func mark(_ a: UInt32, _ b: UInt32?) -> String { b.map { $0 == a ? " " : "*" } ?? " " }
        var s = ""
        for (i, n) in Self.registerNames.enumerated() {
            s += "\(n)=\(hex(registers[i]))\(mark(registers[i], other?.registers[i])) "
        }
        s += "eflags=\(hex(eflags))\(mark(eflags, other?.eflags)) [\(Self.flagString(eflags, mask: mask))]\n"
        s += "    scratch:"
        for (i, w) in scratch.enumerated() { s += " \(hex(w))\(mark(w, other?.scratch[i]))" }
        s += "\n    stack:  "
        for (i, w) in stack.enumerated() { s += " \(hex(w))\(mark(w, other?.stack[i]))" }
        return s
    }
}

/// The generated program and the table of its cases.
struct CorpusProgram {
    var seed: UInt64
    var source: String
    var cases: [CorpusCase]
    /// Number of instructions under test executed (a LOOP-to-itself case counts its iterations).
    var instructionsUnderTest: Int
    /// Distinct forms covered (e.g. "add r/m8, imm8").
    var forms: Set<String>
    var expectedOutputSize: Int { cases.count * CorpusRecord.size }
}

enum CorpusGenerator {
    static let defaultSeed: UInt64 = 0x5653_494D_2024 // "VSIM" 2024
    /// The log is written to stdout every this many cases (and at the end), so that a run that
    /// dies on a fault still shows which cases before it agreed.
    static let flushInterval = 64

    // EFLAGS bits
    static let CF: UInt32 = 0x001, PF: UInt32 = 0x004, AF: UInt32 = 0x010, ZF: UInt32 = 0x040,
        SF: UInt32 = 0x080, DF: UInt32 = 0x400, OF: UInt32 = 0x800
    static let ALL: UInt32 = 0xCD5
    static let status: UInt32 = 0x8D5

    static func generate(seed: UInt64 = defaultSeed) -> CorpusProgram {
        var b = Builder(seed: seed)
        b.generateAll()
        return b.finish()
    }

    struct Builder {
        var rng: CorpusRNG
        let seed: UInt64
        var lines: [String] = []
        var cases: [CorpusCase] = []
        var forms = Set<String>()
        var executed = 0

        init(seed: UInt64) {
            self.seed = seed
            rng = CorpusRNG(seed: seed)
        }

        // MARK: registers and operands

        static let r32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
        static let r16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]
        static let r8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
        static let setRegs = [0, 1, 2, 3, 5, 6, 7]   // every GPR but ESP

        static let edges: [UInt32] = [0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001,
                                      0xFFFE, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001,
                                      0xFFFF_FFFE, 0xFFFF_FFFF]

        /// An operand value: an edge value (in the low 8, 16 or all 32 bits, the rest random or
        /// an extension), or random.
        mutating func value() -> UInt32 {
            switch rng.below(8) {
            case 0, 1, 2: return rng.u32()
            case 3: return rng.pick(Self.edges)
            case 4: return (rng.u32() & 0xFFFF_FF00) | (rng.pick(Self.edges) & 0xFF)
            case 5: return (rng.u32() & 0xFFFF_0000) | (rng.pick(Self.edges) & 0xFFFF)
            case 6: return UInt32(rng.below(32))
            default: return rng.bool() ? (rng.u32() & 0x0000_FFFF) : (rng.u32() | 0xFFFF_0000) & (rng.bool() ? 0xFFFF_FFFF : 0x8000_FFFF)
            }
        }

        func name(_ r: Int, _ w: Int) -> String {
            "%" + (w == 1 ? Self.r8[r] : w == 2 ? Self.r16[r] : Self.r32[r])
        }
        /// A random register number usable at width w (never ESP/SP; 8-bit: all 8).
        mutating func reg(_ w: Int, avoiding: [Int] = []) -> Int {
            while true {
                let r = rng.below(8)
                if w != 1 && r == 4 { continue }
                if avoiding.contains(r) { continue }
                // 8-bit AH..BH alias EAX..EBX: avoid the aliases of the avoided registers too
                if w == 1 && avoiding.contains(where: { ($0 & 3) == (r & 3) }) { continue }
                return r
            }
        }
        func suffix(_ w: Int) -> String { w == 1 ? "b" : w == 2 ? "w" : "l" }
        func imm(_ v: UInt32, _ w: Int) -> String {
            let m: UInt32 = w == 1 ? 0xFF : w == 2 ? 0xFFFF : 0xFFFF_FFFF
            return "$0x" + String(v & m, radix: 16)
        }
        func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
        /// A random flags value: any of CF PF AF ZF SF OF.
        mutating func flags(df: Bool = false) -> UInt32 {
            var f = rng.u32() & CorpusGenerator.status
            if df && rng.bool() { f |= CorpusGenerator.DF }
            return f
        }

        // MARK: emitting one case

        /// Emits one case. `regs` overrides register values (by number); `memory` initializes the
        /// scratch buffer; `body` is the code under test (its first line is "the" instruction).
        mutating func emit(form: String, _ body: [String], mask: UInt32 = CorpusGenerator.ALL,
                           regs: [Int: UInt32] = [:], flags f: UInt32? = nil, memory: Bool = false,
                           setup: [String] = [], count: Int = 1) {
            let index = cases.count
            if index > 0 && index % CorpusGenerator.flushInterval == 0 { lines.append("        call flush_log") }
            lines.append("# \(index): \(form)")
            lines.append("case_\(index):")
            lines.append("        movl $stack_top, %esp")
            if memory {
                for i in 0..<8 { lines.append("        movl $\(hex(value())), scratch+\(i * 4)") }
            }
            lines.append("        pushl $\(hex(f ?? flags()))")
            lines.append("        popf")
            for r in Self.setRegs {
                lines.append("        movl $\(hex(regs[r] ?? value())), %\(Self.r32[r])")
            }
            lines.append(contentsOf: setup.map { "        " + $0 })
            let line = lines.count + 1
            for l in body { lines.append(l.hasSuffix(":") ? l : "        " + l) }
            lines.append("        pushl $\(hex(mask))")
            lines.append("        call dump")
            let text = body.filter { !$0.hasSuffix(":") }.joined(separator: "; ")
            cases.append(CorpusCase(index: index, form: form, text: text, line: line, flagsMask: mask))
            forms.insert(form)
            executed += count
        }

        // MARK: the whole corpus

        mutating func generateAll() {
            workedCases()
            alu()
            incDecNegNot()
            test()
            mulDiv()
            bcd()
            shifts()
            doubleShifts()
            bitOps()
            conditions()
            moves()
            exchanges()
            conversions()
            flagOps()
            strings()
            loops()
            branches()
            stackOps()
            segments()
            misc()
        }

        // MARK: references/emulation.md section 4, worked cases

        mutating func workedCases() {
            // 1. 67 E2 FD with ECX=0x00010001 ends with ECX=0x00010000 (only CX counts)
            for ecx: UInt32 in [0x0001_0001, 0x0001_0003, 0xFFFF_0002] {
                emit(form: "worked 1: loopw to itself (67 e2 fd)", [".byte 0x67, 0xe2, 0xfd"], regs: [1: ecx],
                     count: Int(ecx & 0xFFFF))
            }
            // 2. LOOP decrements first, then tests; JCXZ/JECXZ test only and touch no flags
            for ecx: UInt32 in [1, 0, 2] {
                emit(form: "worked 2: loop", ["loop 1f", "leal 1(%ebp), %ebp", "1:"], regs: [1: ecx, 5: 0])
                emit(form: "worked 2: jecxz", ["jecxz 1f", "leal 1(%ebp), %ebp", "1:"], regs: [1: ecx, 5: 0])
                emit(form: "worked 2: jcxz", ["jcxz 1f", "leal 1(%ebp), %ebp", "1:"], regs: [1: ecx | 0x10000, 5: 0])
            }
            // 3. shr r8, cl with CL=0: every flag unchanged
            for f: UInt32 in [CorpusGenerator.status, 0, CorpusGenerator.OF | CorpusGenerator.CF] {
                emit(form: "worked 3: shr r8, cl=0", ["shrb %cl, %al"], regs: [0: 0x80, 1: 0x100], flags: f)
            }
            // 4. shl eax, cl with EAX=0x3C, CL=2: 0xF0, PF=1 (read through PUSHF by dump)
            emit(form: "worked 4: shl eax, cl", ["shll %cl, %eax"],
                 mask: CorpusGenerator.ALL & ~(CorpusGenerator.AF | CorpusGenerator.OF), regs: [0: 0x3C, 1: 2], flags: 0)
            // 5. imul ebx with EAX=2, EBX=0x7FFFFFFF: EDX:EAX=0:0xFFFFFFFE, CF=OF=1
            emit(form: "worked 5: imul r32", ["imull %ebx"], mask: Self.mulMask, regs: [0: 2, 3: 0x7FFF_FFFF])
            // 6. div bx with DX:AX=0xFFFF:0xFFFF, BX=1 faults: tested by programs/faults.s-like
            //    runs, not here (the corpus must not fault). Its neighbour that just fits:
            emit(form: "worked 6: div r16 (largest quotient)", ["divw %bx"], mask: Self.divMask,
                 regs: [0: 0xFFFF, 2: 0x0000, 3: 1])
            // 7. bsf/bsr with a zero source: ZF=1, destination unchanged
            emit(form: "worked 7: bsf zero", ["bsfl %ebx, %eax"], mask: Self.bsfMask, regs: [0: 0xDEAD_BEEF, 3: 0])
            emit(form: "worked 7: bsr zero", ["bsrl %ebx, %eax"], mask: Self.bsfMask, regs: [0: 0xDEAD_BEEF, 3: 0])
            // 8. adc/sbb with source 0xFFFFFFFF and CF=1
            for op in ["adc", "sbb"] {
                for d: UInt32 in [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF] {
                    emit(form: "worked 8: \(op) all-ones, CF=1", ["\(op)l %ebx, %eax"], regs: [0: d, 3: 0xFFFF_FFFF],
                         flags: CorpusGenerator.CF)
                    emit(form: "worked 8: \(op) all-ones 8-bit, CF=1", ["\(op)b %bl, %al"], regs: [0: d, 3: 0xFF],
                         flags: CorpusGenerator.CF)
                    emit(form: "worked 8: \(op) all-ones 16-bit, CF=1", ["\(op)w %bx, %ax"], regs: [0: d, 3: 0xFFFF],
                         flags: CorpusGenerator.CF | CorpusGenerator.AF)
                }
            }
        }

        static let logicMask = CorpusGenerator.ALL & ~CorpusGenerator.AF
        static let mulMask = CorpusGenerator.ALL & ~(CorpusGenerator.SF | CorpusGenerator.ZF | CorpusGenerator.AF | CorpusGenerator.PF)
        static let divMask = CorpusGenerator.ALL & ~CorpusGenerator.status
        static let bsfMask = CorpusGenerator.ZF | CorpusGenerator.DF
        static let btMask = CorpusGenerator.CF | CorpusGenerator.DF

        // MARK: ALU: ADD OR ADC SBB AND SUB XOR CMP

        mutating func alu() {
            let ops = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]
            for op in ops {
                let mask = ["and", "or", "xor"].contains(op) ? Self.logicMask : CorpusGenerator.ALL
                for w in [1, 2, 4] {
                    let s = suffix(w), bits = w * 8
                    for _ in 0..<34 {
                        // r/m, r (00/01) with a register destination
                        let d = reg(w), r = reg(w, avoiding: rng.bool() ? [] : [d])
                        emit(form: "\(op) r/m\(bits), r\(bits)", ["\(op)\(s) \(name(r, w)), \(name(d, w))"], mask: mask)
                        // r, r/m (02/03) register form
                        let d2 = reg(w), r2 = reg(w)
                        emit(form: "\(op) r\(bits), r/m\(bits) (reg)", ["{load} \(op)\(s) \(name(r2, w)), \(name(d2, w))"], mask: mask)
                        // memory destination and memory source
                        let off = rng.below(8) * 4 + (w == 1 ? rng.below(4) : w == 2 ? 2 * rng.below(2) : 0)
                        emit(form: "\(op) m\(bits), r\(bits)", ["\(op)\(s) \(name(reg(w), w)), scratch+\(off)"], mask: mask, memory: true)
                        emit(form: "\(op) r\(bits), m\(bits)", ["\(op)\(s) scratch+\(off), \(name(reg(w), w))"], mask: mask, memory: true)
                        // accumulator, immediate (04/05)
                        let v = value()
                        if w == 1 || !(Int32(bitPattern: v) >= -128 && Int32(bitPattern: v) <= 127) {
                            emit(form: "\(op) \(w == 1 ? "al" : w == 2 ? "ax" : "eax"), imm\(bits)",
                                 ["\(op)\(s) \(imm(v, w)), \(name(0, w))"], mask: mask)
                        }
                        // 80/81 /n with a non-accumulator register and with memory
                        let dr = reg(w, avoiding: [0])
                        let big = w == 1 ? v : (w == 2 ? (v & 0xFFFF) | 0x100 : v | 0x1000)
                        emit(form: "\(op) r/m\(bits), imm\(bits)", ["\(op)\(s) \(imm(big, w)), \(name(dr, w))"], mask: mask)
                        emit(form: "\(op) m\(bits), imm\(bits)", ["\(op)\(s) \(imm(big, w)), scratch+\(off)"], mask: mask, memory: true)
                        // 83 /n: imm8 sign-extended (edge values around the sign boundary)
                        if w != 1 {
                            let i8 = rng.pick([0, 1, -1, 127, -128, 0x40, -0x41, Int(rng.below(256)) - 128])
                            emit(form: "\(op) r/m\(bits), imm8", ["\(op)\(s) $\(i8), \(name(reg(w), w))"], mask: mask)
                            emit(form: "\(op) m\(bits), imm8", ["\(op)\(s) $\(i8), scratch+\(off)"], mask: mask, memory: true)
                        }
                    }
                }
                // LOCK on a memory destination (accepted; no effect on one CPU)
                if op != "cmp" {
                    for _ in 0..<4 {
                        emit(form: "lock \(op) m32, r32", ["lock \(op)l %ebx, scratch+8"], mask: mask, memory: true)
                    }
                }
            }
            // memory operands through every 32-bit addressing form (base, index*scale, disp8/32, SIB,
            // SIB without base, ESP as base); the setup points the registers at the scratch buffer
            let forms: [(String, [String])] = [
                ("(%ebx)", ["movl $scratch+4, %ebx"]),
                ("4(%esi)", ["movl $scratch, %esi"]),
                ("-4(%edi)", ["movl $scratch+8, %edi"]),
                ("0x10(%ebp)", ["movl $scratch, %ebp"]),
                ("(%ebx,%ecx,1)", ["movl $scratch, %ebx", "movl $3, %ecx"]),
                ("2(%eax,%edx,2)", ["movl $scratch, %eax", "movl $5, %edx"]),
                ("(%esi,%edi,4)", ["movl $scratch, %esi", "movl $4, %edi"]),
                ("-8(%ecx,%edx,8)", ["movl $scratch+8, %ecx", "movl $2, %edx"]),
                ("0x1000(%edx)", ["movl $scratch-0x1000, %edx"]),
                ("scratch(,%eax,4)", ["movl $3, %eax"]),
                ("(%esp)", []), ("8(%esp)", []), ("4(%esp,%ecx,2)", ["movl $2, %ecx"]),
            ]
            for (mem, setup) in forms {
                for op in ["add", "sub", "xor", "mov", "cmp"] {
                    let m = op == "xor" ? Self.logicMask : CorpusGenerator.ALL
                    if mem.contains("%esp") {
                        // the stack is the corpus' own: operate on the top of the stack
                        emit(form: "\(op) m32, r32 [\(mem)]", ["\(op)l %ebx, \(mem)"], mask: m,
                             setup: ["pushl $0x11111111", "pushl $0x22222222", "pushl $0x33333333", "pushl $0x44444444"] + setup)
                    } else {
                        emit(form: "\(op) m32, r32 [\(mem)]", ["\(op)l %ebx, \(mem)"], mask: m, memory: true, setup: setup)
                        emit(form: "\(op) r32, m32 [\(mem)]", ["\(op)l \(mem), %ebx"], mask: m, memory: true, setup: setup)
                    }
                }
            }
        }

        // MARK: INC DEC NEG NOT

        mutating func incDecNegNot() {
            for op in ["inc", "dec", "neg", "not"] {
                for w in [1, 2, 4] {
                    let s = suffix(w), bits = w * 8
                    for _ in 0..<32 {
                        let r = reg(w)
                        let special: [Int: UInt32] = rng.below(3) == 0 ? [w == 1 ? r & 3 : r: rng.pick(Self.edges)] : [:]
                        emit(form: "\(op) r\(bits)", ["\(op)\(s) \(name(r, w))"], regs: special)
                    }
                    for _ in 0..<6 {
                        emit(form: "\(op) m\(bits)", ["\(op)\(s) scratch+\(rng.below(8) * 4)"], memory: true)
                    }
                }
            }
        }

        // MARK: TEST

        mutating func test() {
            for w in [1, 2, 4] {
                let s = suffix(w), bits = w * 8
                for _ in 0..<24 {
                    emit(form: "test r/m\(bits), r\(bits)", ["test\(s) \(name(reg(w), w)), \(name(reg(w), w))"], mask: Self.logicMask)
                    emit(form: "test \(w == 1 ? "al" : w == 2 ? "ax" : "eax"), imm\(bits)", ["test\(s) \(imm(value(), w)), \(name(0, w))"], mask: Self.logicMask)
                    emit(form: "test r/m\(bits), imm\(bits)", ["test\(s) \(imm(value(), w)), \(name(reg(w, avoiding: [0]), w))"], mask: Self.logicMask)
                    emit(form: "test m\(bits), r\(bits)", ["test\(s) \(name(reg(w), w)), scratch+\(rng.below(8) * 4)"], mask: Self.logicMask, memory: true)
                    emit(form: "test m\(bits), imm\(bits)", ["test\(s) \(imm(value(), w)), scratch+\(rng.below(8) * 4)"], mask: Self.logicMask, memory: true)
                }
            }
        }

        // MARK: MUL IMUL DIV IDIV

        mutating func mulDiv() {
            for w in [1, 2, 4] {
                let s = suffix(w), bits = w * 8
                for _ in 0..<40 {
                    emit(form: "mul r/m\(bits)", ["mul\(s) \(name(reg(w), w))"], mask: Self.mulMask)
                    emit(form: "imul r/m\(bits)", ["imul\(s) \(name(reg(w), w))"], mask: Self.mulMask)
                }
                for _ in 0..<6 {
                    emit(form: "mul m\(bits)", ["mul\(s) scratch+\(rng.below(8) * 4)"], mask: Self.mulMask, memory: true)
                    emit(form: "imul m\(bits)", ["imul\(s) scratch+\(rng.below(8) * 4)"], mask: Self.mulMask, memory: true)
                }
                if w != 1 {
                    for _ in 0..<24 {
                        emit(form: "imul r\(bits), r/m\(bits)", ["imul\(s) \(name(reg(w), w)), \(name(reg(w), w))"], mask: Self.mulMask)
                        let i8 = rng.below(256) - 128
                        emit(form: "imul r\(bits), r/m\(bits), imm8", ["imul\(s) $\(i8), \(name(reg(w), w)), \(name(reg(w), w))"], mask: Self.mulMask)
                        let big = w == 2 ? (value() & 0xFFFF) | 0x100 : value() | 0x1000
                        emit(form: "imul r\(bits), r/m\(bits), imm\(bits)", ["imul\(s) \(imm(big, w)), \(name(reg(w), w)), \(name(reg(w), w))"], mask: Self.mulMask)
                    }
                    for _ in 0..<6 {
                        emit(form: "imul r\(bits), m\(bits)", ["imul\(s) scratch+\(rng.below(8) * 4), \(name(reg(w), w))"], mask: Self.mulMask, memory: true)
                        emit(form: "imul r\(bits), m\(bits), imm", ["imul\(s) $\(rng.below(256) - 128), scratch+\(rng.below(8) * 4), \(name(reg(w), w))"], mask: Self.mulMask, memory: true)
                    }
                }
            }
            // DIV / IDIV: operands chosen so that the quotient fits (no #DE here)
            for w in [1, 2, 4] {
                let s = suffix(w), bits = w * 8
                for signed in [false, true] {
                    let op = signed ? "idiv" : "div"
                    for k in 0..<64 {
                        let (lo, hi, divisor) = divOperands(w: w, signed: signed, special: k < 4 ? k : nil)
                        // divisor in EBX/BL (or CL/ECX), dividend in AX or DX:AX or EDX:EAX
                        let dr = rng.bool() ? 3 : 1
                        var regs: [Int: UInt32] = [:]
                        let junk = rng.u32()
                        switch w {
                        case 1:
                            regs[0] = (junk & 0xFFFF_0000) | lo          // AX
                            regs[dr] = (rng.u32() & 0xFFFF_FF00) | divisor
                        case 2:
                            regs[0] = (junk & 0xFFFF_0000) | lo
                            regs[2] = (rng.u32() & 0xFFFF_0000) | hi
                            regs[dr] = (rng.u32() & 0xFFFF_0000) | divisor
                        default:
                            regs[0] = lo; regs[2] = hi; regs[dr] = divisor
                        }
                        if k % 5 == 4 {
                            // memory divisor
                            emit(form: "\(op) m\(bits)", ["\(op)\(s) scratch+12"],
                                 mask: Self.divMask, regs: regs, memory: true,
                                 setup: ["movl $\(hex(divisor)), scratch+12"])
                        } else {
                            emit(form: "\(op) r/m\(bits)", ["\(op)\(s) \(name(dr, w))"], mask: Self.divMask, regs: regs)
                        }
                    }
                }
            }
        }

        /// Dividend (low, high) and divisor for a non-faulting DIV/IDIV of width w. For w=1 the
        /// dividend is AX (`low` only). special 0...3: the most negative quotient, its positive
        /// counterpart, a divisor of -1, the largest unsigned quotient.
        mutating func divOperands(w: Int, signed: Bool, special: Int?) -> (UInt32, UInt32, UInt32) {
            let bits = w * 8
            let mask: UInt64 = (1 << UInt64(bits)) - 1
            let wide: UInt64 = bits == 32 ? ~0 : (1 << UInt64(2 * bits)) - 1
            let half = Int64(1) << Int64(bits - 1)
            while true {
                var divisor: UInt64
                var dividend: UInt64   // 2*bits wide, two's complement
                if let sp = special {
                    if signed {
                        let (n, d): (Int64, Int64)
                        switch sp {
                        case 0: (n, d) = (-2 * half, 2)            // the most negative quotient
                        case 1: (n, d) = (3 * (half - 1) + 2, 3)   // the largest positive one
                        case 2: (n, d) = (-half + 1, -1)           // divisor -1
                        default: (n, d) = (-7, 2)                  // the remainder takes the dividend's sign
                        }
                        dividend = UInt64(bitPattern: n) & wide
                        divisor = UInt64(bitPattern: d) & mask
                    } else {
                        switch sp {
                        case 0: dividend = 2 * mask; divisor = 2                        // the largest quotient
                        case 1: dividend = 5; divisor = 3
                        case 2: dividend = mask * mask + (mask - 1); divisor = mask     // the largest dividend
                        default: dividend = mask; divisor = 1
                        }
                    }
                } else {
                    divisor = UInt64(value()) & mask
                    if rng.below(3) == 0 { divisor = UInt64(rng.below(16) + 1) }
                    if signed && rng.bool() { divisor = (0 &- divisor) & mask }
                    let lowPart = UInt64(value()) & mask
                    var highPart = UInt64(value()) & mask
                    if rng.below(3) == 0 { highPart = rng.bool() ? 0 : mask }
                    dividend = ((highPart << UInt64(bits)) | lowPart) & wide
                }
                if divisor == 0 { continue }
                if signed {
                    let dv = Int64(bitPattern: divisor << UInt64(64 - bits)) >> Int64(64 - bits)
                    let nd = bits == 32 ? Int64(bitPattern: dividend)
                        : Int64(bitPattern: dividend << UInt64(64 - 2 * bits)) >> Int64(64 - 2 * bits)
                    if dv == -1 && nd == Int64.min { continue }
                    let q = nd / dv
                    if q < -half || q > half - 1 { continue }
                } else {
                    if dividend / divisor > mask { continue }
                }
                let lo = UInt32(truncatingIfNeeded: w == 1 ? dividend & 0xFFFF : dividend & mask)
                let hi = UInt32(truncatingIfNeeded: w == 1 ? 0 : dividend >> UInt64(bits))
                return (lo, hi, UInt32(truncatingIfNeeded: divisor))
            }
        }

        // MARK: BCD

        mutating func bcd() {
            let masks: [(String, UInt32)] = [
                ("daa", CorpusGenerator.ALL & ~CorpusGenerator.OF), ("das", CorpusGenerator.ALL & ~CorpusGenerator.OF),
                ("aaa", CorpusGenerator.ALL & ~(CorpusGenerator.OF | CorpusGenerator.SF | CorpusGenerator.ZF | CorpusGenerator.PF)),
                ("aas", CorpusGenerator.ALL & ~(CorpusGenerator.OF | CorpusGenerator.SF | CorpusGenerator.ZF | CorpusGenerator.PF)),
            ]
            for (op, m) in masks {
                for k in 0..<96 {
                    let al = k < 32 ? UInt32(rng.below(256)) : rng.pick([0x00, 0x09, 0x0A, 0x0F, 0x10, 0x19, 0x1A, 0x99, 0x9A, 0x9F, 0xA0, 0xF9, 0xFA, 0xFF] as [UInt32])
                    emit(form: op, [op], mask: m, regs: [0: (rng.u32() & 0xFFFF_FF00) | al])
                }
            }
            let aamMask = CorpusGenerator.ALL & ~(CorpusGenerator.OF | CorpusGenerator.AF | CorpusGenerator.CF)
            for k in 0..<48 {
                let base = k < 24 ? 10 : rng.pick([1, 2, 7, 16, 255, 100])
                emit(form: base == 10 ? "aam" : "aam imm8", [base == 10 ? "aam" : "aam $\(base)"], mask: aamMask)
                emit(form: base == 10 ? "aad" : "aad imm8", [base == 10 ? "aad" : "aad $\(base)"], mask: aamMask)
            }
        }

        // MARK: shifts and rotates

        static func shiftMask(_ op: String, count: Int, width: Int) -> UInt32 {
            let c = count & 31
            if c == 0 { return CorpusGenerator.ALL }
            if ["rol", "ror", "rcl", "rcr"].contains(op) {
                return c == 1 ? CorpusGenerator.ALL : CorpusGenerator.ALL & ~CorpusGenerator.OF
            }
            var m = CorpusGenerator.ALL & ~CorpusGenerator.AF
            if c > 1 { m &= ~CorpusGenerator.OF }
            if c >= width * 8 { m &= ~CorpusGenerator.CF }
            return m
        }

        mutating func shifts() {
            for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "sal"] {
                for w in [1, 2, 4] {
                    let s = suffix(w), bits = w * 8
                    let counts = [0, 1, 2, bits - 1, bits, bits + 1, 31, 32, 33, 63, 255] + (0..<10).map { _ in rng.below(256) }
                    for c in counts {
                        for _ in 0..<5 {
                            let r = reg(w, avoiding: [1])
                            let m = Self.shiftMask(op, count: c, width: w)
                            // by CL (D2/D3)
                            emit(form: "\(op) r/m\(bits), cl", ["\(op)\(s) %cl, \(name(r, w))"], mask: m,
                                 regs: [1: (rng.u32() & 0xFFFF_FF00) | UInt32(c)])
                            // by imm8 (C0/C1); count 1 assembles as D0/D1
                            emit(form: c == 1 ? "\(op) r/m\(bits), 1" : "\(op) r/m\(bits), imm8",
                                 ["\(op)\(s) $\(c), \(name(r, w))"], mask: m)
                        }
                        if [1, bits, 31].contains(c) || c == 2 {
                            emit(form: "\(op) m\(bits), cl", ["\(op)\(s) %cl, scratch+\(rng.below(8) * 4)"],
                                 mask: Self.shiftMask(op, count: c, width: w), regs: [1: UInt32(c)], memory: true)
                            emit(form: c == 1 ? "\(op) m\(bits), 1" : "\(op) m\(bits), imm8", ["\(op)\(s) $\(c), scratch+\(rng.below(8) * 4)"],
                                 mask: Self.shiftMask(op, count: c, width: w), memory: true)
                        }
                    }
                    // by 1 in the short form without a count operand
                    for _ in 0..<4 {
                        emit(form: "\(op) r/m\(bits), 1", ["\(op)\(s) \(name(reg(w), w))"], mask: Self.shiftMask(op, count: 1, width: w))
                    }
                }
            }
        }

        mutating func doubleShifts() {
            for op in ["shld", "shrd"] {
                for w in [2, 4] {
                    let s = suffix(w), bits = w * 8
                    // 16-bit counts 17-31 too: undefined in the SDM, compared with the host's result
                    // and CF (OF is masked beyond 1 anyway)
                    let counts = [0, 1, 2, bits - 1, bits, 31, 32, 33, 255] + (0..<6).map { _ in rng.below(bits) }
                        + (w == 2 ? [17, 20, 24, 30, 47] : [])
                    for c in counts {
                        let c5 = c & 31
                        var m = CorpusGenerator.ALL
                        if c5 != 0 { m &= ~CorpusGenerator.AF }
                        if c5 > 1 { m &= ~CorpusGenerator.OF }
                        for _ in 0..<6 {
                            let d = reg(w, avoiding: [1]), src = reg(w, avoiding: [1, d])
                            emit(form: "\(op) r/m\(bits), r\(bits), cl", ["\(op)\(s) %cl, \(name(src, w)), \(name(d, w))"], mask: m,
                                 regs: [1: (rng.u32() & 0xFFFF_FF00) | UInt32(c)])
                            emit(form: "\(op) r/m\(bits), r\(bits), imm8", ["\(op)\(s) $\(c), \(name(src, w)), \(name(d, w))"], mask: m)
                        }
                        emit(form: "\(op) m\(bits), r\(bits), cl", ["\(op)\(s) %cl, \(name(reg(w, avoiding: [1]), w)), scratch+\(rng.below(7) * 4)"], mask: m,
                             regs: [1: UInt32(c)], memory: true)
                        emit(form: "\(op) m\(bits), r\(bits), imm8", ["\(op)\(s) $\(c), \(name(reg(w), w)), scratch+\(rng.below(7) * 4)"], mask: m, memory: true)
                    }
                }
            }
        }

        // MARK: BT BTS BTR BTC BSF BSR

        mutating func bitOps() {
            for op in ["bt", "bts", "btr", "btc"] {
                for w in [2, 4] {
                    let s = suffix(w), bits = w * 8
                    for _ in 0..<24 {
                        let d = reg(w), r = reg(w, avoiding: [d])
                        emit(form: "\(op) r/m\(bits), r\(bits)", ["\(op)\(s) \(name(r, w)), \(name(d, w))"], mask: Self.btMask)
                        emit(form: "\(op) r/m\(bits), imm8", ["\(op)\(s) $\(rng.below(256)), \(name(d, w))"], mask: Self.btMask)
                        emit(form: "\(op) m\(bits), imm8", ["\(op)\(s) $\(rng.below(256)), scratch+\(rng.below(7) * 4)"], mask: Self.btMask, memory: true)
                        // register bit offset on memory: a bit string around scratch+16 (offsets -128...127)
                        let off = Int32(rng.below(256) - 128)
                        emit(form: "\(op) m\(bits), r\(bits) (bit string)", ["\(op)\(s) \(name(r, w)), scratch+16"], mask: Self.btMask,
                             regs: [r: w == 2 ? (rng.u32() & 0xFFFF_0000) | (UInt32(bitPattern: off) & 0xFFFF) : UInt32(bitPattern: off)],
                             memory: true)
                    }
                }
            }
            for op in ["bsf", "bsr"] {
                for w in [2, 4] {
                    let s = suffix(w), bits = w * 8
                    for k in 0..<24 {
                        let src = reg(w), d = reg(w)
                        var regs: [Int: UInt32] = [:]
                        if k % 4 == 0 { regs[src] = rng.u32() & (w == 2 ? 0xFFFF_0000 : 0) }   // zero source
                        else if k % 4 == 1 { regs[src] = 1 << UInt32(rng.below(bits)) }
                        emit(form: "\(op) r\(bits), r/m\(bits)", ["\(op)\(s) \(name(src, w)), \(name(d, w))"], mask: Self.bsfMask, regs: regs)
                    }
                    for _ in 0..<6 {
                        emit(form: "\(op) r\(bits), m\(bits)", ["\(op)\(s) scratch+\(rng.below(8) * 4), \(name(reg(w), w))"], mask: Self.bsfMask, memory: true)
                    }
                }
            }
            // TZCNT (F3 0F BC): vsim's CPUID has no BMI1, so it runs as BSF. The host has BMI1, so
            // only what both agree on is compared: a non-zero source (same index), flags masked.
            for w in [2, 4] {
                let s = suffix(w), bits = w * 8
                for _ in 0..<12 {
                    let src = reg(w), d = reg(w)
                    let v = (rng.u32() | 1 << UInt32(rng.below(bits))) & (w == 2 ? 0xFFFF : 0xFFFF_FFFF)
                    emit(form: "tzcnt r\(bits), r/m\(bits) (non-zero source)", ["tzcnt\(s) \(name(src, w)), \(name(d, w))"],
                         mask: CorpusGenerator.DF, regs: [src: v])
                }
            }
            // CMPXCHG8B: half the time EDX:EAX equals the quadword (ZF defined, the rest unchanged).
            for k in 0..<24 {
                let off = rng.below(7) * 4
                let lo = value(), hi = value()
                let regs: [Int: UInt32] = k % 2 == 0 ? [0: lo, 2: hi] : (k % 4 == 1 ? [0: lo] : [:])
                emit(form: "cmpxchg8b m64", ["\(rng.bool() ? "lock " : "")cmpxchg8b scratch+\(off)"], regs: regs, memory: true,
                     setup: ["movl $\(hex(lo)), scratch+\(off)", "movl $\(hex(hi)), scratch+\(off + 4)"])
            }
            // The hint-space NOPs compilers emit: ENDBR32 at function entries, multi-byte NOPs.
            for text in ["endbr32", "nopl (%eax)", "nopw 0x10(%ebx,%esi,4)", "nopl scratch", "nop %ecx",
                         ".byte 0x0f, 0x1e, 0xc8", ".byte 0x0f, 0x18, 0x20", ".byte 0x0f, 0x19, 0x00"] {
                emit(form: text.hasPrefix(".byte") ? "nop (hint space: \(text))" : "\(text) (hint nop)", [text])
            }
        }

        // MARK: SETcc CMOVcc (and the condition table through Jcc in branches())

        static let conditions = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]

        mutating func conditions() {
            for cc in Self.conditions {
                for _ in 0..<16 {
                    emit(form: "set\(cc) r/m8", ["set\(cc) \(name(reg(1), 1))"])
                    emit(form: "cmov\(cc) r32, r/m32", ["cmov\(cc)l \(name(reg(4), 4)), \(name(reg(4), 4))"])
                    emit(form: "cmov\(cc) r16, r/m16", ["cmov\(cc)w \(name(reg(2), 2)), \(name(reg(2), 2))"])
                }
                for _ in 0..<3 {
                    emit(form: "set\(cc) m8", ["set\(cc) scratch+\(rng.below(32))"], memory: true)
                    emit(form: "cmov\(cc) r32, m32", ["cmov\(cc)l scratch+\(rng.below(8) * 4), \(name(reg(4), 4))"], memory: true)
                }
            }
        }

        // MARK: MOV MOVZX MOVSX LEA

        mutating func moves() {
            for w in [1, 2, 4] {
                let s = suffix(w), bits = w * 8
                for _ in 0..<16 {
                    emit(form: "mov r/m\(bits), r\(bits)", ["mov\(s) \(name(reg(w), w)), \(name(reg(w), w))"])
                    emit(form: "mov r\(bits), r/m\(bits) (reg)", ["{load} mov\(s) \(name(reg(w), w)), \(name(reg(w), w))"])
                    emit(form: "mov m\(bits), r\(bits)", ["mov\(s) \(name(reg(w, avoiding: [0]), w)), scratch+\(rng.below(8) * 4)"], memory: true)
                    emit(form: "mov r\(bits), m\(bits)", ["mov\(s) scratch+\(rng.below(8) * 4), \(name(reg(w, avoiding: [0]), w))"], memory: true)
                    emit(form: "mov \(name(0, w).dropFirst()), moffs\(bits)", ["mov\(s) scratch+\(rng.below(8) * 4), \(name(0, w))"], memory: true)
                    emit(form: "mov moffs\(bits), \(name(0, w).dropFirst())", ["mov\(s) \(name(0, w)), scratch+\(rng.below(8) * 4)"], memory: true)
                    emit(form: "mov r\(bits), imm\(bits)", ["mov\(s) \(imm(value(), w)), \(name(reg(w), w))"])
                    emit(form: "mov m\(bits), imm\(bits)", ["mov\(s) \(imm(value(), w)), scratch+\(rng.below(8) * 4)"], memory: true)
                }
            }
            let ext: [(String, Int, Int)] = [("movzbl", 1, 4), ("movzbw", 1, 2), ("movzwl", 2, 4), ("movsbl", 1, 4), ("movsbw", 1, 2), ("movswl", 2, 4)]
            for (op, sw, dw) in ext {
                let form = (op.hasPrefix("movz") ? "movzx" : "movsx") + " r\(dw * 8), r/m\(sw * 8)"
                for _ in 0..<20 {
                    let src = reg(sw)
                    let regs: [Int: UInt32] = rng.bool() ? [sw == 1 ? src & 3 : src: (rng.u32() & 0xFFFF_0000) | (rng.pick(Self.edges) & 0xFFFF)] : [:]
                    emit(form: form, ["\(op) \(name(src, sw)), \(name(reg(dw), dw))"], regs: regs)
                }
                for _ in 0..<4 {
                    emit(form: form.replacingOccurrences(of: "r/m", with: "m"), ["\(op) scratch+\(rng.below(16) * 2), \(name(reg(dw), dw))"], memory: true)
                }
            }
            // LEA: every 32-bit addressing form and the 16-bit ones under 0x67 (LEA reads no memory)
            let lea32 = ["(%eax)", "(%ebx)", "0x7f(%ecx)", "-0x80(%edx)", "0x12345678(%esi)", "(%ebp)", "-4(%ebp)", "(%esp)",
                         "0x10(%esp)", "(%eax,%ebx,1)", "(%ecx,%edx,2)", "4(%esi,%edi,4)", "-0x1000(%edi,%eax,8)",
                         "(,%ebx,4)", "0x100(,%ecx,8)", "0xdeadbeef", "(%ebp,%ebp,1)", "(%esp,%esi,2)"]
            for m in lea32 {
                for _ in 0..<6 {
                    emit(form: "lea r32, m [\(m)]", ["leal \(m), \(name(reg(4), 4))"])
                }
                emit(form: "lea r16, m [\(m)]", ["leaw \(m), \(name(reg(2), 2))"])
            }
            // a SIB byte with no index (index=100) and a base other than ESP: objdump's %eiz;
            // GNU as never emits it, so the bytes are given: lea 0x0(%ebx,%eiz,1), %eax
            for _ in 0..<3 {
                emit(form: "lea r32, m [(%ebx,%eiz,1)]", [".byte 0x8d, 0x44, 0x23, 0x00"])
            }
            let lea16 = ["(%bx,%si)", "(%bx,%di)", "(%bp,%si)", "(%bp,%di)", "(%si)", "(%di)", "0x1234", "(%bx)",
                         "0x7f(%bx,%si)", "-0x80(%bp,%di)", "0x1234(%bp)", "-2(%si)", "0x8000(%di)", "4(%bp)"]
            for m in lea16 {
                for _ in 0..<6 {
                    emit(form: "lea r32, m16 [\(m)]", ["addr16 leal \(m), \(name(reg(4), 4))"])
                    emit(form: "lea r16, m16 [\(m)]", ["addr16 leaw \(m), \(name(reg(2), 2))"])
                }
            }
            // MOVZX/MOVSX, MOV through 16-bit addressing cannot run here (addresses below 64 KiB
            // are not mapped in a Linux process), so 16-bit ModRM forms are exercised through LEA.
        }

        // MARK: XCHG XADD CMPXCHG BSWAP

        mutating func exchanges() {
            for w in [1, 2, 4] {
                let s = suffix(w), bits = w * 8
                for _ in 0..<16 {
                    emit(form: "xchg r/m\(bits), r\(bits)", ["xchg\(s) \(name(reg(w), w)), \(name(reg(w), w))"])
                    emit(form: "xchg m\(bits), r\(bits)", ["xchg\(s) \(name(reg(w), w)), scratch+\(rng.below(8) * 4)"], memory: true)
                    emit(form: "xadd r/m\(bits), r\(bits)", ["xadd\(s) \(name(reg(w), w)), \(name(reg(w), w))"])
                    emit(form: "xadd m\(bits), r\(bits)", ["\(rng.bool() ? "lock " : "")xadd\(s) \(name(reg(w), w)), scratch+\(rng.below(8) * 4)"], memory: true)
                    // CMPXCHG: half the time the accumulator equals the destination
                    let d = reg(w, avoiding: [0]), src = reg(w, avoiding: [0])
                    let v = value()
                    let regs: [Int: UInt32] = rng.bool() ? [0: v, d: v] : [:]
                    emit(form: "cmpxchg r/m\(bits), r\(bits)", ["cmpxchg\(s) \(name(src, w)), \(name(d, w))"], regs: regs)
                    let off = rng.below(8) * 4
                    emit(form: "cmpxchg m\(bits), r\(bits)", ["\(rng.bool() ? "lock " : "")cmpxchg\(s) \(name(src, w)), scratch+\(off)"],
                         regs: rng.bool() ? [0: v] : [:], memory: true, setup: ["movl $\(hex(v)), scratch+\(off)"])
                }
                if w != 1 {
                    for r in 1..<8 where r != 4 {
                        emit(form: "xchg \(w == 2 ? "ax" : "eax"), r\(bits) (90+r)", ["xchg\(s) \(name(r, w)), \(name(0, w))"])
                    }
                }
            }
            emit(form: "nop (90)", ["nop"])
            for r in 0..<8 where r != 4 {
                for _ in 0..<3 { emit(form: "bswap r32", ["bswap %\(Self.r32[r])"]) }
            }
        }

        // MARK: CBW CWDE CWD CDQ, LAHF SAHF, CLC STC CMC CLD STD

        mutating func conversions() {
            for (op, form) in [("cbtw", "cbw"), ("cwtl", "cwde"), ("cwtd", "cwd"), ("cltd", "cdq")] {
                for _ in 0..<16 { emit(form: form, [op]) }
            }
        }

        mutating func flagOps() {
            for op in ["lahf", "sahf", "clc", "stc", "cmc", "cld", "std"] {
                for _ in 0..<24 { emit(form: op, [op], flags: flags(df: true)) }
            }
        }

        // MARK: strings

        mutating func strings() {
            // ESI points into scratch[0..15], EDI into scratch[16..31]; DF=1 starts at the top
            for op in ["movs", "stos", "lods", "cmps", "scas"] {
                for w in [1, 2, 4] {
                    let s = suffix(w)
                    let reps: [String] = ["movs", "stos", "lods"].contains(op) ? ["", "rep "] : ["", "repe ", "repne "]
                    for rep in reps {
                        for k in 0..<14 {
                            let df = rng.bool()
                            let n = rep.isEmpty ? 1 : (k == 0 ? 0 : 1 + rng.below(16 / w))
                            let count = UInt32(n)
                            let esi: UInt32 = df ? UInt32(16 - w) : 0
                            let edi: UInt32 = df ? UInt32(32 - w) : 16
                            var regs: [Int: UInt32] = [1: rep.isEmpty ? value() : count]
                            let acc = value()
                            regs[0] = acc
                            // make CMPS/SCAS find equal elements sometimes
                            var setup = ["addl $scratch, %esi", "addl $scratch, %edi"]
                            regs[6] = esi; regs[7] = edi
                            if op == "cmps" || op == "scas", rng.bool() {
                                setup.append("movl $0x41414141, scratch+\(rng.below(4) * 4)")
                                setup.append("movl $0x41414141, scratch+\(16 + rng.below(4) * 4)")
                                if op == "scas" { regs[0] = 0x4141_4141 }
                            }
                            let f = flags() | (df ? CorpusGenerator.DF : 0)
                            emit(form: "\(rep)\(op)\(s)", ["\(rep)\(op)\(s)"], regs: regs, flags: f, memory: true, setup: setup,
                                 count: max(n, 1))
                        }
                    }
                }
            }
            // ECX=0: no iteration, no flag change; under 0x67 the count is CX (ECX=0x10000: none)
            for ins in ["rep movsb", "rep stosl", "repe cmpsb", "repne scasw", "rep lodsl", "repe cmpsl"] {
                for _ in 0..<3 {
                    emit(form: "\(ins) with ECX=0", [ins], regs: [1: 0, 6: 0, 7: 16], flags: flags(df: true), memory: true,
                         setup: ["addl $scratch, %esi", "addl $scratch, %edi"])
                    emit(form: "addr16 \(ins) with CX=0", ["addr16 \(ins)"], regs: [1: UInt32(rng.below(0xFFFF) + 1) << 16],
                         flags: flags(df: true), memory: true)
                }
            }
        }

        // MARK: JCXZ JECXZ LOOP LOOPE LOOPNE, with and without 0x67

        mutating func loops() {
            // A taken branch skips "leal 1(%ebp), %ebp": EBP (starting at 0) says whether it was taken.
            let ecxValues: [UInt32] = [0, 1, 2, 0xFFFF_FFFF, 0x0001_0000, 0x0001_0001, 0xFFFF_0000, 0x8000_0000, 0x0000_FFFF]
            for (op, form) in [("jecxz", "jecxz (e3)"), ("jcxz", "jcxz (67 e3)"), ("loop", "loop (e2)"), ("addr16 loop", "loopw (67 e2)"),
                               ("loope", "loope (e1)"), ("addr16 loope", "loopew (67 e1)"), ("loopne", "loopne (e0)"),
                               ("addr16 loopne", "loopnew (67 e0)")] {
                for ecx in ecxValues {
                    for _ in 0..<3 {
                        emit(form: form, ["\(op) 1f", "leal 1(%ebp), %ebp", "1:"], regs: [1: ecx, 5: 0])
                    }
                }
                for _ in 0..<8 {
                    emit(form: form, ["\(op) 1f", "leal 1(%ebp), %ebp", "1:"], regs: [1: value(), 5: 0])
                }
            }
        }

        // MARK: Jcc JMP CALL RET

        mutating func branches() {
            for cc in Self.conditions {
                for _ in 0..<24 {
                    emit(form: "j\(cc) rel8", ["j\(cc) 1f", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0])
                    emit(form: "j\(cc) rel32", ["{disp32} j\(cc) 1f", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0])
                }
                // backward: a taken branch goes back to a label before it, once
                emit(form: "j\(cc) rel8 (backward)", ["jmp 2f", "1:", "leal 0x100(%ebp), %ebp", "jmp 3f", "2:", "j\(cc) 1b", "3:"], regs: [5: 0])
            }
            emit(form: "jmp rel8", ["jmp 1f", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0])
            emit(form: "jmp rel32", ["{disp32} jmp 1f", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0])
            emit(form: "jmp r/m32 (reg)", ["jmp *%ebx", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0], setup: ["movl $1f, %ebx"])
            emit(form: "jmp r/m32 (mem)", ["jmp *scratch+4", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0], memory: true,
                 setup: ["movl $1f, scratch+4"])
            emit(form: "call rel32", ["call 1f", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0])
            emit(form: "call r/m32 (reg)", ["call *%esi", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0], setup: ["movl $1f, %esi"])
            emit(form: "call r/m32 (mem)", ["call *scratch+8", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0], memory: true,
                 setup: ["movl $1f, scratch+8"])
            emit(form: "ret", ["ret", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0], setup: ["pushl $1f"])
            emit(form: "ret imm16", ["ret $8", "leal 1(%ebp), %ebp", "1:"], regs: [5: 0],
                 setup: ["pushl $0x22222222", "pushl $0x11111111", "pushl $1f"])
        }

        // MARK: PUSH POP PUSHA POPA PUSHF POPF ENTER LEAVE

        mutating func stackOps() {
            for r in 0..<8 {
                emit(form: "push r32 (50+r)", ["pushl %\(Self.r32[r])"])
                emit(form: "push r16 (66 50+r)", ["pushw %\(Self.r16[r])"])
                if r != 4 {
                    emit(form: "pop r32 (58+r)", ["popl %\(Self.r32[r])"], setup: ["pushl $\(hex(value()))"])
                    emit(form: "pop r16 (66 58+r)", ["popw %\(Self.r16[r])"], setup: ["pushl $\(hex(value()))"])
                }
            }
            for _ in 0..<6 {
                emit(form: "push imm8", ["pushl $\(rng.below(256) - 128)"])
                emit(form: "push imm32", ["pushl $\(hex(value() | 0x100))"])
                emit(form: "push r/m32 (mem)", ["pushl scratch+\(rng.below(8) * 4)"], memory: true)
                emit(form: "pop r/m32 (mem)", ["popl scratch+\(rng.below(8) * 4)"], memory: true, setup: ["pushl $\(hex(value()))"])
                emit(form: "push imm16", ["pushw $\(hex(value() & 0xFFFF))"])
            }
            for _ in 0..<4 {
                emit(form: "pusha", ["pusha"])
                emit(form: "popa", ["popa"], setup: (0..<8).map { _ in "pushl $\(hex(value()))" })
                emit(form: "popf", ["popf"], flags: flags(df: true), setup: ["pushl $\(hex(flags(df: true)))"])
            }
            // PUSHF: keep only the status flags and DF in the pushed image (IF, bit 1 are the OS's)
            emit(form: "pushf", ["pushf", "andl $0xcd5, (%esp)"], mask: Self.logicMask)
            for level in [0, 1, 2] {
                for size in [0, 8, 0x20] {
                    emit(form: "enter imm16, imm8", ["enter $\(size), $\(level)"], setup: ["movl $stack_top-0x40, %ebp", "movl $0x5a5a5a5a, stack_top-0x44"])
                }
            }
            for _ in 0..<3 {
                emit(form: "leave", ["leave"], setup: ["movl $stack_top-0x10, %ebp", "movl $\(hex(value())), stack_top-0x10"])
            }
        }

        // MARK: segment registers (user level: reading them, and reloading the values they hold)

        mutating func segments() {
            let sregs = ["es", "cs", "ss", "ds", "fs", "gs"]
            for sr in sregs {
                for _ in 0..<3 {
                    emit(form: "mov r16, sreg", ["movw %\(sr), \(name(reg(2), 2))"])
                    emit(form: "mov r32, sreg", ["movl %\(sr), \(name(reg(4), 4))"])
                }
                emit(form: "mov m16, sreg", ["movw %\(sr), scratch+\(rng.below(8) * 4)"], memory: true)
                // PUSH sreg with a 32-bit operand size writes either a zero-extended dword or just
                // the low word (SDM Vol. 2B, PUSH): the slot is zeroed first so both agree.
                if sr == "cs" || sr == "ss" || sr == "ds" || sr == "es" {
                    emit(form: "push sreg", ["pushl %\(sr)"], setup: ["movl $0, stack_top-4"])
                }
                if sr == "fs" || sr == "gs" {
                    emit(form: "push sreg (0f a0/a8)", ["pushl %\(sr)"], setup: ["movl $0, stack_top-4"])
                }
            }
            // reloading a data segment register with the selector it already holds
            for sr in ["ds", "es", "fs", "gs"] {
                emit(form: "mov sreg, r16", ["movw %bx, %\(sr)"], setup: ["movw %\(sr), %bx"])
                emit(form: "mov sreg, m16", ["movw scratch+4, %\(sr)"], memory: true, setup: ["movw %\(sr), scratch+4"])
            }
            for sr in ["ds", "es"] {
                emit(form: "pop sreg", ["popl %\(sr)"], setup: ["pushl %\(sr)"])
            }
            for sr in ["fs", "gs"] {
                emit(form: "pop sreg (0f a1/a9)", ["popl %\(sr)"], setup: ["pushl %\(sr)"])
            }
        }

        // MARK: other user-level instructions

        mutating func misc() {
            for _ in 0..<16 {
                emit(form: "xlat", ["xlat"], regs: [3: 0], setup: ["movl $xlat_table, %ebx"])
            }
            emit(form: "nop r/m32 (0f 1f /0)", ["nopl (%eax)"])
            emit(form: "nop r/m16 (66 0f 1f /0)", ["nopw 0x10(%eax,%eax,1)"])
            emit(form: "into (OF=0: no trap)", ["into"], flags: flags() & ~CorpusGenerator.OF)
            emit(form: "lock prefix on add m32", ["lock addl $1, scratch"], memory: true)
            emit(form: "segment override ds", ["movl %ds:scratch+4, %eax"], memory: true)
            emit(form: "segment override ss", ["movl %ss:scratch+8, %eax"], memory: true)
            emit(form: "segment override es", ["movl %es:scratch+12, %eax"], memory: true)
        }

        // MARK: the program around the cases

        func finish() -> CorpusProgram {
            let n = cases.count
            var head = """
            # vsim instruction corpus, seed \(seed) (0x\(String(seed, radix: 16))): \(n) cases.
            # Generated by Tests/VSimTests/CorpusGenerator.swift: do not edit; regenerate.
            # Each case (label case_N) sets EFLAGS and the registers, runs one instruction, and logs
            # the state with `dump`; the log (\(n) records of \(CorpusRecord.size) bytes) goes to stdout
            # every \(CorpusGenerator.flushInterval) cases and at the end.

                    .bss
                    .balign 16
            stack:  .space 0x10000
            stack_top:
                    .space 64               # what ENTER/RET imm/POPA may read above stack_top
            scratch: .space 32
            log:    .space \(n * CorpusRecord.size)
            log_end:
                    .data
            logptr: .long log               # where dump writes the next record
            flushed: .long log              # how far flush_log has written
            xlat_table:
                    .byte \((0..<256).map { String(($0 * 37 + 11) & 0xFF) }.joined(separator: ", "))

                    .text
            # dump: called as `pushl $MASK; call dump` right after the instruction under test.
            # Stack on entry: 0 return address, 4 MASK. Logs EAX..EDI, ESP (as it was after the
            # instruction), EFLAGS & MASK, scratch[0..31] and 16 bytes at the instruction's ESP.
            dump:   pushf                   # 0 EFLAGS, 4 ret, 8 MASK
                    pushl %eax              # 0 EAX, 4 EFLAGS, 8 ret, 12 MASK
                    movl logptr, %eax
                    movl %ecx, 4(%eax)
                    movl %edx, 8(%eax)
                    movl %ebx, 12(%eax)
                    movl %ebp, 20(%eax)
                    movl %esi, 24(%eax)
                    movl %edi, 28(%eax)
                    popl 0(%eax)            # EAX
                    popl %ecx               # EFLAGS
                    andl 4(%esp), %ecx
                    movl %ecx, 32(%eax)
                    leal 8(%esp), %ecx      # ESP after the instruction
                    movl %ecx, 16(%eax)
                    movl %eax, %edx
                    movl $scratch, %esi
                    movl $8, %ebx
            1:      movl (%esi), %edi       # scratch
                    movl %edi, 36(%edx)
                    addl $4, %esi
                    addl $4, %edx
                    decl %ebx
                    jnz 1b
                    movl $4, %ebx
            2:      movl (%ecx), %edi       # the top of the stack
                    movl %edi, 36(%edx)
                    addl $4, %ecx
                    addl $4, %edx
                    decl %ebx
                    jnz 2b
                    addl $\(CorpusRecord.size), logptr
                    ret $4

            # flush_log: write the records logged since the last flush to stdout.
            flush_log:
                    movl flushed, %ecx
            1:      movl logptr, %edx
                    subl %ecx, %edx
                    jz 2f
                    movl $4, %eax
                    movl $1, %ebx
                    int $0x80
                    testl %eax, %eax
                    jle 3f
                    addl %eax, %ecx
                    jmp 1b
            2:      movl %ecx, flushed
                    ret
            3:      movl $1, %eax           # write failed: exit(1)
                    movl $1, %ebx
                    int $0x80

                    .globl _start
            _start:

            """
            let tail = """
            # --- write the rest of the log to stdout and exit(0) ---------------------------
                    movl $stack_top, %esp
                    call flush_log
                    movl $1, %eax
                    xorl %ebx, %ebx
                    int $0x80

            """
            let headLines = head.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            let shifted = cases.map { c -> CorpusCase in var c = c; c.line += headLines; return c }
            head += lines.joined(separator: "\n") + "\n"
            head += tail
            return CorpusProgram(seed: seed, source: head, cases: shifted, instructionsUnderTest: executed, forms: forms)
        }
    }
}
