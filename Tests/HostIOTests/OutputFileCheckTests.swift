import Foundation
import Testing
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// The early output-path check against the host kernel's own answers: full(4) (writes to
/// /dev/full fail with ENOSPC), fifo(7) (a non-blocking open for writing of a FIFO without a
/// reader fails with ENXIO), open(2)/stat(2) (ENOENT for a missing folder); and that nothing
/// is left behind or changed, by listing the folder and reading the file afterwards.
@Suite struct OutputFileCheckTests {
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "vsim-outcheck-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    @Test func inPlaceLeavesNothingAndChangesNothing() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try OutputFileCheck.check(dir + "/new.json", .inPlace)
        #expect(entries(dir).isEmpty, "a missing file is created and removed again")
        try Data("kept\n".utf8).write(to: URL(fileURLWithPath: dir + "/old.json"))
        try OutputFileCheck.check(dir + "/old.json", .inPlace)
        #expect(entries(dir) == ["old.json"])
        #expect(FileManager.default.contents(atPath: dir + "/old.json") == Data("kept\n".utf8), "not truncated")
    }

    @Test func inPlaceRefusals() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: OutputFileCheck.Failure.directory) { try OutputFileCheck.check(dir, .inPlace) }
        #expect(throws: OutputFileCheck.Failure.write(ENOSPC)) { try OutputFileCheck.check("/dev/full", .inPlace) }
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect(throws: OutputFileCheck.Failure.open(ENXIO)) { try OutputFileCheck.check(dir + "/fifo", .inPlace) }
        #expect(throws: OutputFileCheck.Failure.folderMissing(dir + "/missing", ENOENT)) {
            try OutputFileCheck.check(dir + "/missing/out.csv", .inPlace)
        }
        #expect(entries(dir) == ["fifo"])
    }

    @Test func renamedCreatesOnlyTheTemporaryAndRemovesIt() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try OutputFileCheck.check(dir + "/result.json", .renamed(temporary: dir + "/result.json.tmp-1"))
        #expect(entries(dir).isEmpty)
        #expect(throws: OutputFileCheck.Failure.directory) { try OutputFileCheck.check(dir, .renamed(temporary: dir + ".tmp")) }
        #expect(throws: OutputFileCheck.Failure.create(folder: dir + "/missing", ENOENT)) {
            try OutputFileCheck.check(dir + "/missing/r.json", .renamed(temporary: dir + "/missing/r.json.tmp-1"))
        }
        #expect(OutputFileCheck.folder(of: "r.json") == ".")
        #expect(OutputFileCheck.folder(of: "/r.json") == "/")
        #expect(OutputFileCheck.folder(of: "a/b/r.json") == "a/b")
    }
}
