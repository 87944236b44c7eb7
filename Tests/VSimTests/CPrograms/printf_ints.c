#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
int main(void) {
    printf("%d %i %u %x %X %o %c %s %% %p\n", -42, INT_MIN, UINT_MAX, 0xbeefu, 0xCAFEu, 0777, 'q', "str", (void *)0);
    printf("[%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%*d] [%-*d]\n", 7, 7, 7, 7, 7, 7, 6, 7, 6, 7);
    printf("%ld %lu %lld %llu %llx %hd %hhu\n", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL, (short)-2, (unsigned char)300);
    int64_t a = 1234567890123456789LL, b = -987654321;
    printf("%" PRId64 " %" PRId64 " %" PRIu64 " %" PRIx64 "\n", a / b, a % b, (uint64_t)a * 3u, (uint64_t)a >> 7);
    uint64_t u = 0xFFFFFFFFFFFFFFFFull;
    for (int d = 3; d < 40; d += 9) printf("%llu/%d=%llu r%llu ", u, d, u / d, u % d);
    printf("\n");
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%08x|%-8s|%3c", 0xabcu, "ab", 'z');
    printf("%d <%s>\n", n, buf);
    n = snprintf(buf, 10, "%s", "truncated string here");
    printf("%d <%s>\n", n, buf);
    return 3;
}
