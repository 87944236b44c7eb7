import CLibSeccomp
import CPtraceShim
#if canImport(Glibc)
import Glibc
#endif

/// System call names by number, from libseccomp's tables (the kernel's own: asm/unistd_32.h for
/// i386, asm/unistd_64.h for x86-64), so a count reads like `strace -c`'s.
public enum SystemCallNames {
    /// The name of system call `number` in the i386 table (`compat`: a tracee that entered with
    /// `int $0x80`, CS 0x23) or the x86-64 one; `syscall_N` when the table has no such number.
    public static func name(_ number: Int, compat: Bool) -> String {
        let arch = compat ? VSIM_PT_AUDIT_ARCH_I386 : VSIM_PT_AUDIT_ARCH_X86_64
        guard number >= 0, let c = seccomp_syscall_resolve_num_arch(arch, Int32(truncatingIfNeeded: number)) else {
            return "syscall_\(number)"
        }
        defer { free(c) }
        return String(cString: c)
    }
}
