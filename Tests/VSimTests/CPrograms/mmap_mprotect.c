#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    memset(p, 0xAB, 8 * page);
    printf("page %zu first %02x last %02x\n", page, p[0], p[8 * page - 1]);
    unsigned char *q = mmap(p + 2 * page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("fixed same %d zeroed %02x kept %02x %02x\n", q == p + 2 * page, p[2 * page], p[page], p[4 * page]);
    printf("munmap middle %d\n", munmap(p + 5 * page, page));
    printf("mprotect ro %d\n", mprotect(p, page, PROT_READ));
    printf("read after mprotect %02x\n", p[10]);
    printf("mprotect unmapped %d\n", mprotect(p + 5 * page, page, PROT_READ) == -1);
    printf("munmap rest %d %d\n", munmap(p, 5 * page), munmap(p + 6 * page, 2 * page));
    unsigned char *r = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(r, 0x77, 4 * page);
    printf("madvise %d zeroed %02x kept %02x\n", madvise(r + page, page, MADV_DONTNEED), r[page + 5], r[5]);
    return 0;
}
