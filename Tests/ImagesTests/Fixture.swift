import Foundation
@testable import Images
#if canImport(Glibc)
import Glibc
#endif

/// Image layouts made by `Fixtures/make_image.py` (Python's tarfile, hashlib and json: an
/// implementation of the OCI image spec independent of vsim's), scratch stores, and the outside
/// tools (skopeo, umoci, python3) the tests compare against.
enum Fixture {
    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.path + "/Fixtures/make_image.py"
    }()

    /// A fresh directory, removed by the caller.
    static func scratch(_ tag: String) throws -> String {
        let dir = "/tmp/vsim-img-test-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func remove(_ path: String) { ImageStore.removeTree(path) }

    struct Output { var status: Int32; var stdout: String; var stderr: String }
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(_ argv: [String]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func tool(_ argv: [String]) throws -> String {
        let r = try run(argv)
        guard r.status == 0 else { throw Failure(description: "\(argv.joined(separator: " ")) failed (\(r.status)): \(r.stderr)") }
        return r.stdout
    }

    static func have(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }

    /// The layered image in `dir`; returns the manifest digest Python computed.
    static func layered(_ dir: String, busybox: Bool = false) throws -> String {
        var argv = ["python3", script, "layered", dir]
        if busybox { argv += ["--busybox", "/bin/busybox"] }
        return try tool(argv).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The merged view the image spec gives the layered image: path -> contents.
    static func expectedView() throws -> [String: String] {
        let json = try tool(["python3", script, "expected"])
        return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
    }

    /// Every path below `root` (relative, sorted), not following links.
    static func walk(_ root: String) -> [String] {
        var out: [String] = []
        let e = FileManager.default.enumerator(atPath: root)
        while let rel = e?.nextObject() as? String { out.append(rel) }
        return out.sorted()
    }

    /// Every file of a store or directory, for "nothing was left" checks.
    static func files(_ root: String) -> [String] { walk(root).filter { !$0.isEmpty } }

    /// The value of an extended attribute, read by Python (os.getxattr), or nil.
    static func xattr(_ path: String, _ name: String) -> String? {
        let r = try? run(["python3", "-c", "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())", path, name])
        return r?.status == 0 ? r?.stdout : nil
    }
}
