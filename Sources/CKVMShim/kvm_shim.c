#define _GNU_SOURCE
#include "kvm_shim.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <linux/mount.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

static int check(int r) { return r < 0 ? -errno : r; }

int vsim_kvm_open(const char *path) { return check(open(path, O_RDWR | O_CLOEXEC)); }
int vsim_kvm_api_version(int kvm) { return check(ioctl(kvm, KVM_GET_API_VERSION, 0)); }
int vsim_kvm_create_vm(int kvm) { return check(ioctl(kvm, KVM_CREATE_VM, 0)); }
int vsim_kvm_vcpu_mmap_size(int kvm) { return check(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)); }
int vsim_kvm_set_tss_addr(int vm, uint64_t address) { return check(ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)address)); }

int vsim_kvm_set_memory(int vm, uint32_t slot, uint64_t guest_physical, uint64_t size, void *host) {
    struct kvm_userspace_memory_region region = {
        .slot = slot, .flags = 0, .guest_phys_addr = guest_physical, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };
    return check(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
}

int vsim_kvm_create_vcpu(int vm, int id) { return check(ioctl(vm, KVM_CREATE_VCPU, id)); }

void *vsim_kvm_map_run(int vcpu, int size) {
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    return p == MAP_FAILED ? NULL : p;
}
void vsim_kvm_unmap_run(void *run, int size) { munmap(run, (size_t)size); }

static struct kvm_segment flat(uint16_t selector, uint8_t type) {
    struct kvm_segment s = {
        .base = 0, .limit = 0xFFFFFFFF, .selector = selector, .type = type, .present = 1,
        .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1, .avl = 0,
    };
    return s;
}

int vsim_kvm_enter_protected_mode(int vcpu, uint16_t cs, uint16_t ds, uint32_t eip,
                                  uint32_t eax, uint32_t ebx, uint32_t esp) {
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return -errno;
    sregs.cs = flat(cs, 0xB);        // execute/read, accessed
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat(ds, 0x3);   // read/write, accessed
    sregs.gdt.base = 0; sregs.gdt.limit = 0;
    sregs.idt.base = 0; sregs.idt.limit = 0;
    sregs.cr0 = 0x11;                // PE | ET
    sregs.cr3 = 0; sregs.cr4 = 0; sregs.efer = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return -errno;
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = eip; regs.rax = eax; regs.rbx = ebx; regs.rsp = esp; regs.rflags = 0x2;
    return check(ioctl(vcpu, KVM_SET_REGS, &regs));
}

int vsim_kvm_get_registers(int vcpu, struct vsim_kvm_registers *out) {
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_REGS, &r) < 0 || ioctl(vcpu, KVM_GET_SREGS, &s) < 0) return -errno;
    out->eax = (uint32_t)r.rax; out->ebx = (uint32_t)r.rbx; out->ecx = (uint32_t)r.rcx; out->edx = (uint32_t)r.rdx;
    out->esi = (uint32_t)r.rsi; out->edi = (uint32_t)r.rdi; out->esp = (uint32_t)r.rsp; out->ebp = (uint32_t)r.rbp;
    out->eip = (uint32_t)r.rip; out->eflags = (uint32_t)r.rflags;
    out->cr0 = (uint32_t)s.cr0; out->cr2 = (uint32_t)s.cr2; out->cr3 = (uint32_t)s.cr3; out->cr4 = (uint32_t)s.cr4;
    out->cs = s.cs.selector; out->ss = s.ss.selector;
    return 0;
}

int vsim_kvm_run(int vcpu) { return check(ioctl(vcpu, KVM_RUN, 0)); }

uint32_t vsim_run_exit_reason(const void *run) { return ((const struct kvm_run *)run)->exit_reason; }

void vsim_run_io(void *run, struct vsim_run_io *out) {
    struct kvm_run *r = run;
    out->direction = r->io.direction; out->size = r->io.size; out->port = r->io.port;
    out->count = r->io.count; out->data = (uint8_t *)run + r->io.data_offset;
}

