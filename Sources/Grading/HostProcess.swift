import Foundation

/// Runs a host tool (`as`, `cpp`, `vsim repl`) for the grader: stdin from /dev/null, stdout and
/// stderr into files in a private folder of which at most `limit` bytes each are read back, killed
/// at `timeLimit` seconds, or as soon as its stdout passes `outputLimit` bytes.
enum HostProcess {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var timedOut: Bool
        /// Killed because its stdout passed `outputLimit` bytes.
        var outputLimitExceeded = false
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// - Returns: nil when the executable cannot be started (not found in PATH).
    static func run(_ argv: [String], directory: String? = nil, timeLimit: Double = 60, limit: Int = 1 << 20,
                    outputLimit: UInt64? = nil) -> Output? {
        let fm = FileManager.default
        let work = NSTemporaryDirectory() + "vsim-grade-proc-" + UUID().uuidString
        guard (try? fm.createDirectory(atPath: work, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])) != nil else { return nil }
        defer { try? fm.removeItem(atPath: work) }
        let outPath = work + "/stdout", errPath = work + "/stderr"
        fm.createFile(atPath: outPath, contents: nil)
        fm.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else { return nil }
        defer { try? out.close(); try? err.close() }
        let process = Process()
        if argv[0].contains("/") {
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = argv
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return nil }
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false, tooMuch = false
        while process.isRunning {
            if Date() > deadline { timedOut = true; kill(process.processIdentifier, SIGKILL); break }
            if let outputLimit, let size = try? fm.attributesOfItem(atPath: outPath)[.size] as? UInt64, size > outputLimit {
                tooMuch = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        if !argv[0].contains("/") && process.terminationStatus == 127 { return nil }
        return Output(status: process.terminationStatus, stdout: readPrefix(outPath, limit), stderr: readPrefix(errPath, limit),
                      timedOut: timedOut, outputLimitExceeded: tooMuch)
    }

    /// The first `limit` bytes of a file (empty if unreadable).
    static func readPrefix(_ path: String, _ limit: Int) -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        return [UInt8]((try? h.read(upToCount: limit)) ?? Data())
    }
}
