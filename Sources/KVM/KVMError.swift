#if canImport(Glibc)
import Glibc
#endif

/// Why vsim could not use hardware virtualization through `/dev/kvm`.
public enum KVMError: Error, CustomStringConvertible, Sendable {
    /// The device file does not exist (no KVM in this kernel, or a container without the device).
    case deviceMissing(path: String)
    /// The device exists but this user may not open it.
    case notPermitted(path: String)
    /// The device could not be opened for another reason.
    case cannotOpen(path: String, errno: Int32)
    /// KVM_GET_API_VERSION returned something other than 12.
    case apiVersion(Int32)
    /// An ioctl (or mmap) that sets up or runs the VM failed.
    case ioctl(String, errno: Int32)

    public var description: String {
        switch self {
        case .deviceMissing(let p):
            return "\(p) does not exist: this host offers no hardware virtualization to vsim (load kvm_intel or kvm_amd, or pass the device into the container)"
        case .notPermitted(let p):
            return "\(p) exists but cannot be opened by this user: add yourself to its group (usually `kvm`) or run as root"
        case .cannotOpen(let p, let e):
            return "\(p) cannot be opened: \(String(cString: strerror(e)))"
        case .apiVersion(let v):
            return "the KVM API version is \(v), not 12: this kernel's KVM is not one vsim knows"
        case .ioctl(let what, let e):
            return "\(what) failed: \(String(cString: strerror(e)))"
        }
    }
}
