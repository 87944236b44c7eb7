/* File-backed mmap (of stdin, which the test harness makes a regular file) and mremap: grow in
 * place, refuse to grow over a mapping without MREMAP_MAYMOVE, move with MREMAP_FIXED, shrink,
 * and the error cases. Addresses are printed only relative to each other. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long p = sysconf(_SC_PAGESIZE);
    struct stat st;
    if (fstat(0, &st) != 0 || !S_ISREG(st.st_mode)) { printf("stdin is not a regular file\n"); return 1; }
    char *f = mmap(NULL, p, PROT_READ, MAP_PRIVATE, 0, 0);
    printf("file map: %s, size %ld, first line \"%.10s\", byte past the end %d\n", f == MAP_FAILED ? "failed" : "ok",
           (long)st.st_size, f, f[st.st_size]);
    char *w = mmap(NULL, p, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, 0);
    w[0] = 'X';
    char back[4] = {0};
    pread(0, back, 3, 0);
    printf("private copy written: map \"%.3s\", file \"%s\", the other map \"%.3s\"\n", w, back, f);
    char *s = mmap(NULL, p, PROT_READ, MAP_SHARED, 0, 0);
    printf("shared read-only: %s, same bytes %d\n", s == MAP_FAILED ? "failed" : "ok", s != MAP_FAILED && memcmp(s, f, st.st_size) == 0);
    munmap(f, p); munmap(w, p); munmap(s, p);
    errno = 0;
    void *bad = mmap(NULL, p, PROT_READ, MAP_PRIVATE, 1234, 0);
    printf("bad fd: %d EBADF %d\n", bad == MAP_FAILED, errno == EBADF);

    char *a = mmap(NULL, 3 * p, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + p, 2 * p);
    memset(a, 'a', p);
    char *b = mremap(a, p, 3 * p, 0);
    printf("grow in place: same %d kept %c new %d\n", b == a, b[p - 1], b[2 * p]);
    b = mremap(a, 3 * p, p, 0);
    printf("shrink: same %d, tail gone %d\n", b == a, mprotect(a + p, p, PROT_READ) == -1 && errno == ENOMEM);

    char *c = mmap(NULL, 2 * p, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(c, 'c', 2 * p);
    errno = 0;
    void *r = mremap(c, p, 2 * p, 0);
    printf("grow over the rest of its mapping without MAYMOVE: failed %d ENOMEM %d\n", r == MAP_FAILED, errno == ENOMEM);
    char *target = mmap(NULL, 4 * p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(target, 4 * p);
    char *m = mremap(c, 2 * p, 4 * p, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    printf("move with MREMAP_FIXED: at target %d, kept %c%c, new %d, old gone %d\n", m == target, m[0], m[2 * p - 1], m[3 * p],
           mprotect(c, p, PROT_READ) == -1 && errno == ENOMEM);
    char *g = mremap(m, 4 * p, 64 * p, MREMAP_MAYMOVE);
    printf("grow with MAYMOVE: ok %d, kept %c, new %d\n", g != MAP_FAILED, g[p], g[63 * p]);

    errno = 0; r = mremap(g + 1, p, 2 * p, MREMAP_MAYMOVE);
    printf("unaligned: EINVAL %d\n", r == MAP_FAILED && errno == EINVAL);
    errno = 0; r = mremap(g, p, 2 * p, MREMAP_FIXED, target);
    printf("FIXED without MAYMOVE: EINVAL %d\n", r == MAP_FAILED && errno == EINVAL);
    errno = 0; r = mremap(g, p, 0, MREMAP_MAYMOVE);
    printf("new size 0: EINVAL %d\n", r == MAP_FAILED && errno == EINVAL);
    errno = 0; r = mremap(a + 8 * p, p, 2 * p, MREMAP_MAYMOVE);
    printf("unmapped: EFAULT %d\n", r == MAP_FAILED && errno == EFAULT);
    mprotect(g + p, p, PROT_READ);
    errno = 0; r = mremap(g, 2 * p, 4 * p, MREMAP_MAYMOVE);
    printf("across two mappings: EFAULT %d\n", r == MAP_FAILED && errno == EFAULT);
    return 0;
}
