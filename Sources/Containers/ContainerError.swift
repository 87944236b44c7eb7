#if canImport(Glibc)
import Glibc
#endif
import HostIO
import Descriptions

/// Why a container could not be started. Every case says what failed and why; setup failures
/// name the step (after the steps before it were undone).
public enum ContainerError: Error, CustomStringConvertible, Equatable {
    /// A bad option or argument (exit status 64).
    case usage(String)
    /// The rootfs or the program does not exist or is not usable (66).
    case missing(String)
    /// The command was not found (127) or could not be executed (126), as a shell would say.
    case command(String, status: Int32)
    /// A setup step failed: `step` names it, `reason` is the errno text, `hint` what to do.
    /// 77 when the host refused for lack of privilege, else 71.
    case setup(step: String, reason: String, hint: String?, status: Int32)
    /// vsim received `signal` while the container was being set up: its init was killed and
    /// every step undone (128 + signal).
    case interrupted(signal: Int32, step: String)

    public var exitStatus: Int32 {
        switch self {
        case .usage: return 64
        case .missing: return 66
        case .command(_, let status): return status
        case .setup(_, _, _, let status): return status
        case .interrupted(let signal, _): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .usage(let m), .missing(let m), .command(let m, _): return m
        case .setup(let step, let reason, let hint, _):
            return "container setup failed at step '\(step)': \(reason)" + (hint.map { "; \($0)" } ?? "")
                + " (earlier steps were undone)"
        case .interrupted(let signal, let step):
            return "vsim received \(SignalName.of(signal)) while the container was being set up (at step '\(step)'): "
                + "the container's init was killed and every step undone"
        }
    }

    /// A setup failure from an errno, with the usual hint for it.
    static func setup(_ step: String, errno code: Int32, hint: String? = nil) -> ContainerError {
        let privilege = code == EPERM || code == EACCES
        var h = hint
        if h == nil && privilege {
            h = geteuid() == 0
                ? "the host refused even root (a seccomp filter or an LSM may forbid it here)"
                : "run vsim as root, or add --rootless to use a user namespace"
        }
        return .setup(step: step, reason: HostError.describe(code), hint: h, status: privilege ? 77 : 71)
    }
}
