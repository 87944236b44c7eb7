// ptrace_shim.c - see include/ptrace_shim.h for the boundary between C and Swift.
#define _GNU_SOURCE
#include "ptrace_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t vsim_pt_spawn(const char *path, char *const argv[], char *const envp[],
                    int in, int out, int err, const char *cwd, int *exec_error_fd) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        // The child: async-signal-safe calls only.
        int sources[3] = {in, out, err};
        int moved[3];
        for (int i = 0; i < 3; i++) moved[i] = sources[i] >= 0 ? fcntl(sources[i], F_DUPFD_CLOEXEC, 10) : -1;
        for (int i = 0; i < 3; i++) {
            if (moved[i] >= 0) dup2(moved[i], i); else close(i);
        }
        // SIGPIPE's default action back: vsim ignores it (StandardStreams), and SIG_IGN would
        // survive execve, so the traced program would get EPIPE where natively it dies.
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, NULL);
        int failure[2] = {0, 0};
        if (cwd != NULL && chdir(cwd) != 0) { failure[0] = 1; failure[1] = errno; }
        if (failure[0] == 0 && ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) { failure[0] = 2; failure[1] = errno; }
        if (failure[0] == 0) {
            raise(SIGSTOP);
            execve(path, argv, envp);
            failure[0] = 3;
            failure[1] = errno;
        }
        ssize_t unused = write(report[1], failure, sizeof failure);
        (void)unused;
        _exit(127);
    }
    close(report[1]);
    *exec_error_fd = report[0];
    return pid;
}

pid_t vsim_pt_wait(int *status) {
    pid_t p;
    do { p = waitpid(-1, status, __WALL); } while (p < 0 && errno == EINTR);
    return p;
}

int vsim_pt_set_options(pid_t pid, long options) {
    return ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)options) == 0 ? 0 : -1;
}

int vsim_pt_syscall(pid_t pid, int signal) {
    return ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)signal) == 0 ? 0 : -1;
}

int vsim_pt_cont(pid_t pid, int signal) {
    return ptrace(PTRACE_CONT, pid, NULL, (void *)(long)signal) == 0 ? 0 : -1;
}

int vsim_pt_is_group_stop(pid_t pid) {
    siginfo_t info;
    return ptrace(PTRACE_GETSIGINFO, pid, NULL, &info) != 0 && errno == EINVAL;
}

int vsim_pt_event_message(pid_t pid, unsigned long *message) {
    return ptrace(PTRACE_GETEVENTMSG, pid, NULL, message) == 0 ? 0 : -1;
}

int vsim_pt_get_regs(pid_t pid, struct vsim_pt_regs *regs) {
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, NULL, &r) != 0) return -1;
    regs->orig_ax = r.orig_rax;
    regs->ax = r.rax;
    regs->bx = r.rbx;
    regs->cx = r.rcx;
    regs->dx = r.rdx;
    regs->si = r.rsi;
    regs->di = r.rdi;
    regs->bp = r.rbp;
    regs->sp = r.rsp;
    regs->ip = r.rip;
    regs->cs = r.cs;
    return 0;
}

int vsim_pt_set_regs(pid_t pid, const struct vsim_pt_regs *regs) {
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, NULL, &r) != 0) return -1;
    r.orig_rax = regs->orig_ax;
    r.rax = regs->ax;
    r.rbx = regs->bx;
    r.rcx = regs->cx;
    r.rdx = regs->dx;
    r.rsi = regs->si;
    r.rdi = regs->di;
    r.rbp = regs->bp;
    return ptrace(PTRACE_SETREGS, pid, NULL, &r) == 0 ? 0 : -1;
}

long vsim_pt_read(pid_t pid, uint64_t address, void *buffer, unsigned long length) {
    const unsigned long page = 4096;
    unsigned long done = 0;
    while (done < length) {
        uint64_t at = address + done;
        unsigned long chunk = page - (unsigned long)(at % page);
        if (chunk > length - done) chunk = length - done;
        struct iovec local = {(char *)buffer + done, chunk};
        struct iovec remote = {(void *)(uintptr_t)at, chunk};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            if (done == 0 && n < 0) return -1;
            break;
        }
        done += (unsigned long)n;
        if ((unsigned long)n < chunk) break;
    }
    return (long)done;
}

long vsim_pt_write(pid_t pid, uint64_t address, const void *buffer, unsigned long length) {
    struct iovec local = {(void *)buffer, length};
    struct iovec remote = {(void *)(uintptr_t)address, length};
    return (long)process_vm_writev(pid, &local, 1, &remote, 1, 0);
}

int vsim_pt_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int vsim_pt_pidfd_kill(int pidfd) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}
