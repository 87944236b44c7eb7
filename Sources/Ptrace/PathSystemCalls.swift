/// Which i386 system calls take paths, in which argument, relative to which directory
/// descriptor, and whether the kernel follows a symbolic link in the last component: what a
/// PRoot-style tracer must rewrite at system-call entry. Numbers from asm/unistd_32.h; argument
/// order and link-following from the man pages (open(2), stat(2), openat(2), fstatat(2), ...).
public enum PathSystemCalls {
    /// Whether the kernel would follow a symbolic link in the path's last component.
    public enum Follow: Sendable, Equatable {
        case always, never
        /// open/openat flags in argument `flags`: not with O_NOFOLLOW, nor with O_CREAT|O_EXCL.
        case openFlags(flags: Int)
        /// Follows unless AT_SYMLINK_NOFOLLOW (0x100) is set in argument `flags`.
        case unlessNoFollow(flags: Int)
        /// Follows only if AT_SYMLINK_FOLLOW (0x400) is set in argument `flags` (linkat).
        case ifFollow(flags: Int)

        /// Decides for the argument registers `args` (i386: ebx ecx edx esi edi ebp).
        func follows(_ args: [UInt32]) -> Bool {
            switch self {
            case .always: return true
            case .never: return false
            case .openFlags(let i):
                // i386 <asm/fcntl.h>: O_CREAT 0o100, O_EXCL 0o200, O_NOFOLLOW 0o400000.
                let f = args[i]
                return f & 0o400000 == 0 && f & 0o300 != 0o300
            case .unlessNoFollow(let i): return args[i] & 0x100 == 0
            case .ifFollow(let i): return args[i] & 0x400 != 0
            }
        }
    }

    /// One path argument: its register index, the index of its directory descriptor (nil: the
    /// working directory), and how its last component is resolved.
    public struct PathArgument: Sendable, Equatable {
        public var index: Int
        public var directory: Int?
        public var follow: Follow
    }

    /// The path arguments of i386 system call `number`; empty for one without paths.
    public static func arguments(of number: Int) -> [PathArgument] { table[number] ?? [] }

    private static func p(_ index: Int, _ follow: Follow, at directory: Int? = nil) -> PathArgument {
        PathArgument(index: index, directory: directory, follow: follow)
    }

    private static let table: [Int: [PathArgument]] = [
        5: [p(0, .openFlags(flags: 1))],                          // open
        8: [p(0, .always)],                                       // creat
        9: [p(0, .never), p(1, .never)],                          // link
        10: [p(0, .never)],                                       // unlink
        11: [p(0, .always)],                                      // execve
        12: [p(0, .always)],                                      // chdir
        14: [p(0, .never)],                                       // mknod
        15: [p(0, .always)],                                      // chmod
        16: [p(0, .never)],                                       // lchown
        18: [p(0, .always)],                                      // oldstat
        30: [p(0, .always)],                                      // utime
        33: [p(0, .always)],                                      // access
        38: [p(0, .never), p(1, .never)],                         // rename
        39: [p(0, .never)],                                       // mkdir
        40: [p(0, .never)],                                       // rmdir
        61: [p(0, .always)],                                      // chroot
        83: [p(1, .never)],                                       // symlink (the target is stored as given)
        84: [p(0, .never)],                                       // oldlstat
        85: [p(0, .never)],                                       // readlink
        92: [p(0, .always)],                                      // truncate
        99: [p(0, .always)],                                      // statfs
        106: [p(0, .always)],                                     // stat
        107: [p(0, .never)],                                      // lstat
        182: [p(0, .always)],                                     // chown
        193: [p(0, .always)],                                     // truncate64
        195: [p(0, .always)],                                     // stat64
        196: [p(0, .never)],                                      // lstat64
        198: [p(0, .never)],                                      // lchown32
        212: [p(0, .always)],                                     // chown32
        226: [p(0, .always)], 227: [p(0, .never)],                // setxattr, lsetxattr
        229: [p(0, .always)], 230: [p(0, .never)],                // getxattr, lgetxattr
        232: [p(0, .always)], 233: [p(0, .never)],                // listxattr, llistxattr
        235: [p(0, .always)], 236: [p(0, .never)],                // removexattr, lremovexattr
        268: [p(0, .always)],                                     // statfs64
        271: [p(0, .always)],                                     // utimes
        292: [p(1, .always)],                                     // inotify_add_watch
        295: [p(1, .openFlags(flags: 2), at: 0)],                 // openat
        296: [p(1, .never, at: 0)],                               // mkdirat
        297: [p(1, .never, at: 0)],                               // mknodat
        298: [p(1, .unlessNoFollow(flags: 4), at: 0)],            // fchownat
        299: [p(1, .always, at: 0)],                              // futimesat
        300: [p(1, .unlessNoFollow(flags: 3), at: 0)],            // fstatat64
        301: [p(1, .never, at: 0)],                               // unlinkat
        302: [p(1, .never, at: 0), p(3, .never, at: 2)],          // renameat
        303: [p(1, .ifFollow(flags: 4), at: 0), p(3, .never, at: 2)], // linkat
        304: [p(2, .never, at: 1)],                               // symlinkat
        305: [p(1, .never, at: 0)],                               // readlinkat
        306: [p(1, .always, at: 0)],                              // fchmodat
        307: [p(1, .always, at: 0)],                              // faccessat
        320: [p(1, .unlessNoFollow(flags: 3), at: 0)],            // utimensat (a NULL path: the fd itself)
        353: [p(1, .never, at: 0), p(3, .never, at: 2)],          // renameat2
        358: [p(1, .unlessNoFollow(flags: 4), at: 0)],            // execveat
        383: [p(1, .unlessNoFollow(flags: 2), at: 0)],            // statx
        437: [p(1, .always, at: 0)],                              // openat2 (RESOLVE_* flags are in a struct)
        439: [p(1, .unlessNoFollow(flags: 3), at: 0)],            // faccessat2
    ]

    /// getcwd(2), whose result (a host path) is rewritten at exit.
    public static let getcwd = 183
    /// readlink(2) and readlinkat(2), whose result is rewritten at exit when it names the root.
    public static let readlink = 85, readlinkat = 305
    /// execve(2): its exit after a successful exec is the first stop of the new program.
    public static let execve = 11
}
