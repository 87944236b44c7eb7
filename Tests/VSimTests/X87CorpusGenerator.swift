// The x87 corpus: one generated i386 program that runs every x87 instruction vsim implements on
// edge operands (±0, denormals and pseudo-denormals, ±infinity, quiet and signaling NaNs, the
// indefinite, unnormals, the largest and smallest finite values, halfway cases, integers at the
// limits of each integer format) under each rounding mode, each precision and with exceptions
// masked and unmasked, and logs the FPU state after each. Run natively it records what the host
// CPU's x87 does; under vsim what vsim does; X87CorpusTests compares the two logs byte for byte.
//
// Each case (label x87case_N):  movl $stack_top, %esp; fninit
//                               fldcw  the case's control word
//                               fldt   the case's stack operands (deepest first)
//                               [memory operands in `mem`, known EFLAGS and EAX]
//                               <the instruction under test>
//                               call dump
// One log record (132 bytes): EAX, EFLAGS & (CF PF AF ZF SF OF), the 108-byte FNSAVE image (control,
// status and tag words, the last instruction and data pointers and opcode, ST(0)-ST(7): FNSAVE
// does not wait, so a pending unmasked exception is recorded rather than delivered), and the 16
// bytes at `mem` (what stores wrote).

import Foundation

struct X87CorpusCase {
    var index: Int
    var form: String
    var text: String
    var line: Int
}

struct X87CorpusProgram {
    static let recordSize = 132
    var seed: UInt64
    var source: String
    var cases: [X87CorpusCase]
    var forms: Set<String>
    var expectedOutputSize: Int { cases.count * Self.recordSize }
}

enum X87CorpusGenerator {
    static let defaultSeed: UInt64 = 0x5653_494D_0087

    static func generate(seed: UInt64 = defaultSeed) -> X87CorpusProgram {
        var b = Builder(seed: seed)
        b.generateAll()
        return b.finish()
    }

    /// An 80-bit value: (sign+exponent, significand).
    struct F80: Hashable { var se: UInt16; var sig: UInt64 }

    struct Builder {
        var rng: CorpusRNG
        let seed: UInt64
        var lines: [String] = []
        var cases: [X87CorpusCase] = []
        var forms = Set<String>()
        var constants: [F80: String] = [:]
        var constantLines: [String] = []

        init(seed: UInt64) { self.seed = seed; rng = CorpusRNG(seed: seed) }

        // MARK: operands

