/* fork_wait.c - fork and wait through a C library (glibc's fork is clone(CLONE_CHILD_SETTID |
 * CLONE_CHILD_CLEARTID | SIGCHLD, child_tidptr), musl's is fork), for KernelProcessTests: the
 * same output natively (the oracle) and under the guest kernel. The child writes and exits with
 * a code; the parent waits and reads WIFEXITED and WEXITSTATUS; the child's getppid() is the
 * parent's getpid(); a child's writes to memory stay its own (copy-on-write); stdio buffers are
 * flushed before fork so no line is printed twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static int counter = 100;

int main(void) {
    pid_t me = getpid();
    char *heap = malloc(64);
    strcpy(heap, "parent's heap");
    for (int i = 1; i <= 3; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            counter += i;
            strcpy(heap, "child's heap");
            printf("child %d: getppid() == parent's getpid(): %s; counter %d; %s\n",
                   i, getppid() == me ? "yes" : "no", counter, heap);
            fflush(stdout);
            _exit(10 + i);
        }
        int status = 0;
        pid_t got = waitpid(pid, &status, 0);
        printf("parent: waitpid returned the child: %s; WIFEXITED %d WEXITSTATUS %d; counter %d; %s\n",
               got == pid ? "yes" : "no", WIFEXITED(status), WEXITSTATUS(status), counter, heap);
    }
    pid_t none = wait(NULL);
    printf("wait with no child left: %d\n", (int)none);
    return 0;
}
