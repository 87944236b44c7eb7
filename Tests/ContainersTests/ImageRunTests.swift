import Foundation
import Testing
@testable import Containers
import Images
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    /// `vsim container run --image`: the image's layers as the overlay's lower layers. The
    /// layout comes from Tests/ImagesTests/Fixtures/make_image.py (Python's tarfile), with a
    /// static busybox in its bottom layer to look at the merged view from inside.
    @Suite("Images: the overlay of an image's layers, seen from inside",
           .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct ImageRunTests {
        static let script = Support.repositoryRoot + "/Tests/ImagesTests/Fixtures/make_image.py"

        /// A store holding the layered image; nil (and a printed reason) without busybox.
        func store(in dir: String) throws -> ImageStore? {
            guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
                print("skipped: /bin/busybox (busybox-static) is needed to look inside the image")
                return nil
            }
            try Support.tool(["python3", Self.script, "layered", dir + "/layout", "--busybox", "/bin/busybox"])
            let store = try ImageStore(path: dir + "/store")
            _ = try ImageImporter(store: store).importImage(from: dir + "/layout")
            return store
        }

        func vsim(_ args: [String]) throws -> Support.Output {
            guard let exe = Support.vsimExecutable() else { throw Support.Failure(description: "the vsim executable is not built") }
            return try Support.spawn([exe] + args)
        }

        /// The merged view equals the image spec's (hand-applied in make_image.py), file by file,
        /// and nothing of the run is left mounted.
        @Test func theMergedViewIsTheSpecs() throws {
            let dir = try Support.scratch("image")
            defer { Support.remove(dir) }
            guard let store = try store(in: dir) else { return }
            let expected = try JSONDecoder().decode([String: String].self,
                                                    from: Data(Support.spawn(["python3", Self.script, "expected"]).stdout.utf8))
            let r = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--",
                              "/bin/busybox", "find", "/", "-xdev", "-mindepth", "1"])
            #expect(r.status == 0, "\(r.stderr)")
            let mountPoints: Set<String> = ["dev", "proc", "sys", "tmp"]
            let seen = r.stdout.split(separator: "\n").map { String($0.dropFirst()) }.filter { !mountPoints.contains($0) }.sorted()
            #expect(seen == expected.keys.sorted())
            for (path, contents) in expected where !contents.hasPrefix("<") && !contents.hasPrefix("->") {
                let cat = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--", "/bin/busybox", "cat", "/" + path])
                #expect(cat.stdout == contents, "\(path)")
            }
            #expect(ContainerJanitor.strayMounts(under: [store.root]).isEmpty, "a layer is still mounted")
        }

        /// The image's Env, WorkingDir and Cmd apply; --keep-upper shows what a run changed above
        /// the image's layers.
        @Test func theImagesRunConfigAndTheUpperLayer() throws {
            let dir = try Support.scratch("imagecfg")
            defer { Support.remove(dir) }
            guard let store = try store(in: dir) else { return }
            let r = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--",
                              "/bin/sh", "-c", "echo $GREETING; pwd; echo changed > /etc/hostname.txt; rm /new"])
            #expect(r.stdout == "hello\n/home/user\n", "\(r.stderr)")
            let kept = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--keep-upper", dir + "/upper",
                                 "--", "/bin/sh", "-c", "echo changed > /etc/hostname.txt; rm /new"])
            #expect(kept.status == 0, "\(kept.stderr)")
            #expect(try String(contentsOfFile: dir + "/upper/etc/hostname.txt", encoding: .utf8) == "changed\n")
            var st = stat()
            #expect(lstat(dir + "/upper/new", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0,
                    "the deletion is a whiteout in the upper layer")
            let image = try store.image(named: "layered:1")
            #expect(try String(contentsOfFile: image.layers[1].directory + "/etc/hostname.txt", encoding: .utf8) == "second\n",
                    "the image's layer is unchanged")
            let noCommand = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--", "nosuch"])
            #expect(noCommand.status == 127 && noCommand.stderr.contains("not found in the image's layers"))
            // An absolute path the image lacks: execve's ENOENT, said of the image (it used to
            // speak of --rootfs, which an --image run has not given).
            let noFile = try vsim(["container", "run", "--image", "layered:1", "--store", store.root, "--", "/bin/nosuch"])
            #expect(noFile.status == 127 && noFile.stderr.contains("execve /bin/nosuch in the image") && !noFile.stderr.contains("--rootfs"),
                    "\(noFile.stderr)")
            let missing = try vsim(["container", "run", "--image", "nosuch:1", "--store", store.root, "--", "/bin/true"])
            #expect(missing.status == 66 && missing.stderr.contains("layered:1"), "\(missing.stderr)")
        }
    }

    /// programs/jailbreak.s: the classic escape leaves a chroot(2) jail and reads a host file,
    /// and finds nothing outside the default container's root.
    @Suite("The chroot jail and its escape", .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct ChrootJailTests {
        @Test func theEscapeWorksUnderChrootAndFailsUnderPivotRoot() throws {
            let dir = try Support.scratch("jail")
            defer { Support.remove(dir) }
            let program = try Support.build(Support.repositoryRoot + "/programs/jailbreak.s", into: dir)
            let secret = dir + "/host-secret"
            try "on the host\n".write(toFile: secret, atomically: true, encoding: .utf8)
            let climbed = "jailbreak: chroot(.jailbreak), 64 x chdir(..), chroot(.): done\n"

            var jailed = ContainerSpec(command: [program, secret])
            jailed.isolation = .chroot
            let (r1, out1) = try Support.run(jailed)
            #expect(r1.exitStatus == 0 && out1 == climbed + "on the host\n", "under chroot the host file is read")
            #expect(r1.namespaces.isEmpty, "chroot isolation creates no namespace")
            #expect(Support.leftovers(of: r1.name).isEmpty, "the jail directory is removed")

            let (r2, out2) = try Support.run(ContainerSpec(command: [program, secret]))
            #expect(r2.exitStatus == 1 && out2 == climbed + "error 2 in open\n", "in the default container the climb ends at its own root")

            // The same with a rootfs as the jail: the escape's subdirectory is removed again.
            let rootfs = dir + "/rootfs"
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            try Support.copyExecutable(program, to: rootfs + "/jailbreak")
            var inRootfs = ContainerSpec(command: ["/jailbreak", secret])
            inRootfs.isolation = .chroot
            inRootfs.rootfs = rootfs
            let (r3, out3) = try Support.run(inRootfs)
            #expect(r3.exitStatus == 0 && out3 == climbed + "on the host\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: rootfs) == ["jailbreak"])
        }

        @Test func chrootRefusesWhatNeedsNamespaces() throws {
            for (change, text) in [({ (s: inout ContainerSpec) in s.imageLayers = ["/"] }, "cannot use --image"),
                                   ({ (s: inout ContainerSpec) in s.rootless = true }, "needs root"),
                                   ({ (s: inout ContainerSpec) in s.hostname = "x" }, "no UTS namespace")] {
                var spec = ContainerSpec(command: ["/bin/true"])
                spec.isolation = .chroot
                change(&spec)
                #expect(throws: ContainerError.self) { try spec.validate() }
                do { try spec.validate() } catch { #expect(error.exitStatus == 64 && error.description.contains(text), "\(error)") }
            }
        }
    }
}
