#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <setjmp.h>
static __thread int counter = 5;
static __thread char name[16] = "tls";
static jmp_buf env;
static int depth(int n) { if (n == 0) longjmp(env, 7); return depth(n - 1) + 1; }
static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(void) {
    for (int i = 0; i < 10; i++) counter += i;
    strcat(name, "-var");
    printf("counter=%d name=%s\n", counter, name);
    errno = 0; char *end; strtoul("123456789012345678901", &end, 10);
    printf("errno after overflow: %s, rest \"%s\"\n", errno == ERANGE ? "ERANGE" : "other", end);
    errno = EDOM; printf("%s\n", strerror(errno));
    int r = setjmp(env);
    if (r == 0) depth(100);
    printf("longjmp returned %d\n", r);
    printf("fib(24)=%u\n", fib(24));
    unsigned x = 0x00F0F000u;
    printf("ctz=%d clz=%d popcount=%d parity=%d\n", __builtin_ctz(x), __builtin_clz(x), __builtin_popcount(x), __builtin_parity(x));
    unsigned long long q = 0x0123456789ABCDEFull;
    printf("ctzll=%d clzll=%d bswap=%08x\n", __builtin_ctzll(q << 20), __builtin_clzll(q), __builtin_bswap32(0x11223344u));
    return 0;
}
