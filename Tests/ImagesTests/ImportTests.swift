import Foundation
import Testing
@testable import Images
#if canImport(Glibc)
import Glibc
#endif

@Suite("vsim image import: an OCI layout built by Python, its digests, its layers on disk")
struct ImportTests {
    /// `vsim image ls` only reads: a --store that does not exist lists no images (status 0) and
    /// is not created (found by QA: `vsim image ls --store /nonexistent` made /nonexistent with
    /// blobs/, layers/, tmp/ and oci-layout). The oracle is the file system: the path is absent.
    @Test func listingAMissingStoreCreatesNothing() throws {
        let dir = try Fixture.scratch("ls-missing")
        defer { Fixture.remove(dir) }
        let store = dir + "/typo/store"
        #expect(ImageCommandLine.list(store: store) == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/typo"))
        #expect(ImageCommandLine.inspect("layered:1", store: store) == 66)
        #expect(!FileManager.default.fileExists(atPath: dir + "/typo"))
    }

    @Test func importsTheLayoutUnderItsRefName() throws {
        let dir = try Fixture.scratch("import")
        defer { Fixture.remove(dir) }
        let digest = try Fixture.layered(dir + "/layout")
        let store = try ImageStore(path: dir + "/store")
        let results = try ImageImporter(store: store).importImage(from: dir + "/layout")
        #expect(results.count == 1)
        #expect(results[0].name == "layered:1", "named by org.opencontainers.image.ref.name")
        #expect(results[0].manifestDigest.description == digest, "the manifest digest Python computed")
        #expect(results[0].layers == 2 && results[0].unpackedLayers == 2)

        let image = try store.image(named: "layered:1")
        #expect(image.configuration.config?.WorkingDir == "/home/user")
        #expect(image.lowerDirectories == image.layers.reversed().map(\.directory), "top layer first")
        #expect(Fixture.files(store.root + "/tmp").isEmpty, "no staging directory left")

        // Importing again unpacks nothing: each layer is unpacked once.
        let again = try ImageImporter(store: store).importImage(from: dir + "/layout")
        #expect(again[0].unpackedLayers == 0 && again[0].replaced)
        let renamed = try ImageImporter(store: store).importImage(from: dir + "/layout", name: "other:2")
        #expect(renamed[0].name == "other:2" && renamed[0].unpackedLayers == 0)
        #expect(try store.images().map(\.name) == ["layered:1", "other:2"])
    }

