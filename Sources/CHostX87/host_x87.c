// See include/host_x87.h. Each operation: save the host control word, load the guest's, load
// the operands, run the one instruction, read the status word and clear the exceptions (FNSTSW
// and FNCLEX do not wait, so an unmasked exception is never delivered to vsim), store the
// results, then empty the stack and restore the host control word.
#include "host_x87.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)

typedef struct { unsigned char b[16]; } f80;

// The host's status word is kept clean between calls (checked on entry: FNCLEX costs more than
// the operation, so it runs only when a flag is set). After the operation the status word is
// read, and cleared if it holds a flag, before any waiting instruction (an unmasked exception
// is never delivered to vsim); the stack is emptied with FFREE (FNINIT, slower still, only if a
// store left a flag behind), and the host's control word comes back.
#define BEGIN "fnstcw %[save]\n\tfldcw %[cw]\n\tfnstsw %[sw]\n\ttestb $0xff, %[sw]\n\tjz 0f\n\tfnclex\n0:\n\t"
#define AFTER "fnstsw %[sw]\n\ttestb $0xff, %[sw]\n\tjz 1f\n\tfnclex\n1:\n\t"
#define END "fnstsw %[tmp]\n\ttestb $0xff, %[tmp]\n\tjz 2f\n\tfninit\n2:\n\t" \
    "ffree %%st(0)\n\tffree %%st(1)\n\tffree %%st(2)\n\tffree %%st(3)\n\t" \
    "ffree %%st(4)\n\tffree %%st(5)\n\tffree %%st(6)\n\tffree %%st(7)\n\tfldcw %[save]\n\t"

// a in ST(0), b in ST(1); INSN; status; ST(0) -> r0
#define BINARY(INSN) \
    __asm__ volatile(BEGIN "fldt %[b]\n\tfldt %[a]\n\t" INSN "\n\t" AFTER "fstpt %[r0]\n\t" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x), [b] "m"(y))

// a in ST(0); INSN; status; ST(0) -> r0
#define UNARY(INSN) \
    __asm__ volatile(BEGIN "fldt %[a]\n\t" INSN "\n\t" AFTER "fstpt %[r0]\n\t" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x))

// a in ST(0); INSN pushes; status; ST(0) -> r1, ST(1) -> r0
#define UNARY2(INSN) \
    __asm__ volatile(BEGIN "fldt %[a]\n\t" INSN "\n\t" AFTER "fstpt %[r1]\n\tfstpt %[r0]\n\t" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [r1] "=m"(o1), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x))

// INSN pushes a value; status; ST(0) -> r0
#define LOAD(INSN) \
    __asm__ volatile(BEGIN INSN "\n\t" AFTER "fstpt %[r0]\n\t" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x))

// a in ST(0); INSN stores to r0 (memory); status
#define STORE(INSN) \
    __asm__ volatile(BEGIN "fldt %[a]\n\t" INSN "\n\t" AFTER "" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x))

