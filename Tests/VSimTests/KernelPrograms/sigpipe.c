/* sigpipe.c - a write to a pipe of the program's own whose reader it closed, for
 * KernelProcessTests+SIGPIPE: the same output and status natively (the oracle) and under the
 * guest kernel. Linux's pipe_write finds no reader, sends SIGPIPE to the writer (send_sig:
 * si_code SI_USER, si_pid the writer's own) and returns -EPIPE (pipe(7), signal(7)):
 *   default  - SIGPIPE's default action ends the program: status 128 + 13 = 141, after the
 *              line printed before the write and nothing after it;
 *   handler  - a handler runs once per write (write, then writev) and the calls fail with EPIPE;
 *   ignore   - SIG_IGN: no signal, EPIPE (as own_pipe_epipe.s, which exits 32);
 *   blocked  - blocked: EPIPE, and SIGPIPE is left pending (sigpending), once for two writes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

static volatile sig_atomic_t count, code, from_self;

static void on_pipe(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    count++;
    code = si->si_code;
    from_self = si->si_pid == getpid();
}

/* A pipe whose read end is closed: its write end. */
static int readerless(void) {
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); _exit(2); }
    close(fds[0]);
    return fds[1];
}

static void report(const char *what, long r, int e) {
    printf("%s: %ld %s\n", what, r, r < 0 ? (e == EPIPE ? "EPIPE" : strerror(e)) : "bytes");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "default";
    int fd = readerless();
    struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
    if (strcmp(mode, "handler") == 0) {
        struct sigaction act;
        memset(&act, 0, sizeof act);
        act.sa_sigaction = on_pipe;
        act.sa_flags = SA_SIGINFO;
        sigaction(SIGPIPE, &act, 0);
        long r = write(fd, "x", 1);
        int e = errno;
        report("write", r, e);
        printf("handler ran %d time(s), si_code %d%s\n", (int)count, (int)code, from_self ? ", si_pid its own" : "");
        r = writev(fd, iov, 2);
        e = errno;
        report("writev", r, e);
        printf("handler ran %d time(s)\n", (int)count);
    } else if (strcmp(mode, "ignore") == 0) {
        signal(SIGPIPE, SIG_IGN);
        long r = write(fd, "x", 1);
        report("write", r, errno);
        r = writev(fd, iov, 2);
        report("writev", r, errno);
    } else if (strcmp(mode, "blocked") == 0) {
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, 0);
        long r = write(fd, "x", 1);
        report("write", r, errno);
        r = writev(fd, iov, 2);
        report("writev", r, errno);
        sigpending(&pending);
        printf("SIGPIPE pending: %s\n", sigismember(&pending, SIGPIPE) ? "yes" : "no");
        fflush(stdout);
        signal(SIGPIPE, SIG_IGN);     /* discards the pending one: no death at the unblock */
        sigprocmask(SIG_UNBLOCK, &set, 0);
        printf("unblocked with SIG_IGN: still running\n");
    } else {
        printf("before the write\n");
        fflush(stdout);
        long r = write(fd, "x", 1);
        report("after the write (not reached)", r, errno);
    }
    return 0;
}
