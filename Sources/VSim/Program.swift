import Crypto
import Guest
#if canImport(Glibc)
import Glibc
#endif

/// What the user asked to run.
public enum ProgramReference: Sendable, Equatable {
    /// A file: an i386 ELF executable, or a `.s` / `.S` assembly source (assembled into the cache).
    case path(String)
    /// A program built into vsim (``EmbeddedProgram/all``), by name, e.g. "sumsq".
    case embedded(String)

    /// How the program is named in reports and messages.
    public var displayName: String {
        switch self {
        case .path(let p): return p
        case .embedded(let name): return "\(name) (built in)"
        }
    }
}

/// A program ready to run: an ELF file on disk.
public struct ResolvedProgram: Sendable, Equatable {
    /// The ELF executable (the user's file, or the cached build of a source).
    public var executablePath: String
    /// As the user named it.
    public var displayName: String
    /// The source it was built from, if any.
    public var sourcePath: String?
}

/// A guest program whose source is compiled into vsim (generated `EmbeddedPrograms.swift`).
public struct EmbeddedProgram: Sendable {
    /// "sumsq" for programs/sumsq.s.
    public var name: String
    /// The file name in programs/, e.g. "sumsq.s".
    public var fileName: String
    /// The assembly source text.
    public var source: String

    /// Every embedded program, in file-name order.
    public static var all: [EmbeddedProgram] { EmbeddedPrograms.all }

    public static func named(_ name: String) -> EmbeddedProgram? { all.first { $0.name == name } }
}

/// Turns ``ProgramReference``s into ELF files, assembling sources with GNU `as --32` and
/// `ld -m elf_i386` (`.S` preprocessed by `cpp` first) into a content-keyed cache.
///
/// Cache: `$XDG_CACHE_HOME/vsim` or `~/.cache/vsim` (else `$TMPDIR/vsim-cache-<uid>`), one file
/// per build named by the SHA-256 of the (preprocessed) source, its kind and the `as`/`ld`
/// version lines. A build goes to a temporary directory in the cache and is renamed into place,
/// so concurrent vsims never see a half-written file.
public struct ProgramResolver {
    /// Where built programs are kept.
    public var cacheDirectory: String

    public init(cacheDirectory: String? = nil) {
        self.cacheDirectory = cacheDirectory ?? ProgramResolver.defaultCacheDirectory()
    }

