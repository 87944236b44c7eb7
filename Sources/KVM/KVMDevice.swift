import CKVMShim
#if canImport(Glibc)
import Glibc
#endif

/// The KVM system file (`/dev/kvm`): where it is and whether vsim may use it.
public enum KVMDevice {
    /// The device, or `VSIM_KVM_DEVICE` when set (tests point it at a missing or unreadable path).
    public static var path: String {
        if let p = getenv("VSIM_KVM_DEVICE"), p.pointee != 0 { return String(cString: p) }
        return "/dev/kvm"
    }

    /// Opens the device and checks the API version.
    /// - Returns: the open system descriptor.
    public static func open(path: String = KVMDevice.path) throws(KVMError) -> Int32 {
        let fd = vsim_kvm_open(path)
        if fd < 0 {
            switch -fd {
            case ENOENT, ENODEV, ENXIO, ENOTDIR: throw .deviceMissing(path: path)
            case EACCES, EPERM: throw .notPermitted(path: path)
            default: throw .cannotOpen(path: path, errno: -fd)
            }
        }
        let version = vsim_kvm_api_version(fd)
        guard version == 12 else {
            close(fd)
            if version < 0 { throw .ioctl("KVM_GET_API_VERSION on \(path)", errno: -version) }
            throw .apiVersion(version)
        }
        return fd
    }

    /// Why KVM cannot be used here, or nil when it can.
    public static func unavailableReason(path: String = KVMDevice.path) -> String? {
        do {
            let fd = try open(path: path)
            close(fd)
            return nil
        } catch { return error.description }
    }
}
