import Crypto
import Guest
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// What the user asked to run.
public enum ProgramReference: Sendable, Equatable {
    /// A file: an i386 ELF executable, or a `.s` / `.S` assembly source (assembled into the cache).
    case path(String)
    /// A program built into vsim (``EmbeddedProgram/all``), by name, e.g. "sumsq".
    case embedded(String)

    /// Whether it is a program built into vsim.
    public var isBuiltIn: Bool { if case .embedded = self { return true } else { return false } }

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
    /// "sumsq" for programs/sumsq.s, "nanobench/ptemod" for programs/nanobench/ptemod.s.
    public var name: String
    /// The path under programs/, e.g. "sumsq.s", "nanobench/ptemod.s".
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
/// Cache: `$XDG_CACHE_HOME/vsim` or `~/.cache/vsim` (else `$TMPDIR/vsim-cache-<uid>`). vsim
/// creates missing directories with mode 0700 and uses the cache only if it is a directory owned
/// by the user and not writable by group or others (as ssh and the XDG base directory rules
/// ask): another user could otherwise plant a program under a predictable name. A cache it cannot
/// create, write or trust ends the run with status 73 and a message.
///
/// Key: the SHA-256 of the (preprocessed) source, its kind and the `as`/`ld` version lines
/// (`key1`). A source whose assembly reads other files (`.include`, `.incbin`, as `as --MD`
/// reports them) has a manifest `NAME-key1.deps` listing those paths, and its program is
/// `NAME-key2`, where `key2` also covers each listed file's current contents (ccache's "direct
/// mode"): editing an included file builds anew. `as` resolves relative names against the
/// working directory, and so does the lookup. A build goes to a temporary directory in the cache
/// and is renamed into place, so concurrent vsims never see a half-written file; a cached
/// program that no longer loads (truncated, emptied) is built again.
public struct ProgramResolver {
    /// Where built programs are kept.
    public var cacheDirectory: String

    public init(cacheDirectory: String? = nil) {
        self.cacheDirectory = cacheDirectory ?? ProgramResolver.defaultCacheDirectory()
    }

