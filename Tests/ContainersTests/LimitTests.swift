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

        /// `--cpus 0.5` puts the container under CFS bandwidth control (quota 50 ms per 100 ms
        /// period): the kernel then counts enforcement periods for the cgroup (`nr_periods` in
        /// cpu.stat), and a busy loop's CPU share, measured from the cgroup's own usage
        /// (cpuacct.usage on v1, cpu.stat usage_usec on v2) over its run time, never passes the
        /// quota. Without the limit there are no enforcement periods. Both facts are the kernel's,
        /// whatever else runs on the machine (a share *equal* to half of an unlimited run's would
        /// depend on the load, so it is printed, not asserted).
        @Test func halfACPUCapsABusyLoopsShare() throws {
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
            let (free, unlimited) = try share(nil)
            let (limited, r) = try share(0.5)
            let periods = r.statistics.cpuPeriods ?? 0, throttled = r.statistics.cpuThrottledPeriods ?? 0
            print("busy loop CPU share: unlimited \(free), --cpus 0.5 \(limited) (throttled in \(throttled) of \(periods) periods)")
            #expect(periods > 0, "the bandwidth controller enforced the quota in \(periods) periods")
            #expect((unlimited.statistics.cpuPeriods ?? 0) == 0, "no enforcement periods without --cpus")
            // One period's slack: the share is measured over the run time, which need not be a
            // whole number of 100 ms periods.
            #expect(limited <= 0.5 + 0.1, "the quota caps the share at 0.5: \(limited)")
        }
    }
}
