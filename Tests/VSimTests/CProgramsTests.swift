import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Static C programs (Tests/VSimTests/CPrograms/*.c) built with glibc, and with Debian's i386
/// musl where `musl-dev:i386` is installed, at -O0 and -O2: stdout, stderr and the exit status
/// under `vsim run --mode interpret` and `--mode translate` equal the native run's (the host runs
/// i386 programs: it is the oracle), with the same arguments, environment and stdin; and
/// `--mode translate --check` (lockstep against the interpreter) passes. `float_math.c` prints
/// float, double and long double values computed on the x87; `signal_fpu.c` checks that a
/// signal handler's x87 work leaves the interrupted computation alone. Under the guest kernel's modes
/// (trap, hvm, pv, bt, unikernel) every program matches too (the unikernel runs no signal handlers).
/// The cases run in parallel with each other and the rest of the suite: each builds into its own
/// scratch directory and runs separate processes (native, vsim) with their own files, and a native
/// run's output depends on nothing another process does (the timers are the process's own).
@Suite("C programs against native")
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
        let exe = dir + "/\(v.program.split(separator: "/").joined(separator: "_"))-\(v.libc)\(v.optimization)"
        var command = compiler + ["-static", v.optimization, "-o", exe, directory + "/\(v.program).c"]
        if v.libc == "musl" { command += ["-specs", muslSpecs, "-Wl,-melf_i386"] }
        let r = try CLI.run("/usr/bin/env", command)
        guard r.status == 0 else { throw ProgramsHarness.Failure(description: "\(command.joined(separator: " ")) failed: \(r.stderr)") }
        return exe
    }

    /// Runs `argv` with `environment` and `stdin` from a file (a program may exit without reading
    /// it: no SIGPIPE), capturing stdout and stderr in files.
    static func run(_ argv: [String], environment: [String: String], stdin: String) throws -> CLI.Output {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "crun")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inPath = dir + "/stdin", outPath = dir + "/stdout", errPath = dir + "/stderr"
        FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let input = FileHandle(forReadingAtPath: inPath)!, output = FileHandle(forWritingAtPath: outPath)!,
            error = FileHandle(forWritingAtPath: errPath)!
        defer { try? input.close(); try? output.close(); try? error.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        p.standardInput = input
        p.standardOutput = output
        p.standardError = error
        try p.run()
        p.waitUntilExit()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return CLI.Output(status: status,
                          stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
                          stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    /// The i386 C compiler, as vsim picks it: Debian's cross compiler, else `gcc -m32`.
    static let compiler: [String] = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/i686-linux-gnu-gcc") }
            ? ["i686-linux-gnu-gcc"] : ["gcc", "-m32"]
    }()

    /// A safety net, not a bound: a lockstep `--check` run does two engines' work at every block
    /// boundary and, on a shared 2-core machine under load, took over the default 60 s.
    static let timeLimit = "1800"

    static func hostCanBuild() -> Bool {
        guard ProgramsHarness.hostRunsI386() else { return false }
        guard let dir = try? ProgramsHarness.temporaryDirectory(prefix: "cprobe") else { return false }
        let src = dir + "/probe.c"
        FileManager.default.createFile(atPath: src, contents: Data("#include <errno.h>\nint main(void){return errno;}\n".utf8))
        let r = try? CLI.run("/usr/bin/env", compiler + ["-static", "-o", dir + "/probe", src])
        return r?.status == 0
    }

    @Test("same stdout, stderr and exit status as natively, interpret and translate",
          .enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static libc (scripts/setup) and a host that runs i386 programs"),
          arguments: CProgramsTests.variants)
    func matchesNative(_ v: Variant) throws {
        let exe = try Self.build(v)
        let native = try Self.run([exe] + Self.arguments, environment: Self.environment, stdin: Self.stdin)
        #expect(native.status < 128, "\(v): the native run itself failed (\(native.status)): \(native.stderr)")
        for mode in ["interpret", "translate"] {
            let r = try Self.run([CLI.vsimPath, "run", "--mode", mode, "--time-limit", Self.timeLimit, exe, "--"] + Self.arguments,
                                 environment: Self.environment, stdin: Self.stdin)
            #expect(r.status == native.status, "\(v) under \(mode): exit status \(r.status), natively \(native.status); stderr: \(r.stderr)")
            #expect(r.stdout == native.stdout, "\(v) under \(mode): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(r.stdout)")
            #expect(r.stderr == native.stderr, "\(v) under \(mode): stderr differs\nnative:\n\(native.stderr)\nvsim:\n\(r.stderr)")
        }
        let check = try Self.run([CLI.vsimPath, "run", "--mode", "translate", "--check", "--time-limit", Self.timeLimit, exe, "--"] + Self.arguments,
                                 environment: Self.environment, stdin: Self.stdin)
        #expect(check.status == native.status, "\(v) under translate --check: \(check.status): \(check.stderr)")
        #expect(check.stderr.contains("check passed"), "\(v) under translate --check: \(check.stderr)")
    }

    /// The modes that run the guest kernel (programs/kernel/kernel.s, docs/boot-protocol.md): it
    /// serves what a static glibc or musl start-up asks (thread-local storage, the address space
    /// with file mappings and mremap, the process calls; files through the host-call device) and
    /// delivers signals (handlers, masks, the alternate stack, ITIMER_REAL, faults as signals), so
    /// every program runs under every kernel mode, except where a mode is left out here, with the
    /// reason.
    static let kernelModes = ["trap", "hvm", "pv", "bt", "unikernel"]
    static let leftOut: [String: [String: String]] = [
        "unikernel": [
            "signal_async": "handlers: the library OS runs none (its program runs at ring 0, on the kernel's stack), so sigaction with a handler is -EINVAL there",
            "signal_faults": "handlers for SIGSEGV, SIGFPE, SIGILL and SIGTRAP: at ring 0, HLT runs and the kernel's pages are writable, and the library OS runs no handlers",
            "signal_fpu": "a SIGALRM handler: the library OS runs none",
        ],
    ]

    /// The kernel modes that run `program`.
    static func kernelModes(for program: String) -> [String] {
        kernelModes.filter { leftOut[$0]?[program] == nil }
    }

    @Test("the programs left out under a kernel mode exist")
    func leftOutProgramsExist() {
        for (_, programs) in Self.leftOut { #expect(Set(programs.keys).isSubset(of: Set(Self.programs))) }
    }

    @Test("same stdout, stderr and exit status as natively under the guest kernel: trap, hvm, pv, bt, unikernel",
          .enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static libc (scripts/setup) and a host that runs i386 programs"),
          arguments: CProgramsTests.variants)
    func matchesNativeUnderTheGuestKernel(_ v: Variant) throws {
        let exe = try Self.build(v)
        let native = try Self.run([exe] + Self.arguments, environment: Self.environment, stdin: Self.stdin)
        #expect(native.status < 128, "\(v): the native run itself failed (\(native.status)): \(native.stderr)")
        for mode in Self.kernelModes(for: v.program) {
            let r = try Self.run([CLI.vsimPath, "run", "--mode", mode, "--time-limit", Self.timeLimit, exe, "--"] + Self.arguments,
                                 environment: Self.environment, stdin: Self.stdin)
            #expect(r.status == native.status, "\(v) under \(mode): exit status \(r.status), natively \(native.status); stderr: \(r.stderr)")
            #expect(r.stdout == native.stdout, "\(v) under \(mode): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(r.stdout)")
            #expect(r.stderr == native.stderr, "\(v) under \(mode): stderr differs\nnative:\n\(native.stderr)\nvsim:\n\(r.stderr)")
        }
    }

    /// The guest kernel's file mappings and mremap (mremap_filemap) on both engines: the same
    /// output as natively under each kernel mode, and the same counts (instructions, traps or
    /// exits, host calls, hypercalls: the summary line of `--trace traps`) from the interpreter
    /// as from the translator, which must run the kernel's page-ins and page-table moves alike.
    @Test("file mappings and mremap under the guest kernel: as natively, same counts on both engines",
          .enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static libc (scripts/setup) and a host that runs i386 programs"),
          arguments: CProgramsTests.variants.filter { $0.program == "mremap_filemap" })
    func fileMappingsOnBothEngines(_ v: Variant) throws {
        let exe = try Self.build(v)
        let native = try Self.run([exe] + Self.arguments, environment: Self.environment, stdin: Self.stdin)
        #expect(native.status == 0, "\(v): the native run itself failed (\(native.status)): \(native.stderr)")
        for mode in Self.kernelModes {
            var summaries: [String] = []
            for engine in ["interpret", "translate"] {
                let r = try Self.run([CLI.vsimPath, "run", "--mode", mode, "--engine", engine, "--trace", "traps",
                                      "--time-limit", Self.timeLimit, exe, "--"] + Self.arguments,
                                     environment: Self.environment, stdin: Self.stdin)
                #expect(r.status == native.status, "\(v) under \(mode), \(engine): exit status \(r.status); stderr: \(r.stderr.suffix(2000))")
                #expect(r.stdout == native.stdout, "\(v) under \(mode), \(engine): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(r.stdout)")
                // The guest's counts; the translate engine's own "translator: ..." clause is not one.
                let summary = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
                summaries.append(summary.replacing(#/; translator: [^;]*/#, with: ""))
            }
            #expect(summaries[0].contains("pread64"), "\(v) under \(mode): no pread64 host call in the summary: \(summaries[0])")
            #expect(summaries[0] == summaries[1], "\(v) under \(mode): counts differ\ninterpret: \(summaries[0])\ntranslate: \(summaries[1])")
        }
    }
}
