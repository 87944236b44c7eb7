// container_shim.h - the part of vsim's container runtime that must run between clone(2) and
// execve(2), in the container's init process, where Swift cannot run (the child of a clone of a
// multithreaded process may only make async-signal-safe calls).
//
// Policy stays in Swift: Swift decides which namespaces to create and builds the list of steps
// (unshare the cgroup namespace, set the hostname, bring up loopback, each mount, pivot_root,
// masking /proc paths); the shim only executes that list in order, reports the first failure
// (step index and errno) or the time the steps took, and execs the program.
//
// Privileges are dropped last, in the order runc and crun use, because every step before needs
// them and each drop makes the next one possible only in this order:
//   1. capability bounding set: PR_CAPBSET_DROP for every capability not kept (needs CAP_SETPCAP);
//   2. ambient set cleared (PR_CAP_AMBIENT_CLEAR_ALL);
//   3. capset(2): effective = permitted = inheritable = the kept set;
//   4. PR_SET_NO_NEW_PRIVS (execve can never gain privileges again: setuid bits and file
//      capabilities stop working);
//   5. the seccomp filter, right before execve (execve itself must be allowed by it).
// The seccomp filter arrives as ready classic BPF: Swift builds it with libseccomp (which
// allocates and is not async-signal-safe, so it cannot run here) and exports it with
// seccomp_export_bpf; the shim only hands the instructions to prctl(PR_SET_SECCOMP). The same
// bytes could be loaded by any process: there is no policy left in C.
//
// With `init` set, the process that ran the steps stays PID 1 as a minimal init (like
// `docker run --init`): it drops its own privileges as above, forks the program (which inherits
// them and execs), forwards every signal it receives to the program, reaps every child that
// exits (orphans are re-parented to PID 1), and exits with the program's status (128+signal if a
// signal ended it) once the program is gone; the kernel then kills whatever is left in the PID
// namespace.
#ifndef VSIM_CONTAINER_SHIM_H
#define VSIM_CONTAINER_SHIM_H

#include <stdint.h>
#include <sys/types.h>
// Two system headers the Glibc module does not export: statfs(2), with which the Swift side tells
// cgroup v1, v2 and hybrid hosts apart, and signalfd(2), through which it forwards signals.
#include <sys/signalfd.h>
#include <sys/vfs.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What one step does. Every path is as seen by the container's init at that moment.
enum vsim_ct_step_kind {
    /// unshare(flags): used for CLONE_NEWCGROUP after the parent moved the init into its cgroups,
    /// so the cgroup namespace's root is the container's own cgroup.
    VSIM_CT_UNSHARE = 1,
    /// sethostname(source) in the new UTS namespace.
    VSIM_CT_SETHOSTNAME = 2,
    /// Sets IFF_UP on the interface named `source` ("lo") in the new network namespace.
    VSIM_CT_LINK_UP = 3,
    /// mount(source, target, fstype, flags, data).
    VSIM_CT_MOUNT = 4,
    /// mkdir(target, 0755); an existing directory is fine.
    VSIM_CT_MKDIR = 5,
    /// Creates an empty regular file `target` (mode 0644) to bind-mount a file onto; an existing
    /// file is fine.
    VSIM_CT_MKFILE = 6,
    /// chdir(target), pivot_root(".", "."), umount2(".", MNT_DETACH), chdir("/"): the new root
    /// is `target`, and the old root is detached so nothing of the host stays reachable.
    VSIM_CT_PIVOT_ROOT = 7,
    /// chdir(target).
    VSIM_CT_CHDIR = 8,
    /// Writes the string `source` to the existing file `target` in one write(2): the init joins
    /// a cgroup v1 by writing "0" (itself) to its `tasks` file. Moving oneself needs no global
    /// lock, whereas the parent writing the init's pid to `cgroup.procs` waits for an RCU grace
    /// period (cgroup_threadgroup_rwsem): milliseconds per start.
    VSIM_CT_WRITE = 9,
    /// Masks `target` (OCI maskedPaths): a directory gets an empty read-only tmpfs over it, a file
    /// /dev/null bound over it. A missing `target` is skipped.
    VSIM_CT_MASK = 10,
    /// Makes `target` read-only (OCI readonlyPaths): bind-mounts it on itself, then remounts the
    /// bind with MS_RDONLY and `flags` (which must repeat the flags of the mount it sits on, e.g.
    /// nosuid,nodev,noexec for /proc). A missing `target` is skipped.
    VSIM_CT_READONLY = 11,
    /// chroot(target), then chdir("/"): `--isolation chroot`, the classic jail. Unlike
    /// VSIM_CT_PIVOT_ROOT it changes only this process's root directory: the old root stays
    /// reachable through any directory outside the new one (the jail escape).
    VSIM_CT_CHROOT = 12,
};