        static let f80Edges: [F80] = [
            F80(se: 0x0000, sig: 0), F80(se: 0x8000, sig: 0),                                  // ±0
            F80(se: 0x3FFF, sig: 1 << 63), F80(se: 0xBFFF, sig: 1 << 63),                      // ±1
            F80(se: 0x4000, sig: 0xA000_0000_0000_0000), F80(se: 0xC000, sig: 0xA000_0000_0000_0000), // ±2.5
            F80(se: 0x3FFE, sig: 1 << 63), F80(se: 0x3FFF, sig: 0xC000_0000_0000_0000),        // 0.5, 1.5
            F80(se: 0x7FFF, sig: 1 << 63), F80(se: 0xFFFF, sig: 1 << 63),                      // ±inf
            F80(se: 0x7FFF, sig: 0xC000_0000_0000_0001), F80(se: 0xFFFF, sig: 0xC000_0000_0000_0000), // QNaN, indefinite
            F80(se: 0x7FFF, sig: 0x8000_0000_0000_0001), F80(se: 0xFFFF, sig: 0x8123_4567_89AB_CDEF), // SNaNs
            F80(se: 0x0000, sig: 1), F80(se: 0x8000, sig: 0x7FFF_FFFF_FFFF_FFFF),              // denormals
            F80(se: 0x0000, sig: 0x8000_0000_0000_0000),                                       // pseudo-denormal
            F80(se: 0x4005, sig: 0x1234_5678_0000_0000),                                       // unnormal
            F80(se: 0x7FFE, sig: 0xFFFF_FFFF_FFFF_FFFF), F80(se: 0x0001, sig: 1 << 63),        // max, min normal
            F80(se: 0x401D, sig: 0x8000_0000_0000_0000), F80(se: 0xC01D, sig: 0x8000_0000_0000_0000), // ±2^30
            F80(se: 0x401E, sig: 0x8000_0000_0000_0000), F80(se: 0xC01E, sig: 0x8000_0000_0000_0000), // ±2^31
            F80(se: 0x403E, sig: 0x8000_0000_0000_0000), F80(se: 0x400E, sig: 0x8000_0000_0000_0000), // 2^63, 2^15
            F80(se: 0x400D, sig: 0xFFFE_0000_0000_0000),                                       // 32767
            F80(se: 0x3FFF, sig: 0x8000_0000_0000_0400), F80(se: 0x3FFF, sig: 0x8000_0000_0000_0080), // 1+ulp(53)/2 ...
            F80(se: 0x3FFF, sig: 0x8000_0100_0000_0000), F80(se: 0x3FFF, sig: 0x8000_0080_0000_0000), // ... halfway for 24
            F80(se: 0x3C00, sig: 0xFFFF_FFFF_FFFF_FFFF), F80(se: 0x3F80, sig: 0x8000_0000_0000_0001), // double/float underflow
            F80(se: 0x43FE, sig: 0xFFFF_FFFF_FFFF_FFFF), F80(se: 0x407E, sig: 0xFFFF_FF80_0000_0000), // double/float overflow
            F80(se: 0x4000, sig: 0xC90F_DAA2_2168_C235), F80(se: 0x403F, sig: 0x8000_0000_0000_0000), // pi, 2^64
            F80(se: 0x4040, sig: 0xC90F_DAA2_2168_C235),                                       // pi * 2^64 (trig out of range)
        ]

        /// An operand: an edge value or a random finite one near 1, big, or tiny.
        mutating func f80() -> F80 {
            switch rng.below(4) {
            case 0, 1: return rng.pick(Self.f80Edges)
            case 2: return F80(se: UInt16(0x3FF0 + rng.below(32)) | (rng.bool() ? 0x8000 : 0), sig: rng.next() | 1 << 63)
            default: return F80(se: UInt16(rng.below(0x7FFF)) | (rng.bool() ? 0x8000 : 0), sig: rng.next() | 1 << 63)
            }
        }

        static let f32Edges: [UInt32] = [0, 0x8000_0000, 0x3F80_0000, 0xBF80_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000,
                                         0x7F80_0001, 0xFFC0_0001, 1, 0x807F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0x4F00_0000]
        static let f64Edges: [UInt64] = [0, 0x8000_0000_0000_0000, 0x3FF0_0000_0000_0000, 0x7FF0_0000_0000_0000,
                                         0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000, 0x7FF0_0000_0000_0001,
                                         0xFFF4_0000_0000_0000, 1, 0x800F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000,
                                         0x7FEF_FFFF_FFFF_FFFF, 0x41E0_0000_0000_0000, 0x3FD5_5555_5555_5555]
        mutating func f32() -> UInt32 { rng.below(2) == 0 ? rng.pick(Self.f32Edges) : rng.u32() }
        mutating func f64() -> UInt64 { rng.below(2) == 0 ? rng.pick(Self.f64Edges) : rng.next() }
        mutating func int(_ bytes: Int) -> UInt64 {
            let edges: [UInt64] = [0, 1, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF, 0x8000, 0x7FFF_FFFF, 0x8000_0000,
                                   0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 12345]
            let v = rng.below(2) == 0 ? rng.pick(edges) : rng.next() >> UInt64(rng.below(60))
            return bytes == 8 ? v : v & ((1 << UInt64(8 * bytes)) - 1)
        }
        /// A packed BCD value (18 digits and a sign byte), sometimes with invalid digits.
        mutating func bcd() -> [UInt8] {
            var b = (0..<9).map { _ in UInt8(rng.below(10) << 4 | rng.below(10)) }
            if rng.below(8) == 0 { b[rng.below(9)] = 0xAB }
            return b + [rng.bool() ? 0x80 : 0]
        }

