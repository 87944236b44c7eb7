// The Linux calls the KVM module cannot make from Swift: ioctl request numbers (function-like
// macros in <linux/kvm.h>), the anonymous unions of struct kvm_run, the segment caches of
// struct kvm_sregs, perf tracepoint counters and RDTSC. Policy (what to set up, what an exit
// means) stays in Swift (Sources/KVM).
#ifndef VSIM_KVM_SHIM_H
#define VSIM_KVM_SHIM_H
#include <stdint.h>

// Each call returns >= 0 on success or -errno.
int vsim_kvm_open(const char *path);
int vsim_kvm_api_version(int kvm);
int vsim_kvm_create_vm(int kvm);
int vsim_kvm_vcpu_mmap_size(int kvm);
int vsim_kvm_set_tss_addr(int vm, uint64_t address);
int vsim_kvm_set_memory(int vm, uint32_t slot, uint64_t guest_physical, uint64_t size, void *host);
int vsim_kvm_create_vcpu(int vm, int id);
// Maps the vCPU's struct kvm_run; NULL on failure (errno set).
void *vsim_kvm_map_run(int vcpu, int size);
void vsim_kvm_unmap_run(void *run, int size);

// 32-bit protected mode, paging off, CPL 0: CR0 = PE|ET, flat 4 GiB code segment `cs` (32-bit)
// and data segments `ds` in every other segment register (their caches set directly: no GDT
// needs to exist), GDTR and IDTR empty, EFLAGS = 0x2, and the given EIP EAX EBX ESP.
int vsim_kvm_enter_protected_mode(int vcpu, uint16_t cs, uint16_t ds, uint32_t eip,
                                  uint32_t eax, uint32_t ebx, uint32_t esp);

struct vsim_kvm_registers {
    uint32_t eax, ebx, ecx, edx, esi, edi, esp, ebp, eip, eflags;
    uint32_t cr0, cr2, cr3, cr4;
    uint16_t cs, ss;
};
int vsim_kvm_get_registers(int vcpu, struct vsim_kvm_registers *out);

int vsim_kvm_run(int vcpu);

// struct kvm_run, field by field.
uint32_t vsim_run_exit_reason(const void *run);
struct vsim_run_io { uint8_t direction, size; uint16_t port; uint32_t count; uint8_t *data; };
void vsim_run_io(void *run, struct vsim_run_io *out);
struct vsim_run_mmio { uint64_t address; uint8_t *data; uint32_t length; uint8_t is_write; };
void vsim_run_mmio(void *run, struct vsim_run_mmio *out);
uint32_t vsim_run_internal_suberror(const void *run);
uint64_t vsim_run_fail_entry_reason(const void *run);
uint32_t vsim_run_system_event_type(const void *run);
void vsim_run_set_immediate_exit(void *run, uint8_t value);

// KVM_EXIT_* and KVM_INTERNAL_ERROR_* values.
enum {
    VSIM_KVM_EXIT_UNKNOWN = 0, VSIM_KVM_EXIT_EXCEPTION = 1, VSIM_KVM_EXIT_IO = 2, VSIM_KVM_EXIT_HYPERCALL = 3,
    VSIM_KVM_EXIT_DEBUG = 4, VSIM_KVM_EXIT_HLT = 5, VSIM_KVM_EXIT_MMIO = 6, VSIM_KVM_EXIT_IRQ_WINDOW_OPEN = 7,
    VSIM_KVM_EXIT_SHUTDOWN = 8, VSIM_KVM_EXIT_FAIL_ENTRY = 9, VSIM_KVM_EXIT_INTR = 10,
    VSIM_KVM_EXIT_INTERNAL_ERROR = 17, VSIM_KVM_EXIT_SYSTEM_EVENT = 24,
};

// Counting kernel tracepoints (kvm:kvm_cpuid, kvm:kvm_pio, ...) for the calling thread with
// perf_event_open. The tracepoint ids come from a tracefs instance mounted detached (fsopen +
// fsmount: nothing appears in any mount namespace). Root only.
int vsim_tracefs_open(void);
int vsim_tracepoint_id(int tracefs, const char *system, const char *event);
int vsim_tracepoint_counter(int id);
int64_t vsim_counter_read(int fd);

uint64_t vsim_rdtsc(void);

// A host time limit for KVM_RUN: after `nanoseconds` a watchdog thread sets the run's
// immediate_exit and signals the calling thread (an empty handler for `signal`, installed without
// SA_RESTART; 0 means SIGRTMIN+7), so KVM_RUN returns -EINTR. NULL when no thread could be started.
void *vsim_watchdog_start(void *run, int signal, uint64_t nanoseconds);
// Stops the watchdog; returns 1 when it had fired.
int vsim_watchdog_stop(void *watchdog);
#endif
