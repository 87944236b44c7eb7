import Foundation
import VSim

/// Runs a host tool (`as`, `cpp`, `vsim repl`) for the grader: stdin from /dev/null, stdout and
/// stderr into files in a private folder of which at most `limit` bytes each are read back, killed
/// at `timeLimit` seconds, or as soon as its stdout passes `outputLimit` bytes, or as soon as the
/// grader received a stop signal (``StopSignal/received``: SIGINT, SIGTERM, SIGHUP, SIGQUIT), so
/// that a grading stopped by a platform's timeout exits at once rather than after the tool.
///
/// Foundation's `Process` starts the tool as the leader of a process group of its own
/// (POSIX_SPAWN_SETPGROUP), so a kill is SIGKILL to that group: the tool and whatever it started
/// (a shell script's children) go together, and the tool is then reaped.
enum HostProcess {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var timedOut: Bool
        /// Killed because its stdout passed `outputLimit` bytes.
        var outputLimitExceeded = false
        /// Killed, or not started, because the grader received this stop signal (nil: none).
        var stoppedBy: Int32? = nil
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// - Returns: nil when the executable cannot be started (not found in PATH) or the files that
    ///   capture its output cannot be made in the temporary folder.
    static func run(_ argv: [String], directory: String? = nil, timeLimit: Double = 60, limit: Int = 1 << 20,
                    outputLimit: UInt64? = nil) -> Output? {
        if let s = StopSignal.received {
            return Output(status: 128 + s, stdout: [], stderr: [], timedOut: false, stoppedBy: s)
        }
        let fm = FileManager.default
        let work = NSTemporaryDirectory() + "vsim-grade-proc-" + UUID().uuidString
        guard (try? fm.createDirectory(atPath: work, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])) != nil else { return nil }
        defer { try? fm.removeItem(atPath: work) }
        let outPath = work + "/stdout", errPath = work + "/stderr"
        guard fm.createFile(atPath: outPath, contents: nil), fm.createFile(atPath: errPath, contents: nil) else { return nil }
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
        var stoppedBy: Int32?
        while process.isRunning {
            if let s = StopSignal.received { stoppedBy = s; killGroup(process.processIdentifier); break }
            if Date() > deadline { timedOut = true; killGroup(process.processIdentifier); break }
            if let outputLimit, let size = try? fm.attributesOfItem(atPath: outPath)[.size] as? UInt64, size > outputLimit {
                tooMuch = true
                killGroup(process.processIdentifier)
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        if stoppedBy == nil && !argv[0].contains("/") && process.terminationStatus == 127 { return nil }
        return Output(status: process.terminationStatus, stdout: readPrefix(outPath, limit), stderr: readPrefix(errPath, limit),
                      timedOut: timedOut, outputLimitExceeded: tooMuch, stoppedBy: stoppedBy)
    }

    /// SIGKILL to the process group that `pid` leads (Foundation's `Process` makes each child a
    /// group leader), or to `pid` alone if it does not lead one (never to the grader's own group).
    static func killGroup(_ pid: pid_t) {
        if getpgid(pid) == pid { killpg(pid, SIGKILL) } else { kill(pid, SIGKILL) }
    }

    /// The first `limit` bytes of a file (empty if unreadable).
    static func readPrefix(_ path: String, _ limit: Int) -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        return [UInt8]((try? h.read(upToCount: limit)) ?? Data())
    }
}