        /// A control word: exceptions mostly masked, all rounding modes and precisions.
        mutating func controlWord() -> UInt16 {
            let rc = UInt16(rng.below(4)) << 10
            let pc = UInt16([0, 2, 3, 3][rng.below(4)]) << 8
            var masks: UInt16 = 0x3F
            if rng.below(5) == 0 { masks = UInt16(rng.below(64)) }
            return 0x0040 | rc | pc | masks
        }

        func label(_ v: F80) -> String { constants[v]! }
        mutating func constant(_ v: F80) -> String {
            if let l = constants[v] { return l }
            let l = "f80_\(constants.count)"
            constants[v] = l
            constantLines.append("\(l): .quad 0x\(String(v.sig, radix: 16)); .word 0x\(String(v.se, radix: 16)); .word 0; .long 0")
            return l
        }

        // MARK: emitting one case

        /// `stack`: values pushed before the instruction, deepest first (ST(0) is the last);
        /// `memory`: bytes placed at `mem`.
        mutating func emit(form: String, _ body: [String], stack: [F80] = [], memory: [UInt8] = [],
                           cw: UInt16? = nil, setup: [String] = []) {
            let index = cases.count
            if index > 0 && index % 64 == 0 { lines.append("        call flush_log") }
            lines.append("# \(index): \(form)")
            lines.append("x87case_\(index):")
            lines.append("        movl $stack_top, %esp")
            lines.append("        fninit")
            let c = cw ?? controlWord()
            lines.append("        movw $0x\(String(c, radix: 16)), cw")
            lines.append("        fldcw cw")
            for v in stack { lines.append("        fldt \(constant(v))") }
            var bytes = memory
            while bytes.count < 16 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            for k in stride(from: 0, to: 16, by: 4) {
                let w = UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
                lines.append("        movl $0x\(String(w, radix: 16)), mem+\(k)")
            }
            lines.append("        pushl $0x\(String(rng.u32() & 0x8D5, radix: 16))")
            lines.append("        popf")
            lines.append("        movl $0x\(String(rng.u32(), radix: 16)), %eax")
            lines.append(contentsOf: setup.map { "        " + $0 })
            let line = lines.count + 1
            for l in body { lines.append("        " + l) }
            lines.append("        call dump")
            cases.append(X87CorpusCase(index: index, form: form, text: body.joined(separator: "; "), line: line))
            forms.insert(form)
        }

        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        func le80(_ v: F80) -> [UInt8] { le(v.sig, 8) + le(UInt64(v.se), 2) }

        // MARK: the whole corpus

        mutating func generateAll() {
            loads()
            stores()
            arithmetic()
            comparisons()
            others()
            control()
            stackFaults()
        }

        mutating func loads() {
            for _ in 0..<40 {
                emit(form: "fld m32fp", ["flds mem"], memory: le(UInt64(f32()), 4))
                emit(form: "fld m64fp", ["fldl mem"], memory: le(f64(), 8))
                emit(form: "fld m80fp", ["fldt mem"], memory: le80(f80()))
                emit(form: "fld st(i)", ["fld %st(\(rng.below(3)))"], stack: [f80(), f80(), f80()])
                emit(form: "fild m16int", ["filds mem"], memory: le(int(2), 2))
                emit(form: "fild m32int", ["fildl mem"], memory: le(int(4), 4))
                emit(form: "fild m64int", ["fildll mem"], memory: le(int(8), 8))
            }
            for _ in 0..<20 { emit(form: "fbld m80bcd", ["fbld mem"], memory: bcd()) }
            for c in ["fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz"] {
                for rc: UInt16 in 0..<4 { emit(form: c, [c], cw: 0x037F | rc << 10) }
                emit(form: c, [c], stack: [f80()], cw: 0x007F)
            }
        }