/// Where a failure after the steps happened (the report's `step` field is step_count + this).
enum vsim_ct_late_step {
    VSIM_CT_LATE_EXEC = 0,
    VSIM_CT_LATE_BOUNDING = 1,
    VSIM_CT_LATE_AMBIENT = 2,
    VSIM_CT_LATE_CAPSET = 3,
    VSIM_CT_LATE_NO_NEW_PRIVS = 4,
    VSIM_CT_LATE_SECCOMP = 5,
    VSIM_CT_LATE_INIT_FORK = 6,
    VSIM_CT_LATE_DESCRIPTORS = 7,
};

struct vsim_ct_step {
    int32_t kind;
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
};

/// Everything the init needs. All pointers must stay valid until vsim_ct_clone returns (the
/// child works on its own copy of the parent's memory).
struct vsim_ct_spec {
    /// CLONE_NEW* flags for clone(2); SIGCHLD and CLONE_PIDFD are added by the shim.
    int32_t clone_flags;
    const struct vsim_ct_step *steps;
    int32_t step_count;
    /// execve(path, argv, envp) after the steps; path as seen inside the container.
    const char *path;
    char *const *argv;
    char *const *envp;
    /// Host descriptors that become the init's 0, 1 and 2.
    int32_t stdin_fd, stdout_fd, stderr_fd;
    /// PR_SET_PDEATHSIG(SIGKILL): the container dies with the vsim that started it.
    int32_t die_with_parent;
    /// Drop capabilities to `capabilities` (a mask of CAP_* bits) in the bounding, permitted,
    /// effective and inheritable sets and clear the ambient set; 0 keeps them all.
    int32_t drop_capabilities;
    /// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
    int32_t last_capability;
    uint64_t capabilities;
    /// prctl(PR_SET_NO_NEW_PRIVS, 1).
    int32_t no_new_privs;
    /// Classic BPF instructions (struct sock_filter, 8 bytes each) for SECCOMP_MODE_FILTER, or
    /// NULL for no filter.
    const void *seccomp_filter;
    int32_t seccomp_instructions;
    /// Stay PID 1 as a minimal init and run the program as its child (see the top of this file).
    int32_t init;
};

/// The started init, blocked until vsim_ct_release.
struct vsim_ct_child {
    pid_t pid;
    /// A pidfd for `pid` (readable when it exits), close-on-exec.
    int32_t pidfd;
    /// Write end of the pipe the init waits on (close-on-exec).
    int32_t control_fd;
    /// Read end of the pipe the init reports on (close-on-exec); EOF once execve succeeded.
    int32_t report_fd;
};

/// What the init writes on the report pipe: one `failed` record, or one `ready` record just
/// before execve (followed by a `failed` record for step `step_count` if execve fails).
enum vsim_ct_report_kind { VSIM_CT_REPORT_FAILED = 1, VSIM_CT_REPORT_READY = 2 };

struct vsim_ct_report {
    int32_t kind;
    /// Index of the failed step; step_count + a vsim_ct_late_step for what follows the steps.
    int32_t step;
    /// errno of the failure.
    int32_t error;
    int32_t reserved;
    /// CLOCK_MONOTONIC nanoseconds when the init was released and when its steps were done.
    int64_t steps_started_ns;
    int64_t steps_finished_ns;
};

/// clone(2)s the container's init with the spec's namespaces. The init waits for
/// vsim_ct_release before running any step.
/// Returns 0, or -errno when the pipes, the stack or clone itself failed (nothing is left open).
int vsim_ct_clone(const struct vsim_ct_spec *spec, struct vsim_ct_child *child);

/// Lets the init run its steps (writes one byte to control_fd and closes it).
/// Returns 0 or -errno.
int vsim_ct_release(struct vsim_ct_child *child);

/// CLOCK_MONOTONIC in nanoseconds (the clock the init stamps its reports with).
int64_t vsim_ct_monotonic_ns(void);

#ifdef __cplusplus
}
#endif
#endif