    /// OCI whiteouts become overlayfs whiteouts (kernel Documentation/filesystems/overlayfs.rst):
    /// `.wh.NAME` a character device 0/0, `.wh..wh..opq` the opaque attribute on its directory.
    @Test func whiteoutsBecomeOverlayWhiteouts() throws {
        let dir = try Fixture.scratch("whiteout")
        defer { Fixture.remove(dir) }
        _ = try Fixture.layered(dir + "/layout")
        let store = try ImageStore(path: dir + "/store")
        _ = try ImageImporter(store: store).importImage(from: dir + "/layout")
        let image = try store.image(named: "layered:1")
        let bottom = image.layers[0].directory, top = image.layers[1].directory
        for whiteout in ["etc/motd", "var/lib"] {
            var st = stat()
            #expect(lstat(top + "/" + whiteout, &st) == 0)
            #expect((st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0, "\(whiteout): a 0/0 character device")
        }
        #expect(!FileManager.default.fileExists(atPath: top + "/etc/.wh.motd"), "the .wh. entry itself is not unpacked")
        #expect(!FileManager.default.fileExists(atPath: top + "/etc/conf.d/.wh..wh..opq"))
        #expect(Fixture.xattr(top + "/etc/conf.d", ImageStore.opaqueAttribute) == "y", "opaque directory")
        #expect(Fixture.xattr(bottom + "/etc/conf.d", ImageStore.opaqueAttribute) == nil)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bottom + "/bin/sh") == "/bin/busybox",
                "an absolute link is kept as is (resolved inside the container)")
        #expect(try String(contentsOfFile: top + "/etc/hostname.txt", encoding: .utf8) == "second\n")
        #expect(image.layers[1].unpackedBytes == Int64("second\n".utf8.count + "c\n".utf8.count + "new\n".utf8.count))
    }

    /// The store is an OCI layout: skopeo reads its index and manifest, and umoci unpacks the
    /// image applying the whiteouts itself; its root must be the merged view the spec gives.
    @Test func otherToolsReadTheStore() throws {
        guard Fixture.have("skopeo") && Fixture.have("umoci") else {
            print("skipped: skopeo and umoci are needed (scripts/setup installs them)")
            return
        }
        let dir = try Fixture.scratch("tools")
        defer { Fixture.remove(dir) }
        let digest = try Fixture.layered(dir + "/layout")
        let store = try ImageStore(path: dir + "/store")
        _ = try ImageImporter(store: store).importImage(from: dir + "/layout")
        let image = try store.image(named: "layered:1")

        let inspected = try JSONSerialization.jsonObject(with: Data(Fixture.tool(["skopeo", "inspect", "oci:\(store.root):layered:1"]).utf8)) as? [String: Any]
        #expect(inspected?["Digest"] as? String == digest)
        #expect(inspected?["Layers"] as? [String] == image.manifest.layers.map(\.digest.description))

        _ = try Fixture.tool(["umoci", "unpack", "--image", "\(store.root):layered:1", dir + "/bundle"])
        let expected = try Fixture.expectedView()
        #expect(Fixture.walk(dir + "/bundle/rootfs") == expected.keys.sorted())
        for (path, contents) in expected where !contents.hasPrefix("<") && !contents.hasPrefix("->") {
            #expect(try String(contentsOfFile: dir + "/bundle/rootfs/" + path, encoding: .utf8) == contents, "\(path)")
        }
    }

    /// `docker save` (skopeo's docker-archive) and `oci-archive` tarballs of the same image give
    /// the same layers (diff IDs) as the layout.
    @Test func importsDockerSaveAndOCIArchives() throws {
        guard Fixture.have("skopeo") else {
            print("skipped: skopeo is needed to write docker-archive and oci-archive tarballs")
            return
        }
        let dir = try Fixture.scratch("archives")
        defer { Fixture.remove(dir) }
        _ = try Fixture.layered(dir + "/layout")
        _ = try Fixture.tool(["skopeo", "copy", "--quiet", "oci:\(dir)/layout:layered:1", "docker-archive:\(dir)/saved.tar:saved:2"])
        _ = try Fixture.tool(["skopeo", "copy", "--quiet", "oci:\(dir)/layout:layered:1", "oci-archive:\(dir)/image.oci:archived:3"])
        _ = try Fixture.tool(["tar", "-C", dir + "/layout", "-czf", dir + "/layout.tar.gz", "."])
        let layoutStore = try ImageStore(path: dir + "/s0")
        _ = try ImageImporter(store: layoutStore).importImage(from: dir + "/layout")
        let want = try layoutStore.image(named: "layered:1").layers.map(\.diffID)

        for (input, name) in [("saved.tar", "saved:2"), ("image.oci", "archived:3"), ("layout.tar.gz", "layered:1")] {
            let store = try ImageStore(path: dir + "/s-" + input)
            let r = try ImageImporter(store: store).importImage(from: dir + "/" + input)
            #expect(r.map(\.name).first.map { $0.hasSuffix(name) } == true, "\(input): named \(r.map(\.name))")
            let image = try store.image(named: r[0].name)
            #expect(image.layers.map(\.diffID) == want, "\(input): the same layers")
            #expect(try String(contentsOfFile: image.layers[1].directory + "/etc/hostname.txt", encoding: .utf8) == "second\n")
            #expect(Fixture.files(store.root + "/tmp").isEmpty)
        }
    }

    @Test func removeDeletesWhatNoOtherImageUses() throws {
        let dir = try Fixture.scratch("rm")
        defer { Fixture.remove(dir) }
        _ = try Fixture.layered(dir + "/layout")
        let store = try ImageStore(path: dir + "/store")
        _ = try ImageImporter(store: store).importImage(from: dir + "/layout")
        _ = try ImageImporter(store: store).importImage(from: dir + "/layout", name: "copy:1")
        let first = try store.remove(named: "layered:1")
        #expect(first.blobs == 0 && first.layers == 0, "copy:1 still uses every blob and layer")
        let second = try store.remove(named: "copy:1")
        #expect(second.blobs == 4 && second.layers == 2, "manifest, config, two layer blobs; two unpacked layers")
        #expect(Fixture.files(store.blobsDirectory).isEmpty && Fixture.files(store.layersDirectory).isEmpty)
        #expect(throws: ImageError.self) { _ = try store.image(named: "copy:1") }
    }

    @Test func badNamesAndInputs() throws {
        let dir = try Fixture.scratch("bad")
        defer { Fixture.remove(dir) }
        _ = try Fixture.layered(dir + "/layout")
        let store = try ImageStore(path: dir + "/store")
        let importer = ImageImporter(store: store)
        #expect(throws: ImageError.usage("image name 'bad name' is not valid: use 1 to 255 letters, digits and . _ - : / @ + (not starting with . or -), e.g. hello:1.0")) {
            _ = try importer.importImage(from: dir + "/layout", name: "bad name")
        }
        do {
            _ = try importer.importImage(from: dir + "/nothing-here")
            Issue.record("a missing path was accepted")
        } catch { #expect(error.exitStatus == 66) }
        try "not json".write(toFile: dir + "/layout/index.json", atomically: true, encoding: .utf8)
        do {
            _ = try importer.importImage(from: dir + "/layout")
            Issue.record("a broken index.json was accepted")
        } catch {
            #expect(error.exitStatus == 65 && error.description.contains("index.json"), "\(error)")
        }
        #expect(Fixture.files(store.root + "/tmp").isEmpty)
        #expect(try store.images().isEmpty)
    }
}
