import CKVMShim
#if canImport(Glibc)
import Glibc
#endif

/// Counts of the VM exits that KVM handles inside the kernel and never shows vsim (CPUID, control
/// register and MSR accesses, instructions KVM emulates, guest page faults it handles), read from
/// KVM's own tracepoints (`kvm:kvm_cpuid`, `kvm:kvm_cr`, ...) with perf counters bound to the
/// vCPU thread: nothing global is switched on, and other VMs on the host are not counted.
///
/// Needs root (a detached tracefs instance gives the tracepoint ids) and perf events; nil
/// otherwise, and vsim then reports only the exits that reach it.
public final class InKernelExitCounters {
    /// (tracepoint, what it counts).
    public static let tracepoints: [(event: String, meaning: String)] = [
        ("kvm_cpuid", "CPUID"), ("kvm_cr", "control-register access"), ("kvm_msr", "RDMSR/WRMSR"),
        ("kvm_pio", "port I/O (in-kernel and to vsim)"), ("kvm_emulate_insn", "instruction emulated by KVM"),
        ("kvm_page_fault", "guest page fault handled by KVM"), ("kvm_inj_exception", "exception injected by KVM"),
        ("kvm_exit", "VM exit (all reasons)"),
    ]
    var counters: [(event: String, fd: Int32)] = []

    /// Opens the counters for the calling thread (which must be the one that runs the vCPU).
    public init?() {
        let tracefs = vsim_tracefs_open()
        guard tracefs >= 0 else { return nil }
        defer { close(tracefs) }
        for t in Self.tracepoints {
            let id = vsim_tracepoint_id(tracefs, "kvm", t.event)
            guard id >= 0 else { continue }
            let fd = vsim_tracepoint_counter(id)
            guard fd >= 0 else { continue }
            counters.append((t.event, fd))
        }
        if counters.isEmpty { return nil }
    }

    deinit { for c in counters { close(c.fd) } }

    /// Current counts by tracepoint name.
    public func read() -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for c in counters {
            let v = vsim_counter_read(c.fd)
            if v >= 0 { out[c.event] = UInt64(v) }
        }
        return out
    }
}

/// The host's time-stamp counter (cycles), for exit costs in cycles.
public func readTimeStampCounter() -> UInt64 { vsim_rdtsc() }
