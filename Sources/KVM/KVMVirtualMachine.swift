import CKVMShim
#if canImport(Glibc)
import Glibc
#endif

/// A KVM virtual machine with one vCPU and one slot of guest RAM at guest-physical 0, set up the
/// way small VMMs (kvmtool, Firecracker, kvm-hello-world) do it: open `/dev/kvm`, KVM_CREATE_VM,
/// KVM_SET_TSS_ADDR (needed on Intel), KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, mmap of the
/// vCPU's `struct kvm_run`. No in-kernel interrupt controller or timer: HLT and every port
/// access the guest makes come back to vsim.
///
/// The vCPU must be run from the thread that created it (KVM's rule).
public final class KVMVirtualMachine {
    /// Nanoseconds spent in each setup step, in order.
    public private(set) var setupPhases: [(name: String, nanoseconds: UInt64)] = []
    let system: Int32
    let vm: Int32
    let vcpu: Int32
    let run: UnsafeMutableRawPointer
    let runSize: Int32

    /// The address given to KVM_SET_TSS_ADDR: three pages below 4 GiB that no memory slot uses.
    public static let tssAddress: UInt64 = 0xFFFB_D000

    /// Creates the VM with `size` bytes of guest RAM at guest-physical 0, backed by the host
    /// memory at `memory` (page aligned; it must outlive the VM).
    public init(memory: UnsafeMutableRawPointer, size: UInt64, devicePath: String = KVMDevice.path) throws(KVMError) {
        var mark = ContinuousClock.now
        var phases: [(String, UInt64)] = []
        func lap(_ name: String) {
            let now = ContinuousClock.now
            let d = (now - mark).components
            phases.append((name, UInt64(d.seconds) * 1_000_000_000 + UInt64(d.attoseconds / 1_000_000_000)))
            mark = now
        }
        system = try KVMDevice.open(path: devicePath)
        lap("open /dev/kvm")
        let vm = vsim_kvm_create_vm(system)
        guard vm >= 0 else { close(system); throw .ioctl("KVM_CREATE_VM", errno: -vm) }
        self.vm = vm
        let tss = vsim_kvm_set_tss_addr(vm, Self.tssAddress)
        guard tss >= 0 else { close(vm); close(system); throw .ioctl("KVM_SET_TSS_ADDR", errno: -tss) }
        lap("KVM_CREATE_VM")
        let mem = vsim_kvm_set_memory(vm, 0, 0, size, memory)
        guard mem >= 0 else { close(vm); close(system); throw .ioctl("KVM_SET_USER_MEMORY_REGION (\(size >> 20) MiB)", errno: -mem) }
        lap("KVM_SET_USER_MEMORY_REGION")
        let vcpu = vsim_kvm_create_vcpu(vm, 0)
        guard vcpu >= 0 else { close(vm); close(system); throw .ioctl("KVM_CREATE_VCPU", errno: -vcpu) }
        self.vcpu = vcpu
        let size = vsim_kvm_vcpu_mmap_size(system)
        guard size > 0, let run = vsim_kvm_map_run(vcpu, size) else {
            close(vcpu); close(vm); close(system)
            throw .ioctl("KVM_GET_VCPU_MMAP_SIZE/mmap of kvm_run", errno: size < 0 ? -size : errno)
        }
        self.run = run
        self.runSize = size
        lap("KVM_CREATE_VCPU")
        setupPhases = phases
    }

    deinit {
        vsim_kvm_unmap_run(run, runSize)
        close(vcpu)
        close(vm)
        close(system)
    }

    /// Puts the vCPU in 32-bit protected mode with paging off at CPL 0: CR0.PE, flat segment
    /// caches set through KVM_SET_SREGS (selectors `cs` and `ds`, base 0, limit 4 GiB, no GDT
    /// needed in guest memory), EFLAGS = 0x2, and the given registers.
    public func enterProtectedMode(eip: UInt32, eax: UInt32 = 0, ebx: UInt32 = 0, esp: UInt32 = 0,
                                   codeSelector: UInt16 = 0x08, dataSelector: UInt16 = 0x10) throws(KVMError) {
        let r = vsim_kvm_enter_protected_mode(vcpu, codeSelector, dataSelector, eip, eax, ebx, esp)
        guard r >= 0 else { throw .ioctl("KVM_SET_SREGS/KVM_SET_REGS", errno: -r) }
    }

    /// Enters the guest until the next exit that KVM hands to vsim.
    public func runUntilExit() throws(KVMError) -> KVMExit {
        let r = vsim_kvm_run(vcpu)
        if r < 0 {
            if -r == EINTR || -r == EAGAIN { return .interrupted }
            throw .ioctl("KVM_RUN", errno: -r)
        }
        let reason = vsim_run_exit_reason(run)
        switch Int(reason) {
        case VSIM_KVM_EXIT_IO:
            var io = vsim_run_io()
            vsim_run_io(run, &io)
            return .io(KVMIOAccess(port: io.port, size: io.size, count: io.count, isOut: io.direction == 1, data: io.data))
        case VSIM_KVM_EXIT_HLT: return .hlt
        case VSIM_KVM_EXIT_MMIO:
            var m = vsim_run_mmio()
            vsim_run_mmio(run, &m)
            return .mmio(KVMMMIOAccess(address: m.address, length: m.length, isWrite: m.is_write != 0, data: m.data))
        case VSIM_KVM_EXIT_SHUTDOWN: return .shutdown
        case VSIM_KVM_EXIT_FAIL_ENTRY: return .failEntry(reason: vsim_run_fail_entry_reason(run))
        case VSIM_KVM_EXIT_INTERNAL_ERROR: return .internalError(suberror: vsim_run_internal_suberror(run))
        case VSIM_KVM_EXIT_SYSTEM_EVENT: return .systemEvent(type: vsim_run_system_event_type(run))
        case VSIM_KVM_EXIT_INTR: return .interrupted
        default: return .other(reason)
        }
    }

    /// The vCPU's registers (for diagnostics), nil if KVM refuses.
    public func registers() -> KVMRegisters? {
        var r = vsim_kvm_registers()
        guard vsim_kvm_get_registers(vcpu, &r) >= 0 else { return nil }
        return KVMRegisters(eip: r.eip, esp: r.esp, eflags: r.eflags, cr0: r.cr0, cr2: r.cr2, cr3: r.cr3,
                            cs: r.cs, eax: r.eax)
    }

    /// Arms a host time limit on ``runUntilExit()``: after `nanoseconds` it returns
    /// ``KVMExit/interrupted``. Call from the vCPU's thread; stop it with ``KVMWatchdog/stop()``.
    public func watchdog(nanoseconds: UInt64) -> KVMWatchdog {
        KVMWatchdog(handle: vsim_watchdog_start(run, 0, nanoseconds))
    }
}

/// Registers of the vCPU, as far as vsim's diagnostics use them.
public struct KVMRegisters: Sendable {
    public var eip, esp, eflags, cr0, cr2, cr3: UInt32
    public var cs: UInt16
    public var eax: UInt32
    /// The current privilege level (CS.RPL).
    public var cpl: UInt16 { cs & 3 }
}

/// The host time limit of a KVM run (see ``KVMVirtualMachine/watchdog(nanoseconds:)``).
public final class KVMWatchdog {
    var handle: UnsafeMutableRawPointer?
    init(handle: UnsafeMutableRawPointer?) { self.handle = handle }
    /// Stops it; true when the limit had been reached.
    @discardableResult public func stop() -> Bool {
        guard let h = handle else { return false }
        handle = nil
        return vsim_watchdog_stop(h) != 0
    }
    deinit { stop() }
}
