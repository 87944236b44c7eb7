/* chld_reap.c - how a child's end reaches its parent, for KernelProcessTests+Reaping: the same
 * output natively (the oracle) and under the guest kernel.
 * 1. SIGCHLD's siginfo (Linux's do_notify_parent): si_code CLD_EXITED with the exit code as
 *    si_status, CLD_KILLED with the signal; si_pid the child's. While SIGCHLD is blocked a
 *    second child's exit finds it pending: one handler run, with the first child's siginfo.
 * 2. A parent that does not wait (POSIX; Linux's kernel/exit.c): with SA_NOCLDWAIT the handler
 *    still runs, and waitpid, finding no child left, is -1 ECHILD; with SIGCHLD set to SIG_IGN
 *    each of 20 children is reaped as it exits (more than the guest kernel's process table
 *    holds), and waitpid is -1 ECHILD; a zombie made before SIG_IGN stays and is reaped by
 *    waitpid.
 * 3. Orphans: a child forks a grandchild and exits; the grandchild is reparented (getppid is no
 *    longer the child's pid) and is not the first process's child (wait is -1 ECHILD); 20 rounds
 *    of it leave no zombie behind (init reaps them), so the last fork still succeeds. The first
 *    round's grandchild says so and signals the first process, which waits for it in
 *    sigsuspend. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static volatile sig_atomic_t seen, code, status, pid_seen, usr1;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    seen++;
    code = si->si_code;
    status = si->si_status;
    pid_seen = si->si_pid;
}

static void on_usr1(int sig) { (void)sig; usr1 = 1; }

static void action(int sig, void (*fn)(int, siginfo_t *, void *), void (*plain)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (fn) { sa.sa_sigaction = fn; flags |= SA_SIGINFO; } else sa.sa_handler = plain;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) { perror("sigaction"); exit(1); }
}

static const char *code_name(int c) {
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    default: return "another si_code";
    }
}

static pid_t child(int how) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        if (how < 0) for (;;) pause();
        _exit(how);
    }
    return pid;
}

static void show_wait(const char *what, pid_t pid, pid_t got, int st) {
    printf("%s: waitpid %s", what, got == pid ? "the child" : got == -1 ? "-1" : "something else");
    if (got == -1) printf(" %s", errno == ECHILD ? "ECHILD" : "another errno");
    else if (WIFEXITED(st)) printf(", WEXITSTATUS %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf(", WTERMSIG %d", WTERMSIG(st));
    printf("; SIGCHLDs %d", (int)seen);
    if (seen) printf(", last %s si_status %d from %s", code_name(code), (int)status, pid_seen == pid ? "the child" : "another pid");
    printf("\n");
}

int main(void) {
    int st = 0;
    /* 1. siginfo */
    action(SIGCHLD, on_chld, NULL, SA_RESTART);
    int codes[] = {42, 0, 255};
    for (int i = 0; i < 3; i++) {
        pid_t pid = child(codes[i]);
        pid_t got = waitpid(pid, &st, 0);
        char what[32];
        snprintf(what, sizeof what, "exit %d", codes[i]);
        show_wait(what, pid, got, st);
    }
    int sigs[] = {SIGKILL, SIGTERM};
    for (int i = 0; i < 2; i++) {
        pid_t pid = child(-1);
        kill(pid, sigs[i]);
        pid_t got = waitpid(pid, &st, 0);
        show_wait(i == 0 ? "SIGKILL" : "SIGTERM", pid, got, st);
    }
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    seen = 0;
    pid_t first = child(3);
    waitpid(first, &st, 0);
    pid_t second = child(4);
    waitpid(second, &st, 0);
    printf("blocked: SIGCHLDs %d while blocked; ", (int)seen);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    printf("%d after, %s si_status %d from %s\n", (int)seen, code_name(code), (int)status,
           pid_seen == first ? "the first child" : pid_seen == second ? "the second child" : "another pid");

    /* 2. parents that do not wait */
    seen = 0;
    action(SIGCHLD, on_chld, NULL, SA_RESTART | SA_NOCLDWAIT);
    pid_t pid = child(5);
    pid_t got = waitpid(pid, &st, 0);
    show_wait("SA_NOCLDWAIT", pid, got, st);
    errno = 0;
    got = wait(NULL);
    printf("SA_NOCLDWAIT: then wait %d %s\n", (int)got, errno == ECHILD ? "ECHILD" : "another errno");

    seen = 0;
    action(SIGCHLD, on_chld, NULL, SA_RESTART);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t zombie = child(7);
    while (!seen) sigsuspend(&none);        /* its SIGCHLD: it is a zombie now */
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    signal(SIGCHLD, SIG_IGN);
    int echild = 0;
    for (int i = 0; i < 20; i++) {
        pid = child(i);
        errno = 0;
        if (waitpid(pid, &st, 0) == -1 && errno == ECHILD) echild++;
    }
    printf("SIG_IGN: 20 children, waitpid -1 ECHILD for %d\n", echild);
    got = waitpid(zombie, &st, 0);
    show_wait("SIG_IGN: the zombie from before", zombie, got, st);
    signal(SIGCHLD, SIG_DFL);

    /* 3. orphans */
    action(SIGUSR1, NULL, on_usr1, 0);
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr, NULL);
    pid_t top = getpid();
    int exited = 0, echildren = 0;
    for (int round = 0; round < 20; round++) {
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) { perror("fork"); return 1; }
        if (c == 0) {
            pid_t me = getpid();
            fflush(stdout);
            pid_t g = fork();
            if (g < 0) { perror("fork (grandchild)"); _exit(1); }
            if (g == 0) {
                while (getppid() == me) {}   /* until its parent has exited */
                if (round == 0) {
                    printf("grandchild: reparented (getppid no longer its parent's pid)\n");
                    fflush(stdout);
                    kill(top, SIGUSR1);
                }
                _exit(0);
            }
            _exit(9);
        }
        got = waitpid(c, &st, 0);
        if (got == c && WIFEXITED(st) && WEXITSTATUS(st) == 9) exited++;
        if (round == 0) {
            while (!usr1) sigsuspend(&none);
        }
        errno = 0;
        if (wait(NULL) == -1 && errno == ECHILD) echildren++;
    }
    printf("orphans: 20 rounds, the child exited 9 in %d, then wait -1 ECHILD in %d\n", exited, echildren);
    return 0;
}
