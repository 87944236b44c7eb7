import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

/// Builds the test programs, runs containers with captured output, and checks that nothing of
/// a container is left on the host.
enum Support {
    static let programsDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.path + "/Programs"
    }()

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.path
    }

    /// Whether the tests can create containers here: root, and a kernel (and sandbox) that let
    /// root clone the namespaces and mount. Probed once with /bin/true, which gets as far as
    /// execve (a dynamic program fails there, after every namespace and mount step succeeded).
    static let containersWork: Bool = {
        guard geteuid() == 0 else { return false }
        do {
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(null) }
            _ = try Container.run(ContainerSpec(command: ["/bin/true"]).with { $0.stdin = null; $0.stdout = null; $0.stderr = null })
            return true
        } catch let error as ContainerError {
            if case .command = error { return true }
            print("container tests skipped: this host does not let root create containers: \(error.description)")
            return false
        } catch {
            return false
        }
    }()

    /// A world-readable scratch directory (rootless tests run as uid 65534).
    static func scratch(_ tag: String) throws -> String {
        let dir = "/tmp/vsim-ct-test-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return dir
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Assembles Programs/<name>.s (or any .s path) into `directory`; returns the executable.
    static func build(_ name: String, into directory: String) throws -> String {
        let source = name.hasSuffix(".s") ? name : programsDirectory + "/\(name).s"
        let base = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let obj = directory + "/\(base).o", exe = directory + "/\(base)"
        try tool(["as", "--32", "-o", obj, source])
        try tool(["ld", "-m", "elf_i386", "-o", exe, obj])
        try? FileManager.default.removeItem(atPath: obj)
        return exe
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func tool(_ argv: [String]) throws {
        let r = try spawn(argv)
        guard r.status == 0 else { throw Failure(description: "\(argv.joined(separator: " ")) failed: \(r.stderr)") }
    }

    /// Copies an executable that will be exec'd (natively, or inside a container) with `cp` in a
    /// child process. Copied by this process, the file would be open for writing here while other
    /// tests' threads fork (suites run in parallel): a child holding that descriptor until its own
    /// exec makes the kernel refuse to run the file, ETXTBSY ("Text file busy"), as a native
    /// `chroot DIR /prog` once did in LinuxABITests. `cp` opens the file only in its own process.
    static func copyExecutable(_ source: String, to destination: String) throws {
        try tool(["cp", "--", source, destination])
    }

    /// Whether `tool` is on PATH.
    static func have(_ tool: String) -> Bool {
        (try? spawn(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs argv (PATH lookup through /usr/bin/env) to completion with stdin from /dev/null.
    static func spawn(_ argv: [String], environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return Output(status: status, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs `spec` with stdout captured; stderr to /dev/null unless given.
    static func run(_ spec: ContainerSpec) throws -> (ContainerResult, String) {
        var spec = spec
        let path = "/tmp/vsim-ct-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path)") }
        unlink(path)
        defer { close(fd) }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        spec.stdin = null
        spec.stdout = fd
        if spec.stderr == 2 { spec.stderr = null }
        let result = try Container.run(spec)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
            offset += off_t(n)
        }
        return (result, String(decoding: bytes, as: UTF8.self))
    }

    /// Everything a container named `name` could leave: its cgroups, its state directory, mounts
    /// under the state root. Empty when it is all gone.
    static func leftovers(of name: ContainerName, stateRoot: String = StateRoot.default()) -> [String] {
        var found = ContainerJanitor.allCgroups().filter { $0.hasSuffix("/" + name.description) }
        if HostFiles.exists(stateRoot + "/" + name.description) { found.append(stateRoot + "/" + name.description) }
        found += ContainerJanitor.strayMounts(under: [stateRoot])
        return found
    }

    /// The pids of processes whose command line is exactly `argv`.
    static func processes(withArguments argv: [String]) -> [pid_t] {
        let wanted = argv.joined(separator: "\0") + "\0"
        return (HostFiles.list("/proc") ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let cmd = HostFiles.read("/proc/\(entry)/cmdline") else { return nil }
            return cmd == wanted ? pid : nil
        }
    }

    /// The vsim executable next to the test bundle (swift test builds it with the tests).
    static func vsimExecutable() -> String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var url = URL(fileURLWithPath: exe)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.path + "/vsim"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            if url.lastPathComponent == "debug" || url.lastPathComponent == "release" { break }
        }
        return nil
    }
}

extension ContainerSpec {
    func with(_ change: (inout ContainerSpec) -> Void) -> ContainerSpec {
        var copy = self
        change(&copy)
        return copy
    }
}