        mutating func stores() {
            for _ in 0..<40 {
                for (op, form) in [("fsts", "fst m32fp"), ("fstps", "fstp m32fp"), ("fstl", "fst m64fp"),
                                   ("fstpl", "fstp m64fp"), ("fstpt", "fstp m80fp"), ("fists", "fist m16int"),
                                   ("fistl", "fist m32int"), ("fistps", "fistp m16int"), ("fistpl", "fistp m32int"),
                                   ("fistpll", "fistp m64int")] {
                    emit(form: form, ["\(op) mem"], stack: [f80(), f80()])
                }
                emit(form: "fst st(i)", ["fst %st(\(rng.below(4)))"], stack: [f80(), f80()])
                emit(form: "fstp st(i)", ["fstp %st(\(rng.below(4)))"], stack: [f80(), f80(), f80()])
            }
            for _ in 0..<16 {
                let v = F80(se: UInt16(0x3FFF + rng.below(60)) | (rng.bool() ? 0x8000 : 0), sig: rng.next() | 1 << 63)
                emit(form: "fbstp m80bcd", ["fbstp mem"], stack: [rng.bool() ? v : f80()])
            }
        }

        mutating func arithmetic() {
            for op in ["fadd", "fmul", "fsub", "fsubr", "fdiv", "fdivr"] {
                for _ in 0..<24 {
                    let i = 1 + rng.below(2)
                    emit(form: "\(op) m32fp", ["\(op)s mem"], stack: [f80()], memory: le(UInt64(f32()), 4))
                    emit(form: "\(op) m64fp", ["\(op)l mem"], stack: [f80()], memory: le(f64(), 8))
                    emit(form: "\(op) st(0), st(i)", ["\(op) %st(\(i)),%st"], stack: [f80(), f80(), f80()])
                    emit(form: "\(op) st(i), st(0)", ["\(op) %st,%st(\(i))"], stack: [f80(), f80(), f80()])
                    emit(form: "\(op)p st(i), st(0)", ["\(op)p %st,%st(\(i))"], stack: [f80(), f80(), f80()])
                    emit(form: "fi\(op.dropFirst()) m16int", ["fi\(op.dropFirst())s mem"], stack: [f80()], memory: le(int(2), 2))
                    emit(form: "fi\(op.dropFirst()) m32int", ["fi\(op.dropFirst())l mem"], stack: [f80()], memory: le(int(4), 4))
                }
            }
            for op in ["fsqrt", "frndint", "fchs", "fabs", "fxtract", "f2xm1", "fsin", "fcos", "fptan", "fsincos"] {
                for _ in 0..<24 { emit(form: op, [op], stack: [f80(), f80()]) }
            }
            for op in ["fprem", "fprem1", "fscale", "fpatan", "fyl2x", "fyl2xp1"] {
                for _ in 0..<24 { emit(form: op, [op], stack: [f80(), f80()]) }
            }
            // f2xm1 and fyl2xp1 in their domains (|x| < 1, |x| < 1 - sqrt(2)/2), fscale by small integers
            for _ in 0..<16 {
                let small = F80(se: UInt16(0x3FF0 + rng.below(15)) | (rng.bool() ? 0x8000 : 0), sig: rng.next() | 1 << 63)
                emit(form: "f2xm1", ["f2xm1"], stack: [small])
                emit(form: "fyl2xp1", ["fyl2xp1"], stack: [f80(), small])
                emit(form: "fscale", ["fscale"], stack: [F80(se: 0x4002 | (rng.bool() ? 0x8000 : 0), sig: 0x8000_0000_0000_0000 | rng.next() >> 3), f80()])
            }
        }

