/* sigchld_fork.c - signals between processes, for KernelProcessTests: the same output natively
 * (the oracle) and under the guest kernel. The parent installs a SIGCHLD handler and forks
 * children one at a time that exit with different codes, reaping each with waitpid and counting
 * the SIGCHLDs its handler saw; a child that ends itself with abort() reads as WIFSIGNALED with
 * WTERMSIG SIGABRT; a child waits in sigsuspend for the SIGUSR1 its parent sends with
 * kill(child, SIGUSR1), its handler (inherited over fork) runs in the child; a waitpid that a
 * child's SIGUSR2 interrupts returns -1 with EINTR (the handler has no SA_RESTART), and with
 * SA_RESTART it is restarted and reaps the child.
 *
 * The SIGUSR2 child's two sleeps order it against its parent (the parent blocked in waitpid
 * before the signal; the child still alive when the parent looks again). Natively they are
 * 20 ms and 50 ms of the host's time, against its real scheduler. Under the guest kernel time
 * is the instruction count (1 ns per guest instruction; a sleep waits for timer interrupts),
 * so the order is decided within a tick and the tests pass a shorter sleep as argv[1]
 * (microseconds; the second sleep is 2.5 times it): each guest millisecond of sleep is 2,000
 * timer interrupts at the 500-instruction tick. Nothing printed depends on the length. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static volatile sig_atomic_t chld_count, usr1_seen, usr2_seen;

static void on_chld(int sig) { (void)sig; chld_count++; }
static void on_usr1(int sig) { (void)sig; usr1_seen = 1; }
static void on_usr2(int sig) { (void)sig; usr2_seen++; }

static void handle(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) { perror("sigaction"); exit(1); }
}

static void report(const char *what, pid_t pid, pid_t got, int status) {
    printf("%s: waitpid %s; ", what, got == pid ? "the child" : "something else");
    if (WIFEXITED(status)) printf("WIFEXITED, WEXITSTATUS %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("WIFSIGNALED, WTERMSIG %d", WTERMSIG(status));
    printf("; SIGCHLDs so far %d\n", (int)chld_count);
}

static long sleep_us = 20 * 1000;  /* argv[1], if given */

/* A child that sleeps a little, then sends its parent SIGUSR2 and exits 5. */
static pid_t usr2_child(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, sleep_us * 1000};
        nanosleep(&ts, NULL);
        kill(getppid(), SIGUSR2);
        ts.tv_nsec = sleep_us * 2500;  /* alive still when the parent's waitpid looks again */
        nanosleep(&ts, NULL);
        _exit(5);
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc > 1) sleep_us = atol(argv[1]);
    if (sleep_us <= 0 || sleep_us > 300 * 1000) { fprintf(stderr, "sigchld_fork: a sleep from 1 to 300000 us\n"); return 2; }
    handle(SIGCHLD, on_chld, SA_RESTART);
    int status;
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(20 + i * 7);
        pid_t got = waitpid(pid, &status, 0);
        report("exit", pid, got, status);
    }

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    pid_t got = waitpid(pid, &status, 0);
    report("abort", pid, got, status);

    /* kill(child, SIGUSR1): blocked before fork, so the child takes it in sigsuspend. */
    handle(SIGUSR1, on_usr1, 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        while (!usr1_seen) sigsuspend(&none);
        printf("child: SIGUSR1 handled in the child: %s\n", usr1_seen ? "yes" : "no");
        fflush(stdout);
        _exit(usr1_seen ? 7 : 8);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("kill(child, SIGUSR1) = %d\n", kill(pid, SIGUSR1));
    got = waitpid(pid, &status, 0);
    report("kill", pid, got, status);
    printf("parent's own SIGUSR1 handler ran: %s\n", usr1_seen ? "yes" : "no");

    /* waitpid interrupted: without SA_RESTART -1 EINTR, then the child reaped. */
    handle(SIGUSR2, on_usr2, 0);
    pid = usr2_child();
    errno = 0;
    got = waitpid(pid, &status, 0);
    printf("waitpid interrupted: %d, %s; SIGUSR2 handled %d\n", (int)got, got < 0 && errno == EINTR ? "EINTR" : "not EINTR", (int)usr2_seen);
    got = waitpid(pid, &status, 0);
    report("after EINTR", pid, got, status);

    /* with SA_RESTART the same waitpid is restarted: it reaps the child. */
    handle(SIGUSR2, on_usr2, SA_RESTART);
    pid = usr2_child();
    got = waitpid(pid, &status, 0);
    report("restarted", pid, got, status);
    printf("SIGUSR2 handled %d\n", (int)usr2_seen);

    int r = kill(99999, SIGUSR1);
    printf("kill(no such pid) = %d, %s\n", r, errno == ESRCH ? "ESRCH" : "?");
    printf("SIGCHLDs %d\n", (int)chld_count);
    return 0;
}
