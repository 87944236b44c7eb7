/* intbench.c: a small integer benchmark (no floating point), small enough to read.
   Four kernels that compilers and CPUs find typical: a sieve of Eratosthenes, CRC-32 over a
   buffer, an insertion-sort-then-binary-search pass, and a 64-bit LCG with division.
   It prints one checksum per kernel, so every mode can be checked against native.
   Usage: intbench [ROUNDS]   (default 20) */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static unsigned sieve(unsigned char *composite, unsigned n) {
    memset(composite, 0, n);
    unsigned count = 0;
    for (unsigned i = 2; i < n; i++) {
        if (composite[i]) continue;
        count++;
        for (unsigned j = i * 2; j < n; j += i) composite[j] = 1;
    }
    return count;
}

static uint32_t crc32(const unsigned char *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

static uint32_t sort_search(int *a, int n, uint32_t seed) {
    for (int i = 0; i < n; i++) { seed = seed * 1664525u + 1013904223u; a[i] = (int)(seed >> 12); }
    for (int i = 1; i < n; i++) {
        int v = a[i], j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
    uint32_t found = 0;
    for (int i = 0; i < n; i++) {
        int lo = 0, hi = n - 1, key = a[(i * 7) % n];
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            if (a[mid] < key) lo = mid + 1; else if (a[mid] > key) hi = mid - 1; else { found += (uint32_t)mid; break; }
        }
    }
    return found;
}

static uint64_t lcg64(uint64_t x, int n) {
    uint64_t acc = 0;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc += x / ((x >> 40) | 1) + x % 1000003;
    }
    return acc;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    unsigned char *buf = malloc(1 << 16);
    int *a = malloc(600 * sizeof *a);
    unsigned primes = 0; uint32_t crc = 0, found = 0; uint64_t acc = 0;
    for (int r = 0; r < rounds; r++) {
        primes += sieve(buf, 20000);
        for (int i = 0; i < 4096; i++) buf[i] = (unsigned char)(i * 31 + r);
        crc ^= crc32(buf, 4096);
        found += sort_search(a, 600, (uint32_t)r);
        acc += lcg64((uint64_t)r + 1, 2000);
    }
    printf("rounds %d: primes %u crc %08x search %u lcg %llu\n", rounds, primes, crc, found, (unsigned long long)acc);
    free(a); free(buf);
    return 0;
}
