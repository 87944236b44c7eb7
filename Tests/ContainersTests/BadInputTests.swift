import Foundation
import Testing
@testable import Containers
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("Bad input: clear errors, nothing left behind")
    struct BadInputTests {
        /// Runs `spec` with a private state root and a private (empty) cgroup root, expects the
        /// error, and checks that both are still empty: the error came before anything was made.
        func expectError(_ spec: ContainerSpec, status: Int32, containing text: String) {
            guard let scratch = try? Support.scratch("bad") else {
                Issue.record("cannot create a scratch directory")
                return
            }
            defer { Support.remove(scratch) }
            var spec = spec
            spec.stateRoot = scratch + "/state"
            spec.cgroupRoot = scratch + "/cgroup"
            _ = HostFiles.makeDirectory(spec.cgroupRoot)
            do {
                _ = try Container.run(spec)
                Issue.record("expected an error containing '\(text)'")
            } catch {
                #expect(error.exitStatus == status, "\(error)")
                #expect(error.description.contains(text), "\(error.description)")
            }
            #expect((HostFiles.list(spec.stateRoot!) ?? []).isEmpty, "state directories left: \(HostFiles.list(spec.stateRoot!) ?? [])")
            #expect((HostFiles.list(spec.cgroupRoot) ?? []).isEmpty)
        }

        @Test func missingRootfs() {
            var spec = ContainerSpec(command: ["true"])
            spec.rootfs = "/nonexistent/rootfs-\(getpid())"
            expectError(spec, status: 66, containing: "no such directory")
        }

        @Test func missingCommand() {
            expectError(ContainerSpec(command: []), status: 64, containing: "no command to run")
            expectError(ContainerSpec(command: ["/nonexistent/program-\(getpid())"]), status: 127, containing: "No such file")
        }

        /// A source file is not a program: the message says how to run it instead of `chmod +x`
        /// (which would make execve fail with ENOEXEC, the file having no ELF header nor `#!`).
        @Test func aSourceFileIsNotAProgram() throws {
            let dir = try Support.scratch("src")
            defer { Support.remove(dir) }
            for (name, kind) in [("p.s", "assembly"), ("p.S", "assembly"), ("p.c", "C")] {
                let path = dir + "/" + name
                #expect(FileManager.default.createFile(atPath: path, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644]))
                expectError(ContainerSpec(command: [path]), status: 126, containing: "a \(kind) source, not a program")
                expectError(ContainerSpec(command: [path]), status: 126, containing: "vsim run \(path) --mode container")
            }
            let plain = dir + "/data"
            #expect(FileManager.default.createFile(atPath: plain, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644]))
            expectError(ContainerSpec(command: [plain]), status: 126, containing: "not executable (chmod +x it)")
        }

        @Test func unparsableSizes() throws {
            for bad in ["abc", "12q", "-5m", "", "1.2.3g", "m", "0"] {
                #expect(throws: ContainerError.self) { _ = try ResourceLimits.parseSize(bad) }
            }
            do {
                _ = try ResourceLimits.parseSize("lots")
            } catch {
                #expect(error.exitStatus == 64 && error.description.contains("cannot parse the size 'lots'"))
            }
            #expect(try ResourceLimits.parseSize("64m") == 64 << 20)
            #expect(try ResourceLimits.parseSize("1g") == 1 << 30)
            #expect(try ResourceLimits.parseSize("1.5GiB") == 3 << 29)
            #expect(try ResourceLimits.parseSize("2097152") == 2 << 20)
            #expect(ContainerCommandLine.run(rootfs: nil, keepUpper: nil, memory: "lots", cpus: nil, pids: nil, hostname: nil,
                                             network: .none, rootless: false, timings: false, command: ["/bin/true"]) == 64)
        }

        /// A negative limit is a bad value that the message names (exit 64), as for the guest
        /// options: ArgumentParser read `-5m` as the next option and said "Missing value for
        /// '--memory'", as if none had been given.
        @Test func negativeLimitsAreNamed() throws {
            let vsim = try #require(Support.vsimExecutable(), "build vsim with swift build")
            for (option, value, said) in [("--memory", "-5m", "cannot parse the size '-5m'"), ("--pids", "-1", "got -1"),
                                          ("--cpus", "-1", "got -1"), ("--time-limit", "-1", "-1")] {
                let r = try Support.spawn([vsim, "container", "run", option, value, "--", "/bin/true"])
                #expect(r.status == 64, "\(option) \(value): \(r.stderr)")
                #expect(r.stderr.contains(said) && !r.stderr.contains("Missing value"), "\(option) \(value): \(r.stderr)")
            }
        }

        @Test func zeroCPUs() {
            var spec = ContainerSpec(command: ["/bin/true"])
            spec.limits.cpus = 0
            expectError(spec, status: 64, containing: "--cpus must be between 0.01")
            spec.limits.cpus = .nan
            expectError(spec, status: 64, containing: "--cpus must be between 0.01")
        }

        @Test(.enabled(if: Support.containersWork, "needs root to get as far as the init"))
        func aDynamicProgramWithoutRootfsIsExplained() {
            expectError(ContainerSpec(command: ["/bin/true"]), status: 127, containing: "statically linked")
        }

        @Test func badHostnameAndKeepUpperWithoutRootfs() {
            var spec = ContainerSpec(command: ["/bin/true"])
            spec.hostname = "has space"
            expectError(spec, status: 64, containing: "not a valid hostname")
            spec.hostname = nil
            spec.keepUpper = "/tmp/upper"
            expectError(spec, status: 64, containing: "--keep-upper needs --rootfs")
        }

        /// overlayfs(5) ("Sharing and copying layers"): using a directory as upper while it is
        /// part of a lower layer is undefined. Found by QA: `--rootfs rf --keep-upper rf/bin`
        /// ran, and the container's mount points (dev, proc, sys, tmp) were created in rf/bin,
        /// the read-only root; `--keep-upper /` put the work folder in the current directory.
        /// The oracle: the rootfs's listing before and after (nothing may appear in it).
        @Test func keepUpperOverlappingTheRootfsIsRefused() throws {
            let dir = try Support.scratch("overlap")
            defer { Support.remove(dir) }
            let rootfs = dir + "/rootfs"
            #expect(HostFiles.makeDirectory(rootfs) == 0 && HostFiles.makeDirectory(rootfs + "/bin") == 0)
            let before = HostFiles.list(rootfs + "/bin")
            for upper in [rootfs + "/bin", rootfs, rootfs + "/bin/new-upper", dir, "/"] {
                var spec = ContainerSpec(command: ["/bin/true"])
                spec.rootfs = rootfs
                spec.keepUpper = upper
                expectError(spec, status: 64, containing: "--keep-upper \(upper) overlaps --rootfs \(rootfs) (one is inside the other)")
            }
            #expect(HostFiles.list(rootfs + "/bin") == before)
            #expect(HostFiles.list(rootfs) == ["bin"])
        }
    }
}

extension ContainerTests {
    @Suite("Timings", .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct TimingTests {
        @Test func phasesAddUpToTheTotal() throws {
            let dir = try Support.scratch("timings")
            defer { Support.remove(dir) }
            var spec = ContainerSpec(command: [try Support.build("nop", into: dir)])
            spec.limits = ResourceLimits(memoryBytes: 32 << 20, pids: 16)
            let (r, _) = try Support.run(spec)
            let t = r.timings
            #expect(t.phases.allSatisfy { $0.1 >= 0 })
            let sum = t.phases.map(\.1).reduce(0, +)
            #expect(sum <= t.total && sum >= t.total - 500, "phases \(sum) µs vs total \(t.total) µs")
            let table = ContainerCommandLine.render(r)
            #expect(table.contains("clone with namespaces") && table.contains("mnt pid uts ipc net cgroup") && table.contains("v1: memory pids") || !table.contains("v1"))
        }
    }
}