        mutating func comparisons() {
            for _ in 0..<24 {
                let i = 1 + rng.below(2)
                for op in ["fcom", "fcomp", "fucom", "fucomp"] {
                    emit(form: "\(op) st(i)", ["\(op) %st(\(i))"], stack: [f80(), f80(), f80()])
                }
                emit(form: "fcom m32fp", ["fcoms mem"], stack: [f80()], memory: le(UInt64(f32()), 4))
                emit(form: "fcomp m64fp", ["fcompl mem"], stack: [f80()], memory: le(f64(), 8))
                emit(form: "ficom m16int", ["ficoms mem"], stack: [f80()], memory: le(int(2), 2))
                emit(form: "ficomp m32int", ["ficompl mem"], stack: [f80()], memory: le(int(4), 4))
                emit(form: "fcompp", ["fcompp"], stack: [f80(), f80()])
                emit(form: "fucompp", ["fucompp"], stack: [f80(), f80()])
                for op in ["fcomi", "fcomip", "fucomi", "fucomip"] {
                    emit(form: "\(op) st(0), st(i)", ["\(op) %st(\(i)),%st"], stack: [f80(), f80(), f80()])
                }
                emit(form: "ftst", ["ftst"], stack: [f80()])
                emit(form: "fxam", ["fxam"], stack: [f80()])
                emit(form: "fnstsw ax after fcom", ["fcom %st(1)", "fnstsw %ax"], stack: [f80(), f80()])
            }
            emit(form: "fxam", ["fxam"])   // empty
            for c in ["b", "e", "be", "u", "nb", "ne", "nbe", "nu"] {
                for _ in 0..<4 { emit(form: "fcmov\(c)", ["fcmov\(c) %st(1),%st"], stack: [f80(), f80()]) }
            }
        }

        mutating func others() {
            for _ in 0..<8 {
                let i = rng.below(4)
                emit(form: "fxch st(i)", ["fxch %st(\(i))"], stack: [f80(), f80(), f80()])
                emit(form: "ffree st(i)", ["ffree %st(\(i))"], stack: [f80(), f80()])
                emit(form: "ffreep st(i)", ["ffreep %st(\(i))"], stack: [f80(), f80()])
                emit(form: "fincstp", ["fincstp"], stack: [f80(), f80()])
                emit(form: "fdecstp", ["fdecstp"], stack: [f80(), f80()])
                emit(form: "fnop", ["fnop"], stack: [f80()])
            }
        }

        mutating func control() {
            for _ in 0..<16 {
                let w = UInt16(truncatingIfNeeded: rng.next())
                emit(form: "fldcw m16", ["fldcw mem"], stack: [f80()], memory: le(UInt64(w & 0xFFC0 | 0x3F), 2))
                emit(form: "fnstcw m16", ["fnstcw mem"])
                emit(form: "fnstsw m16", ["fdivs mem", "fnstsw mem+4"], stack: [f80()], memory: le(UInt64(f32()), 4))
                emit(form: "fnclex", ["fsqrt", "fnclex"], stack: [f80()])
                emit(form: "fninit", ["fninit"], stack: [f80()])
                emit(form: "fnstenv m28", ["fadds mem+12", "fnstenv mem"], stack: [f80(), f80()], memory: [0] + le(UInt64(f32()), 15))
                emit(form: "fldenv m28 (after fnstenv)", ["fnstenv envbuf", "fldz", "fldenv envbuf"], stack: [f80(), f80()])
                emit(form: "frstor m108 (after fnsave)", ["faddl mem", "fnsave envbuf", "fld1", "frstor envbuf"],
                     stack: [f80(), f80(), f80()], memory: le(f64(), 8))
                // FLDCW unmasking a raised exception: ES set, reported by the FNSAVE in dump
                emit(form: "fldcw unmasking a pending exception", ["fdivs mem", "fldcw mem+4"], stack: [f80()],
                     memory: le(UInt64(f32()), 4) + le(UInt64(0x0340 | UInt16(rng.below(64))), 2), cw: 0x037F)
            }
        }

