import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("Cleanup: nothing is left behind", .serialized, .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct CleanupTests {
        @Test func twoHundredStartStopCycles() throws {
            let dir = try Support.scratch("cycles")
            defer { Support.remove(dir) }
            let nop = try Support.build("nop", into: dir)
            var names: [ContainerName] = []
            for _ in 0..<200 {
                var spec = ContainerSpec(command: [nop])
                spec.limits = ResourceLimits(memoryBytes: 32 << 20, pids: 16)
                let (r, _) = try Support.run(spec)
                #expect(r.exitStatus == 0)
                #expect(r.cleanupProblems.isEmpty, "\(r.cleanupProblems)")
                names.append(r.name)
            }
            // Other suites run containers in parallel in this process: look for these 200 by name.
            let wanted = Set(names.map(\.description))
            let left = ContainerJanitor.allCgroups().filter { wanted.contains(URL(fileURLWithPath: $0).lastPathComponent) }
            #expect(left.isEmpty, "left behind: \(left)")
            #expect(names.allSatisfy { Support.leftovers(of: $0).isEmpty })
            #expect(ContainerJanitor.strayMounts(under: [StateRoot.default()]).isEmpty)
            #expect(Support.processes(withArguments: ["/nop"]).isEmpty)
        }

        /// `vsim container run` SIGKILLed at random moments (during setup, while the program runs,
        /// during teardown), then `prune`: no cgroup, state directory, mount or process of those
        /// runs remains.
        @Test func sigkilledRunsThenPruneLeaveNothing() throws {
            guard let vsim = Support.vsimExecutable() else {
                Issue.record("the vsim executable was not found next to the test bundle; build it with swift build")
                return
            }
            let dir = try Support.scratch("kill")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            let seed = UInt64(UInt32.random(in: 0...UInt32.max))
            print("SIGKILL phases: seed \(seed)")
            var rng = SplitMix(seed)
            var owners: [pid_t] = []
            let spin = String(800_000 + Int(getpid()) % 90_000)   // this test process's own: a leak is easy to find
            for _ in 0..<24 {
                // µs: vsim itself starts in about 8 ms here, sets a container up in 1-5 ms, and
                // the program then spins; spread the kills over all three.
                let delay = UInt32(rng.next() % 30_000)
                let argv = [vsim, "container", "run", "--memory", "32m", "--pids", "16", "--", probe, "spin", spin]
                let cArgs = argv.map { strdup($0) } + [nil]
                defer { cArgs.forEach { free($0) } }
                var pid: pid_t = 0
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
                #expect(posix_spawn(&pid, vsim, &actions, nil, cArgs, environ) == 0)
                posix_spawn_file_actions_destroy(&actions)
                usleep(delay)
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                owners.append(pid)
            }
            // The container's init gets SIGKILL when its vsim dies (PR_SET_PDEATHSIG): give the
            // kernel a moment to tear the namespaces down, then prune.
            var deadline = 0
            while !Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty && deadline < 200 {
                usleep(10_000)
                deadline += 1
            }
            let report = ContainerJanitor.prune()
            #expect(report.problems.isEmpty, "\(report.problems)")
            print("prune removed \(report.removedCgroups.count) cgroups and \(report.removedStateDirectories.count) state directories")
            let ours = { (path: String) -> Bool in
                guard let n = ContainerName(parsing: URL(fileURLWithPath: path).lastPathComponent) else { return false }
                return owners.contains(n.owner)
            }
            #expect(ContainerJanitor.allCgroups().filter(ours).isEmpty)
            #expect((HostFiles.list(StateRoot.default()) ?? []).filter { ours(StateRoot.default() + "/" + $0) }.isEmpty)
            #expect(ContainerJanitor.strayMounts(under: [StateRoot.default()]).isEmpty)
            #expect(Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty)
        }

        /// SIGTERM to `vsim container run` is forwarded to the init; the init (PID 1, no handler)
        /// ignores it, so vsim kills it after the grace period, then tears down as usual.
        @Test func sigtermIsForwardedAndCleanupStillRuns() throws {
            guard let vsim = Support.vsimExecutable() else {
                Issue.record("the vsim executable was not found next to the test bundle; build it with swift build")
                return
            }
            let dir = try Support.scratch("sigterm")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            // A spin length (ms, about 15 minutes) of this test process's own, so that a run of the
            // suite elsewhere on the machine is never taken for this one's container.
            let spin = String(900_000 + Int(getpid()) % 90_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: vsim)
            p.arguments = ["container", "run", "--memory", "32m", "--pids", "16", "--", probe, "spin", spin]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            var waited = 0
            // Wait for the container's init (up to 60 s: a loaded machine starts it late).
            while Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty && waited < 6000 {
                usleep(10_000)
                waited += 1
            }
            #expect(!Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty, "the container started")
            kill(p.processIdentifier, SIGTERM)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationReason == .exit && p.terminationStatus == 137, "\(p.terminationStatus): \(text)")
            #expect(text.contains("forwarded SIGTERM"), "\(text)")
            let owner = p.processIdentifier
            let cgroups = ContainerJanitor.allCgroups().filter { ContainerName(parsing: URL(fileURLWithPath: $0).lastPathComponent)?.owner == owner }
            #expect(cgroups.isEmpty)
            let states = (HostFiles.list(StateRoot.default()) ?? []).filter { ContainerName(parsing: $0)?.owner == owner }
            #expect(states.isEmpty)
            #expect(Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty)
        }

        @Test func pruneSparesContainersOfLiveOwners() throws {
            let root = StateRoot.default()
            let live = ContainerName.make()
            _ = HostFiles.makeDirectory(root, mode: 0o711)
            #expect(HostFiles.makeDirectory(root + "/" + live.description) == 0)
            defer { rmdir(root + "/" + live.description) }
            let report = ContainerJanitor.prune()
            #expect(!report.removedStateDirectories.contains(root + "/" + live.description))
            #expect(HostFiles.exists(root + "/" + live.description))
        }
    }
}

/// A small seeded generator (SplitMix64), so a failing sequence of kill delays can be replayed.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
