/* strbench.c: a benchmark of the C library's string functions (memcpy, memset, memmove, strlen,
   memcmp, memchr), whose i386 versions use the string instructions (REP MOVS/STOS, REPE CMPS,
   REPNE SCAS) or SSE2 loops, as the library picks. Copies and clears blocks of 1 to 4096 bytes
   at varying alignments, the sizes programs copy in their hot loops, and prints a checksum of
   the results, so every mode can be checked against native.
   Usage: strbench [ROUNDS]   (default 20) */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static unsigned char a[8192], b[8192];

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], 0, 10) : 20;
    uint32_t sum = 0, seed = 12345;
    for (unsigned i = 0; i < sizeof a; i++) a[i] = (unsigned char)(i * 7 + 1);
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < 400; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t n = 1 + (seed >> 8) % (k & 3 ? 64 : 4096);
            size_t sa = (seed >> 4) & 15, da = (seed >> 12) & 15;
            memcpy(b + da, a + sa, n);
            sum = sum * 31 + b[da + n - 1] + b[da + n / 2];
            memset(b + da, (int)(seed & 0xFF), n);
            sum = sum * 31 + b[da + n - 1];
            memmove(b + da + 3, b + da, n);
            sum = sum * 31 + b[da + n + 2];
            a[sa + n / 3] = 0;
            sum = sum * 31 + (uint32_t)strlen((char *)a + sa);
            a[sa + n / 3] = (unsigned char)((sa + n / 3) * 7 + 1);
            sum = sum * 31 + (uint32_t)(memcmp(a + sa, b + da, n) > 0);
            sum = sum * 31 + (uint32_t)(memchr(a, (int)(seed & 0x7F) | 1, sizeof a) != 0);
        }
    }
    printf("strbench: %u rounds, checksum %08x\n", rounds, (unsigned)sum);
    return 0;
}
