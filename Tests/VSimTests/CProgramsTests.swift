import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Static C programs (Tests/VSimTests/CPrograms/*.c) built with glibc, and with Debian's i386
/// musl where `musl-dev:i386` is installed, at -O0 and -O2: stdout, stderr and the exit status
/// under `vsim run --mode interpret` and `--mode translate` equal the native run's (the host runs
/// i386 programs: it is the oracle), with the same arguments, environment and stdin; and
/// `--mode translate --check` (lockstep against the interpreter) passes. x87 floating point is
/// not emulated yet, so the programs print no floating-point values.
@Suite("C programs against native", .serialized)
struct CProgramsTests {
    struct Variant: CustomStringConvertible, Sendable {
        var program: String
        var libc: String
        var optimization: String
        var description: String { "\(program) (\(libc) \(optimization))" }
    }

    static let directory = ProgramsHarness.repositoryRoot + "/Tests/VSimTests/CPrograms"
    static let muslSpecs = "/usr/lib/i386-linux-musl/musl-gcc.specs"

    static var programs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }.sorted()
    }

    static var libcs: [String] {
        FileManager.default.fileExists(atPath: muslSpecs) ? ["glibc", "musl"] : ["glibc"]
    }

    static var variants: [Variant] {
        programs.flatMap { p in libcs.flatMap { l in ["-O0", "-O2"].map { Variant(program: p, libc: l, optimization: $0) } } }
    }

    /// What each program gets: arguments, stdin, and one extra environment variable.
    static let arguments = ["one", "two words", ""]
    static let stdin = "first line\nsecond  line with words\n\nlast"
    static let environment = ["VSIM_TEST_VAR": "value with spaces", "PATH": "/usr/bin:/bin", "LC_ALL": "C"]

    /// Builds one variant (cached per test run); nil with the reason when the host lacks gcc's
    /// 32-bit libraries.
    static func build(_ v: Variant) throws -> String {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "cprog")
        let exe = dir + "/\(v.program)-\(v.libc)\(v.optimization)"
        var command = ["gcc", "-m32", "-static", v.optimization, "-o", exe, directory + "/\(v.program).c"]
        if v.libc == "musl" { command += ["-specs", muslSpecs, "-Wl,-melf_i386"] }
        let r = try CLI.run("/usr/bin/env", command)
        guard r.status == 0 else { throw ProgramsHarness.Failure(description: "\(command.joined(separator: " ")) failed: \(r.stderr)") }
        return exe
    }

    static func hostCanBuild() -> Bool {
        guard ProgramsHarness.hostRunsI386() else { return false }
        guard let dir = try? ProgramsHarness.temporaryDirectory(prefix: "cprobe") else { return false }
        let src = dir + "/probe.c"
        FileManager.default.createFile(atPath: src, contents: Data("int main(void){return 0;}\n".utf8))
        let r = try? CLI.run("/usr/bin/env", ["gcc", "-m32", "-static", "-o", dir + "/probe", src])
        return r?.status == 0
    }

    @Test("same stdout, stderr and exit status as natively, interpret and translate",
          .enabled(if: CProgramsTests.hostCanBuild(), "needs gcc -m32 -static (gcc-multilib) and a host that runs i386 programs"),
          arguments: CProgramsTests.variants)
    func matchesNative(_ v: Variant) throws {
        let exe = try Self.build(v)
        let native = try CLI.run(exe, Self.arguments, environment: Self.environment, stdin: Self.stdin)
        #expect(native.status < 128, "\(v): the native run itself failed (\(native.status)): \(native.stderr)")
        for mode in ["interpret", "translate"] {
            let r = try CLI.vsim(["run", "--mode", mode, exe, "--"] + Self.arguments, environment: Self.environment, stdin: Self.stdin)
            #expect(r.status == native.status, "\(v) under \(mode): exit status \(r.status), natively \(native.status); stderr: \(r.stderr)")
            #expect(r.stdout == native.stdout, "\(v) under \(mode): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(r.stdout)")
            #expect(r.stderr == native.stderr, "\(v) under \(mode): stderr differs\nnative:\n\(native.stderr)\nvsim:\n\(r.stderr)")
        }
        let check = try CLI.vsim(["run", "--mode", "translate", "--check", exe, "--"] + Self.arguments,
                                 environment: Self.environment, stdin: Self.stdin)
        #expect(check.status == native.status, "\(v) under translate --check: \(check.status): \(check.stderr)")
        #expect(check.stderr.contains("check passed"), "\(v) under translate --check: \(check.stderr)")
    }
}
