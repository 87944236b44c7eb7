import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("cgroup drivers")
    struct CgroupTests {
        @Test func detectsThisHostsLayout() {
            let layout = CgroupLayout.detect()
            print("cgroup layout here: \(layout)")
            #expect(CgroupLayout.detect(root: "/nonexistent-\(getpid())") == .none(root: "/nonexistent-\(getpid())"))
            if case .hybrid(_, let unified) = layout {
                #expect(unified == "/sys/fs/cgroup/unified")
                #expect(layout.placement(of: .memory) == .v1, "memory is on v1 in hybrid mode here")
            }
        }

        /// The v2 driver against a directory tree laid out like cgroupfs: the files it writes.
        @Test func v2LimitsInACgroupfsShapedTree() throws {
            let root = try Support.scratch("v2tree")
            defer { Support.remove(root) }
            try "cpuset cpu io memory pids\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
            try "\n".write(toFile: root + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
            let limits = ResourceLimits(memoryBytes: 64 << 20, cpus: 0.5, pids: 32)
            let group = try CgroupV2Group(name: "vsim-1-2-0000abcd", parent: root, controllers: [.memory, .cpu, .pids],
                                          limits: limits, createFiles: true)
            try group.attach(4242)
            let dir = root + "/vsim-1-2-0000abcd/"
            func file(_ name: String) -> String? { HostFiles.read(dir + name) }
            #expect(file("memory.max") == "67108864")
            #expect(file("memory.swap.max") == "0")
            #expect(file("cpu.max") == "50000 100000")
            #expect(file("pids.max") == "32")
            #expect(file("cgroup.procs") == "4242")
            #expect(HostFiles.read(root + "/cgroup.subtree_control") == "cpu memory pids")
            // Counters as the kernel formats them.
            try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n".write(toFile: dir + "memory.events", atomically: true, encoding: .utf8)
            try "max 2\n".write(toFile: dir + "pids.events", atomically: true, encoding: .utf8)
            try "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 9\n".write(toFile: dir + "cpu.stat", atomically: true, encoding: .utf8)
            var s = CgroupStatistics()
            group.collect(into: &s)
            #expect(s.oomKills == 1 && s.pidsLimitHits == 2 && s.cpuUsageNanoseconds == 1_500_000)
            #expect(s.cpuPeriods == 10 && s.cpuThrottledPeriods == 4)
        }

        @Test func v2MissingControllerIsNamed() throws {
            let root = try Support.scratch("v2none")
            defer { Support.remove(root) }
            try "hugetlb\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
            #expect {
                _ = try CgroupV2Group(name: "vsim-1-2-0000abce", parent: root, controllers: [.memory],
                                      limits: ResourceLimits(memoryBytes: 64 << 20), createFiles: true)
            } throws: { error in
                let text = (error as? ContainerError)?.description ?? ""
                return text.contains("enable the memory controller") && text.contains("hugetlb")
            }
            #expect(!HostFiles.exists(root + "/vsim-1-2-0000abce"))
        }

        /// The v2 driver on a real cgroup2 mount (the hybrid `unified` here, `/sys/fs/cgroup` on a
        /// v2 host): create, attach a live process, read its CPU time, kill through cgroup.kill, remove.
        @Test(.enabled(if: Support.containersWork, "needs root to create cgroups"))
        func v2LifecycleOnARealCgroup2Mount() throws {
            let layout = CgroupLayout.detect()
            let v2root: String
            switch layout {
            case .unified(let r), .hybrid(_, let r): v2root = r
            default:
                print("skipped: no cgroup2 mount on this host (\(layout))")
                return
            }
            let name = ContainerName.make()
            let group = try CgroupV2Group(name: name.description, parent: v2root, controllers: [], limits: ResourceLimits(accountCPU: true))
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
            defer { argv.forEach { free($0) } }
            #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
            defer {
                kill(pid, SIGKILL)
                var st: Int32 = 0
                waitpid(pid, &st, 0)
                _ = group.destroy()
            }
            try group.attach(pid)
            #expect(CgroupRemoval.members(group.directory) == [pid])
            var s = CgroupStatistics()
            group.collect(into: &s)
            #expect(s.cpuUsageNanoseconds != nil)
            #expect(group.destroy().isEmpty)
            #expect(!HostFiles.exists(group.directory))
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            #expect(status & 0x7f == SIGKILL, "cgroup.kill (or the fallback) killed the member")
        }

        @Test func namesRoundTripAndKnowTheirOwner() {
            let n = ContainerName.make()
            #expect(ContainerName(parsing: n.description) == n)
            #expect(n.ownerIsAlive)
            #expect(!ContainerName(owner: n.owner, ownerStart: n.ownerStart + 1, serial: n.serial).ownerIsAlive, "a reused pid is not the owner")
            #expect(ContainerName(parsing: "vsim-12") == nil && ContainerName(parsing: "docker-1-2-00000000") == nil)
        }
    }
}