        mutating func stackFaults() {
            let full = (0..<8).map { _ in f80() }
            for masked in [true, false] {
                let cw: UInt16 = masked ? 0x037F : 0x037E
                emit(form: "stack overflow: fld", ["fld1"], stack: full, cw: cw)
                emit(form: "stack overflow: flds", ["flds mem"], stack: full, memory: le(0x3F80_0000, 4), cw: cw)
                emit(form: "stack overflow: fptan", ["fptan"], stack: Array(full.prefix(7)) + [F80(se: 0x3FFF, sig: 1 << 63)], cw: cw)
                emit(form: "stack underflow: fadd", ["fadd %st(1),%st"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: faddp", ["faddp %st,%st(3)"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fsts", ["fsts mem"], cw: cw)
                emit(form: "stack underflow: fstpl", ["fstpl mem"], cw: cw)
                emit(form: "stack underflow: fistps", ["fistps mem"], cw: cw)
                emit(form: "stack underflow: fistpll", ["fistpll mem"], cw: cw)
                emit(form: "stack underflow: fstpt", ["fstpt mem"], cw: cw)
                emit(form: "stack underflow: fbstp", ["fbstp mem"], cw: cw)
                emit(form: "stack underflow: fcom", ["fcom %st(2)"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fucomip", ["fucomip %st(2),%st"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fxch", ["fxch %st(3)"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fchs", ["fchs"], cw: cw)
                emit(form: "stack underflow: fsqrt", ["fsqrt"], cw: cw)
                emit(form: "stack underflow: fscale", ["fscale"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fld st(i)", ["fld %st(5)"], stack: [f80()], cw: cw)
                emit(form: "stack underflow: fst st(i)", ["fstp %st(1)"], cw: cw)
                emit(form: "stack underflow: fcmov", ["fcmove %st(1),%st"], stack: [f80()], cw: cw)
            }
        }

        // MARK: the program around the cases

        func finish() -> X87CorpusProgram {
            let n = cases.count
            let size = X87CorpusProgram.recordSize
            var head = """
            # vsim x87 corpus, seed \(seed) (0x\(String(seed, radix: 16))): \(n) cases.
            # Generated by Tests/VSimTests/X87CorpusGenerator.swift: do not edit; regenerate.

                    .bss
                    .balign 16
            stack:  .space 0x4000
            stack_top:
                    .space 64
            mem:    .space 16
                    .space 16
            envbuf: .space 128
            cw:     .space 4
            log:    .space \(n * size)
                    .data
            logptr: .long log
            flushed: .long log
                    .balign 16
            \(constantLines.joined(separator: "\n"))

                    .text
            # dump: logs EAX, EFLAGS, the FNSAVE image and mem[0..15] (132 bytes).
            dump:   pushf                   # 0 EFLAGS, 4 ret
                    pushl %eax              # 0 EAX, 4 EFLAGS, 8 ret
                    movl logptr, %eax
                    fnsave 8(%eax)
                    popl 0(%eax)
                    popl %ecx
                    andl $0x8d5, %ecx
                    movl %ecx, 4(%eax)
                    movl mem, %ecx
                    movl %ecx, 116(%eax)
                    movl mem+4, %ecx
                    movl %ecx, 120(%eax)
                    movl mem+8, %ecx
                    movl %ecx, 124(%eax)
                    movl mem+12, %ecx
                    movl %ecx, 128(%eax)
                    addl $\(size), logptr
                    ret

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
            3:      movl $1, %eax
                    movl $1, %ebx
                    int $0x80

                    .globl _start
            _start:

            """
            let tail = """
                    movl $stack_top, %esp
                    call flush_log
                    movl $1, %eax
                    xorl %ebx, %ebx
                    int $0x80

            """
            let headLines = head.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            let shifted = cases.map { c -> X87CorpusCase in var c = c; c.line += headLines; return c }
            head += lines.joined(separator: "\n") + "\n" + tail
            return X87CorpusProgram(seed: seed, source: head, cases: shifted, forms: forms)
        }
    }
}
