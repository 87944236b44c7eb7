/* Handlers for SIGSEGV, SIGFPE, SIGILL and SIGTRAP see what Linux's i386 rt_sigframe holds:
 * si_signo, si_code, si_addr, and the interrupted registers in uc_mcontext (set by the asm
 * before each fault); each handler moves EIP past the faulting instruction and changes EAX,
 * and rt_sigreturn must restore every register. A non-SA_SIGINFO handler gets struct sigframe
 * and returns through sigreturn. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

unsigned saved_esp, out_eax, out_ebx, out_ecx, out_edx, out_esi, out_edi, out_ebp, out_esp;
extern char de_at[], de_after[], ud_at[], ud_after[], bp_after[], gp_at[], gp_after[], int_at[], int_after[],
            rd_at[], rd_after[], wr_at[], wr_after[], ro_at[], ro_after[], old_at[], old_after[];
static unsigned ecx_base;     /* ECX is printed relative to it (the mmap'ed page's address) */
static char *resume;          /* where the handler sends EIP */
static char *label;           /* what si_addr and EIP are printed relative to */
char *fault_page;             /* the read-only page (global: the asm names it) */

static void show(const char *what, siginfo_t *si, ucontext_t *uc) {
    greg_t *g = uc->uc_mcontext.gregs;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    long addr = (long)(intptr_t)si->si_addr;
    if (si->si_code > 0 && si->si_code < 0x80 && si->si_signo != SIGSEGV) addr = (char *)si->si_addr - label;
    if (si->si_signo == SIGSEGV && si->si_code == SEGV_ACCERR) addr = (char *)si->si_addr - fault_page;
    printf("%s: signo %d code %d addr %#lx | eip-label %ld eax %#x ebx %#x ecx %#x edx %#x esi %#x edi %#x ebp %#x esp-saved %d\n",
           what, si->si_signo, si->si_code, addr, (long)((char *)g[REG_EIP] - label), (unsigned)g[REG_EAX],
           (unsigned)g[REG_EBX], (unsigned)g[REG_ECX] - ecx_base, (unsigned)g[REG_EDX], (unsigned)g[REG_ESI], (unsigned)g[REG_EDI],
           (unsigned)g[REG_EBP], (int)((unsigned)g[REG_ESP] - saved_esp));
    printf("  trapno %d cs %#x ds %#x es %#x ss %#x flags&CF|ZF|SF %#x | uc-si %d masked self %d usr1 %d\n",
           (int)g[REG_TRAPNO], (unsigned)g[REG_CS] & 0xffff, (unsigned)g[REG_DS] & 0xffff, (unsigned)g[REG_ES] & 0xffff,
           (unsigned)g[REG_SS] & 0xffff, (unsigned)g[REG_EFL] & 0xc1, (int)((char *)uc - (char *)si),
           sigismember(&now, si->si_signo), sigismember(&now, SIGUSR1));
    if (si->si_signo != SIGSEGV || si->si_code != SEGV_ACCERR) printf("  err %#x\n", (unsigned)g[REG_ERR]);
}

