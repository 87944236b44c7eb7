#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(void) {
    unsigned s = 2024;
    int n = 5000;
    int *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++) { s = s * 1103515245u + 12345u; v[i] = (int)((s >> 8) % 200000) - 100000; }
    qsort(v, n, sizeof *v, cmp_int);
    long sum = 0; for (int i = 0; i < n; i++) sum += v[i];
    printf("min %d max %d median %d sum %ld\n", v[0], v[n - 1], v[n / 2], sum);
    int key = v[1234]; int *hit = bsearch(&key, v, n, sizeof *v, cmp_int);
    printf("found %d at %ld\n", key, hit ? (long)(hit - v) >= 0 : -1L);
    char **words = NULL; size_t count = 0;
    for (int i = 0; i < 300; i++) {
        words = realloc(words, (count + 1) * sizeof *words);
        s = s * 1103515245u + 12345u;
        int len = 3 + (int)((s >> 16) % 12);
        words[count] = malloc((size_t)len + 1);
        for (int k = 0; k < len; k++) { s = s * 1103515245u + 12345u; words[count][k] = (char)('a' + (s >> 20) % 26); }
        words[count][len] = 0; count++;
    }
    qsort(words, count, sizeof *words, cmp_str);
    printf("%s %s %s\n", words[0], words[count / 2], words[count - 1]);
    for (size_t i = 0; i < count; i++) free(words[i]);
    free(words);
    void *blocks[64];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 64; i++) { blocks[i] = malloc((size_t)(16 << (i % 12))); memset(blocks[i], i, 16); }
        for (int i = 63; i >= 0; i -= 2) free(blocks[i]);
        for (int i = 62; i >= 0; i -= 2) free(blocks[i]);
    }
    char *big = malloc(3 << 20); memset(big, 0x5a, 3 << 20); printf("big %d %d\n", big[0], big[(3 << 20) - 1]); free(big);
    free(v);
    puts("done");
    return 0;
}
