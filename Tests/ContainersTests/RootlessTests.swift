import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("Rootless: uid 65534 through setpriv, with a user namespace",
           .enabled(if: Support.containersWork, "needs root to switch to uid 65534 with setpriv"))
    struct RootlessTests {
        func asNobody(_ args: [String]) throws -> Support.Output {
            guard let vsim = Support.vsimExecutable() else { throw Support.Failure(description: "vsim executable not found") }
            return try Support.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", vsim] + args,
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"])
        }

        @Test func runsAndSaysWhichLimitsWereNotApplied() throws {
            if HostFiles.read("/proc/sys/user/max_user_namespaces").map({ $0.hasPrefix("0") }) == true {
                print("skipped: user namespaces are disabled on this kernel (user.max_user_namespaces = 0)")
                return
            }
            let dir = try Support.scratch("rootless")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            chmod(probe, 0o755)
            let out = try asNobody(["container", "run", "--rootless", "--memory", "32m", "--pids", "16", "--hostname", "nobodys",
                                    "--", probe, "host"])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == "nobodys\n")
            let layout = CgroupLayout.detect()
            if case .unified = layout {} else {
                #expect(out.stderr.contains("--memory not applied"), "\(out.stderr)")
                #expect(out.stderr.contains("--pids not applied"))
            }
            let pid = try asNobody(["container", "run", "--rootless", "--", probe, "pid"])
            #expect(pid.stdout == "1\n" && pid.status == 0, "\(pid.stderr)")
            // With an overlay root (userxattr) as well.
            let rootfs = dir + "/rootfs"
            try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try Support.copyExecutable(probe, to: rootfs + "/bin/ctprobe")
            let overlay = try asNobody(["container", "run", "--rootless", "--rootfs", rootfs, "--", "ctprobe", "write", "/etc-new", "x"])
            #expect(overlay.status == 0, "\(overlay.stderr)")
            #expect(!HostFiles.exists(rootfs + "/etc-new"))
            let state = "/tmp/vsim-65534"
            #expect((HostFiles.list(state) ?? []).isEmpty, "the rootless state directory is empty again")
        }
    }
}
