#if canImport(Glibc)
import Glibc
#endif

/// Why a traced run could not start. Each case says what failed and what to do.
public enum PtraceError: Error, CustomStringConvertible, Equatable {
    /// `--root` is not a usable directory (exit status 66).
    case root(String)
    /// The program could not be executed (126; 127 when it does not exist).
    case exec(path: String, errno: Int32)
    /// The host refused ptrace or a process call (77 for EPERM/EACCES: not permitted, else 71).
    case host(String, errno: Int32)

    public var exitStatus: Int32 {
        switch self {
        case .root: return 66
        case .exec(_, let e): return e == ENOENT ? 127 : 126
        case .host(_, let e): return e == EPERM || e == EACCES ? 77 : 71
        }
    }

    public var description: String {
        switch self {
        case .root(let m): return m
        case .exec(let path, let e): return "cannot execute \(path) under ptrace: \(String(cString: strerror(e)))"
        case .host(let what, let e):
            let hint = e == EPERM || e == EACCES
                ? " (ptrace is not permitted here: a seccomp profile or kernel.yama.ptrace_scope may forbid it; run outside such a sandbox)" : ""
            return "\(what): \(String(cString: strerror(e)))\(hint)"
        }
    }
}
