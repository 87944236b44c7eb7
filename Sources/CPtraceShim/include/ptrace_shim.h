// ptrace_shim.h - the ptrace(2) calls of vsim's PRoot-style runner (`--mode ptrace`, module Ptrace).
//
// The boundary: C does what Swift cannot do safely or at all, and nothing else.
//   * Starting the tracee: fork, then in the child (which may only make async-signal-safe calls,
//     vsim being multithreaded) put the descriptors in place, chdir, PTRACE_TRACEME, stop itself
//     with SIGSTOP so the tracer can set its options, and execve. An execve failure is reported
//     through a close-on-exec pipe as the errno.
//   * The ptrace requests themselves (variadic in glibc, so not callable from Swift), with the
//     x86-64 `struct user_regs_struct` reduced to the registers an i386 system call uses.
//   * Reading and writing the tracee's memory with process_vm_readv/process_vm_writev.
// Policy stays in Swift: which stops to take, which system calls to count, which paths to
// rewrite and how, when to kill.
//
// The tracee is an i386 program on an x86-64 host: it enters the kernel with `int $0x80`, so at
// a system-call stop orig_ax holds the i386 system call number (asm/unistd_32.h), bx cx dx si di
// bp its six arguments, and ax -ENOSYS at entry and the result at exit; cs is 0x23 for a 32-bit
// (compat) tracee and 0x33 for a 64-bit one.
#ifndef VSIM_PTRACE_SHIM_H
#define VSIM_PTRACE_SHIM_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The registers of one stop (from PTRACE_GETREGS), widened to 64 bits.
struct vsim_pt_regs {
    uint64_t orig_ax, ax, bx, cx, dx, si, di, bp, sp, ip, cs;
};

/// Forks a child that becomes a tracee (PTRACE_TRACEME), stops with SIGSTOP and then execs
/// `path` with `argv` and `envp` (NULL-terminated). `in`, `out`, `err` become its fds 0, 1, 2
/// (a negative one: that fd is closed); `cwd` (NULL: unchanged) is its working directory.
/// Returns the pid, or -1 with errno set (fork failed). The caller must wait for the SIGSTOP,
/// set options and resume; if a step fails, the child exits 127 and writes two ints to the pipe
/// whose read end (close-on-exec) is returned in `*exec_error_fd`: the step (1 chdir,
/// 2 PTRACE_TRACEME, 3 execve) and its errno. A successful exec closes the pipe unwritten.
pid_t vsim_pt_spawn(const char *path, char *const argv[], char *const envp[],
                    int in, int out, int err, const char *cwd, int *exec_error_fd);

/// waitpid(-1, status, __WALL), retried on EINTR. Returns the pid or -1 with errno.
pid_t vsim_pt_wait(int *status);

/// PTRACE_SETOPTIONS. Returns 0 or -1 with errno.
int vsim_pt_set_options(pid_t pid, long options);
/// PTRACE_SYSCALL (resume to the next system-call entry or exit), delivering `signal` (0: none).
int vsim_pt_syscall(pid_t pid, int signal);
/// PTRACE_CONT, delivering `signal` (0: none).
int vsim_pt_cont(pid_t pid, int signal);
/// Whether a SIGSTOP-family stop of `pid` is a group-stop (PTRACE_GETSIGINFO fails with EINVAL)
/// rather than a signal-delivery-stop: 1 or 0.
int vsim_pt_is_group_stop(pid_t pid);
/// PTRACE_GETEVENTMSG into `*message`.
int vsim_pt_event_message(pid_t pid, unsigned long *message);
/// PTRACE_GETREGS into `*regs`.
int vsim_pt_get_regs(pid_t pid, struct vsim_pt_regs *regs);
/// PTRACE_GETREGS, then orig_ax ax bx cx dx si di bp replaced from `*regs`, then PTRACE_SETREGS
/// (sp, ip and cs are left as they are).
int vsim_pt_set_regs(pid_t pid, const struct vsim_pt_regs *regs);

/// Reads up to `length` bytes at `address` in the tracee, page by page, stopping early at an
/// unreadable page. Returns the bytes read (0: none) or -1 with errno.
long vsim_pt_read(pid_t pid, uint64_t address, void *buffer, unsigned long length);
/// Writes `length` bytes at `address` in the tracee. Returns the bytes written or -1 with errno.
long vsim_pt_write(pid_t pid, uint64_t address, const void *buffer, unsigned long length);

/// pidfd_open(2) of `pid` (close-on-exec), or -1 with errno: a handle that a timer on another
/// thread can signal without the race of a reused pid.
int vsim_pt_pidfd_open(pid_t pid);
/// pidfd_send_signal(2) of SIGKILL. Returns 0 or -1 with errno.
int vsim_pt_pidfd_kill(int pidfd);

/// The option and event constants of <linux/ptrace.h>, for Swift (macros there).
enum {
    VSIM_PT_O_TRACESYSGOOD = 0x01,
    VSIM_PT_O_TRACEFORK = 0x02,
    VSIM_PT_O_TRACEVFORK = 0x04,
    VSIM_PT_O_TRACECLONE = 0x08,
    VSIM_PT_O_TRACEEXEC = 0x10,
    VSIM_PT_O_EXITKILL = 0x100000,
    VSIM_PT_EVENT_FORK = 1,
    VSIM_PT_EVENT_VFORK = 2,
    VSIM_PT_EVENT_CLONE = 3,
    VSIM_PT_EVENT_EXEC = 4,
    VSIM_PT_EVENT_STOP = 128,
};

/// The audit architectures of <linux/audit.h> that libseccomp names tables by (composite macros
/// there): AUDIT_ARCH_I386 = EM_386 | __AUDIT_ARCH_LE, AUDIT_ARCH_X86_64 = EM_X86_64 |
/// __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
static const uint32_t VSIM_PT_AUDIT_ARCH_I386 = 0x40000003u;
static const uint32_t VSIM_PT_AUDIT_ARCH_X86_64 = 0xC000003Eu;

#ifdef __cplusplus
}
#endif
#endif
