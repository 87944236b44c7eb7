import Foundation

/// Independent runs of one test side by side, as many at once as the host has cores
/// (`DispatchQueue.concurrentPerform`). XCTest runs one test at a time, so a test that makes a
/// dozen guest runs one after the other leaves every core but one idle; a run (`VSim.run`, a
/// `SystemMachine`, a child process) shares nothing with another, so they can overlap. The
/// results come back in the jobs' order; the caller checks them afterwards, on its own thread
/// (XCTest's assertions are not made from the worker threads). `VSIM_TEST_SERIAL=1` runs the jobs
/// one after the other instead (to compare, or to debug one run at a time).
enum Concurrently {
    static let serial = ProcessInfo.processInfo.environment["VSIM_TEST_SERIAL"] == "1"

    /// `body` applied to every job; each result is the value or the error it threw.
    static func map<Job: Sendable, Value: Sendable>(_ jobs: [Job], _ body: @Sendable (Job) throws -> Value) -> [Result<Value, any Error>] {
        if serial { return jobs.map { job in Result { try body(job) } } }
        var values = [Result<Value, any Error>?](repeating: nil, count: jobs.count)
        values.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer  // each index is written by its own iteration only
            DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
                buffer[i] = Result { try body(jobs[i]) }
            }
        }
        return values.map { $0! }
    }
}
