// container_shim.c - see include/container_shim.h. Only async-signal-safe calls run in the child.
#define _GNU_SOURCE
#include "container_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/wait.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum { STACK_SIZE = 256 * 1024 };

struct child_args {
    const struct vsim_ct_spec *spec;
    int control_read;   // the init's end of the control pipe
    int control_write;  // the parent's end (closed in the init)
    int report_read;    // the parent's end (closed in the init)
    int report_write;   // the init's end
};

int64_t vsim_ct_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void write_all(int fd, const void *buffer, size_t size) {
    const char *p = buffer;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        size -= (size_t)n;
    }
}

static void report(int fd, int32_t kind, int32_t step, int32_t error, int64_t started, int64_t finished) {
    struct vsim_ct_report r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.step = step;
    r.error = error;
    r.steps_started_ns = started;
    r.steps_finished_ns = finished;
    write_all(fd, &r, sizeof r);
}

static int link_up(const char *name) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
}

static int run_step(const struct vsim_ct_step *step) {
    switch (step->kind) {
    case VSIM_CT_UNSHARE:
        return unshare((int)step->flags);
    case VSIM_CT_SETHOSTNAME:
        return sethostname(step->source, strlen(step->source));
    case VSIM_CT_LINK_UP:
        return link_up(step->source);
    case VSIM_CT_MOUNT:
        return mount(step->source, step->target, step->fstype, step->flags, step->data);
    case VSIM_CT_MKDIR:
        if (mkdir(step->target, 0755) == 0 || errno == EEXIST) return 0;
        return -1;
    case VSIM_CT_MKFILE: {
        int fd = open(step->target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) return -1;
        close(fd);
        return 0;
    }
    case VSIM_CT_PIVOT_ROOT:
        if (chdir(step->target) < 0) return -1;
        if (syscall(SYS_pivot_root, ".", ".") < 0) return -1;
        if (umount2(".", MNT_DETACH) < 0) return -1;
        return chdir("/");
    case VSIM_CT_CHDIR:
        return chdir(step->target);
    case VSIM_CT_CHROOT:
        if (chroot(step->target) < 0) return -1;
        return chdir("/");
    case VSIM_CT_WRITE: {
        int fd = open(step->target, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        size_t size = strlen(step->source);
        ssize_t n = write(fd, step->source, size);
        int saved = errno;
        close(fd);
        if (n == (ssize_t)size) return 0;
        errno = n < 0 ? saved : EIO;
        return -1;
    }
    case VSIM_CT_MASK: {
        struct stat st;
        if (stat(step->target, &st) < 0) return errno == ENOENT ? 0 : -1;
        if (S_ISDIR(st.st_mode))
            return mount("tmpfs", step->target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
        return mount("/dev/null", step->target, NULL, MS_BIND, NULL);
    }
    case VSIM_CT_READONLY: {
        struct stat st;
        if (stat(step->target, &st) < 0) return errno == ENOENT ? 0 : -1;
        if (mount(step->target, step->target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return mount(NULL, step->target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | step->flags, NULL);
    }
    default:
        errno = EINVAL;
        return -1;
    }
}

/// Drops privileges as the header describes; returns 0 or the vsim_ct_late_step that failed
/// (errno set).
static int drop_privileges(const struct vsim_ct_spec *spec) {
    if (spec->drop_capabilities) {
        for (int cap = 0; cap <= spec->last_capability && cap < 64; cap++) {
            if (spec->capabilities & (1ULL << cap)) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return VSIM_CT_LATE_BOUNDING;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return VSIM_CT_LATE_AMBIENT;
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        for (int i = 0; i < 2; i++) {
            uint32_t word = (uint32_t)(spec->capabilities >> (32 * i));
            data[i].effective = word;
            data[i].permitted = word;
            data[i].inheritable = word;
        }
        if (syscall(SYS_capset, &header, data) < 0) return VSIM_CT_LATE_CAPSET;
    }
    if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return VSIM_CT_LATE_NO_NEW_PRIVS;
    if (spec->seccomp_filter != NULL) {
        struct sock_fprog program = {
            .len = (unsigned short)spec->seccomp_instructions,
            .filter = (struct sock_filter *)spec->seccomp_filter,
        };
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0) return VSIM_CT_LATE_SECCOMP;
    }
    return 0;
}

/// The minimal init: forwards signals to `program`, reaps every child, and exits with the
/// program's status once it is gone. All signals are blocked (and so queued for sigwaitinfo,
/// even those a PID 1 would otherwise never receive).
static void run_init(pid_t program) {
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t info;
        int s = sigwaitinfo(&all, &info);
        if (s < 0) continue;
        if (s != SIGCHLD) {
            kill(program, s);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != program) continue;
            _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
        }
    }
}

/// Makes `fd` the descriptor `target` of the init, without close-on-exec.
static int install_fd(int fd, int target) {
    if (fd < 0) {               /* closed, as the caller's own was: the program gets it closed */
        close(target);
        return 0;
    }
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0) return -1;
        return fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

static int container_init(void *raw) {
    struct child_args *a = raw;
    const struct vsim_ct_spec *spec = a->spec;
    close(a->control_write);
    close(a->report_read);
    if (spec->die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    // Wait for the parent: cgroups joined, user namespace mapped. EOF means it gave up or died.
    char go = 0;
    ssize_t n;
    do { n = read(a->control_read, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);
    close(a->control_read);

    int64_t started = vsim_ct_monotonic_ns();
    for (int32_t i = 0; i < spec->step_count; i++) {
        if (run_step(&spec->steps[i]) < 0) {
            report(a->report_write, VSIM_CT_REPORT_FAILED, i, errno, started, vsim_ct_monotonic_ns());
            _exit(127);
        }
    }
    int fail_step = spec->step_count;
    if (install_fd(spec->stdin_fd, 0) < 0 || install_fd(spec->stdout_fd, 1) < 0
        || install_fd(spec->stderr_fd, 2) < 0) {
        report(a->report_write, VSIM_CT_REPORT_FAILED, fail_step + VSIM_CT_LATE_DESCRIPTORS, errno, started, vsim_ct_monotonic_ns());
        _exit(127);
    }
    // No host descriptor beyond 0-2 may reach the program: an open directory fd would be a way
    // out of the new root.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

    // Default dispositions (vsim ignores SIGPIPE, HostIO's StandardStreams; that would survive execve).
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &dfl, NULL);
    }
    // vsim blocks the signals it forwards; the program starts with an empty mask, the init with
    // every signal blocked (it takes them with sigwaitinfo).
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, spec->init ? &all : &none, NULL);

    int late = drop_privileges(spec);
    if (late != 0) {
        report(a->report_write, VSIM_CT_REPORT_FAILED, fail_step + late, errno, started, vsim_ct_monotonic_ns());
        _exit(127);
    }
    if (spec->init) {
        // A raw fork (no CLONE_VM): glibc's fork() runs atfork handlers, which are not
        // async-signal-safe in the child of a multithreaded process.
        long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (child < 0) {
            report(a->report_write, VSIM_CT_REPORT_FAILED, fail_step + VSIM_CT_LATE_INIT_FORK, errno, started, vsim_ct_monotonic_ns());
            _exit(127);
        }
        if (child > 0) {
            // The init keeps no descriptor at all: the report pipe then reaches EOF when the
            // program has exec'ed (or failed), and no copy of a host descriptor of vsim's lingers.
            syscall(SYS_close_range, 0U, ~0U, 0U);
            run_init((pid_t)child);
        }
        sigprocmask(SIG_SETMASK, &none, NULL);
    }

    report(a->report_write, VSIM_CT_REPORT_READY, fail_step, 0, started, vsim_ct_monotonic_ns());
    execve(spec->path, spec->argv, spec->envp);
    report(a->report_write, VSIM_CT_REPORT_FAILED, fail_step, errno, started, vsim_ct_monotonic_ns());
    _exit(127);
}

int vsim_ct_clone(const struct vsim_ct_spec *spec, struct vsim_ct_child *child) {
    int control[2], reports[2];
    if (pipe2(control, O_CLOEXEC) < 0) return -errno;
    if (pipe2(reports, O_CLOEXEC) < 0) {
        int e = errno;
        close(control[0]);
        close(control[1]);
        return -e;
    }
    void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close(control[0]); close(control[1]); close(reports[0]); close(reports[1]);
        return -e;
    }
    struct child_args args = {
        .spec = spec, .control_read = control[0], .control_write = control[1],
        .report_read = reports[0], .report_write = reports[1],
    };
    int pidfd = -1;
    pid_t pid = clone(container_init, (char *)stack + STACK_SIZE,
                      spec->clone_flags | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
    int e = errno;
    munmap(stack, STACK_SIZE);
    close(control[0]);
    close(reports[1]);
    if (pid < 0) {
        close(control[1]);
        close(reports[0]);
        return -e;
    }
    child->pid = pid;
    child->pidfd = pidfd;
    child->control_fd = control[1];
    child->report_fd = reports[0];
    return 0;
}

int vsim_ct_release(struct vsim_ct_child *child) {
    char go = 1;
    ssize_t n;
    do { n = write(child->control_fd, &go, 1); } while (n < 0 && errno == EINTR);
    int e = errno;
    close(child->control_fd);
    child->control_fd = -1;
    return n == 1 ? 0 : -e;
}
