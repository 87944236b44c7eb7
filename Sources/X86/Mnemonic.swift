/// Instruction mnemonics of the vsim subset (`../shared/isa-subset.md`), spelled as in the
/// Intel SDM Vol. 2. Condition-code families (Jcc, SETcc, CMOVcc) are one mnemonic each, with the
/// condition in ``Instruction/condition``. Operand size (b/w/d forms such as MOVSB/MOVSW/MOVSD,
/// CBW/CWDE, PUSHA/PUSHAD, IRET/IRETD) is in ``Instruction/operandSize``; address size (JCXZ vs
/// JECXZ) in ``Instruction/addressSize``.
public enum Mnemonic: UInt8, Sendable, CaseIterable {
    // Arithmetic and logic (group 1 order: ADD OR ADC SBB AND SUB XOR CMP = /0…/7)
    case add, or, adc, sbb, and, sub, xor, cmp
    case inc, dec, neg, not, test
    case mul, imul, div, idiv
    case daa, das, aaa, aas, aam, aad
    // Shifts and rotates (group 2 order: ROL ROR RCL RCR SHL SHR SAL SAR = /0…/7)
    case rol, ror, rcl, rcr, shl, shr, sal, sar
    case shld, shrd
    case bt, bts, btr, btc, bsf, bsr
    case setcc
    // Data movement
    case mov, movzx, movsx, lea, xchg, xlat, bswap, cmovcc
    case push, pop, pusha, popa, pushf, popf, lahf, sahf
    /// CBW (0x66) / CWDE; CWD (0x66) / CDQ.
    case cbw, cwd
    case enter, leave, cmpxchg, xadd
    // Control flow
    case jmp, jcc, call, ret
    /// RETF / LRET: far return (CB, CA iw).
    case retf
    /// Far JMP / CALL: `EA ptr16:32`, `9A ptr16:32`, `FF /5 m16:32`, `FF /3 m16:32`.
    case jmpf, callf
    /// LOOP, LOOPE, LOOPNE, and JCXZ/JECXZ (E3; which register is tested comes from the
    /// address size, Intel SDM Vol. 2A, Jcc).
    case loop, loope, loopne, jcxz
    // Strings (size from operandSize; REP/REPE/REPNE in prefixes)
    case movs, cmps, scas, lods, stos, ins, outs
    // Flags
    case clc, stc, cmc, cld, std, cli, sti
    // Other user-level
    case nop, int, int3, into, ud2, cpuid, rdtsc
    // System
    case hlt, `in`, out, lgdt, lidt, lldt, ltr, lmsw, clts, invlpg, wbinvd, invd, rdmsr, wrmsr, iret
    case sgdt, sidt, sldt, str, smsw, lar, lsl, verr, verw
    case vmcall
    // What compilers and libcs emit beyond the i386 (isa-subset.md): CMPXCHG8B (0F C7 /1 m64);
    // TZCNT/LZCNT (F3 0F BC/BD), executed as BSF/BSR as on a CPU without BMI1/LZCNT (vsim's
    // CPUID); the hint-space NOPs: ENDBR32/ENDBR64 (F3 0F 1E FB/FA), RDSSPD (F3 0F 1E /1, a NOP
    // while CET shadow stacks are off), PREFETCHNTA/T0/T1/T2 (0F 18 /0-/3 m8).
    case cmpxchg8b, tzcnt, lzcnt, endbr32, endbr64, rdssp, prefetch
    // The x87 FPU (escape opcodes D8-DF and FWAIT 9B; Intel SDM Vol. 1 chapter 8, Vol. 2D
    // Table ). The memory format is in ``Instruction/operandSize`` (bytes: 2, 4, 8
    // or 10; 14/28 for the FPU environment and 94/108 for the saved state); register operands
    // are ``Register/Kind/fpu`` registers. Register forms of D8-DF with reserved aliases
    // (D9 D8+i, DC D0+i/D8+i, DD C8+i, DE D0+i, DF C8+i/D0+i/D8+i) decode as the instruction
    // they alias (FSTP, FCOM, FCOMP, FXCH), as a CPU executes them.
    // Loads and stores
    case fld, fst, fstp, fild, fist, fistp, fisttp, fbld, fbstp
    // Arithmetic: real memory or register operands, integer memory operands, and the P forms
    case fadd, faddp, fiadd, fmul, fmulp, fimul, fsub, fsubp, fisub, fsubr, fsubrp, fisubr
    case fdiv, fdivp, fidiv, fdivr, fdivrp, fidivr
    // Comparison and classification
    case fcom, fcomp, fcompp, ficom, ficomp, fucom, fucomp, fucompp, fcomi, fcomip, fucomi, fucomip
    case ftst, fxam
    /// FCMOVcc: the condition in ``Instruction/condition`` (b e be u nb ne nbe nu = .b .e .be
    /// .p .ae .ne .a .np).
    case fcmovcc
    // Stack and register management
    case fxch, ffree, ffreep, fincstp, fdecstp, fnop
    // Constants
    case fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz
    // Other arithmetic and transcendental instructions
    case fchs, fabs, fsqrt, frndint, fprem, fprem1, fscale, fxtract
    case f2xm1, fyl2x, fyl2xp1, fptan, fpatan, fsin, fcos, fsincos
    // Control: the no-wait forms (objdump joins a 9B before them into one FSTSW, FSTCW, ...;
    // the CPU executes FWAIT and then the instruction)
    case fnstsw, fnstcw, fldcw, fnstenv, fldenv, fnsave, frstor, fninit, fnclex
    /// DB E0, DB E1, DB E4 (8087/287 FENI, FDISI, FSETPM): FNOP on the 387 and later.
    case fneni, fndisi, fnsetpm
    /// FWAIT (9B) alone: checks for pending unmasked x87 exceptions (#MF).
    case fwait
}

/// Condition codes of Jcc/SETcc/CMOVcc, numbered as the low 4 bits of their opcodes
/// (Intel SDM Vol. 1, Appendix B, Table B-1).
public enum Condition: UInt8, Sendable, CaseIterable {
    case o = 0, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g

    /// objdump's spelling of the condition suffix (`jb`, `jae`, `je`, `jne`, `jbe`, `ja`, ...).
    public var suffix: String {
        ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"][Int(rawValue)]
    }
}
