import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    /// `--init`, `--time-limit`, OOM kills of any process, and what SIGKILLed vsims leave.
    @Suite("Lifecycle: init, time limit, OOM reports, no leftovers", .serialized,
           .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct LifecycleTests {
        @Test func theInitReapsOrphansThatAPlainPID1LeavesAsZombies() throws {
            let dir = try Support.scratch("init")
            defer { Support.remove(dir) }
            let sys = try Support.build("ctsys", into: dir)
            let (plain, zombie) = try Support.run(ContainerSpec(command: [sys, "orphan"]))
            #expect(zombie == "zombie\n", "a PID 1 that never waits leaves the orphan a zombie")
            #expect(Support.leftovers(of: plain.name).isEmpty)
            let (r, reaped) = try Support.run(ContainerSpec(command: [sys, "orphan"]).with { $0.useInit = true })
            #expect(reaped == "reaped\n")
            #expect(r.exitStatus == 0)
            let probe = try Support.build("ctprobe", into: dir)
            let (_, pid) = try Support.run(ContainerSpec(command: [probe, "pid"]).with { $0.useInit = true })
            #expect(pid == "2\n", "the init is PID 1, the program PID 2")
        }

        /// SIGTERM to vsim reaches the program through the init; the program has no handler and
        /// is not PID 1, so it dies of it at once: 143, no SIGKILL after the grace period.
        @Test func theInitForwardsSIGTERM() throws {
            let vsim = try #require(Support.vsimExecutable(), "build vsim with swift build")
            let dir = try Support.scratch("initterm")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: vsim)
            p.arguments = ["container", "run", "--init", "--", probe, "spin", "987652"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            var waited = 0
            while Support.processes(withArguments: ["/ctprobe", "spin", "987652"]).isEmpty && waited < 6000 {
                usleep(10_000)
                waited += 1
            }
            kill(p.processIdentifier, SIGTERM)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 128 + SIGTERM, "\(p.terminationStatus): \(text)")
            #expect(Support.processes(withArguments: ["/ctprobe", "spin", "987652"]).isEmpty)
        }

        @Test func aPID1IgnoringSIGTERMEndsAtTheTimeLimit() throws {
            let dir = try Support.scratch("tlimit")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            for useInit in [false, true] {
                var spec = ContainerSpec(command: [probe, "spin", "600000"])   // 10 minutes
                spec.timeLimit = .milliseconds(500)
                spec.useInit = useInit
                let (r, _) = try Support.run(spec)
                #expect(r.timedOut && r.exitStatus == 152, "init \(useInit): \(r.exitStatus)")
                #expect(r.diagnostic?.contains("time limit") == true)
                #expect(Support.processes(withArguments: ["/ctprobe", "spin", "600000"]).isEmpty, "the whole container ended")
                #expect(Support.leftovers(of: r.name).isEmpty)
            }
        }

        @Test func anOOMKillOfAProcessThatIsNotTheInitIsReported() throws {
            let dir = try Support.scratch("oomchild")
            defer { Support.remove(dir) }
            let sys = try Support.build("ctsys", into: dir)
            var spec = ContainerSpec(command: [sys, "oomchild"])
            spec.limits.memoryBytes = 16 << 20
            let (r, out) = try Support.run(spec)
            #expect(out == "child status 9\n", "the child was SIGKILLed: \(out)")
            #expect(r.exitStatus == 0, "the init survived")
            #expect(r.oomKills >= 1 && !r.oomKilled)
            #expect(r.diagnostic?.contains("OOM killer killed") == true && r.diagnostic?.contains("16 MiB") == true,
                    "\(r.diagnostic ?? "no diagnostic")")
            // Under --init the program itself is not PID 1: still reported as the program's end.
            let probe = try Support.build("ctprobe", into: dir)
            var big = ContainerSpec(command: [probe, "alloc", "64"])
            big.limits.memoryBytes = 16 << 20
            big.useInit = true
            let (b, _) = try Support.run(big)
            #expect(b.exitStatus == 137 && b.oomKilled, "\(b.exitStatus) \(b.diagnostic ?? "")")
        }

        /// A run removes a dead owner's state directory and cgroup before it starts, and leaves a
        /// live owner's alone (here: this test process, which is alive).
        @Test func everyRunSweepsDeadOwnersLeftoversAndSparesLiveOnes() throws {
            let dir = try Support.scratch("sweep")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            let root = StateRoot.default()
            _ = HostFiles.makeDirectory(root, mode: 0o711)
            let live = ContainerName.make()
            // A dead owner: a pid that exists with another start time (ours, started at tick 1).
            let dead = ContainerName(owner: getpid(), ownerStart: 1, serial: "0badc0de")
            #expect(HostFiles.makeDirectory(root + "/" + live.description) == 0)
            defer { rmdir(root + "/" + live.description) }
            #expect(HostFiles.makeDirectory(root + "/" + dead.description) == 0)
            let hierarchy = "/sys/fs/cgroup/pids"
            let deadCgroup = hierarchy + (OwnCgroups.read().v1["pids"].map { $0 == "/" ? "" : $0 } ?? "") + "/" + dead.description
            let v1 = CgroupLayout.magic(hierarchy) == CgroupLayout.cgroup1Magic
            if v1 { #expect(HostFiles.makeDirectory(deadCgroup) == 0) }
            defer { rmdir(deadCgroup) }
            let (r, out) = try Support.run(ContainerSpec(command: [probe, "pid"]))
            #expect(out == "1\n")
            #expect(r.sweptLeftovers >= (v1 ? 2 : 1))
            #expect(!HostFiles.exists(root + "/" + dead.description))
            if v1 { #expect(!HostFiles.exists(deadCgroup)) }
            #expect(HostFiles.exists(root + "/" + live.description), "a live owner's directory stays")
        }

        /// 100 `vsim container run`s SIGKILLed at seeded random moments (start-up, setup, run,
        /// teardown), with limits, an overlay with a kept upper layer, or --init; then one normal
        /// run, which sweeps what they left. Checked from outside: no cgroup, state directory,
        /// work folder, mount or process of theirs remains.
        @Test func hundredSIGKILLedRunsThenOneNormalRunLeaveNothing() throws {
            let vsim = try #require(Support.vsimExecutable(), "build vsim with swift build")
            let dir = try Support.scratch("chaos")
            defer { Support.remove(dir) }
            let probe = try Support.build("ctprobe", into: dir)
            let rootfs = dir + "/rootfs"
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            try Support.copyExecutable(probe, to: rootfs + "/ctprobe")
            let uppers = dir + "/uppers"
            try FileManager.default.createDirectory(atPath: uppers, withIntermediateDirectories: true)
            let seed = UInt64(UInt32.random(in: 0...UInt32.max))
            print("chaos: seed \(seed)")
            var rng = SplitMix(seed)
            var owners = Set<pid_t>()
            let spin = "987651"
            for i in 0..<100 {
                let delay = UInt32(rng.next() % 40_000)   // µs: vsim's start, the setup, the run
                let limits = ["--memory", "32m", "--pids", "16"]
                let argv: [String]
                switch rng.next() % 3 {
                case 0: argv = [vsim, "container", "run"] + limits + ["--", probe, "spin", spin]
                case 1: argv = [vsim, "container", "run"] + limits + ["--rootfs", rootfs, "--keep-upper", uppers + "/u\(i)",
                                                                      "--", "/ctprobe", "spin", spin]
                default: argv = [vsim, "container", "run", "--init"] + limits + ["--", probe, "spin", spin]
                }
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
                owners.insert(pid)
            }
            // The inits die with their vsims (PR_SET_PDEATHSIG, then the PID namespace).
            var waited = 0
            while !Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty && waited < 500 {
                usleep(10_000)
                waited += 1
            }
            let ours = { (entry: String) -> Bool in
                guard let n = ContainerName(parsing: URL(fileURLWithPath: entry).lastPathComponent) else { return false }
                return owners.contains(n.owner)
            }
            let cgroupsBefore = ContainerJanitor.allCgroups().filter(ours).count
            let statesBefore = (HostFiles.list(StateRoot.default()) ?? []).filter(ours).count
            print("chaos: the killed runs left \(cgroupsBefore) cgroups and \(statesBefore) state directories")

            let normal = try Support.spawn([vsim, "container", "run", "--memory", "32m", "--", probe, "pid"])
            #expect(normal.status == 0 && normal.stdout == "1\n", "\(normal.stderr)")

            #expect(ContainerJanitor.allCgroups().filter(ours).isEmpty, "\(ContainerJanitor.allCgroups().filter(ours))")
            #expect((HostFiles.list(StateRoot.default()) ?? []).filter(ours).isEmpty)
            let work = (HostFiles.list(uppers) ?? []).filter { $0.hasPrefix(".vsim-work-") }
            #expect(work.isEmpty, "\(work)")
            #expect(ContainerJanitor.strayMounts(under: [StateRoot.default(), dir]).isEmpty)
            #expect(Support.processes(withArguments: ["/ctprobe", "spin", spin]).isEmpty)
        }
    }
}
