// The host CPU's x87 unit as vsim's floating-point arithmetic unit (Sources/Machine/
// Interpreter+X87.swift): one x87 operation run on the host under the guest's control word, the
// way QEMU ran x87 guests on x86 hosts with host `long double` before softfloat. Swift cannot set
// the x87 control word around one operation (no inline assembly, and LLVM may move floating-point
// operations across calls such as fesetenv); this file does only that. The architecture (the
// register stack, tags, stack faults, masked and unmasked responses, the status word) is modeled
// in Swift.
#ifndef VSIM_HOST_X87_H
#define VSIM_HOST_X87_H
#include <stdint.h>

// Operations. Operands are 80-bit extended-precision values (10 bytes, little-endian: 64-bit
// significand, then sign and 15-bit exponent) unless named otherwise.
enum vsim_x87_op {
    // r0 = a OP b (a = the destination, b = the source; SUBR = b - a, DIVR = b / a)
    VSIM_X87_ADD, VSIM_X87_MUL, VSIM_X87_SUB, VSIM_X87_SUBR, VSIM_X87_DIV, VSIM_X87_DIVR,
    // r0 = FPREM / FPREM1 / FSCALE with ST(0) = a, ST(1) = b (C0 C1 C2 C3 in the status word)
    VSIM_X87_PREM, VSIM_X87_PREM1, VSIM_X87_SCALE,
    // r0 = FPATAN / FYL2X / FYL2XP1 with ST(0) = a, ST(1) = b (the result replaces ST(1))
    VSIM_X87_PATAN, VSIM_X87_YL2X, VSIM_X87_YL2XP1,
    // FCOM / FUCOM ST(0) = a with b: C0 C2 C3 in the status word
    VSIM_X87_COM, VSIM_X87_UCOM,
    // one operand a = ST(0): r0 = the new ST(0)
    VSIM_X87_SQRT, VSIM_X87_RNDINT, VSIM_X87_F2XM1, VSIM_X87_SIN, VSIM_X87_COS,
    // FTST, FXAM of a: condition codes only
    VSIM_X87_TST, VSIM_X87_XAM,
    // two results: FPTAN r0 = tan (the new ST(1)), r1 = 1.0 pushed; FSINCOS r0 = sin, r1 = cos;
    // FXTRACT r0 = exponent, r1 = significand
    VSIM_X87_PTAN, VSIM_X87_SINCOS, VSIM_X87_XTRACT,
    // the constants FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ into r0 (rounded as the RC field says)
    VSIM_X87_LD1, VSIM_X87_LDL2T, VSIM_X87_LDL2E, VSIM_X87_LDPI, VSIM_X87_LDLG2, VSIM_X87_LDLN2,
    VSIM_X87_LDZ,
    // conversions from memory formats: a points at the memory operand (m32fp m64fp m16int m32int
    // m64int m80bcd); r0 = the 80-bit value
    VSIM_X87_LD_F32, VSIM_X87_LD_F64, VSIM_X87_LD_I16, VSIM_X87_LD_I32, VSIM_X87_LD_I64, VSIM_X87_LD_BCD,
    // conversions to memory formats: r0 receives the memory operand (4, 8, 2, 4, 8, 10 bytes)
    VSIM_X87_ST_F32, VSIM_X87_ST_F64, VSIM_X87_ST_I16, VSIM_X87_ST_I32, VSIM_X87_ST_I64, VSIM_X87_ST_BCD,
    // FISTTP: truncating conversions (SSE3)
    VSIM_X87_STT_I16, VSIM_X87_STT_I32, VSIM_X87_STT_I64,
};

// Runs `op` on the host x87 with control word `cw` (the guest's: precision, rounding and the
// exception masks, so even unmasked responses such as the scaled result of an overflow are the
// hardware's), then clears the host's exceptions before they can be delivered and restores the
// host's x87 state (empty stack, its control word). Returns the status word after the operation:
// the exception flags it raised (IE DE ZE OE UE PE, SF never: the host stack cannot fault) and
// C0-C3. r0/r1 may be NULL when the operation has no such result; they receive 16 bytes.
uint16_t vsim_x87_run(int op, uint16_t cw, const void *a, const void *b, void *r0, void *r1);

// Source formats of vsim_x87_arith.
enum vsim_x87_format {
    VSIM_X87_REG,   // b: an 80-bit register value
    VSIM_X87_M32FP, VSIM_X87_M64FP, VSIM_X87_M16INT, VSIM_X87_M32INT,
};

// The memory forms (and the register forms) of ADD MUL SUB SUBR DIV DIVR COM: ST(0) = a, the
// source b in `format`, run as that very instruction (`fadds m32fp`, ...), so that the priority
// of the source's own exceptions (a denormal or SNaN source) and the choice between two NaNs are
// the hardware's. r0 receives the new ST(0); the status word is returned as by vsim_x87_run.
uint16_t vsim_x87_arith(int op, int format, uint16_t cw, const void *a, const void *b, void *r0);

#endif
