import Descriptions
/// Why an ELF image could not be loaded.
///
/// Every case renders (``description``) as one line that says what is wrong, where (file and
/// offset or header field) and what to do. ``exitStatus`` is the `vsim` exit status from
/// docs/dev/contracts.md: 66 for a file that cannot be read, 65 for malformed input.
public enum ELFError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but cannot be read (permissions, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// The first bytes are not `7f 45 4c 46`.
    case notELF(path: String, magic: [UInt8])
    /// The file ends before a structure it declares (`what`, e.g. "program header 2").
    case truncated(path: String, what: String, offset: UInt64, needed: UInt64, fileSize: UInt64)
    /// ELFCLASS64 (or an unknown class): vsim runs ELF32 only.
    case wrongClass(path: String, elfClass: UInt8, machine: UInt16?)
    /// Big-endian (ELFDATA2MSB) or unknown data encoding.
    case wrongEncoding(path: String, encoding: UInt8)
    /// `e_machine` is not EM_386 (3).
    case wrongMachine(path: String, machine: UInt16)
    /// `e_type` is not ET_EXEC (2): ET_DYN (PIE or shared object), ET_REL (object file), ET_CORE, ...
    case wrongType(path: String, type: UInt16)
    /// The program has a PT_INTERP: it needs a dynamic linker (`interpreter`), and vsim runs
    /// static programs only.
    case dynamicallyLinked(path: String, interpreter: String)
    /// There is no PT_LOAD program header.
    case noLoadableSegment(path: String)
    /// `e_entry` is not inside any PT_LOAD segment with PF_X.
    case entryOutsideSegments(path: String, entry: UInt32)
    /// A PT_LOAD segment ends past 2^32.
    case segmentBeyond4GiB(path: String, index: Int, address: UInt64, memorySize: UInt64)
    /// Any other inconsistency (`field` names the header field, `detail` what is wrong with it).
    case malformed(path: String, field: String, detail: String)
    /// The file is larger than ``ELFImage/maximumFileSize``: not a program vsim reads into memory.
    case tooLarge(path: String, size: UInt64, limit: UInt64)

    /// The `vsim` exit status for this error: 66 (cannot read) or 65 (malformed input).
    public var exitStatus: Int32 {
        switch self {
        case .fileNotFound, .unreadable: return 66
        default: return 65
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .notELF(let p, _), .truncated(let p, _, _, _, _),
             .wrongClass(let p, _, _), .wrongEncoding(let p, _), .wrongMachine(let p, _), .wrongType(let p, _),
             .noLoadableSegment(let p), .entryOutsideSegments(let p, _), .segmentBeyond4GiB(let p, _, _, _),
             .malformed(let p, _, _), .tooLarge(let p, _, _), .dynamicallyLinked(let p, _):
            return p
        }
    }

    static let buildHint = "assemble with `as --32` and link with `ld -m elf_i386` (or pass the .s source to vsim)"

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path (PROG is an i386 ELF executable, or a .s/.S or .c source)"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)); check that it is a regular file you may read"
        case .notELF(let path, let magic):
            let shown = magic.isEmpty ? "the file is empty" : "starts with " + Hex.bytes(magic) + " at offset 0"
            return "\(path): not an ELF file (\(shown), expected 7f 45 4c 46); "
                + "pass an i386 ELF executable or a .s/.S assembly source"
        case .truncated(let path, let what, let offset, let needed, let size):
            return "\(path): truncated ELF: \(what) (\(needed) bytes from offset \(offset)) ends at byte \(offset + needed) "
                + "but the file has \(size) bytes; "
                + "the file was cut short: rebuild it; " + ELFError.buildHint
        case .wrongClass(let path, let cls, let machine):
            let name = cls == 2 ? (machine == 62 ? "an x86-64 (ELFCLASS64, EM_X86_64)" : "a 64-bit (ELFCLASS64)")
                                : "an ELF of unknown class \(cls)"
            return "\(path): \(name) ELF file (e_ident[EI_CLASS] at offset 4); vsim runs 32-bit i386 programs: "
                + ELFError.buildHint
        case .wrongEncoding(let path, let enc):
            return "\(path): not a little-endian ELF (e_ident[EI_DATA] = \(enc) at offset 5); "
                + "vsim runs i386 programs: " + ELFError.buildHint
        case .wrongMachine(let path, let machine):
            return "\(path): ELF32 for machine \(machineName(machine)) (e_machine = \(machine) at offset 18), "
                + "not i386 (EM_386 = 3); " + ELFError.buildHint
        case .dynamicallyLinked(let path, let interpreter):
            // Quoted with C escapes, as strace shows a string: the bytes are the file's, and a
            // newline or a terminal escape in them must not reach the terminal as such.
            return "\(path): a dynamically linked program (PT_INTERP names the dynamic linker "
                + "\(LinuxProcess.quote(Array(interpreter.utf8), limit: 128))); "
                + "vsim runs static programs: rebuild with -static (e.g. gcc -m32 -static)"
        case .wrongType(let path, let type):
            let what: String
            switch type {
            case 1: what = "a relocatable object (ET_REL): link it first with `ld -m elf_i386`"
            case 3: what = "a position-independent executable or shared object (ET_DYN): "
                + "link a static executable with `ld -m elf_i386` (no -pie, no -shared)"
            case 4: what = "a core dump (ET_CORE): pass the program, not its core"
            default: what = "of unknown type \(type): " + ELFError.buildHint
            }
            return "\(path): e_type at offset 16 is not ET_EXEC; the file is \(what)"
        case .noLoadableSegment(let path):
            return "\(path): no PT_LOAD program header (nothing to load); " + ELFError.buildHint
        case .entryOutsideSegments(let path, let entry):
            return "\(path): entry point e_entry = \(Hex.address(entry)) (offset 24) is outside every executable PT_LOAD segment; "
                + "check the program's _start symbol or `ld -e`"
        case .segmentBeyond4GiB(let path, let index, let address, let size):
            return "\(path): PT_LOAD program header \(index) at 0x\(String(address, radix: 16)) with p_memsz "
                + "0x\(String(size, radix: 16)) ends beyond 4 GiB; fix the program's link addresses"
        case .malformed(let path, let field, let detail):
            return "\(path): malformed ELF: \(field): \(detail); " + ELFError.buildHint
        case .tooLarge(let path, let size, let limit):
            return "\(path): the file has \(size) bytes, more than the \(limit >> 20) MiB vsim reads as a program; "
                + "pass the i386 executable (a large .bss costs no file space)"
        }
    }
}



private func machineName(_ machine: UInt16) -> String {
    switch machine {
    case 0: return "none (EM_NONE)"
    case 8: return "MIPS (EM_MIPS)"
    case 20: return "PowerPC (EM_PPC)"
    case 40: return "ARM (EM_ARM)"
    case 62: return "x86-64 (EM_X86_64)"
    case 183: return "AArch64 (EM_AARCH64)"
    case 243: return "RISC-V (EM_RISCV)"
    default: return "number \(machine)"
    }
}
