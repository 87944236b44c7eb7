import Foundation
import Testing
@testable import Containers
import Images
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    /// `vsim image build`: layers from COPY and RUN, the build cache, and an image other OCI
    /// tools read (umoci unpacks it applying its whiteouts; skopeo inspects it).
    @Suite("vsim image build and its layer cache", .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct ImageBuildTests {
        static let containerfile = """
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "--install", "-s", "/bin"]
            COPY greeting.txt /etc/greeting
            RUN cat /etc/greeting > /etc/copied && rm /bin/ls
            ENV MESSAGE=hi
            WORKDIR /work
            CMD ["/bin/sh", "-c", "cat /etc/copied; echo $MESSAGE; pwd"]
            """

        func build(_ context: String, store: ImageStore) throws -> ImageBuilder.Result {
            var builder = ImageBuilder(store: store)
            builder.progress = { _ in }
            return try builder.build(containerfile: context + "/Containerfile", context: context, name: "built:1",
                                     run: ImageBuildRunner.run)
        }

        func kinds(_ r: ImageBuilder.Result) -> [String] {
            r.outcomes.map { o in
                switch o { case .cached: return "cached"; case .built: return "built"; case .config: return "config" }
            }
        }

        @Test func secondBuildHitsTheCacheAndAChangedFileRebuildsFromItsCopy() throws {
            guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
                print("skipped: /bin/busybox (busybox-static) is needed for the RUN steps")
                return
            }
            let dir = try Support.scratch("build")
            defer { Support.remove(dir) }
            let context = dir + "/context"
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: context + "/busybox")
            try "first\n".write(toFile: context + "/greeting.txt", atomically: true, encoding: .utf8)
            try Self.containerfile.write(toFile: context + "/Containerfile", atomically: true, encoding: .utf8)
            let store = try ImageStore(path: dir + "/store")

            let first = try build(context, store: store)
            #expect(kinds(first) == ["config", "built", "built", "built", "built", "config", "config", "config"])
            let second = try build(context, store: store)
            #expect(kinds(second) == ["config", "cached", "cached", "cached", "cached", "config", "config", "config"])
            #expect(second.outcomes == first.outcomes.map { if case .built(let d) = $0 { return .cached(d) }; return $0 })
            try "second\n".write(toFile: context + "/greeting.txt", atomically: true, encoding: .utf8)
            let third = try build(context, store: store)
            #expect(kinds(third) == ["config", "cached", "cached", "built", "built", "config", "config", "config"],
                    "from the COPY that reads the changed file on")
            let layers = try FileManager.default.contentsOfDirectory(atPath: store.layersDirectory).filter { !$0.hasSuffix(".size") }
            #expect(Set(layers) == Set(try store.image(named: "built:1").layers.map(\.diffID.hex)),
                    "the replaced image's own layers were removed, the shared ones kept")

            // The image runs, with its Env, WorkingDir and Cmd.
            guard let exe = Support.vsimExecutable() else { throw Support.Failure(description: "the vsim executable is not built") }
            let run = try Support.spawn([exe, "container", "run", "--image", "built:1", "--store", store.root])
            #expect(run.stdout == "second\nhi\n/work\n", "\(run.stderr)")

            // Outside tools read it: umoci applies the layers (and the whiteout of /bin/ls).
            guard Support.have("umoci") && Support.have("skopeo") else {
                print("skipped the outside check: umoci and skopeo are needed")
                return
            }
            try Support.tool(["umoci", "unpack", "--image", "\(store.root):built:1", dir + "/bundle"])
            let rootfs = dir + "/bundle/rootfs"
            #expect(try String(contentsOfFile: rootfs + "/etc/copied", encoding: .utf8) == "second\n")
            #expect(!FileManager.default.fileExists(atPath: rootfs + "/bin/ls"), "RUN's rm is a whiteout in its layer")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/cat") == "/bin/busybox")
            let inspected = try Support.spawn(["skopeo", "inspect", "--config", "oci:\(store.root):built:1"])
            #expect(inspected.status == 0 && inspected.stdout.contains("\"WorkingDir\": \"/work\""), "\(inspected.stdout)")
        }

        /// A COPY source that is a symbolic link out of the build context is refused, and the
        /// message names the build context (it said "outside the image", which a COPY source
        /// never was in); nothing is stored.
        @Test func aCopySourceLinkedOutOfTheContextIsRefused() throws {
            let dir = try Support.scratch("buildlink")
            defer { Support.remove(dir) }
            try FileManager.default.createDirectory(atPath: dir + "/context", withIntermediateDirectories: true)
            #expect(symlink("/etc/hostname", dir + "/context/hostname") == 0)
            try "FROM scratch\nCOPY hostname /etc/hostname\n".write(toFile: dir + "/context/Containerfile", atomically: true, encoding: .utf8)
            let store = try ImageStore(path: dir + "/store")
            do {
                _ = try build(dir + "/context", store: store)
                Issue.record("a COPY of a link to /etc/hostname succeeded")
            } catch let error as ImageError {
                #expect(error.description.contains("resolves to /etc/hostname, outside the build context"), "\(error.description)")
            }
            #expect(try store.images().isEmpty)
        }

        @Test func aFailingRunStopsTheBuild() throws {
            let dir = try Support.scratch("buildfail")
            defer { Support.remove(dir) }
            try FileManager.default.createDirectory(atPath: dir + "/context", withIntermediateDirectories: true)
            try "FROM scratch\nRUN /bin/false\n".write(toFile: dir + "/context/Containerfile", atomically: true, encoding: .utf8)
            let store = try ImageStore(path: dir + "/store")
            do {
                _ = try build(dir + "/context", store: store)
                Issue.record("a RUN without /bin/false in the image succeeded")
            } catch let error as ImageError {
                #expect(error.exitStatus == 1, "\(error)")
                #expect(error.description.contains("RUN /bin/false"), "\(error.description)")
            }
            #expect(try store.images().isEmpty)
            #expect((try FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp")).isEmpty)
        }
    
        /// SIGTERM to vsim during a RUN step: vsim forwards it to the step's container and tears
        /// it down (docs/containers.md, "Signals"); the build then stops as `vsim compare` does,
        /// with 128+SIGTERM = 143 (docs/user-guide.md), not 1, which docs/exit-status.md keeps for
        /// a step that failed; no image is made, the store's tmp/ is empty and no process of the
        /// step is left.
        @Test func sigtermDuringARunStepStopsTheBuildWith143() throws {
            guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
                print("skipped: /bin/busybox (busybox-static) is needed for the RUN step")
                return
            }
            let vsim = try #require(Support.vsimExecutable(), "build vsim with swift build")
            let dir = try Support.scratch("buildterm")
            defer { Support.remove(dir) }
            try FileManager.default.createDirectory(atPath: dir + "/context", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: dir + "/context/busybox")
            try "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"987653\"]\n"
                .write(toFile: dir + "/context/Containerfile", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: vsim)
            p.arguments = ["image", "build", "-t", "term:1", "--store", dir + "/store", dir + "/context"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            let step = ["/bin/busybox", "sleep", "987653"]
            var waited = 0
            while Support.processes(withArguments: step).isEmpty && p.isRunning && waited < 6000 {
                usleep(10_000)
                waited += 1
            }
            try #require(p.isRunning, "the build ended before its RUN step started")
            kill(p.processIdentifier, SIGTERM)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGTERM, "\(p.terminationStatus): \(text)")
            #expect(text.contains("the build was stopped by SIGTERM"), "\(text)")
            let store = try ImageStore(path: dir + "/store")
            #expect(try store.images().isEmpty)
            #expect((try FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp")).isEmpty)
            #expect(Support.processes(withArguments: step).isEmpty)
        }
    }
}
