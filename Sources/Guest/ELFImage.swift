import CLibElf
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Access rights of a PT_LOAD segment, from its `p_flags` (PF_R, PF_W, PF_X).
public struct ELFSegmentPermissions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = ELFSegmentPermissions(rawValue: 1 << 0)
    public static let write = ELFSegmentPermissions(rawValue: 1 << 1)
    public static let execute = ELFSegmentPermissions(rawValue: 1 << 2)

    /// `readelf`'s spelling: "R E", "RW ", "RWE".
    public var description: String {
        (contains(.read) ? "R" : " ") + (contains(.write) ? "W" : " ") + (contains(.execute) ? "E" : " ")
    }
}

/// One PT_LOAD segment of an ``ELFImage``.
public struct ELFSegment: Hashable, Sendable {
    /// Index of the program header in the program header table.
    public var index: Int
    /// `p_vaddr`: guest address of the first byte.
    public var virtualAddress: UInt32
    /// `p_memsz`: bytes occupied in guest memory (≥ `fileBytes.count`; the rest is zero, the bss).
    public var memorySize: UInt32
    /// `p_offset`: file offset of the first file byte.
    public var fileOffset: UInt32
    /// `p_align`.
    public var alignment: UInt32
    /// From `p_flags`.
    public var permissions: ELFSegmentPermissions
    /// The `p_filesz` bytes from the file.
    public var fileBytes: [UInt8]

    /// `p_filesz`.
    public var fileSize: UInt32 { UInt32(fileBytes.count) }
    /// One past the last guest byte (`p_vaddr + p_memsz`, ≤ 2^32).
    public var endAddress: UInt64 { UInt64(virtualAddress) + UInt64(memorySize) }
    /// Whether `address` lies in `[p_vaddr, p_vaddr + p_memsz)`.
    public func contains(_ address: UInt32) -> Bool {
        address >= virtualAddress && UInt64(address) < endAddress
    }
}

/// One entry of the `.symtab` symbol table (section and file symbols left out).
public struct ELFSymbol: Hashable, Sendable {
    public enum Kind: UInt8, Sendable { case notype = 0, object = 1, function = 2, section = 3, file = 4, other = 255 }
    public enum Binding: UInt8, Sendable { case local = 0, global = 1, weak = 2, other = 255 }
    public var name: String
    /// `st_value`: the guest address.
    public var value: UInt32
    /// `st_size` in bytes (0 for assembly labels).
    public var size: UInt32
    public var kind: Kind
    public var binding: Binding
    /// `st_shndx`: the section the symbol is defined in (0 undefined, 0xfff1 absolute).
    public var sectionIndex: UInt16
}

/// One section header (for the disassembler: the executable sections and their bytes).
public struct ELFSection: Hashable, Sendable {
    public var index: Int
    public var name: String
    /// `sh_type` (1 = SHT_PROGBITS, 8 = SHT_NOBITS, ...).
    public var type: UInt32
    /// `sh_flags` (SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4).
    public var flags: UInt32
    /// `sh_addr`.
    public var address: UInt32
    /// `sh_size` in bytes.
    public var size: UInt32
    /// The section's file bytes: filled for allocated SHT_PROGBITS sections, empty otherwise.
    public var bytes: [UInt8]

    public var isExecutable: Bool { flags & 4 != 0 }
    public var isAllocated: Bool { flags & 2 != 0 }
}

/// A static i386 Linux executable (ELF32, little-endian, EM_386, ET_EXEC), read through libelf.
///
/// Holds everything needed to run and disassemble it: the PT_LOAD segments with their bytes and
/// permissions, the entry point, the program header location (for the auxiliary vector), the
/// sections and the symbols.
public struct ELFImage: Sendable {
    /// The file it was read from (or the name given to ``init(bytes:name:)``), for messages.
    public var path: String
    /// `e_entry`.
    public var entry: UInt32
    /// The PT_LOAD segments in program header order.
    public var segments: [ELFSegment]
    /// `.symtab` symbols (function, object and untyped ones), in table order.
    public var symbols: [ELFSymbol]
    /// All section headers except the null one.
    public var sections: [ELFSection]
    /// `e_phoff`, `e_phentsize`, `e_phnum`.
    public var programHeaderOffset: UInt32
    public var programHeaderEntrySize: UInt16
    public var programHeaderCount: UInt16
    /// Size of the file in bytes.
    public var fileSize: Int
    /// The `p_flags` of the PT_GNU_STACK program header, or nil when there is none. Linux gives
    /// a 32-bit process without one READ_IMPLIES_EXEC (everything readable is executable:
    /// arch/x86/include/asm/elf.h `elf_read_implies_exec`); with one, only PF_X segments, and the
    /// stack when this has PF_X.
    public var stackPermissions: ELFSegmentPermissions?

