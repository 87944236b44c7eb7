#if canImport(Glibc)
import Glibc
#endif

/// The guest kernel of `programs/kernel/` (docs/boot-protocol.md), built on demand with GNU
/// `as --32` and `ld -m elf_i386 -Ttext 0x100000` into vsim's program cache, keyed by the
/// source text, the variant and the tool versions.
///
/// The source is found through `VSIM_KERNEL_SOURCE` when set, else next to this vsim's own
/// source tree (`programs/kernel/kernel.s`, located at build time).
public enum GuestKernel {
    /// The kernel's link (and load) address.
    public static let loadAddress: UInt32 = 0x0010_0000

    /// Path of the kernel source.
    public static var sourcePath: String {
        if let p = getenv("VSIM_KERNEL_SOURCE") { return String(cString: p) }
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)   // Sources/VSim/GuestKernel.swift
        return parts.joined(separator: "/") + "/programs/kernel/kernel.s"
    }

    /// Builds the kernel (or finds it in the cache) and returns the ELF path.
    /// - Parameters:
    ///   - symbols: `--defsym` definitions selecting a variant (none: the native kernel).
    ///   - source: the kernel source to build instead of ``sourcePath`` (``RunOptions/kernelSource``).
    public static func build(symbols: [String: Int] = [:], source override: String? = nil,
                             resolver: ProgramResolver = ProgramResolver()) throws(VSimError) -> String {
        let path = override ?? sourcePath
        let source: [UInt8]
        do { source = try readFile(path) } catch {
            let hint = override != nil ? "" : getenv("VSIM_KERNEL_SOURCE") != nil
                ? "; VSIM_KERNEL_SOURCE names it: set it to a guest kernel source (programs/kernel/kernel.s, or your lab's kernel.s)"
                : "; set VSIM_KERNEL_SOURCE to the guest kernel's kernel.s"
            throw .unreadable(path: path, reason: error.reason + hint)
        }
        let defsyms = symbols.keys.sorted().flatMap { ["--defsym", "\($0)=\(symbols[$0]!)"] }
        // FNV-1a 64 over everything that decides the output.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: [UInt8]) { for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 } }
        mix(Array("vsim kernel cache v1\n".utf8))
        mix(Array((try resolver.toolVersion("as") + "\n" + resolver.toolVersion("ld") + "\n").utf8))
        mix(Array(defsyms.joined(separator: " ").utf8))
        mix(source)
        try resolver.makeDirectories(resolver.cacheDirectory)
        let target = "\(resolver.cacheDirectory)/kernel-\(String(hash, radix: 16))-\(source.count)"
        if access(target, R_OK) == 0 { return target }
        let work = try resolver.makeTemporaryDirectory()
        defer { resolver.removeTree(work) }
        let object = work + "/kernel.o", linked = work + "/kernel"
        let asCommand = ["as", "--32"] + defsyms + ["-o", object, path]
        guard let asOut = try HostCommand.run(asCommand) else {
            throw .toolMissing(tool: "as", hint: "install GNU binutils (apt-get install binutils) to build the guest kernel")
        }
        if asOut.status != 0 {
            throw .buildFailed(program: path, command: asCommand.joined(separator: " "), status: asOut.status, messages: asOut.stderrText)
        }
        let ldCommand = ["ld", "-m", "elf_i386", "-Ttext", "0x" + String(loadAddress, radix: 16), "-o", linked, object]
        guard let ldOut = try HostCommand.run(ldCommand) else {
            throw .toolMissing(tool: "ld", hint: "install GNU binutils (apt-get install binutils) to build the guest kernel")
        }
        if ldOut.status != 0 {
            throw .buildFailed(program: path, command: ldCommand.joined(separator: " "), status: ldOut.status, messages: ldOut.stderrText)
        }
        if rename(linked, target) != 0 {
            throw .host("cannot move the built kernel into the cache \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }
}
