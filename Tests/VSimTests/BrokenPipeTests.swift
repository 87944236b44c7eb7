import Foundation
import Testing

/// SIGPIPE and vsim's own process (docs/exit-status.md, 141). Every process here starts through
/// `env --default-signal=PIPE`, so it begins with SIGPIPE's default action whatever this test
/// process does with it (an ignored disposition survives exec, and some tests here ignore it).
///
/// - A guest that runs in vsim's process (interpret, translate) and writes to a pipe of its own
///   whose reader it closed (KernelPrograms/sigpipe.c, glibc and musl) gets the output and status
///   the same program gets natively (the host is the oracle): before, the host's SIGPIPE ended
///   vsim itself with 141 before vsim could give the guest its signal, so the handler, SIG_IGN
///   and blocked cases died where natively they print their lines and exit 0.
/// - vsim's own output to a pipe without a reader (`vsim compare | head -1` once `head` has gone)
///   ends vsim with exit status 141, as SIGPIPE ends a native writer (an exit, not a death by the
///   signal: vsim ignores SIGPIPE), with no process left behind; a `--trace` whose reader has gone
///   stops the run there, where a run that only dropped the trace would never end. The pipes are
///   made with their read end closed before vsim starts, so the first write finds no reader.
@Suite struct BrokenPipeTests {
    struct Ended { var signalled: Bool; var status: Int32; var stdout: String; var stderr: String }

    /// Runs `argv` with SIGPIPE's default action, stdin from /dev/null; `readerGone` (1 or 2)
    /// names the descriptor that is a pipe whose reader has gone; the others go to files.
    static func run(_ argv: [String], readerGone: Int32? = nil, in dir: String) throws -> Ended {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=PIPE"] + argv
        let outPath = dir + "/out-\(UUID().uuidString)", errPath = dir + "/err-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer { try? out.close(); try? err.close() }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        close(fds[0])       // no reader from the start
        let orphan = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = readerGone == 1 ? orphan : out
        p.standardError = readerGone == 2 ? orphan : err
        try p.run()
        try orphan.close()
        p.waitUntilExit()
        let text = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        let signalled = p.terminationReason == .uncaughtSignal
        return Ended(signalled: signalled, status: signalled ? 128 + p.terminationStatus : p.terminationStatus,
                     stdout: text(outPath), stderr: text(errPath))
    }

    /// Processes other than this one whose command line contains `text`.
    static func processesMentioning(_ text: String) -> [String] {
        let me = String(getpid())
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) && $0 != me }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(text) ? "\(pid): \(line)" : nil
        }
    }

    /// sigpipe.c built static for i386 with each C library the host has.
    static func builtSigpipe(in dir: String) throws -> [String] {
        var built: [String] = []
        for libc in CProgramsTests.libcs {
            let exe = dir + "/sigpipe-\(libc)"
            var command = CProgramsTests.compiler + ["-static", "-O2", "-o", exe,
                                                     ProgramsHarness.repositoryRoot + "/Tests/VSimTests/KernelPrograms/sigpipe.c"]
            if libc == "musl" { command += ["-specs", CProgramsTests.muslSpecs, "-Wl,-melf_i386"] }
            let r = try CLI.run("/usr/bin/env", command)
            try #require(r.status == 0, "\(libc): cannot build a static i386 C program: \(r.stderr)")
            built.append(exe)
        }
        return built
    }

    @Test(.enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static libc (scripts/setup) and a host that runs i386 programs"),
          arguments: ["interpret", "translate"])
    func guestsOwnBrokenPipeMatchesTheNativeRun(_ engine: String) throws {
        let dir = try CLI.temporaryDirectory()
        for exe in try Self.builtSigpipe(in: dir) {
            for mode in ["default", "handler", "ignore", "blocked"] {
                let native = try Self.run([exe, mode], in: dir)
                // The oracle's own shape (sigpipe.c's header): a sanity check of the host run.
                #expect(native.status == (mode == "default" ? 141 : 0), "\(exe) \(mode): \(native)")
                let vsim = try Self.run([CLI.vsimPath, "run", "--mode", engine, exe, "--", mode], in: dir)
                #expect(!vsim.signalled, "\(exe) \(mode): vsim itself was killed by a signal: \(vsim)")
                #expect(vsim.status == native.status, "\(exe) \(mode): \(vsim.stderr)")
                #expect(vsim.stdout == native.stdout, "\(exe) \(mode)")
            }
        }
    }

    @Test func ownOutputToAGoneReaderExits141() throws {
        let dir = try CLI.temporaryDirectory()
        let prog = try CLI.build("    .globl _start\n_start:\n    movl $1, %eax\n    xorl %ebx, %ebx\n    int $0x80\n",
                                 name: "exit0", in: dir)
        let commands: [[String]] = [
            ["--help"],                     // swift-argument-parser's print, flushed at exit
            ["disasm", prog],
            ["compare", "--modes", "interpret,native", "--runs", "1", "--warmup", "0", prog],
        ]
        for args in commands {
            let r = try Self.run([CLI.vsimPath] + args, readerGone: 1, in: dir)
            #expect(!r.signalled && r.status == 141, "vsim \(args.joined(separator: " ")): \(r)")
            #expect(r.stderr == "", "vsim \(args.joined(separator: " "))")
        }
        #expect(Self.processesMentioning(dir).isEmpty, "\(Self.processesMentioning(dir))")
    }

    /// A trace read by a reader that has gone (`vsim run --trace insns PROG 2>&1 | head`): the
    /// guest loops for ever, so only a stop at the failed write ends the run.
    @Test(arguments: ["insns", "syscalls"])
    func traceToAGoneReaderStopsTheRun(_ kind: String) throws {
        let dir = try CLI.temporaryDirectory()
        let loop = kind == "insns"
            ? "    .globl _start\n_start:\n    jmp _start\n"
            : "    .globl _start\n_start:\n    movl $20, %eax\n    int $0x80\n    jmp _start\n"      // getpid
        let prog = try CLI.build(loop, name: "loop-\(kind)", in: dir)
        let r = try Self.run([CLI.vsimPath, "run", "--trace", kind, prog], readerGone: 2, in: dir)
        #expect(!r.signalled && r.status == 141, "\(r)")
        #expect(Self.processesMentioning(dir).isEmpty, "\(Self.processesMentioning(dir))")
    }
}