    public static func defaultCacheDirectory() -> String {
        if let x = getenv("XDG_CACHE_HOME"), x.pointee != 0 { return String(cString: x) + "/vsim" }
        if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) + "/.cache/vsim" }
        return "\(TempFile.directory)/vsim-cache-\(getuid())"
    }

    /// Exit status for a cache directory that cannot be created, written or trusted (sysexits
    /// EX_CANTCREAT): an environment problem, not a bug in vsim.
    public static let cacheUnusableStatus: Int32 = 73

    /// - Throws: ``VSimError``: `.elf(.fileNotFound)` (66) for a missing file, `.unreadable` (66),
    ///   `.toolMissing` / `.buildFailed` (69), `.host` with status 73 for cache trouble, `.usage`
    ///   for an unknown embedded name.
    public func resolve(_ reference: ProgramReference) throws(VSimError) -> ResolvedProgram {
        switch reference {
        case .embedded(let name):
            guard let program = EmbeddedProgram.named(name) else {
                let known = EmbeddedProgram.all.map(\.name).joined(separator: ", ")
                throw .usage("no built-in program named \(name) (built in: \(known.isEmpty ? "none" : known))")
            }
            let file = String(program.fileName.split(separator: "/").last ?? Substring(program.fileName))
            let path = try build(source: Array(program.source.utf8), fileName: file, sourcePath: nil)
            return ResolvedProgram(executablePath: path, displayName: reference.displayName, sourcePath: nil)
        case .path(let path):
            var st = stat()
            if stat(path, &st) != 0 {
                if errno == ENOENT || errno == ENOTDIR { throw .elf(.fileNotFound(path: path)) }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if path.hasSuffix(".c") {
                let bytes: [UInt8]
                do { bytes = try ELFImage.readFile(path) } catch { throw .elf(error) }
                let name = String(path.split(separator: "/").last ?? Substring(path))
                let built = try buildC(source: bytes, fileName: name, sourcePath: path)
                return ResolvedProgram(executablePath: built, displayName: path, sourcePath: path)
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
        try prepareCacheDirectory()
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
        key.update(data: Array("vsim assembly cache v2\n\(preprocess ? "S" : "s")\n".utf8))
        key.update(data: Array((try toolVersion("as") + "\n" + toolVersion("ld") + "\n").utf8))
        key.update(data: text)
        let key1 = hexDigest(key.finalize())
        let base = fileName.split(separator: ".").first.map(String.init) ?? "program"
        let plain = "\(cacheDirectory)/\(base)-\(key1)"
        let manifest = plain + ".deps"
        if usable(plain) { return plain }
        if let dependencies = readManifest(manifest) {
            let target = "\(cacheDirectory)/\(base)-\(dependencyKey(key1, dependencies))"
            if usable(target) { return target }
        }

        let object = work + "/program.o", linked = work + "/program", depfile = work + "/program.d"
        let asCommand = ["as", "--32", "--MD", depfile, "-o", object, assemblerInput!]
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
        let dependencies = ProgramResolver.parseDepfile((try? ELFImage.readFile(depfile)) ?? [])
            .filter { $0 != assemblerInput! }
        var target = plain
        if !dependencies.isEmpty {
            try writeFile(work + "/manifest", Array(dependencies.map { $0 + "\n" }.joined().utf8))
            try moveIntoCache(work + "/manifest", manifest)
            target = "\(cacheDirectory)/\(base)-\(dependencyKey(key1, dependencies))"
        }
        try moveIntoCache(linked, target)
        return target
    }

    /// The compiler command for C sources: a static i386 program with glibc, through Debian's
    /// i386 cross compiler where it is installed (`gcc-i686-linux-gnu`, complete with its own
    /// headers, and what `musl-dev:i386` builds on), else `gcc -m32` (`gcc-multilib`).
    public static let cCompiler: [String] = {
        let path = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        if path.contains(where: { access("\($0)/i686-linux-gnu-gcc", X_OK) == 0 }) {
            return ["i686-linux-gnu-gcc", "-static", "-O2"]
        }
        return ["gcc", "-m32", "-static", "-O2"]
    }()

    /// The libraries linked after the source: libm, which a C program using `<math.h>` needs
    /// (`sqrt`, `pow`) and which gcc does not link by default (glibc keeps it apart from libc; a
    /// static link takes only the members the program uses, so a program without math is the same).
    public static let cLibraries = ["-lm"]

    /// What to install for `vsim run prog.c`.
    static let cHint = "install an i386 C compiler and libc (run scripts/setup, or apt-get install gcc-i686-linux-gnu libc6-dev-i386-cross, or gcc-multilib) to run .c programs"

    /// Compiles the C source `source` (the file `sourcePath`) with ``cCompiler`` into the cache
    /// and returns the executable's path. Same cache and rules as assembly sources: the key
    /// covers the source, the compiler's version line and command, and (through the manifest
    /// that `gcc -MD` gives) every header the source includes, so editing a header builds anew.
    func buildC(source: [UInt8], fileName: String, sourcePath: String) throws(VSimError) -> String {
        try prepareCacheDirectory()
        let work = try makeTemporaryDirectory()
        defer { removeTree(work) }
        guard let version = try HostCommand.run([ProgramResolver.cCompiler[0], "--version"]) else {
            throw .toolMissing(tool: ProgramResolver.cCompiler[0], hint: ProgramResolver.cHint)
        }
        var key = SHA256()
        key.update(data: Array("vsim C cache v2\n\((ProgramResolver.cCompiler + ProgramResolver.cLibraries).joined(separator: " "))\n".utf8))
        key.update(data: Array((String(version.stdoutText.split(separator: "\n").first ?? "") + "\n").utf8))
        key.update(data: source)
        let key1 = hexDigest(key.finalize())
        let base = fileName.split(separator: ".").first.map(String.init) ?? "program"
        let manifest = "\(cacheDirectory)/\(base)-\(key1).deps"
        if let dependencies = readManifest(manifest) {
            let target = "\(cacheDirectory)/\(base)-\(dependencyKey(key1, dependencies))"
            if usable(target) { return target }
        }
        // gcc reads the file itself (so that `#include "x.h"` is found beside it); the key was
        // taken from the bytes read above, and the compiled copy is of those same bytes.
        let copy = work + "/" + fileName
        try writeFile(copy, source)
        let linked = work + "/program", depfile = work + "/program.d"
        let directory = sourcePath.contains("/") ? String(sourcePath[..<sourcePath.lastIndex(of: "/")!]) : "."
        let command = ProgramResolver.cCompiler + ["-iquote", directory, "-MD", "-MF", depfile, "-o", linked, copy] + ProgramResolver.cLibraries
        guard let out = try HostCommand.run(command) else {
            throw .toolMissing(tool: ProgramResolver.cCompiler[0], hint: ProgramResolver.cHint)
        }
        if out.status != 0 {
            let messages = out.stderrText
            if ProgramResolver.lacks32BitLibc(messages) {
                throw .toolIncomplete(what: "the 32-bit C library for `\(ProgramResolver.cCompiler.joined(separator: " "))`",
                                      hint: ProgramResolver.cHint)
            }
            throw .buildFailed(program: sourcePath, command: (ProgramResolver.cCompiler + [sourcePath] + ProgramResolver.cLibraries).joined(separator: " "),
                               status: out.status, messages: messages.replacing(copy, with: sourcePath))
        }
        let dependencies = ProgramResolver.parseDepfile((try? ELFImage.readFile(depfile)) ?? []).filter { $0 != copy }
        try writeFile(work + "/manifest", Array(dependencies.map { $0 + "\n" }.joined().utf8))
        try moveIntoCache(work + "/manifest", manifest)
        let target = "\(cacheDirectory)/\(base)-\(dependencyKey(key1, dependencies))"
        try moveIntoCache(linked, target)
        return target
    }

    /// Whether gcc's messages say that the 32-bit libc (headers or libraries) is not installed.
    static func lacks32BitLibc(_ messages: String) -> Bool {
        ["bits/libc-header-start.h", "gnu/stubs-32.h", "cannot find -lc", "cannot find crt1.o",
         "cannot find -lgcc", "skipping incompatible", "cannot find Scrt1.o", "asm/errno.h"].contains { messages.contains($0) }
    }

    /// Lower-case hex of a digest.
    func hexDigest(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// `key1` extended with each dependency's path and current contents (or why it cannot be read).
    func dependencyKey(_ key1: String, _ dependencies: [String]) -> String {
        var key = SHA256()
        key.update(data: Array("vsim dependencies v1\n\(key1)\n".utf8))
        for path in dependencies {
            key.update(data: Array("\(path)\n".utf8))
            do {
                let bytes = try ELFImage.readFile(path)
                key.update(data: Array("\(bytes.count)\n".utf8))
                key.update(data: bytes)
            } catch {
                key.update(data: Array("unreadable: \(error.description)\n".utf8))
            }
        }
        return hexDigest(key.finalize())
    }

    /// The dependency paths of a manifest, or nil if there is none.
    func readManifest(_ path: String) -> [String]? {
        guard let bytes = try? ELFImage.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The prerequisites of a make rule as `as --MD` writes it (`obj: dep dep \` lines,
    /// spaces in names escaped with a backslash).
    static func parseDepfile(_ bytes: [UInt8]) -> [String] {
        let chars = Array(String(decoding: bytes, as: UTF8.self))
        // The rule's target ends at the first ": ".
        guard let colon = chars.indices.first(where: { chars[$0] == ":" && $0 + 1 < chars.count && chars[$0 + 1] == " " }) else {
            return []
        }
        var paths: [String] = []
        var current = ""
        var escaped = false
        func flush() { if !current.isEmpty { paths.append(current); current = "" } }
        for ch in chars[(colon + 1)...] {
            if escaped {
                escaped = false
                if ch == "\n" { flush() } else { current.append(ch) }   // `\` newline continues the rule
                continue
            }
            if ch == "\\" { escaped = true; continue }
            if ch == " " || ch == "\n" || ch == "\t" { flush(); continue }
            current.append(ch)
        }
        flush()
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// Whether the cached program at `path` exists and still loads; a damaged one is removed.
    func usable(_ path: String) -> Bool {
        guard access(path, X_OK) == 0 else { return false }
        if (try? ELFImage(path: path)) != nil { return true }
        unlink(path)
        return false
    }

    /// Renames a finished file from the build directory into the cache.
    func moveIntoCache(_ from: String, _ to: String) throws(VSimError) {
        if rename(from, to) != 0 {
            throw cacheError("cannot move the built program into the cache \(to): \(String(cString: strerror(errno)))")
        }
    }

    /// `.host` with ``cacheUnusableStatus`` and what to do.
    func cacheError(_ what: String) -> VSimError {
        .host(what + "; set XDG_CACHE_HOME to a private directory you can write (the cache is described in docs/user-guide.md)",
              status: ProgramResolver.cacheUnusableStatus)
    }

    /// The first line of `tool --version` (part of the cache key).
    func toolVersion(_ tool: String) throws(VSimError) -> String {
        guard let out = try HostCommand.run([tool, "--version"]) else {
            throw .toolMissing(tool: tool, hint: "install GNU binutils (apt-get install binutils) to run .s programs")
        }
        return String(out.stdoutText.split(separator: "\n").first ?? "")
    }

    /// Creates the cache directory (and missing parents) with mode 0700 and checks that it is a
    /// directory owned by this user that nobody else may write (status 73 otherwise).
    func prepareCacheDirectory() throws(VSimError) {
        var current = cacheDirectory.hasPrefix("/") ? "" : "."
        let temporary = TempFile.directory
        for part in cacheDirectory.split(separator: "/") {
            current += "/" + part
            if current == temporary {
                // $TMPDIR is the host's, never vsim's to make: a missing one is a misconfiguration
                // (TMPDIR=/nonexistent would otherwise appear as a new folder at the root).
                var st = stat()
                guard stat(current, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
                    throw TempFile.missingDirectory(for: "the assembly cache \(cacheDirectory) (no XDG_CACHE_HOME, no HOME)")
                }
                continue
            }
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw cacheError("cannot create the cache directory \(current): \(String(cString: strerror(errno)))")
            }
        }
        var st = stat()
        guard stat(cacheDirectory, &st) == 0 else {
            throw cacheError("cannot use the cache directory \(cacheDirectory): \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw cacheError("the cache directory \(cacheDirectory) is not a directory")
        }
        guard st.st_uid == geteuid() else {
            throw cacheError("the cache directory \(cacheDirectory) belongs to uid \(st.st_uid), not to you (uid \(geteuid())): "
                             + "vsim will not run programs another user could have put there")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw cacheError("the cache directory \(cacheDirectory) is writable by group or others (mode \(String(st.st_mode & 0o777, radix: 8))): "
                             + "vsim will not run programs another user could have put there; chmod go-w it")
        }
        guard access(cacheDirectory, W_OK | X_OK) == 0 else {
            throw cacheError("cannot write the cache directory \(cacheDirectory): \(String(cString: strerror(errno)))")
        }
    }

    /// ``prepareCacheDirectory()`` for another directory `path` (e.g. the guest kernel's build).
    func makeDirectories(_ path: String) throws(VSimError) {
        var resolver = self
        resolver.cacheDirectory = path
        try resolver.prepareCacheDirectory()
    }

    func makeTemporaryDirectory() throws(VSimError) -> String {
        var template = Array("\(cacheDirectory)/.build-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else {
            throw cacheError("cannot create a build directory in \(cacheDirectory): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    func writeFile(_ path: String, _ bytes: [UInt8]) throws(VSimError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw cacheError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let code = HostIO.writeAll(fd, bytes) {
            throw cacheError("cannot write \(path): \(HostError.describe(code))")
        }
    }

    func removeTree(_ dir: String) { HostIO.removeFlatDirectory(dir) }
}

struct ReadError: Error { var reason: String }

/// The whole file at `path`.
func readFile(_ path: String) throws(ReadError) -> [UInt8] {
    do { return try HostIO.readFile(path) } catch { throw ReadError(reason: "\(error)") }
}
