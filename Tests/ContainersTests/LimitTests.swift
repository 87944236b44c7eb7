import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("Limits: cgroups stop what passes them", .serialized,
           .enabled(if: Support.containersWork, "needs root to create cgroups"))
    struct LimitTests {
        @Test func allocatingPastTheMemoryLimitIsOOMKilledAndReported() throws {
            let dir = try Support.scratch("oom")
            defer { Support.remove(dir) }
            var spec = ContainerSpec(command: [try Support.build("ctprobe", into: dir), "alloc", "64"])
            spec.limits.memoryBytes = try ResourceLimits.parseSize("16m")
            let (r, out) = try Support.run(spec)
            #expect(r.exitStatus == 137, "SIGKILL")
            #expect(r.oomKilled)
            #expect((r.statistics.oomKills ?? 0) >= 1)
            #expect(r.diagnostic?.contains("OOM killer") == true && r.diagnostic?.contains("16 MiB") == true, "\(r.diagnostic ?? "nil")")
            #expect(!out.contains("allocated 64"))
            #expect(Support.leftovers(of: r.name).isEmpty)
            // Under the limit the same program finishes.
            spec.command = [spec.command[0], "alloc", "4"]
            let (ok, okOut) = try Support.run(spec)
            #expect(ok.exitStatus == 0 && okOut == "allocated 4 MiB\n" && !ok.oomKilled)
        }

        @Test func aForkLoopStopsAtThePidsLimit() throws {
            let dir = try Support.scratch("pids")
            defer { Support.remove(dir) }
            var spec = ContainerSpec(command: [try Support.build("ctprobe", into: dir), "fork", "100"])
            spec.limits.pids = 10
            let (r, out) = try Support.run(spec)
            // The init is one of the 10 tasks: 9 forks succeed, the 10th fails with EAGAIN (11).
            #expect(out == "fork failed after 9: error 11\n", "\(out)")
            #expect(r.exitStatus == 0)
            #expect((r.statistics.pidsLimitHits ?? 0) >= 1)
            #expect(r.diagnostic?.contains("pids limit of 10") == true)
            #expect(Support.leftovers(of: r.name).isEmpty)
            #expect(Support.processes(withArguments: ["/ctprobe", "fork", "100"]).isEmpty, "the paused children died with their PID namespace")
        }

        /// A busy loop's CPU share, measured from the cgroup's own usage (cpuacct.usage on v1,
        /// cpu.stat usage_usec on v2) over its run time, with and without `--cpus 0.5`.
        @Test func halfACPUHalvesABusyLoopsShare() throws {
            let dir = try Support.scratch("cpu")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            func share(_ cpus: Double?) throws -> (Double, ContainerResult) {
                var spec = ContainerSpec(command: [probe, "spin", "1500"])
                spec.limits.accountCPU = true
                spec.limits.cpus = cpus
                let (r, _) = try Support.run(spec)
                let usage = Double(try #require(r.statistics.cpuUsageNanoseconds))
                return (usage / (Double(r.timings.run) * 1000), r)
            }
            // The quota caps the share at 0.5 whatever else runs. Where the loop alone would get a
        // whole CPU that halves it; on a busy host (other builds on these 2 CPUs) the loop gets
        // `free` < 1 without the limit, and min(0.5, free) with it. Up to three attempts.
        var attempts: [String] = []
        for _ in 0..<3 {
            let (free, _) = try share(nil)
            let (limited, r) = try share(0.5)
            let periods = r.statistics.cpuPeriods ?? 0, throttled = r.statistics.cpuThrottledPeriods ?? 0
            let line = "unlimited \(free), --cpus 0.5 \(limited) (throttled in \(throttled) of \(periods) periods)"
            print("busy loop CPU share: " + line)
            attempts.append(line)
            #expect(limited <= 0.5 * 1.15, "the quota caps the share at 0.5: \(line)")
            let expected = min(0.5, free)
            if abs(limited - expected) <= 0.1 && (free < 0.55 || throttled * 2 > periods) {
                if free >= 0.9 { #expect(abs(limited / free - 0.5) <= 0.15, "halved: \(line)") }
                return
            }
        }
        Issue.record("the limited share was never min(0.5, unlimited share) within 0.1: \(attempts.joined(separator: "; "))")
        }
    }
}
