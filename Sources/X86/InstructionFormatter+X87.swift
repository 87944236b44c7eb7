/// objdump's text for the x87 instructions (i386-dis.c `float_mem`, `float_reg`, `fgrps`).
extension InstructionFormatter {
    /// The mnemonic and operands (Intel order) of an x87 instruction.
    mutating func formatX87() -> (String, [String]) {
        let m = insn.mnemonic
        var name = "\(m)"
        dataUsed = false
        if m == .fcmovcc {
            let c: [Condition: String] = [.b: "b", .e: "e", .be: "be", .p: "u", .ae: "nb", .ne: "ne", .a: "nbe", .np: "nu"]
            name = "fcmov" + (c[insn.condition] ?? "?")
        }
        switch m {
        case .fneni, .fndisi: name += "(8087 only)"
        case .fnsetpm: name += "(287 only)"
        default: break
        }
        guard case .memory = insn.operand0 else {
            // Register forms. AT&T objdump keeps the UnixWare assembler's swapped names for the
            // reverse forms with ST(i) as destination (DC/DE E0-FF): `fsub` for Intel's FSUBR.
            if !intel && (opcode >> 8 == 0xDC || opcode >> 8 == 0xDE), case .register(let r) = insn.operand0, r.number < 8 {
                let swapped: [Mnemonic: String] = [.fsub: "fsubr", .fsubr: "fsub", .fdiv: "fdivr", .fdivr: "fdiv",
                                                    .fsubp: "fsubrp", .fsubrp: "fsubp", .fdivp: "fdivrp", .fdivrp: "fdivp"]
                if let s = swapped[m] { name = s }
            }
            var ops: [String] = []
            for op in insn.operands { ops.append(operand(op)) }
            return (name, ops)
        }
        let size = Int(insn.operandSize)
        let integer: Set<Mnemonic> = [.fild, .fist, .fistp, .fisttp, .fiadd, .fimul, .ficom, .ficomp, .fisub,
                                      .fisubr, .fidiv, .fidivr]
        let environment: Set<Mnemonic> = [.fldenv, .fnstenv, .frstor, .fnsave]
        var ptrSize = size
        if environment.contains(m) {
            ptrSize = 0
            if size == 14 || size == 94 {
                dataUsed = true
                name += intel ? "w" : "s"
            }
        } else if m == .fbld || m == .fbstp {
            ptrSize = 10
        } else if !intel && m != .fldcw && m != .fnstcw && m != .fnstsw {
            if integer.contains(m) {
                name += size == 2 ? "s" : size == 4 ? "l" : "ll"
            } else {
                name += size == 4 ? "s" : size == 8 ? "l" : "t"
            }
        }
        return (name, [operand(insn.operand0, size: ptrSize)])
    }
}
