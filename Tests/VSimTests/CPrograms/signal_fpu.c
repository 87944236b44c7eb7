/* The x87 state across a signal handler: main computes with doubles that gcc keeps on the x87
 * stack (i386's default -mfpmath=387) while an interval timer's SIGALRM handler computes with long
 * doubles and sets the control word to round toward zero. Linux saves the interrupted FPU state
 * in the signal frame, gives the handler a clean FPU and restores the state at sigreturn, so
 * every run of the computation made while the alarms come equals the one made before the timer
 * was set; without that the handler's registers and rounding mode leak into main's. Only facts
 * that are the same natively and under vsim are printed (not how many alarms or runs). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t alarms;
static volatile long double sink;
static volatile double start = 0.5;   /* read by each run: the compiler cannot run work() once */

static void on_alarm(int sig) {
    unsigned short cw = 0x0F7F;     /* round toward zero, 64-bit precision: the handler's own */
    __asm__ volatile("fldcw %0" : : "m"(cw));
    long double a = sig, b = 1.0L / 3;
    for (int i = 0; i < 20; i++) {
        a = a * b + 0.7L;
        b = b * 1.000001L + a / 7;
    }
    sink = a + b;
    alarms++;
}

static double work(void) {
    double x = start, y = 1.25, z = 0;
    for (int i = 1; i <= 20000; i++) {
        x = x * 1.0000001 + y / i;
        y = y * 0.9999999 + x / (i + 1.5);
        z += x * y / (x + y);
    }
    return x + y + z;
}

int main(void) {
    sigset_t none;              /* a test runner's thread may have spawned us with signals blocked */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    volatile double reference = work();   /* volatile: stored as a double, not kept in 80 bits */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 50}, {0, 50}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    int runs = 0, same = 0;
    while (alarms < 20 && runs < 100000) {
        volatile double r = work();
        runs++;
        same += r == reference;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    printf("reference %.17g\n", reference);
    printf("20 alarms came: %d\n", alarms >= 20);
    printf("every run while they came equals it: %d\n", same == runs);
    printf("control word after them: %#x\n", cw);
    return 0;
}
