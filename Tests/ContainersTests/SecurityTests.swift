import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    /// What a program inside a default container may do, and what `--cap-add ALL --seccomp
    /// unconfined --system-paths unconfined` gives back. The probes make raw i386 system calls
    /// (Programs/ctsys.s) and read /proc (Programs/ctprobe.s).
    @Suite("Security: capabilities, no_new_privs, masked /proc, seccomp",
           .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct SecurityTests {
        let dir: String
        let probe: String
        let sys: String

        init() throws {
            dir = try Support.scratch("sec")
            probe = try Support.build("ctprobe", into: dir)
            sys = try Support.build("ctsys", into: dir)
        }

        func run(_ argv: [String], _ configure: (inout ContainerSpec) -> Void = { _ in }) throws -> (ContainerResult, String) {
            var spec = ContainerSpec(command: argv)
            configure(&spec)
            let (r, out) = try Support.run(spec)
            #expect(Support.leftovers(of: r.name).isEmpty)
            return (r, out)
        }

        static func field(_ status: String, _ key: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) }
        }

        /// Everything turned off, as the lesson's "before".
        static func unconfined(_ s: inout ContainerSpec) {
            s.capabilities = .all
            s.seccomp = .unconfined
        }

        @Test func aDefaultContainerKeepsDockersFourteenCapabilitiesNoNewPrivsAndSeccomp() throws {
            defer { Support.remove(dir) }
            let (r, status) = try run([probe, "cat", "/proc/self/status"])
            #expect(r.exitStatus == 0)
            for key in ["CapEff", "CapPrm", "CapBnd", "CapInh"] {
                #expect(Self.field(status, key) == "00000000a80425fb", "\(key): \(status)")
            }
            #expect(Self.field(status, "CapAmb") == "0000000000000000")
            #expect(Self.field(status, "NoNewPrivs") == "1")
            #expect(Self.field(status, "Seccomp") == "2", "filter mode")
            #expect(CapabilitySet.dockerDefault.hex == "00000000a80425fb")
        }

        @Test func hostWideProcFilesAreReadOnlyOrMasked() throws {
            defer { Support.remove(dir) }
            // /proc/sys is read-only: EROFS (30) for the host-wide core_pattern.
            let (_, core) = try run([probe, "write", "/proc/sys/kernel/core_pattern", "|/tmp/escape"])
            #expect(core == "error 30\n", "\(core)")
            // This host's kernel may lack /proc/sysrq-trigger and /proc/kcore (then ENOENT, 2).
            let (_, sysrq) = try run([probe, "write", "/proc/sysrq-trigger", "h"])
            #expect(sysrq == (HostFiles.exists("/proc/sysrq-trigger") ? "error 30\n" : "error 2\n"), "\(sysrq)")
            let (_, kcore) = try run([probe, "cat", "/proc/kcore"])
            #expect(kcore == (HostFiles.exists("/proc/kcore") ? "" : "error 2\n"), "masked: reads nothing")
            if HostFiles.exists("/proc/timer_list") {
                let (_, timers) = try run([probe, "cat", "/proc/timer_list"])
                #expect(timers == "", "masked with /dev/null")
                let (_, shown) = try run([probe, "cat", "/proc/timer_list"]) { $0.systemPaths = .unconfined }
                #expect(shown.contains("Timer List"), "unmasked: the host's timers")
            }
            let (_, sys) = try run([probe, "write", "/sys/kernel/vsim-test", "x"])
            #expect(sys == "error 30\n", "/sys is read-only")
        }

        @Test func callsTheProfileDeniesFailWithEPERM() throws {
            defer { Support.remove(dir) }
            // i386 numbers: keyctl 288, add_key 286, unshare 310, mount 21.
            let calls: [[String]] = [
                ["288", "0", "-3", "0"],                       // keyctl(KEYCTL_GET_KEYRING_ID, session)
                ["286", "user", "vsim", "x", "1", "-3"],       // add_key("user", "vsim", "x", 1, session)
                ["310", "0x10000000"],                         // unshare(CLONE_NEWUSER)
                ["21", "none", "/tmp", "tmpfs", "0", "0"],     // mount("none", "/tmp", "tmpfs")
            ]
            for call in calls {
                let (r, out) = try run([sys, "call"] + call)
                #expect(out == "error 1\n" && r.exitStatus == 1, "\(call): \(out)")
            }
            // The same calls pass with the protections turned off.
            for call in calls {
                let (r, out) = try run([sys, "call"] + call, Self.unconfined)
                #expect(out.hasPrefix("ok ") && r.exitStatus == 0, "\(call) unconfined: \(out)")
            }
            // seccomp alone stops unshare(CLONE_NEWUSER), which needs no capability at all.
            let (_, userns) = try run([sys, "call", "310", "0x10000000"]) { $0.seccomp = .unconfined }
            #expect(userns == "ok 0\n", "\(userns)")
            // clone3 fails with ENOSYS (38), so that libc falls back to clone.
            let (_, clone3) = try run([sys, "call", "435", "0", "0"])
            #expect(clone3 == "error 38\n", "\(clone3)")
        }

        @Test func withEverythingOffTheSameProgramCanWriteCorePattern() throws {
            defer { Support.remove(dir) }
            let (_, status) = try run([probe, "cat", "/proc/self/status"], Self.unconfined)
            #expect(Self.field(status, "Seccomp") == "0")
            let host = try #require(HostFiles.read("/proc/self/status").flatMap { Self.field($0, "CapBnd") })
            #expect(Self.field(status, "CapEff") == host, "every capability vsim has")
            // Write the host's own value back: it must succeed, and changes nothing.
            let current = try #require(HostFiles.read("/proc/sys/kernel/core_pattern")).trimmingCharacters(in: .newlines)
            let (r, out) = try run([probe, "write", "/proc/sys/kernel/core_pattern", current]) {
                Self.unconfined(&$0)
                $0.systemPaths = .unconfined
            }
            #expect(r.exitStatus == 0 && out == "", "\(out)")
            #expect(HostFiles.read("/proc/sys/kernel/core_pattern")?.trimmingCharacters(in: .newlines) == current)
        }

        @Test func capAddAndCapDropFollowDocker() throws {
            defer { Support.remove(dir) }
            let d = CapabilitySet.dockerDefault
            #expect(try CapabilitySet.applying(add: [], drop: []) == d)
            let plus = try CapabilitySet.applying(add: ["net_admin", "CAP_SYS_PTRACE"], drop: ["chown"])
            #expect(plus.contains("NET_ADMIN") && plus.contains("SYS_PTRACE") && !plus.contains("CHOWN"))
            #expect(try CapabilitySet.applying(add: ["ALL"], drop: []) == .all)
            #expect(try CapabilitySet.applying(add: ["ALL"], drop: ["SYS_ADMIN"]).contains("SYS_ADMIN") == false)
            #expect(try CapabilitySet.applying(add: ["KILL"], drop: ["ALL"]) == CapabilitySet(["KILL"]))
            #expect(try CapabilitySet.applying(add: ["chown,kill"], drop: ["all"]) == CapabilitySet(["CHOWN", "KILL"]))
            #expect(throws: ContainerError.self) { try CapabilitySet.applying(add: ["SYS_MAGIC"], drop: []) }
            #expect(throws: ContainerError.self) { try CapabilitySet.applying(add: ["KILL"], drop: ["CAP_KILL"]) }
            // Inside: --cap-drop ALL leaves nothing, --cap-add NET_ADMIN adds bit 12.
            let (_, none) = try run([probe, "cat", "/proc/self/status"]) { $0.capabilities = CapabilitySet(mask: 0) }
            #expect(Self.field(none, "CapEff") == "0000000000000000")
            let (_, admin) = try run([probe, "cat", "/proc/self/status"]) {
                $0.capabilities = try! CapabilitySet.applying(add: ["NET_ADMIN"], drop: [])
            }
            #expect(Self.field(admin, "CapEff") == CapabilitySet(mask: d.mask | 1 << 12).hex)
        }

        @Test func theProfileFollowsTheCapabilities() throws {
            defer { Support.remove(dir) }
            let plain = SeccompProfile.rules(for: .dockerDefault).flatMap(\.names)
            #expect(!plain.contains("mount") && !plain.contains("keyctl") && plain.contains("read"))
            #expect(plain.contains("clone"), "clone without namespace flags")
            let admin = SeccompProfile.rules(for: try CapabilitySet.applying(add: ["SYS_ADMIN"], drop: [])).flatMap(\.names)
            #expect(admin.contains("mount") && admin.contains("unshare"))
            let bpf = try SeccompProfile.bpf(for: .dockerDefault)
            #expect(bpf.count % 8 == 0 && bpf.count > 8 * 300, "\(bpf.count / 8) instructions")
            // CAP_SYS_ADMIN given back: mount is allowed by the profile and by the capability.
            let (_, mounted) = try run([sys, "call", "21", "none", "/tmp", "tmpfs", "0", "0"]) {
                $0.capabilities = try! CapabilitySet.applying(add: ["SYS_ADMIN"], drop: [])
            }
            #expect(mounted == "ok 0\n", "\(mounted)")
        }

        @Test func badOptionsAreUsageErrors() throws {
            defer { Support.remove(dir) }
            let status = ContainerCommandLine.run(rootfs: nil, keepUpper: nil, memory: nil, cpus: nil, pids: nil, hostname: nil,
                                                  network: .none, rootless: false, timings: false, capAdd: ["NOPE"],
                                                  command: [probe, "pid"])
            #expect(status == 64)
            let time = ContainerCommandLine.run(rootfs: nil, keepUpper: nil, memory: nil, cpus: nil, pids: nil, hostname: nil,
                                                network: .none, rootless: false, timings: false, timeLimit: -1,
                                                command: [probe, "pid"])
            #expect(time == 64)
        }
    }
}
