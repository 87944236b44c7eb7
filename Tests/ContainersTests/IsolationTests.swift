import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("Isolation: what the container's init sees", .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct IsolationTests {
        let dir: String
        let probe: String

        init() throws {
            dir = try Support.scratch("iso")
            probe = try Support.build("ctprobe", into: dir)
        }

        func run(_ args: [String], _ configure: (inout ContainerSpec) -> Void = { _ in }) throws -> (ContainerResult, String) {
            var spec = ContainerSpec(command: [probe] + args)
            configure(&spec)
            let (result, out) = try Support.run(spec)
            #expect(Support.leftovers(of: result.name).isEmpty, "left behind: \(Support.leftovers(of: result.name))")
            return (result, out)
        }

        @Test func theProgramIsPID1() throws {
            defer { Support.remove(dir) }
            let (r, out) = try run(["pid"])
            #expect(r.exitStatus == 0)
            #expect(out == "1\n")
        }

        @Test func theHostnameIsTheContainers() throws {
            defer { Support.remove(dir) }
            let (_, out) = try run(["host"]) { $0.hostname = "box-42" }
            #expect(out == "box-42\n")
            let (r2, out2) = try run(["host"])
            #expect(out2 == r2.name.shortName + "\n", "default hostname is vsim-<random>")
            var u = utsname()
            uname(&u)
            let host = withUnsafeBytes(of: &u.nodename) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            #expect(host != "box-42", "the host's hostname is untouched")
        }

        @Test func onlyLoopbackExistsAndItIsUp() throws {
            defer { Support.remove(dir) }
            let (_, dev) = try run(["cat", "/proc/net/dev"])
            let interfaces = dev.split(separator: "\n").dropFirst(2).map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) }
            #expect(interfaces == ["lo"], "\(dev)")
            let (_, flags) = try run(["cat", "/sys/class/net/lo/flags"])
            let value = Int(flags.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16) ?? 0
            #expect(value & 1 == 1, "IFF_UP set: \(flags)")
            let (_, hostDev) = try run(["cat", "/proc/net/dev"]) { $0.network = .host }
            let hostInterfaces = (HostFiles.read("/proc/net/dev") ?? "").split(separator: "\n").count
            #expect(hostDev.split(separator: "\n").count == hostInterfaces, "--network host sees the host's interfaces")
        }

        @Test func hostFilesOutsideTheRootAreUnreachable() throws {
            defer { Support.remove(dir) }
            let marker = dir + "/host-secret"
            try "secret\n".write(toFile: marker, atomically: true, encoding: .utf8)
            let (_, host) = try run(["cat", marker])
            #expect(host == "error 2\n", "ENOENT: the host path does not exist inside")
            let (_, passwd) = try run(["cat", "/etc/passwd"])
            #expect(passwd == "error 2\n")
            let (_, proc1) = try run(["cat", "/proc/1/cmdline"])
            #expect(proc1.hasPrefix("/ctprobe\0cat\0"), "PID 1 of the container's /proc is the program itself")
        }

        @Test func theRootLayout() throws {
            defer { Support.remove(dir) }
            let (_, null) = try run(["cat", "/dev/null"])
            #expect(null == "")
            let (_, sys) = try run(["write", "/sys/kernel/vsim-test", "x"])
            #expect(sys == "error 30\n", "EROFS: /sys is read-only")
            let (r, tmp) = try run(["write", "/tmp/scratch", "x"])
            #expect(r.exitStatus == 0 && tmp == "", "/tmp is writable")
            let (_, own) = try run(["write", "/ctprobe", "x"])
            #expect(own == "error 30\n", "the program's bind mount is read-only")
        }

        @Test func writesDoNotReachTheLowerLayer() throws {
            defer { Support.remove(dir) }
            let rootfs = dir + "/rootfs", upper = dir + "/upper"
            try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
            try Support.copyExecutable(probe, to: rootfs + "/bin/ctprobe")
            try "lower\n".write(toFile: rootfs + "/etc/greeting", atomically: true, encoding: .utf8)
            try "gone\n".write(toFile: rootfs + "/etc/remove-me", atomically: true, encoding: .utf8)
            let before = try snapshot(rootfs)

            func inRootfs(_ args: [String], keep: Bool = true) throws -> (ContainerResult, String) {
                var spec = ContainerSpec(command: ["ctprobe"] + args)
                spec.rootfs = rootfs
                if keep { spec.keepUpper = upper }
                let (r, out) = try Support.run(spec)
                #expect(Support.leftovers(of: r.name).isEmpty)
                #expect(!(HostFiles.list(dir) ?? []).contains { $0.hasPrefix(".vsim-work-") }, "work directory removed")
                return (r, out)
            }
            #expect(try inRootfs(["write", "/etc/greeting", "changed"]).0.exitStatus == 0)
            #expect(try inRootfs(["rm", "/etc/remove-me"]).0.exitStatus == 0)
            #expect(try inRootfs(["write", "/new-file", "new"]).0.exitStatus == 0)
            // The next run sees the kept upper layer over the same lower layer.
            #expect(try inRootfs(["cat", "/etc/greeting"]).1 == "changed")
            #expect(try inRootfs(["cat", "/etc/remove-me"]).1 == "error 2\n")
            // A run without --keep-upper starts from the lower layer again.
            #expect(try inRootfs(["cat", "/etc/greeting"], keep: false).1 == "lower\n")

            #expect(try snapshot(rootfs) == before, "the lower layer is byte-for-byte unchanged")
            // On disk: the copy-up, the new file and the whiteout (a 0:0 character device).
            #expect(try String(contentsOfFile: upper + "/etc/greeting", encoding: .utf8) == "changed")
            #expect(try String(contentsOfFile: upper + "/new-file", encoding: .utf8) == "new")
            var st = stat()
            #expect(lstat(upper + "/etc/remove-me", &st) == 0)
            #expect((st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0, "whiteout: character device 0/0")
        }

        /// path -> contents (or link target) of every file below `root`.
        func snapshot(_ root: String) throws -> [String: Data] {
            var out: [String: Data] = [:]
            let e = FileManager.default.enumerator(atPath: root)
            while let rel = e?.nextObject() as? String {
                let p = root + "/" + rel
                out[rel] = FileManager.default.contents(atPath: p) ?? Data()
            }
            return out
        }
    }
}

