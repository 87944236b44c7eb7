import CKVMShim

/// Why KVM_RUN returned to vsim (`struct kvm_run`'s `exit_reason`, KVM_EXIT_*).
public enum KVMExit {
    /// IN/OUT (or a string form) to a port KVM does not emulate itself.
    case io(KVMIOAccess)
    /// HLT, with no in-kernel interrupt controller to wait for.
    case hlt
    /// A load or store to guest-physical memory no memory slot backs.
    case mmio(KVMMMIOAccess)
    /// The guest shut the CPU down: on x86 a triple fault.
    case shutdown
    /// VM entry failed (VT-x: invalid guest state); the hardware's reason code.
    case failEntry(reason: UInt64)
    /// KVM could not go on (e.g. it failed to emulate an instruction); KVM_INTERNAL_ERROR_*.
    case internalError(suberror: UInt32)
    /// A system event (reset, shutdown, crash) of the given KVM_SYSTEM_EVENT_* type.
    case systemEvent(type: UInt32)
    /// KVM_RUN returned -EINTR: a signal (vsim's time limit) interrupted it.
    case interrupted
    /// Any other KVM_EXIT_* value.
    case other(UInt32)

    /// "KVM_EXIT_IO" etc.
    public var name: String {
        switch self {
        case .io: return "KVM_EXIT_IO"
        case .hlt: return "KVM_EXIT_HLT"
        case .mmio: return "KVM_EXIT_MMIO"
        case .shutdown: return "KVM_EXIT_SHUTDOWN"
        case .failEntry: return "KVM_EXIT_FAIL_ENTRY"
        case .internalError: return "KVM_EXIT_INTERNAL_ERROR"
        case .systemEvent: return "KVM_EXIT_SYSTEM_EVENT"
        case .interrupted: return "KVM_EXIT_INTR"
        case .other(let r): return "KVM_EXIT_\(r)"
        }
    }

    /// KVM_INTERNAL_ERROR_* names (include/uapi/linux/kvm.h).
    public static func internalErrorName(_ suberror: UInt32) -> String {
        switch suberror {
        case 1: return "KVM_INTERNAL_ERROR_EMULATION (KVM could not emulate an instruction)"
        case 2: return "KVM_INTERNAL_ERROR_SIMUL_EX (an exception while delivering another)"
        case 3: return "KVM_INTERNAL_ERROR_DELIVERY_EV (an event could not be delivered)"
        case 4: return "KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON"
        default: return "KVM internal error \(suberror)"
        }
    }
}

/// One port access of a KVM_EXIT_IO: `count` items of `size` bytes at `data` (in `struct kvm_run`).
public struct KVMIOAccess {
    public var port: UInt16
    public var size: UInt8
    public var count: UInt32
    public var isOut: Bool
    public var data: UnsafeMutablePointer<UInt8>

    /// Item `i` as a little-endian value (OUT).
    public func value(_ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for b in 0..<Int(size) { v |= UInt32(data[i * Int(size) + b]) << (8 * UInt32(b)) }
        return v
    }

    /// Stores item `i` (IN).
    public func setValue(_ i: Int, _ v: UInt32) {
        for b in 0..<Int(size) { data[i * Int(size) + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(b))) }
    }
}

/// A KVM_EXIT_MMIO access.
public struct KVMMMIOAccess {
    public var address: UInt64
    public var length: UInt32
    public var isWrite: Bool
    public var data: UnsafeMutablePointer<UInt8>
}
