#ifndef VSIM_GUEST_SHIM_H
#define VSIM_GUEST_SHIM_H
/* The Linux calls the Guest module's file system for the guest (Sources/Guest/GuestRoot.swift,
 * LinuxSyscalls+Files.swift) needs and Swift cannot make itself: system calls without a glibc
 * wrapper Swift can see (variadic syscall(2), _GNU_SOURCE-only declarations). Each returns the
 * call's result, or -errno on failure (no errno juggling in Swift). */
#include <stddef.h>
#include <stdint.h>

/* openat2(2) with struct open_how {flags, mode, resolve}; EAGAIN (a rename or mount on the host
 * raced a ".." step under RESOLVE_IN_ROOT/RESOLVE_BENEATH) is retried, up to 128 times. */
long vsim_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
/* getdents64(2): struct linux_dirent64 records into buf. */
long vsim_getdents64(int fd, void *buf, size_t count);
/* pipe2(2). */
long vsim_pipe2(int fds[2], int flags);
/* faccessat2(2) (flags: AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH). */
long vsim_faccessat2(int dirfd, const char *path, int mode, int flags);

#endif