uint16_t vsim_x87_run(int op, uint16_t cw, const void *a, const void *b, void *r0, void *r1) {
    f80 x = {{0}}, y = {{0}}, o0 = {{0}}, o1 = {{0}};
    uint16_t sw = 0, save = 0, tmp = 0;
    if (a) memcpy(x.b, a, 10);
    if (b) memcpy(y.b, b, 10);
    switch (op) {
    case VSIM_X87_ADD: BINARY("fadd %%st(1),%%st"); break;
    case VSIM_X87_MUL: BINARY("fmul %%st(1),%%st"); break;
    case VSIM_X87_SUB: BINARY("fsub %%st(1),%%st"); break;
    case VSIM_X87_SUBR: BINARY("fsubr %%st(1),%%st"); break;
    case VSIM_X87_DIV: BINARY("fdiv %%st(1),%%st"); break;
    case VSIM_X87_DIVR: BINARY("fdivr %%st(1),%%st"); break;
    case VSIM_X87_PREM: BINARY("fprem"); break;
    case VSIM_X87_PREM1: BINARY("fprem1"); break;
    case VSIM_X87_SCALE: BINARY("fscale"); break;
    case VSIM_X87_PATAN: BINARY("fpatan"); break;
    case VSIM_X87_YL2X: BINARY("fyl2x"); break;
    case VSIM_X87_YL2XP1: BINARY("fyl2xp1"); break;
    case VSIM_X87_COM: BINARY("fcom %%st(1)"); break;
    case VSIM_X87_UCOM: BINARY("fucom %%st(1)"); break;
    case VSIM_X87_SQRT: UNARY("fsqrt"); break;
    case VSIM_X87_RNDINT: UNARY("frndint"); break;
    case VSIM_X87_F2XM1: UNARY("f2xm1"); break;
    case VSIM_X87_SIN: UNARY("fsin"); break;
    case VSIM_X87_COS: UNARY("fcos"); break;
    case VSIM_X87_TST: UNARY("ftst"); break;
    case VSIM_X87_XAM: UNARY("fxam"); break;
    case VSIM_X87_PTAN: UNARY2("fptan"); break;
    case VSIM_X87_SINCOS: UNARY2("fsincos"); break;
    case VSIM_X87_XTRACT: UNARY2("fxtract"); break;
    case VSIM_X87_LD1: LOAD("fld1"); break;
    case VSIM_X87_LDL2T: LOAD("fldl2t"); break;
    case VSIM_X87_LDL2E: LOAD("fldl2e"); break;
    case VSIM_X87_LDPI: LOAD("fldpi"); break;
    case VSIM_X87_LDLG2: LOAD("fldlg2"); break;
    case VSIM_X87_LDLN2: LOAD("fldln2"); break;
    case VSIM_X87_LDZ: LOAD("fldz"); break;
    case VSIM_X87_LD_F32: LOAD("flds %[a]"); break;
    case VSIM_X87_LD_F64: LOAD("fldl %[a]"); break;
    case VSIM_X87_LD_I16: LOAD("filds %[a]"); break;
    case VSIM_X87_LD_I32: LOAD("fildl %[a]"); break;
    case VSIM_X87_LD_I64: LOAD("fildll %[a]"); break;
    case VSIM_X87_LD_BCD: LOAD("fbld %[a]"); break;
    case VSIM_X87_ST_F32: STORE("fstps %[r0]"); break;
    case VSIM_X87_ST_F64: STORE("fstpl %[r0]"); break;
    case VSIM_X87_ST_I16: STORE("fistps %[r0]"); break;
    case VSIM_X87_ST_I32: STORE("fistpl %[r0]"); break;
    case VSIM_X87_ST_I64: STORE("fistpll %[r0]"); break;
    case VSIM_X87_ST_BCD: STORE("fbstp %[r0]"); break;
    case VSIM_X87_STT_I16: STORE("fisttps %[r0]"); break;
    case VSIM_X87_STT_I32: STORE("fisttpl %[r0]"); break;
    case VSIM_X87_STT_I64: STORE("fisttpll %[r0]"); break;
    default: return 0;
    }
    if (r0) memcpy(r0, o0.b, 16);
    if (r1) memcpy(r1, o1.b, 16);
    return sw;
}

// a in ST(0); INSN with the memory operand b; status; ST(0) -> r0
#define MEMORY(INSN) \
    __asm__ volatile(BEGIN "fldt %[a]\n\t" INSN " %[b]\n\t" AFTER "fstpt %[r0]\n\t" END \
                     : [sw] "=m"(sw), [r0] "=m"(o0), [save] "=m"(save), [tmp] "=m"(tmp) \
                     : [cw] "m"(cw), [a] "m"(x), [b] "m"(y))

#define FORMS(S, L, IS, IL) \
    switch (format) { \
    case VSIM_X87_M32FP: MEMORY(S); break; \
    case VSIM_X87_M64FP: MEMORY(L); break; \
    case VSIM_X87_M16INT: MEMORY(IS); break; \
    case VSIM_X87_M32INT: MEMORY(IL); break; \
    default: return 0; \
    }

uint16_t vsim_x87_arith(int op, int format, uint16_t cw, const void *a, const void *b, void *r0) {
    if (format == VSIM_X87_REG) return vsim_x87_run(op, cw, a, b, r0, 0);
    f80 x = {{0}}, y = {{0}}, o0 = {{0}};
    uint16_t sw = 0, save = 0, tmp = 0;
    memcpy(x.b, a, 10);
    memcpy(y.b, b, 8);
    switch (op) {
    case VSIM_X87_ADD: FORMS("fadds", "faddl", "fiadds", "fiaddl"); break;
    case VSIM_X87_MUL: FORMS("fmuls", "fmull", "fimuls", "fimull"); break;
    case VSIM_X87_SUB: FORMS("fsubs", "fsubl", "fisubs", "fisubl"); break;
    case VSIM_X87_SUBR: FORMS("fsubrs", "fsubrl", "fisubrs", "fisubrl"); break;
    case VSIM_X87_DIV: FORMS("fdivs", "fdivl", "fidivs", "fidivl"); break;
    case VSIM_X87_DIVR: FORMS("fdivrs", "fdivrl", "fidivrs", "fidivrl"); break;
    case VSIM_X87_COM: FORMS("fcoms", "fcoml", "ficoms", "ficoml"); break;
    default: return 0;
    }
    if (r0) memcpy(r0, o0.b, 16);
    return sw;
}

#else
#error "vsim's x87 model runs its arithmetic on the host's x87 unit: build on an x86 host"
#endif
