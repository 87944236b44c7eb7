/// Linux errno values (x86 and i386 share them: `asm-generic/errno-base.h`, `errno.h`) by name.
public enum ErrnoName {
    /// The values vsim names in messages and traces.
    public static let table: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
        9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY",
        17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE",
        24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS",
        31: "EMLINK", 32: "EPIPE", 33: "EDOM", 34: "ERANGE", 36: "ENAMETOOLONG", 38: "ENOSYS",
        39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP", 110: "ETIMEDOUT",
    ]

    /// "ENOENT" for 2; "E<n>" for a value without a name.
    public static func of(_ value: Int32) -> String { table[value] ?? "E\(value)" }
}