    /// Where the program headers are in guest memory, as Linux computes AT_PHDR
    /// (first PT_LOAD's `p_vaddr - p_offset` + `e_phoff`).
    public var programHeaderAddress: UInt32 {
        guard let first = segments.first else { return 0 }
        return first.virtualAddress &- first.fileOffset &+ programHeaderOffset
    }

    /// One past the highest byte of any segment (where the program break starts, before page rounding).
    public var highestAddress: UInt64 { segments.map(\.endAddress).max() ?? 0 }

    init(path: String, entry: UInt32, segments: [ELFSegment], symbols: [ELFSymbol], sections: [ELFSection],
         programHeaderOffset: UInt32, programHeaderEntrySize: UInt16, programHeaderCount: UInt16, fileSize: Int,
         stackPermissions: ELFSegmentPermissions? = nil) {
        self.stackPermissions = stackPermissions
        self.path = path
        self.entry = entry
        self.segments = segments
        self.symbols = symbols
        self.sections = sections
        self.programHeaderOffset = programHeaderOffset
        self.programHeaderEntrySize = programHeaderEntrySize
        self.programHeaderCount = programHeaderCount
        self.fileSize = fileSize
    }

    /// Reads and validates the file at `path`.
    /// - Throws: ``ELFError/fileNotFound(path:)`` or ``ELFError/unreadable(path:reason:)`` if it cannot
    ///   be read; otherwise what ``init(bytes:name:)`` throws.
    public init(path: String) throws(ELFError) {
        let bytes = try ELFImage.readFile(path)
        try self.init(bytes: bytes, name: path)
    }

    /// Parses an in-memory ELF file; `name` is used in error messages.
    /// - Throws: ``ELFError`` (not ELF, truncated, wrong class/encoding/machine/type, no PT_LOAD,
    ///   entry outside the executable segments, a segment beyond 4 GiB, other malformations).
    public init(bytes: [UInt8], name: String) throws(ELFError) {
        self = try ELFParser(bytes: bytes, name: name).parse()
    }

    /// The symbol of kind function or notype that best names `address` exactly, if any
    /// (global before local, function before untyped, then first in table order).
    public func label(at address: UInt32) -> String? {
        labelCandidates(at: address).first?.name
    }

    func labelCandidates(at address: UInt32) -> [ELFSymbol] {
        symbols.filter { $0.value == address && ($0.kind == .function || $0.kind == .notype || $0.kind == .object) }
    }

    /// The largest program file vsim reads: 256 MiB. Static i386 programs are far smaller (their
    /// .bss takes no file space); the limit keeps a mistaken PROG (a disk image, a sparse file)
    /// from being read into memory.
    public static let maximumFileSize: UInt64 = 256 << 20

    /// The bytes of the regular file at `path`, checked before anything is read: a directory, a
    /// device (`/dev/zero`), a FIFO or a socket is refused as unreadable (66), a file larger
    /// than ``maximumFileSize`` as ``ELFError/tooLarge(path:size:limit:)`` (65). At most the size
    /// `fstat` reported is read, even if the file grows meanwhile.
    public static func readFile(_ path: String) throws(ELFError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused right after).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        let kinds: [mode_t: String] = [S_IFDIR: "it is a directory", S_IFCHR: "it is a character device",
                                       S_IFBLK: "it is a block device", S_IFIFO: "it is a FIFO (named pipe)",
                                       S_IFSOCK: "it is a socket"]
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw .unreadable(path: path, reason: (kinds[st.st_mode & S_IFMT] ?? "it is not a regular file") + ", not a program file")
        }
        let size = UInt64(max(st.st_size, 0))
        if size > maximumFileSize { throw .tooLarge(path: path, size: size, limit: maximumFileSize) }
        do {
            return try HostIO.readToEnd(fd, limit: Int(maximumFileSize))
        } catch .tooLarge {
            throw .tooLarge(path: path, size: size, limit: maximumFileSize)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }
}

/// The libelf walk behind ``ELFImage/init(bytes:name:)``.
private struct ELFParser {
    let bytes: [UInt8]
    let name: String

    func fail(_ what: String, offset: UInt64, needed: UInt64) -> ELFError {
        .truncated(path: name, what: what, offset: offset, needed: needed, fileSize: UInt64(bytes.count))
    }