static void handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    const char *names[] = {[SIGSEGV] = "SIGSEGV", [SIGFPE] = "SIGFPE", [SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP"};
    show(names[sig], si, uc);
    uc->uc_mcontext.gregs[REG_EIP] = (greg_t)(intptr_t)resume;
    uc->uc_mcontext.gregs[REG_EAX] = 0x0badcafe;
    uc->uc_mcontext.gregs[REG_ESI] ^= 0xffff;
}

#define SAVE_OUT \
    "movl %%eax, out_eax\n\tmovl %%ebx, out_ebx\n\tmovl %%ecx, out_ecx\n\tmovl %%edx, out_edx\n\t" \
    "movl %%esi, out_esi\n\tmovl %%edi, out_edi\n\tmovl %%ebp, out_ebp\n\tmovl %%esp, out_esp\n\t"
#define LOAD_REGS \
    "pushl %%ebp\n\tmovl %%esp, saved_esp\n\tmovl $0x11111111, %%eax\n\tmovl $0x22222222, %%ebx\n\t" \
    "movl $0x44444444, %%edx\n\tmovl $0x55555555, %%esi\n\tmovl $0x66666666, %%edi\n\tmovl $0x77777777, %%ebp\n\t"

static void after(const char *what) {
    printf("  after %s: eax %#x ebx %#x ecx %#x edx %#x esi %#x edi %#x ebp %#x esp-saved %d\n", what, out_eax, out_ebx,
           out_ecx - ecx_base, out_edx, out_esi, out_edi, out_ebp, (int)(out_esp - saved_esp));
}

__attribute__((noinline)) static void divide_error(void) {
    resume = de_after; label = de_at;
    __asm__ volatile(LOAD_REGS "xorl %%ecx, %%ecx\n\tcmpl $1, %%ecx\n\t"
                     ".globl de_at\nde_at: divl %%ecx\n.globl de_after\nde_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#DE");
}

__attribute__((noinline)) static void invalid_opcode(void) {
    resume = ud_after; label = ud_at;
    __asm__ volatile(LOAD_REGS "movl $0x33333333, %%ecx\n\txorl %%ecx, %%ecx\n\t"
                     ".globl ud_at\nud_at: ud2\n.globl ud_after\nud_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#UD");
}

__attribute__((noinline)) static void breakpoint(void) {
    resume = bp_after; label = bp_after;
    __asm__ volatile(LOAD_REGS "movl $0x33333333, %%ecx\n\tcmpl $0x40000000, %%ecx\n\t"
                     "int3\n.globl bp_after\nbp_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#BP");
}

__attribute__((noinline)) static void privileged(void) {
    resume = gp_after; label = gp_at;
    __asm__ volatile(LOAD_REGS "movl $0x33333333, %%ecx\n\t"
                     ".globl gp_at\ngp_at: hlt\n.globl gp_after\ngp_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#GP hlt");
    resume = int_after; label = int_at;
    __asm__ volatile(LOAD_REGS "movl $0x33333333, %%ecx\n\t"
                     ".globl int_at\nint_at: int $0x81\n.globl int_after\nint_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#GP int $0x81");
}

__attribute__((noinline)) static void page_faults(void) {
    resume = rd_after; label = rd_at;
    __asm__ volatile(LOAD_REGS "movl $16, %%ecx\n\t"
                     ".globl rd_at\nrd_at: movl (%%ecx), %%eax\n.globl rd_after\nrd_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#PF read");
    resume = wr_after; label = wr_at;
    __asm__ volatile(LOAD_REGS "movl $0x1000, %%ecx\n\t"
                     ".globl wr_at\nwr_at: movb %%al, 7(%%ecx)\n.globl wr_after\nwr_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#PF write");
    resume = ro_after; label = ro_at; ecx_base = (unsigned)(intptr_t)fault_page;
    __asm__ volatile(LOAD_REGS "movl fault_page, %%ecx\n\t"
                     ".globl ro_at\nro_at: movl %%eax, 0x124(%%ecx)\n.globl ro_after\nro_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("#PF read-only");
    ecx_base = 0;
}

/* A handler without SA_SIGINFO: struct sigframe {pretcode, sig, struct sigcontext, ...}. */
static void old_handler(int sig) {
    /* The frame as the handler's prologue leaves it: EBP+4 pretcode, +8 sig, +12 the sigcontext. */
    volatile struct sigcontext *sc = (volatile struct sigcontext *)((char *)__builtin_frame_address(0) + 12);
    printf("old-style %d: trapno %lu eip-label %ld eax %#lx ecx %#lx cr2 %#lx oldmask %#lx\n", sig, sc->trapno,
           (long)((char *)sc->eip - old_at), sc->eax, sc->ecx, sc->cr2, sc->oldmask);
    sc->eip = (unsigned long)(intptr_t)old_after;
    sc->edx = 0x5eed;
}

__attribute__((noinline)) static void old_style(void) {
    __asm__ volatile(LOAD_REGS "movl $0x20, %%ecx\n\t"
                     ".globl old_at\nold_at: movl %%eax, (%%ecx)\n.globl old_after\nold_after:\n\t" SAVE_OUT "popl %%ebp"
                     ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    after("sigreturn");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t none;              /* a test runner's thread may have spawned us with signals blocked */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    fault_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    int sigs[] = {SIGSEGV, SIGFPE, SIGILL, SIGTRAP};
    for (int i = 0; i < 4; i++) sigaction(sigs[i], &sa, NULL);
    divide_error();
    invalid_opcode();
    breakpoint();
    privileged();
    page_faults();
    sa.sa_handler = old_handler;
    sa.sa_flags = 0;
    sigaction(SIGSEGV, &sa, NULL);
    old_style();
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: segv %d usr1 %d\n", sigismember(&now, SIGSEGV), sigismember(&now, SIGUSR1));
    return 0;
}
