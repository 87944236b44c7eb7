#define _GNU_SOURCE
#include "guest_shim.h"
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

struct vsim_open_how { uint64_t flags, mode, resolve; };

static long result(long r) { return r < 0 ? -errno : r; }

long vsim_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct vsim_open_how how = { flags, mode, resolve };
    return result(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

long vsim_getdents64(int fd, void *buf, size_t count) {
    return result(syscall(SYS_getdents64, fd, buf, count));
}

long vsim_faccessat2(int dirfd, const char *path, int mode, int flags) {
    return result(syscall(SYS_faccessat2, dirfd, path, mode, flags));
}

long vsim_pipe2(int fds[2], int flags) {
    return result(pipe2(fds, flags));
}