    func u16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }

    /// The PT_INTERP string (the dynamic linker), if the program headers that lie within the
    /// file have one; ill-formed headers are left to the full parse.
    func interpreterPath(phoff: Int, phnum: Int) -> String? {
        guard phnum < 0xffff else { return nil }
        for i in 0..<phnum {
            let ph = phoff + 32 * i
            guard ph >= 0, ph + 32 <= bytes.count else { return nil }
            guard u32(ph) == 3 else { continue }       // PT_INTERP
            let offset = Int(u32(ph + 4)), size = Int(u32(ph + 16))
            guard offset + size <= bytes.count, size > 0 else { return "(unreadable PT_INTERP)" }
            return String(decoding: bytes[offset..<(offset + size)].prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }

    func parse() throws(ELFError) -> ELFImage {
        // e_ident checks by hand, before libelf: they give the most useful messages.
        let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
        if bytes.count < 4 || Array(bytes[0..<4]) != magic {
            throw .notELF(path: name, magic: Array(bytes.prefix(4)))
        }
        if bytes.count < 16 { throw fail("e_ident", offset: 0, needed: 16) }
        if bytes[4] != 1 {
            throw .wrongClass(path: name, elfClass: bytes[4], machine: bytes.count >= 20 ? u16(18) : nil)
        }
        if bytes[5] != 1 { throw .wrongEncoding(path: name, encoding: bytes[5]) }
        if bytes.count < 52 { throw fail("the ELF header", offset: 0, needed: 52) }

        elf_version(UInt32(EV_CURRENT))
        let size = bytes.count
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: size) }
        guard let elf = elf_memory(buffer.assumingMemoryBound(to: CChar.self), size) else {
            throw .malformed(path: name, field: "file", detail: libelfError())
        }
        defer { elf_end(elf) }
        guard elf_kind(elf) == ELF_K_ELF else { throw .notELF(path: name, magic: Array(bytes.prefix(4))) }
        guard let ehdr = elf32_getehdr(elf)?.pointee else {
            throw .malformed(path: name, field: "ELF header", detail: libelfError())
        }
        if ehdr.e_machine != UInt16(EM_386) { throw .wrongMachine(path: name, machine: ehdr.e_machine) }
        // A PT_INTERP names the dynamic linker the program needs (ET_EXEC or PIE alike): say so
        // before anything else, vsim runs static programs only.
        if let interpreter = interpreterPath(phoff: Int(ehdr.e_phoff), phnum: Int(ehdr.e_phnum)) {
            throw .dynamicallyLinked(path: name, interpreter: interpreter)
        }
        if ehdr.e_type != UInt16(ET_EXEC) { throw .wrongType(path: name, type: ehdr.e_type) }

        // Program headers.
        // e_phnum, unless it overflows into section 0's sh_info (PN_XNUM): libelf reads that, but
        // it also trims the count to what the file holds, which would hide a truncation.
        var phnum = Int(ehdr.e_phnum)
        if ehdr.e_phnum == 0xffff && elf_getphdrnum(elf, &phnum) != 0 {
            throw .malformed(path: name, field: "e_phnum", detail: libelfError())
        }
        if phnum > 0 {
            if ehdr.e_phentsize != 32 {
                throw .malformed(path: name, field: "e_phentsize (offset 42)",
                                 detail: "is \(ehdr.e_phentsize), ELF32 program headers are 32 bytes")
            }
            let needed = UInt64(phnum) * 32
            if UInt64(ehdr.e_phoff) + needed > UInt64(size) {
                throw fail("the program header table (e_phoff)", offset: UInt64(ehdr.e_phoff), needed: needed)
            }
        }
        var segments: [ELFSegment] = []
        var stackPermissions: ELFSegmentPermissions?
        for i in 0..<phnum {
            var ph = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &ph) != nil else {
                throw .malformed(path: name, field: "program header \(i)", detail: libelfError())
            }
            if ph.p_type == 0x6474_E551 {   // PT_GNU_STACK
                var perms: ELFSegmentPermissions = []
                if ph.p_flags & UInt32(PF_R) != 0 { perms.insert(.read) }
                if ph.p_flags & UInt32(PF_W) != 0 { perms.insert(.write) }
                if ph.p_flags & UInt32(PF_X) != 0 { perms.insert(.execute) }
                stackPermissions = perms
            }
            guard ph.p_type == UInt32(PT_LOAD) else { continue }
            if ph.p_offset + ph.p_filesz > UInt64(size) {
                throw fail("the file bytes of PT_LOAD program header \(i)", offset: ph.p_offset, needed: ph.p_filesz)
            }
            if ph.p_filesz > ph.p_memsz {
                throw .malformed(path: name, field: "program header \(i)",
                                 detail: "p_filesz 0x\(String(ph.p_filesz, radix: 16)) exceeds p_memsz 0x\(String(ph.p_memsz, radix: 16))")
            }
            if ph.p_vaddr + ph.p_memsz > (1 << 32) {
                throw .segmentBeyond4GiB(path: name, index: i, address: ph.p_vaddr, memorySize: ph.p_memsz)
            }
            var perms: ELFSegmentPermissions = []
            if ph.p_flags & UInt32(PF_R) != 0 { perms.insert(.read) }
            if ph.p_flags & UInt32(PF_W) != 0 { perms.insert(.write) }
            if ph.p_flags & UInt32(PF_X) != 0 { perms.insert(.execute) }
            let start = Int(ph.p_offset)
            segments.append(ELFSegment(index: i, virtualAddress: UInt32(ph.p_vaddr), memorySize: UInt32(ph.p_memsz),
                                       fileOffset: UInt32(ph.p_offset), alignment: UInt32(truncatingIfNeeded: ph.p_align),
                                       permissions: perms, fileBytes: Array(bytes[start..<start + Int(ph.p_filesz)])))
        }
        if segments.isEmpty { throw .noLoadableSegment(path: name) }
        if !segments.contains(where: { $0.permissions.contains(.execute) && $0.contains(ehdr.e_entry) }) {
            throw .entryOutsideSegments(path: name, entry: ehdr.e_entry)
        }

        // Sections and symbols.
        if ehdr.e_shnum > 0 || ehdr.e_shoff > 0 {
            let needed = UInt64(max(ehdr.e_shnum, 1)) * UInt64(ehdr.e_shentsize)
            if UInt64(ehdr.e_shoff) + needed > UInt64(size) {
                throw fail("the section header table (e_shoff)", offset: UInt64(ehdr.e_shoff), needed: needed)
            }
        }
        var shstrndx = 0
        if elf_getshdrstrndx(elf, &shstrndx) != 0 { shstrndx = 0 }
        var sections: [ELFSection] = []
        var symbols: [ELFSymbol] = []
        var scn: OpaquePointer? = nil
        while let s = elf_nextscn(elf, scn) {
            scn = s
            var sh = GElf_Shdr()
            guard gelf_getshdr(s, &sh) != nil else {
                throw .malformed(path: name, field: "section header \(elf_ndxscn(s))", detail: libelfError())
            }
            let index = Int(elf_ndxscn(s))
            let sectionName = shstrndx != 0 ? cString(elf_strptr(elf, shstrndx, Int(sh.sh_name))) : ""
            var content: [UInt8] = []
            if sh.sh_type != UInt32(SHT_NOBITS) {
                if sh.sh_offset + sh.sh_size > UInt64(size) {
                    throw fail("the bytes of section \(index) \(sectionName)", offset: sh.sh_offset, needed: sh.sh_size)
                }
                if sh.sh_flags & UInt64(SHF_ALLOC) != 0 && sh.sh_type == UInt32(SHT_PROGBITS) {
                    let start = Int(sh.sh_offset)
                    content = Array(bytes[start..<start + Int(sh.sh_size)])
                }
            }
            sections.append(ELFSection(index: index, name: sectionName, type: sh.sh_type,
                                       flags: UInt32(truncatingIfNeeded: sh.sh_flags),
                                       address: UInt32(truncatingIfNeeded: sh.sh_addr),
                                       size: UInt32(truncatingIfNeeded: sh.sh_size), bytes: content))
            if sh.sh_type == UInt32(SHT_SYMTAB), sh.sh_entsize > 0, let data = elf_getdata(s, nil) {
                let count = Int(sh.sh_size / sh.sh_entsize)
                for i in 0..<count {
                    var sym = GElf_Sym()
                    guard gelf_getsym(data, Int32(i), &sym) != nil else { break }
                    let type = sym.st_info & 0xf
                    let bind = sym.st_info >> 4
                    guard type != UInt8(STT_SECTION), type != UInt8(STT_FILE), sym.st_shndx != 0 else { continue }
                    let symName = cString(elf_strptr(elf, Int(sh.sh_link), Int(sym.st_name)))
                    guard !symName.isEmpty else { continue }
                    symbols.append(ELFSymbol(name: symName, value: UInt32(truncatingIfNeeded: sym.st_value),
                                             size: UInt32(truncatingIfNeeded: sym.st_size),
                                             kind: ELFSymbol.Kind(rawValue: type) ?? .other,
                                             binding: ELFSymbol.Binding(rawValue: bind) ?? .other,
                                             sectionIndex: sym.st_shndx))
                }
            }
        }
        return ELFImage(path: name, entry: ehdr.e_entry, segments: segments, symbols: symbols, sections: sections,
                        programHeaderOffset: ehdr.e_phoff, programHeaderEntrySize: ehdr.e_phentsize,
                        programHeaderCount: UInt16(truncatingIfNeeded: phnum), fileSize: size,
                        stackPermissions: stackPermissions)
    }
}

private func cString(_ p: UnsafeMutablePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

private func libelfError() -> String {
    guard let msg = elf_errmsg(-1) else { return "libelf reported an unknown error" }
    return "libelf: " + String(cString: msg)
}