void vsim_run_mmio(void *run, struct vsim_run_mmio *out) {
    struct kvm_run *r = run;
    out->address = r->mmio.phys_addr; out->data = r->mmio.data; out->length = r->mmio.len; out->is_write = r->mmio.is_write;
}

uint32_t vsim_run_internal_suberror(const void *run) { return ((const struct kvm_run *)run)->internal.suberror; }
uint64_t vsim_run_fail_entry_reason(const void *run) { return ((const struct kvm_run *)run)->fail_entry.hardware_entry_failure_reason; }
uint32_t vsim_run_system_event_type(const void *run) { return ((const struct kvm_run *)run)->system_event.type; }
void vsim_run_set_immediate_exit(void *run, uint8_t value) { ((struct kvm_run *)run)->immediate_exit = value; }

int vsim_tracefs_open(void) {
    int fs = (int)syscall(SYS_fsopen, "tracefs", 0);
    if (fs < 0) return -errno;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) { int e = errno; close(fs); return -e; }
    int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
    int e = errno;
    close(fs);
    return mnt < 0 ? -e : mnt;
}

int vsim_tracepoint_id(int tracefs, const char *system, const char *event) {
    char path[256];
    snprintf(path, sizeof path, "events/%s/%s/id", system, event);
    int fd = openat(tracefs, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    char text[32] = {0};
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -EIO;
    return atoi(text);
}

int vsim_tracepoint_counter(int id) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = (uint64_t)id;
    return check((int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

int64_t vsim_counter_read(int fd) {
    uint64_t value = 0;
    if (read(fd, &value, sizeof value) != sizeof value) return -1;
    return (int64_t)value;
}

uint64_t vsim_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

struct vsim_watchdog {
    pthread_t thread, target;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct timespec deadline;
    void *run;
    int signal, stopped, fired;
};

static void vsim_kick(int signal) { (void)signal; }

static void *vsim_watchdog_main(void *arg) {
    struct vsim_watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopped) {
        if (pthread_cond_timedwait(&w->wake, &w->lock, &w->deadline) == ETIMEDOUT && !w->stopped) {
            w->fired = 1;
            ((struct kvm_run *)w->run)->immediate_exit = 1;
            pthread_kill(w->target, w->signal);
            // Keep kicking until stopped, in case the signal landed between two KVM_RUNs.
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            w->deadline = now;
            w->deadline.tv_nsec += 10 * 1000 * 1000;
            if (w->deadline.tv_nsec >= 1000000000L) { w->deadline.tv_sec += 1; w->deadline.tv_nsec -= 1000000000L; }
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

void *vsim_watchdog_start(void *run, int signal, uint64_t nanoseconds) {
    if (signal == 0) signal = SIGRTMIN + 7;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = vsim_kick;      // no SA_RESTART: KVM_RUN returns -EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(signal, &sa, NULL) < 0) return NULL;
    // The vCPU thread must not block the signal (thread pools often block everything), or
    // KVM_RUN never sees it pending.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    struct vsim_watchdog *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->target = pthread_self();
    w->run = run;
    w->signal = signal;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    w->deadline.tv_sec += (time_t)(nanoseconds / 1000000000ULL);
    w->deadline.tv_nsec += (long)(nanoseconds % 1000000000ULL);
    if (w->deadline.tv_nsec >= 1000000000L) { w->deadline.tv_sec += 1; w->deadline.tv_nsec -= 1000000000L; }
    if (pthread_create(&w->thread, NULL, vsim_watchdog_main, w) != 0) { free(w); return NULL; }
    return w;
}

int vsim_watchdog_stop(void *watchdog) {
    struct vsim_watchdog *w = watchdog;
    if (!w) return 0;
    pthread_mutex_lock(&w->lock);
    w->stopped = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int fired = w->fired;
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return fired;
}
