#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// Where the program to run is, on the host and inside the container.
struct ProgramLocation {
    /// Without a rootfs: the host file bind-mounted into the fresh root.
    var hostProgram: String?
    /// The path execve gets inside the container.
    var pathInside: String
    /// argv[0].
    var argv0: String

    init(_ spec: ContainerSpec) throws(ContainerError) {
        let command = spec.command[0]
        if let layers = spec.imageLayers {
            // The merged view exists only inside the container: a path is left to execve there
            // (its failure is reported as for a rootfs); a bare name is searched in each layer.
            if command.contains("/") {
                pathInside = command.hasPrefix("/") ? command : "/" + command
            } else {
                let search = ContainerSpec.searchPath(spec.environment ?? spec.imageEnvironment).split(separator: ":").map(String.init)
                guard let found = layers.lazy.compactMap({ HostFiles.search(command, in: search, root: $0) }).first else {
                    throw .command("\(command): not found in the image's layers (searched \(search.joined(separator: ":")))", status: 127)
                }
                pathInside = found
            }
            hostProgram = nil
            argv0 = command
            return
        }
        if let rootfs = spec.rootfs {
            let inside: String
            if command.contains("/") {
                inside = command.hasPrefix("/") ? command : "/" + command
                guard HostFiles.exists(rootfs + inside) else {
                    throw .command("\(command): no such file in the rootfs \(rootfs)", status: 127)
                }
            } else {
                let search = ContainerSpec.defaultPath.split(separator: ":").map(String.init)
                guard let found = HostFiles.search(command, in: search, root: rootfs) else {
                    throw .command("\(command): not found in the rootfs \(rootfs) (searched \(ContainerSpec.defaultPath))", status: 127)
                }
                inside = found
            }
            hostProgram = nil
            pathInside = inside
            argv0 = command
            return
        }
        var host = command
        if !command.contains("/") {
            let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
            guard let found = HostFiles.search(command, in: path.split(separator: ":").map(String.init), root: "") else {
                throw .command("\(command): not found in PATH", status: 127)
            }
            host = found
        }
        var st = stat()
        guard stat(host, &st) == 0 else {
            throw .command("\(command): \(HostError.describe(errno))", status: errno == ENOENT ? 127 : 126)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .command("\(command): not a regular file", status: 126) }
        guard access(host, X_OK) == 0 else {
            if let kind = ProgramLocation.sourceKind(host) {
                throw .command("\(command): a \(kind) source, not a program: `vsim container run` runs a host executable as it is; "
                    + "let vsim build it (`vsim run \(command) --mode container`), or build it first "
                    + (kind == "C" ? "(gcc -m32 -static)" : "(as --32, then ld -m elf_i386)"), status: 126)
            }
            throw .command("\(command): not executable (chmod +x it)", status: 126)
        }
        let base = host.split(separator: "/").last.map(String.init) ?? "program"
        hostProgram = Container.absolute(host)
        pathInside = "/" + base
        argv0 = pathInside
    }

    /// "assembly" or "C" when `path` names a source that `vsim run` builds (`.s`, `.S`, `.c`).
    static func sourceKind(_ path: String) -> String? {
        if path.hasSuffix(".s") || path.hasSuffix(".S") { return "assembly" }
        if path.hasSuffix(".c") { return "C" }
        return nil
    }
}
