import Foundation
import XCTest
import Guest
import VSim
#if canImport(Glibc)
import Glibc
#endif

/// Every program in programs/ gives the same stdout and exit status under vsim's interpreter as
/// natively on the host CPU (for the fault cases, native dies by a signal: 128+signal).
final class ProgramsTests: XCTestCase {
    /// Built executables by program name, shared by the tests of one `swift test` run.
    nonisolated(unsafe) static var built: [String: String] = [:]
    nonisolated(unsafe) static var buildDirectory: String?
    static let lock = NSLock()

    func executable(_ name: String) throws -> String {
        try ProgramsHarness.requireTools(["as", "ld"])
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if let e = Self.built[name] { return e }
        if Self.buildDirectory == nil { Self.buildDirectory = try ProgramsHarness.temporaryDirectory(prefix: "programs") }
        let exe = try ProgramsHarness.build(sourcePath: ProgramsHarness.programsDirectory + "/\(name).s", into: Self.buildDirectory!)
        Self.built[name] = exe
        return exe
    }

    /// Runs `name` natively and under the interpreter and compares stdout and exit status.
    /// Returns the native output for extra checks.
    @discardableResult
    func check(_ name: String, _ arguments: [String] = [], stdin: [UInt8]? = nil, expectStatus: Int32? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws -> ProgramsHarness.Output {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        let exe = try executable(name)
        let native = try ProgramsHarness.run([exe] + arguments, stdin: stdin ?? [], directExecutable: true)
        let (status, output, diagnostic) = try interpret(exe, arguments, stdin: stdin)
        let what = ([name] + arguments).joined(separator: " ")
        if let expected = expectStatus {
            XCTAssertEqual(native.status, expected, "\(what): native exit status (the program itself is wrong?)", file: file, line: line)
        }
        XCTAssertEqual(status, native.status,
                       "\(what): exit status under vsim \(status), natively \(native.status)\(diagnostic.map { " (\($0))" } ?? "")",
                       file: file, line: line)
        if output != native.stdout {
            XCTFail("""
                \(what): stdout differs (\(output.count) bytes under vsim, \(native.stdout.count) natively)
                \(ProgramsHarness.firstDifference(native.stdout, output))
                native:
                \(ProgramsHarness.show(native.stdout))
                vsim:
                \(ProgramsHarness.show(output))
                """, file: file, line: line)
        }
        return native
    }

    /// Runs `exe` under vsim's interpreter: through the VSim facade (stdin /dev/null, stdout
    /// captured), or, when the program needs stdin, through ``LinuxProcess`` with files as fds.
    func interpret(_ exe: String, _ arguments: [String], stdin: [UInt8]?) throws -> (Int32, [UInt8], String?) {
        guard let input = stdin else {
            var options = RunOptions()
            options.io = .capture
            options.timeLimit = .seconds(120)
            let r = try VSim.run(program: .path(exe), mode: .interpret, arguments: arguments, options: options)
            return (r.exitStatus, r.output ?? [], r.diagnostic)
        }
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "stdin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/in", contents: Data(input))
        let inFD = open(dir + "/in", O_RDONLY)
        let outFD = open(dir + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let errFD = open("/dev/null", O_WRONLY)
        defer { close(inFD); close(outFD); close(errFD) }
        let image = try ELFImage(path: exe)
        let process = try LinuxProcess(image: image, argv: [exe] + arguments, envp: [],
                                       stdio: GuestStdio(input: inFD, output: outFD, error: errFD))
        let end = process.run(maxInstructions: 1_000_000_000, deadline: .now + .seconds(120))
        let out = [UInt8](FileManager.default.contents(atPath: dir + "/out") ?? Data())
        switch end {
        case .exited(let status): return (status, out, nil)
        case .fault(let e): return (128 + e.linuxSignal, out, "\(e)")
        case .instructionLimit, .timeLimit: return (152, out, "limit")
        case .killed(let signal, let detail): return (128 + signal, out, detail)
        }
    }

    // MARK: the programs

    func testHello() throws {
        let native = try check("hello", expectStatus: 0)
        XCTAssertEqual(String(decoding: native.stdout, as: UTF8.self), "Hello, world!\n")
    }

    func testEcho() throws {
        let native = try check("echo", ["one", "two words", "", "three"], expectStatus: 0)
        XCTAssertEqual(String(decoding: native.stdout, as: UTF8.self), "one two words  three\n")
        try check("echo", [], expectStatus: 0)
    }

    func testCat() throws {
        // 200 KiB of varied bytes: the buffer must grow several times through brk
        var rng = CorpusRNG(seed: 7)
        let input = (0..<(200 * 1024)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let native = try check("cat", stdin: input, expectStatus: 0)
        XCTAssertEqual(native.stdout, input)
        try check("cat", stdin: Array("one line\n".utf8), expectStatus: 0)
        try check("cat", stdin: [], expectStatus: 0)
    }

    func testFib() throws {
        let native = try check("fib", expectStatus: 0)
        XCTAssertEqual(String(decoding: native.stdout, as: UTF8.self), "fib(25) = 75025\n")
        try check("fib", ["0"], expectStatus: 0)
        try check("fib", ["1"], expectStatus: 0)
        try check("fib", ["15"], expectStatus: 0)
        try check("fib", ["48"], expectStatus: 2)
        try check("fib", ["x"], expectStatus: 2)
    }

    func testStrings() throws { try check("strings", expectStatus: 0) }

    func testJcxz() throws {
        let native = try check("jcxz", expectStatus: 0)
        // the article's example: 67 E2 FD with ECX=0x00010001 stops at ECX=0x00010000
        XCTAssertTrue(String(decoding: native.stdout, as: UTF8.self).contains("67 e2 fd   eax=00000000 ebx=00000000 ecx=00010000"))
    }

    func testMulDiv() throws { try check("muldiv", expectStatus: 0) }

    func testBits() throws { try check("bits", expectStatus: 0) }

    func testFaults() throws {
        // #DE -> SIGFPE, #UD -> SIGILL, #PF -> SIGSEGV (twice), #BP -> SIGTRAP
        for (arg, status) in [("de", Int32(136)), ("ud", 132), ("segv", 139), ("wrro", 139), ("int3", 133)] {
            try check("faults", [arg], expectStatus: status)
        }
        try check("faults", [], expectStatus: 2)
        try check("faults", ["nope"], expectStatus: 2)
    }

    func testSumsq() throws {
        let native = try check("sumsq", ["10"], expectStatus: 0)
        XCTAssertEqual(String(decoding: native.stdout, as: UTF8.self), "sumsq(10) = 285\n")
        try check("sumsq", ["0"], expectStatus: 0)
        try check("sumsq", ["100000"], expectStatus: 0)
        try check("sumsq", ["1x"], expectStatus: 2)
    }

    func testSyscalls() throws {
        try check("syscalls", ["1000"], expectStatus: 0)
        try check("syscalls", ["0"], expectStatus: 0)
        try check("syscalls", ["1x"], expectStatus: 2)
    }

    func testSieve() throws {
        let native = try check("sieve", ["100"], expectStatus: 0)
        XCTAssertEqual(String(decoding: native.stdout, as: UTF8.self), "primes(100) = 25\n")
        try check("sieve", ["2"], expectStatus: 0)
        try check("sieve", ["30000"], expectStatus: 0)
        try check("sieve", ["1"], expectStatus: 2)
        // ROUNDS (scripts/bench): every round crosses out with its own byte over the same array.
        let rounds = try check("sieve", ["100", "3"], expectStatus: 0)
        XCTAssertEqual(String(decoding: rounds.stdout, as: UTF8.self), "primes(100) = 25\n")
        try check("sieve", ["1000", "255"], expectStatus: 0)
        try check("sieve", ["100", "0"], expectStatus: 2)
        try check("sieve", ["100", "256"], expectStatus: 2)
    }

    /// Every program has its header comment (what it teaches, prints, exit status) and is listed
    /// in programs/README.md.
    func testProgramsAreDocumented() throws {
        let readme = try String(contentsOfFile: ProgramsHarness.programsDirectory + "/README.md", encoding: .utf8)
        for path in try ProgramsHarness.programSources() {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let header = text.split(separator: "\n").prefix(while: { $0.hasPrefix("#") }).joined(separator: "\n")
            XCTAssertTrue(header.contains("Teaches:"), "\(name): header comment lacks 'Teaches:'")
            XCTAssertTrue(header.contains("Prints:"), "\(name): header comment lacks 'Prints:'")
            XCTAssertTrue(header.contains("Exit status:"), "\(name): header comment lacks 'Exit status:'")
            XCTAssertTrue(readme.contains("`\(name)`"), "programs/README.md does not list \(name)")
        }
    }
}
