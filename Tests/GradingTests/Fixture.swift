import Foundation
@testable import Grading

/// A small lab made in a temporary folder for the grader tests, with its solution, starter and
/// a few deliberately wrong or hostile submissions.
enum Fixture {
    static let solution = """
    .globl _start
    _start:
        movl $4, %eax
        movl $1, %ebx
        movl $msg, %ecx
        movl $3, %edx
        int $0x80
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
    .data
    msg: .ascii "hi\\n"

    """

    /// Prints "hi" but spins 300 times first: breaks only the `counts` test (5 points).
    static let slow = solution.replacingOccurrences(of: "_start:\n", with: "_start:\n    movl $300, %esi\n1:  decl %esi\n    jnz 1b\n")

    static let starter = solution.replacingOccurrences(of: "\"hi\\n\"", with: "\"no\\n\"")

    static let labTOML = """
    id = "demo"
    title = "Demo lab"
    summary = "print a greeting"
    order = 1
    submission = ["prog.s", "answers.toml"]

    [defaults]
    max_instructions = 2000000
    output_limit = 4096

    [variant]
    n = { min = 1, max = 1000000 }
    word = { choices = ["alpha", "beta", "gamma", "delta"] }

    [[tests]]
    id = "prints"
    name = "prints hi"
    points = 10
    program = "submission/prog.s"
    modes = ["interpret", "translate"]
    expect = { stdout = "hi\\n", exit_status = 0, modes_agree = true }

    [[tests]]
    id = "counts"
    name = "prints hi in at most 100 instructions"
    points = 5
    program = "submission/prog.s"
    tags = ["counters"]
    expect = { stdout = "hi\\n", counters = [ { counter = "instructions", op = "<=", value = 100 } ] }

    [[tests]]
    id = "trap"
    name = "runs under the trap-and-emulate VMM"
    points = 5
    program = "submission/prog.s"
    modes = ["trap"]
    expect = { stdout_matches = "^hi$", counters = [ { counter = "traps", op = ">=", value = 1 } ] }

    [[tests]]
    id = "predict"
    name = "predicts the reference's instruction count"
    kind = "answer"
    answers = "submission/answers.toml"
    key = "ref_instructions"
    points = 5
    compute = { program = "lab/tests/ref.s", mode = "interpret", counter = "instructions" }

    """

    static let hiddenTOML = """
    [[tests]]
    id = "same-as-ref"
    name = "same output as the reference"
    points = 5
    visibility = "after_due_date"
    program = "submission/prog.s"
    expect = { same_as = "lab/hidden/ref.s" }

    """

    /// The hand-counted full score: 10 + 5 + 5 + 5 + 5.
    static let fullScore = 30.0

    /// A lab folder `<root>/lessons/demo` and its root.
    static func makeLab() throws -> (root: String, lab: String) {
        let root = NSTemporaryDirectory() + "vsim-grading-test-" + UUID().uuidString
        let lab = root + "/lessons/demo"
        try write(labTOML, to: lab + "/lab.toml")
        try write(hiddenTOML, to: lab + "/hidden/hidden.toml")
        try write(solution, to: lab + "/hidden/ref.s")
        try write(solution, to: lab + "/tests/ref.s")
        try write(solution, to: lab + "/solution/prog.s")
        // The reference's 8 instructions, counted by hand: 4 mov, int, mov, xor, int.
        try write("ref_instructions = 8\n", to: lab + "/solution/answers.toml")
        try write(starter, to: lab + "/starter/prog.s")
        try write("# fill in\n", to: lab + "/starter/answers.toml")
        try write("# Demo\nYour n is {n}, your word {word}, seed {seed}.\n", to: lab + "/README.md")
        return (root, lab)
    }

    /// A submission folder holding `files`.
    static func submission(_ files: [String: String], in root: String, name: String) throws -> String {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (file, text) in files { try write(text, to: dir + "/" + file) }
        return dir
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The built `vsim` next to the test bundle.
    static var vsimPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "vsim"
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs a host program to completion.
    static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                    directory: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        p.arguments = executable.contains("/") ? args : [executable] + args
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs python3 with `script` and `args`.
    static func python(_ script: String, _ args: [String]) throws -> Output {
        try run("python3", ["-c", script] + args)
    }
}
