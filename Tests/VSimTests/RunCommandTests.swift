import Foundation
import Testing

/// `vsim run`: exit statuses and diagnostics from docs/dev/contracts.md, through the built binary.
@Suite(.serialized) struct RunCommandTests {
    @Test func guestStatusAndOutputPassThrough() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("""
                .globl _start
            _start:
                movl $4, %eax
                movl $1, %ebx
                movl $msg, %ecx
                movl $3, %edx
                int $0x80
                movl $1, %eax
                movl $42, %ebx
                int $0x80
                .data
            msg: .ascii "hi\\n"
            """, name: "hi.s", in: dir)
        for mode in ["interpret", "native"] {
            let r = try CLI.vsim(["run", "--mode", mode, src])
            #expect(r.status == 42, "\(mode): \(r.stderr)")
            #expect(r.stdout == "hi\n")
            #expect(r.stderr == "")
        }
    }

    @Test func initialStackMatchesTheHostRun() throws {
        let dir = try CLI.temporaryDirectory()
        let exe = try CLI.build(CLI.printArgsSource, name: "args", in: dir)
        let env = ["A": "1", "B": "two words"]
        let interpreted = try CLI.vsim(["run", exe, "--", "x", "y z"], environment: env)
        let native = try CLI.vsim(["run", "--mode", "native", exe, "--", "x", "y z"], environment: env)
        let host = try CLI.run(exe, ["x", "y z"], environment: env)
        #expect(interpreted.status == 0 && native.status == 0)
        #expect(interpreted.stdout == host.stdout)
        #expect(native.stdout == host.stdout)
        #expect(host.stdout.hasPrefix("3\n\(exe)\nx\ny z\n"))
        #expect(host.stdout.contains("A=1\n") && host.stdout.contains("B=two words\n"))
    }

    @Test func missingFileIs66() throws {
        let r = try CLI.vsim(["run", "/nonexistent/prog"])
        #expect(r.status == 66)
        #expect(r.stderr.hasPrefix("vsim: error: /nonexistent/prog: no such file"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// A TMPDIR where no file can be made is the environment's fault, said as such: 73
    /// (EX_CANTCREAT, "an output file cannot be created", docs/exit-status.md), not 70, which the
    /// table keeps for vsim's own bugs. A `.s` program needs temporary files (the captured
    /// `as --version` that keys the cache).
    @Test func unwritableTMPDIRIs73() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = dir + "/missing"
        env["XDG_CACHE_HOME"] = dir + "/cache"
        let r = try CLI.vsim(["run", CLI.packageRoot + "/programs/hello.s"], environment: env)
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("vsim: error: cannot create a temporary file in \(dir)/missing: No such file or directory; set TMPDIR"), "\(r.stderr)")
    }

    @Test func notAnELFIs65() throws {
        let dir = try CLI.temporaryDirectory()
        let path = try CLI.write("just text\n", name: "notes.txt", in: dir)
        let r = try CLI.vsim(["run", path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("not an ELF file"))
    }

    @Test func truncatedELFIs65() throws {
        let dir = try CLI.temporaryDirectory()
        let exe = try CLI.build(CLI.printArgsSource, name: "args", in: dir)
        let data = try Data(contentsOf: URL(fileURLWithPath: exe))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/cut"))
        let r = try CLI.vsim(["run", dir + "/cut"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("truncated"))
    }

    @Test func x86_64Is65() throws {
        let dir = try CLI.temporaryDirectory()
        let exe = try CLI.build("    .globl _start\n_start:\n    movq $60, %rax\n    syscall\n", name: "x64", in: dir, bits64: true)
        let r = try CLI.vsim(["run", exe])
        #expect(r.status == 65)
        #expect(r.stderr.contains("x86-64") && r.stderr.contains("as --32"))
    }

    @Test func pieIs65() throws {
        let dir = try CLI.temporaryDirectory()
        let exe = try CLI.build("    .globl _start\n_start:\n    movl $1, %eax\n    int $0x80\n", name: "pie", in: dir, ldFlags: ["-pie", "--no-dynamic-linker"])
        let r = try CLI.vsim(["run", exe])
        #expect(r.status == 65)
        #expect(r.stderr.contains("ET_DYN"))
    }

    @Test func entryOutsideSegmentsIs65() throws {
        let dir = try CLI.temporaryDirectory()
        let exe = try CLI.build("    .globl _start\n_start:\n    movl $1, %eax\n    int $0x80\n", name: "entry", in: dir,
                                ldFlags: ["-e", "0x12345678"])
        let r = try CLI.vsim(["run", exe])
        #expect(r.status == 65)
        #expect(r.stderr.contains("0x12345678"))
    }

    @Test func neverHaltingGuestIs152() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    jmp .\n", name: "spin.s", in: dir)
        let r = try CLI.vsim(["run", src, "--max-instructions", "10000"])
        #expect(r.status == 152)
        #expect(r.stderr.contains("--max-instructions") && r.stderr.contains("SIGXCPU"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func hostTimeLimitIs152() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    jmp .\n", name: "spin.s", in: dir)
        for mode in ["interpret", "native"] {
            let r = try CLI.vsim(["run", "--mode", mode, src, "--time-limit", "0.3"])
            #expect(r.status == 152, "\(mode): \(r.stderr)")
            #expect(r.stderr.contains("time limit"))
        }
    }

    @Test func outOfSubsetInstructionIsSIGILL() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    addps %xmm1,%xmm0\n", name: "sse.s", in: dir)
        let r = try CLI.vsim(["run", src])
        #expect(r.status == 132)
        #expect(r.stderr.contains("outside the vsim subset"))
        #expect(r.stderr.contains("#UD") && r.stderr.contains("0f 58 c1") && r.stderr.hasSuffix("SIGILL\n"))
    }

    @Test func divideErrorDiagnostic() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    xorl %ebx, %ebx\n    divl %ebx\n", name: "de.s", in: dir)
        let r = try CLI.vsim(["run", src])
        #expect(r.status == 136)
        #expect(r.stderr == "vsim: guest fault #DE (divide error) at 0x08049002: f7 f3  div    %ebx -> SIGFPE\n")
        let native = try CLI.vsim(["run", "--mode", "native", src])
        #expect(native.status == 136)
    }

    @Test func assemblerErrorsAre69WithAsMessages() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    bogus %eax\n", name: "bad.s", in: dir)
        let r = try CLI.vsim(["run", src])
        #expect(r.status == 69)
        #expect(r.stderr.hasPrefix("vsim: error: building"))
        #expect(r.stderr.contains("no such instruction"))
    }

    @Test func preprocessedSources() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("#define STATUS 5\n    .globl _start\n_start:\n    movl $1, %eax\n    movl $STATUS, %ebx\n    int $0x80\n",
                                name: "pp.S", in: dir)
        let r = try CLI.vsim(["run", src])
        #expect(r.status == 5, "\(r.stderr)")
    }

    @Test func usageErrorsAre64() throws {
        #expect(try CLI.vsim(["run", "--mode", "warp", "x"]).status == 64)
        #expect(try CLI.vsim(["run", "--bogus"]).status == 64)
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    movl $1, %eax\n    int $0x80\n", name: "e.s", in: dir)
        let r = try CLI.vsim(["run", "--mode", "native", "--trace", "syscalls", src])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: --trace syscalls needs --mode interpret"), "\(r.stderr)")
    }

    @Test func syscallTrace() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("""
                .globl _start
            _start:
                movl $4, %eax
                movl $1, %ebx
                movl $msg, %ecx
                movl $6, %edx
                int $0x80
                movl $999, %eax
                int $0x80
                movl $1, %eax
                movl $0, %ebx
                int $0x80
                .data
            msg: .ascii "hello\\n"
            """, name: "t.s", in: dir)
        let r = try CLI.vsim(["run", "--trace", "syscalls", src])
        #expect(r.status == 0)
        #expect(r.stdout == "hello\n")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "write(1, \"hello\\n\", 6) = 6")
        #expect(lines.contains { $0.hasPrefix("syscall_999(") && $0.hasSuffix(") = -38 ENOSYS (unknown to vsim)") })
        #expect(lines.contains("exit(0) = ?"))
    }

    @Test func instructionTrace() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("    .globl _start\n_start:\n    movl $1, %eax\n    xorl %ebx, %ebx\n    int $0x80\n", name: "i.s", in: dir)
        let r = try CLI.vsim(["run", "--trace", "insns", src])
        #expect(r.status == 0)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("08049000: b8 01 00 00 00") == true)
        #expect(lines.first?.hasSuffix("mov    $0x1,%eax") == true)
    }

    @Test func helpDocumentsExitStatuses() throws {
        let r = try CLI.vsim(["--help"])
        #expect(r.status == 0)
        for text in ["152", "64", "65", "66", "69", "70", "128+signal"] { #expect(r.stdout.contains(text)) }
    }

    /// Foundation stays off `vsim`'s start path (docs/performance.md, "Start-up, third round"):
    /// every start walks all of the executable's protocol-conformance records, and Foundation
    /// brings about 1,800 (a Foundation `Thread` in one file once made `vsim --version` 34%
    /// slower). The oracle is the dynamic section of the test build's `vsim` (`readelf -d`):
    /// FoundationEssentials, which swift-argument-parser imports, is allowed; Foundation and its
    /// ICU-backed internationalization library are not.
    @Test func vsimDoesNotLinkFoundation() throws {
        let r = try CLI.run("readelf", ["-d", CLI.vsimPath])
        guard r.status == 0 else {
            print("skipped: readelf -d \(CLI.vsimPath) failed (GNU binutils needed): \(r.stderr)")
            return
        }
        let needed = r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        guard needed.contains(where: { $0.contains("libswiftCore.so") }) else {
            print("skipped: \(CLI.vsimPath) links the Swift libraries statically (scripts/build): no NEEDED entry to read")
            return
        }
        #expect(needed.contains(where: { $0.contains("libFoundationEssentials.so") }))
        #expect(!needed.contains(where: { $0.contains("[libFoundation.so]") || $0.contains("libFoundationInternationalization") }),
                "vsim links Foundation: \(needed.joined(separator: "; "))")
    }
}
