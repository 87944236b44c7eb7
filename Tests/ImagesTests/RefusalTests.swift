import Foundation
import Testing
@testable import Images
#if canImport(Glibc)
import Glibc
#endif

@Suite("Tampered and hostile images: refused with a clear error, nothing kept, nothing written outside")
struct RefusalTests {
    /// Imports `layout` into a fresh store, expects `status`, and checks the store holds no
    /// image, blob, layer or staging directory afterwards.
    func expectRefused(_ layout: String, store path: String, status: Int32, mentioning text: String,
                       limits: ArchiveLimits = ArchiveLimits()) throws {
        let store = try ImageStore(path: path)
        do {
            _ = try ImageImporter(store: store, limits: limits).importImage(from: layout)
            Issue.record("\(layout): accepted")
        } catch {
            #expect(error.exitStatus == status, "\(layout): \(error)")
            #expect(error.description.contains(text), "\(layout): \(error.description)")
        }
        #expect(try store.images().isEmpty)
        for sub in ["tmp", "blobs/sha256", "layers/sha256"] {
            #expect(Fixture.files(store.root + "/" + sub).isEmpty, "\(layout): left in \(sub): \(Fixture.files(store.root + "/" + sub))")
        }
    }

    @Test(arguments: [("layer-blob", "tampered"), ("diff-id", "diff_ids[1]"), ("size", "its descriptor says")])
    func tamperedImagesAreRefused(kind: String, text: String) throws {
        let dir = try Fixture.scratch("tamper")
        defer { Fixture.remove(dir) }
        _ = try Fixture.tool(["python3", Fixture.script, "tamper", kind, dir + "/layout"])
        try expectRefused(dir + "/layout", store: dir + "/store", status: 65, mentioning: text)
    }

    @Test(arguments: [
        ("traversal", "path traversal"), ("absolute", "absolute name"), ("symlink-out", "points out of the root"),
        ("through-symlink", "written through the symbolic link"), ("hardlink-out", "points out of the root"),
        ("device", "device node"), ("truncated", "truncated"), ("huge", "over the limit"),
        ("large", "over the limit of 1024 per entry"), ("overlay-xattr", "trusted.overlay.opaque"),
    ])
    func hostileLayersAreRefused(kind: String, text: String) throws {
        let dir = try Fixture.scratch("hostile")
        defer { Fixture.remove(dir) }
        // The marker's directory exists, so a write that got out would land there.
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let marker = outside + "/marker"
        _ = try Fixture.tool(["python3", Fixture.script, "hostile", kind, dir + "/layout", marker])
        let limits = kind == "large" ? ArchiveLimits(maxEntryBytes: 1024, maxTotalBytes: 1 << 20, maxEntries: 100) : ArchiveLimits()
        try expectRefused(dir + "/layout", store: dir + "/store", status: 65, mentioning: text, limits: limits)
        #expect(Fixture.files(outside).isEmpty, "written outside the store: \(Fixture.files(outside))")
    }

    /// A docker save / oci-archive tarball is unpacked with the same checks before anything in
    /// it is read.
    @Test func hostileOuterArchiveIsRefused() throws {
        let dir = try Fixture.scratch("outer")
        defer { Fixture.remove(dir) }
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let script = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w") as t:
                for name, data in [("index.json", b"{}"), ("../../../../../../../../.." + sys.argv[2], b"escaped")]:
                    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            """
        _ = try Fixture.tool(["python3", "-c", script, dir + "/evil.tar", outside + "/marker"])
        try expectRefused(dir + "/evil.tar", store: dir + "/store", status: 65, mentioning: "path traversal")
        #expect(Fixture.files(outside).isEmpty)
    }
}