    public static func defaultCacheDirectory() -> String {
        if let x = getenv("XDG_CACHE_HOME"), x.pointee != 0 { return String(cString: x) + "/vsim" }
        if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) + "/.cache/vsim" }
        let tmp = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        return "\(tmp)/vsim-cache-\(getuid())"
    }

    /// - Throws: ``VSimError``: `.elf(.fileNotFound)` (66) for a missing file, `.unreadable` (66),
    ///   `.toolMissing` / `.buildFailed` (69), `.host` for cache trouble, `.usage` for an unknown
    ///   embedded name.
    public func resolve(_ reference: ProgramReference) throws(VSimError) -> ResolvedProgram {
        switch reference {
        case .embedded(let name):
            guard let program = EmbeddedProgram.named(name) else {
                let known = EmbeddedProgram.all.map(\.name).joined(separator: ", ")
                throw .usage("no built-in program named \(name) (built in: \(known.isEmpty ? "none" : known))")
            }
            let path = try build(source: Array(program.source.utf8), fileName: program.fileName, sourcePath: nil)
            return ResolvedProgram(executablePath: path, displayName: reference.displayName, sourcePath: nil)
        case .path(let path):
            var st = stat()
            if stat(path, &st) != 0 {
                if errno == ENOENT || errno == ENOTDIR { throw .elf(.fileNotFound(path: path)) }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if path.hasSuffix(".s") || path.hasSuffix(".S") {
                let bytes: [UInt8]
                // A regular file within the program size limit, as for an ELF (not /dev/zero, a FIFO, ...).
                do { bytes = try ELFImage.readFile(path) } catch { throw .elf(error) }
                let name = String(path.split(separator: "/").last ?? Substring(path))
                let built = try build(source: bytes, fileName: name, sourcePath: path)
                return ResolvedProgram(executablePath: built, displayName: path, sourcePath: path)
            }
            return ResolvedProgram(executablePath: path, displayName: path, sourcePath: nil)
        }
    }

    /// Builds `source` (named `fileName`; `sourcePath` is the file on disk, for `as` messages and
    /// `cpp` includes) and returns the cached executable's path.
    func build(source: [UInt8], fileName: String, sourcePath: String?) throws(VSimError) -> String {
        try makeDirectories(cacheDirectory)
        var assemblerInput = sourcePath
        var text = source
        let preprocess = fileName.hasSuffix(".S")
        let work = try makeTemporaryDirectory()
        defer { removeTree(work) }
        if sourcePath == nil || preprocess {
            // The embedded source (or cpp's input) must exist as a file for the tools.
            let file = work + "/" + fileName
            try writeFile(file, source)
            assemblerInput = file
        }
        let input = assemblerInput!
        if preprocess {
            let cppInput = sourcePath ?? input
            let command = ["cpp", "-x", "assembler-with-cpp", cppInput]
            guard let out = try HostCommand.run(command) else {
                throw .toolMissing(tool: "cpp", hint: "install the C preprocessor (apt-get install cpp) to build .S files")
            }
            if out.status != 0 {
                throw .buildFailed(program: fileName, command: command.joined(separator: " "), status: out.status, messages: out.stderrText)
            }
            text = out.stdout
            let preprocessed = work + "/" + String(fileName.dropLast(2)) + ".i.s"
            try writeFile(preprocessed, text)
            assemblerInput = preprocessed
        }
        var key = SHA256()
        key.update(data: Array("vsim assembly cache v1\n\(preprocess ? "S" : "s")\n".utf8))
        key.update(data: Array((try toolVersion("as") + "\n" + toolVersion("ld") + "\n").utf8))
        key.update(data: text)
        let digest = key.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let base = fileName.split(separator: ".").first.map(String.init) ?? "program"
        let target = "\(cacheDirectory)/\(base)-\(digest)"
        if access(target, X_OK) == 0 { return target }

        let object = work + "/program.o", linked = work + "/program"
        let asCommand = ["as", "--32", "-o", object, assemblerInput!]
        guard let asOut = try HostCommand.run(asCommand) else {
            throw .toolMissing(tool: "as", hint: "install GNU binutils (apt-get install binutils) to run .s programs")
        }
        if asOut.status != 0 {
            throw .buildFailed(program: sourcePath ?? fileName, command: "as --32 \(sourcePath ?? fileName)",
                               status: asOut.status, messages: asOut.stderrText)
        }
        let ldCommand = ["ld", "-m", "elf_i386", "-o", linked, object]
        guard let ldOut = try HostCommand.run(ldCommand) else {
            throw .toolMissing(tool: "ld", hint: "install GNU binutils (apt-get install binutils) to run .s programs")
        }
        if ldOut.status != 0 {
            throw .buildFailed(program: sourcePath ?? fileName, command: "ld -m elf_i386", status: ldOut.status,
                               messages: ldOut.stderrText)
        }
        if rename(linked, target) != 0 {
            throw .host("cannot move the built program into the cache \(target): \(String(cString: strerror(errno))); "
                        + "check that \(cacheDirectory) is writable or set XDG_CACHE_HOME")
        }
        return target
    }

    /// The first line of `tool --version` (part of the cache key).
    func toolVersion(_ tool: String) throws(VSimError) -> String {
        guard let out = try HostCommand.run([tool, "--version"]) else {
            throw .toolMissing(tool: tool, hint: "install GNU binutils (apt-get install binutils) to run .s programs")
        }
        return String(out.stdoutText.split(separator: "\n").first ?? "")
    }

    func makeDirectories(_ path: String) throws(VSimError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .host("cannot create the cache directory \(current): \(String(cString: strerror(errno))); "
                            + "set XDG_CACHE_HOME to a writable directory")
            }
        }
    }

    func makeTemporaryDirectory() throws(VSimError) -> String {
        var template = Array("\(cacheDirectory)/.build-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else {
            throw .host("cannot create a build directory in \(cacheDirectory): \(String(cString: strerror(errno))); "
                        + "set XDG_CACHE_HOME to a writable directory")
        }
        return String(cString: made)
    }

    func writeFile(_ path: String, _ bytes: [UInt8]) throws(VSimError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .host("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    func removeTree(_ dir: String) {
        if let d = opendir(dir) {
            while let entry = readdir(d) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(dir + "/" + name) }
            }
            closedir(d)
        }
        rmdir(dir)
    }
}

struct ReadError: Error { var reason: String }

/// The whole file at `path`.
func readFile(_ path: String) throws(ReadError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ReadError(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ReadError(reason: String(cString: strerror(errno)))
        }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
}
