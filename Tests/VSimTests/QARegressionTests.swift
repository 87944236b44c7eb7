import Foundation
import Testing
@testable import VSim

/// Regressions for the findings of the first-user QA pass on issue 2 (B-numbers of its report).
/// Every expected value comes from outside vsim: the host CPU running the same i386 ELF, GNU
/// objdump, or Linux's documented behaviour.
@Suite(.serialized) struct QARegressionTests {
    /// `exe args...` run natively through the shell, whose `$?` is 128+signal for a signal, as
    /// vsim's own status is.
    static func native(_ exe: String, _ args: [String] = [], stdin: String = "") throws -> CLI.Output {
        try CLI.run("sh", ["-c", "\"$0\" \"$@\"; exit $?", exe] + args, stdin: stdin)
    }

    static let exit7 = "    movl $1, %eax\n    movl $7, %ebx\n    int $0x80\n"

    /// B8: an instruction longer than 15 bytes raises #GP(0) (Intel SDM Vol. 2A 2.3.11), which
    /// Linux delivers as SIGSEGV.
    @Test func instructionLongerThan15BytesIsSIGSEGV() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("    .globl _start\n_start:\n    .fill 15,1,0x26\n    nop\n" + QARegressionTests.exit7,
                                name: "long", in: dir)
        let host = try QARegressionTests.native(exe)
        let ours = try CLI.vsim(["run", exe])
        #expect(host.status == 139)
        #expect(ours.status == host.status, "\(ours.stderr)")
        #expect(ours.stderr.contains("#GP(0x0)") && ours.stderr.contains("longer than 15 bytes") && ours.stderr.hasSuffix("SIGSEGV\n"))
    }

    /// B15: PAUSE (F3 90) is a NOP with a spin-loop hint (Intel SDM Vol. 2B): it runs, and
    /// `vsim disasm` prints it as objdump does.
    @Test func pauseRunsAsNop() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("    .globl _start\n_start:\n    pause\n    .byte 0x66, 0xf3, 0x90\n    .byte 0xf2, 0xf3, 0x90\n"
                                + QARegressionTests.exit7, name: "pause", in: dir)
        let host = try QARegressionTests.native(exe)
        #expect(host.status == 7)
        #expect(try CLI.vsim(["run", exe]).status == host.status)
        for syntax in [[String](), ["-M", "intel"]] {
            let ours = try CLI.vsim(["disasm", exe] + (syntax.isEmpty ? [] : ["--syntax", "intel"])).stdout
            let theirs = try CLI.run("objdump", ["-d"] + syntax + [exe]).stdout
            #expect(ours.split(separator: "\n").dropFirst(2) == theirs.split(separator: "\n").dropFirst(2), "\(syntax)")
        }
    }

    /// B1: the host time limit holds while an interpreted guest waits in read() on a descriptor
    /// that never becomes readable, or in write() on one that never drains, as a native run
    /// killed at the limit (152) does.
    @Test func timeLimitHoldsWhileTheGuestBlocks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let cat = CLI.packageRoot + "/programs/cat.s"
        let yes = try CLI.write("""
                .globl _start
            _start:
            1:  movl $4, %eax
                movl $1, %ebx
                movl $buf, %ecx
                movl $4096, %edx
                int $0x80
                jmp 1b
                .bss
            buf: .skip 4096
            """, name: "yes.s", in: dir)
        // fd 3: a FIFO opened read-write that nobody writes (read blocks, no EOF); fd 4: one that
        // nobody reads (writes block once the pipe buffer is full). `timeout` ends a run that
        // ignores the limit (status 137).
        let script = """
            mkfifo "$2/in" "$2/out"; exec 3<>"$2/in" 4<>"$2/out"
            timeout -s KILL 10 "$0" run --mode "$1" --time-limit 0.5 "$3" <&3 >/dev/null; echo "read $?"
            timeout -s KILL 10 "$0" run --mode "$1" --time-limit 0.5 "$4" >&4; echo "write $?"
            """
        for mode in ["native", "interpret", "translate"] {
            // 152 is vsim's own limit; a run that ignored it would be killed by `timeout` (137).
            let r = try CLI.run("sh", ["-c", script, CLI.vsimPath, mode, dir, cat, yes])
            #expect(r.stdout == "read 152\nwrite 152\n", "\(mode): \(r.stdout) \(r.stderr)")
            if mode != "native" { #expect(r.stderr.contains("time limit") && r.stderr.contains("int    $0x80"), "\(mode): \(r.stderr)") }
        }
    }

    /// B13: write() and writev() from a buffer that runs into an unmapped page behave as natively:
    /// the host kernel sees the same hole, so a regular file takes the mapped part (the call
    /// returns its length) and a pipe refuses the call with -EFAULT (Linux 6.1 here).
    @Test func writeOfAPartlyUnmappedBufferActsAsNatively() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        // buf is the last page of .bss, so the page after it is unmapped (natively too: the
        // heap is empty). The exit status is the sum of the three return values (low byte).
        let exe = try CLI.build("""
                .globl _start
            _start:
                movl $0x43424100, buf+4092
                movl $4, %eax
                movl $1, %ebx
                movl $buf+4093, %ecx
                movl $10, %edx
                int $0x80
                movl %eax, %esi
                movl $146, %eax
                movl $1, %ebx
                movl $iov, %ecx
                movl $2, %edx
                int $0x80
                addl %eax, %esi
                movl $4, %eax
                movl $1, %ebx
                movl $buf+4096, %ecx
                movl $1, %edx
                int $0x80
                addl %eax, %esi
                movl $1, %eax
                movl %esi, %ebx
                int $0x80
                .data
            msg: .ascii "xy"
            iov: .long msg, 2, buf+4094, 8
                .bss
                .balign 4096
            buf: .skip 4096
            """, name: "partial", in: dir)
        // stdout a pipe (the test's), then a regular file.
        let toFile = "\"$@\" > \"$0/out\"; echo $?; cat \"$0/out\""
        let host = try QARegressionTests.native(exe)
        let hostFile = try CLI.run("sh", ["-c", toFile, dir, exe])
        #expect(hostFile.stdout.hasSuffix("\nABCxyBC"), "\(hostFile)")   // 3 + 4 bytes before the hole
        for mode in ["interpret", "translate"] {
            let ours = try CLI.vsim(["run", "--mode", mode, exe])
            #expect(ours.stdout == host.stdout && ours.status == host.status, "\(mode): \(ours) vs \(host)")
            let ourFile = try CLI.run("sh", ["-c", toFile, dir, CLI.vsimPath, "run", "--mode", mode, exe])
            #expect(ourFile.stdout == hostFile.stdout, "\(mode): \(ourFile) vs \(hostFile)")
        }
    }

    /// B3: PROG must be a regular file no larger than 256 MiB, checked before anything is read
    /// (docs/exit-status.md: 66 for a file vsim cannot read as a program, 65 for malformed input).
    @Test func nonRegularOrHugeProgramIsRefusedAtOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let fifo = dir + "/fifo", fifoSource = dir + "/p.s", sparse = dir + "/sparse"
        #expect(try CLI.run("mkfifo", [fifo, fifoSource]).status == 0)
        #expect(try CLI.run("truncate", ["-s", "10G", sparse]).status == 0)
        let cases: [(String, Int32, String)] = [
            ("/dev/zero", 66, "character device"), (dir, 66, "directory"), (fifo, 66, "FIFO"),
            (fifoSource, 66, "FIFO"), (sparse, 65, "more than the 256 MiB"),
        ]
        for (path, status, text) in cases {
            for command in ["run", "disasm"] {
                // A read that blocked or ran on would end in `timeout`'s SIGKILL (137), not 65/66.
                let r = try CLI.run("timeout", ["-s", "KILL", "20", CLI.vsimPath, command, path])
                #expect(r.status == status && r.stderr.contains(text), "\(command) \(path): \(r.status) \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1)
            }
        }
    }

    /// vsim's environment without HOME and XDG_CACHE_HOME, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = nil
        env["XDG_CACHE_HOME"] = nil
        return env.merging(extra) { $1 }
    }

    static let hello = """
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

    /// B4, B10: without HOME the cache is $TMPDIR/vsim-cache-UID; vsim creates it 0700 and refuses
    /// one that another user owns or that group/others may write (ssh's and the XDG base
    /// directory rules), and a cache it cannot create, with the documented status 73.
    @Test func cacheDirectoryMustBePrivate() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let src = try CLI.write(QARegressionTests.hello, name: "hello.s", in: dir)
        let tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let env = QARegressionTests.environment(["TMPDIR": tmp])
        let cache = tmp + "/vsim-cache-\(getuid())"

        // Planted by someone else: world-writable, then owned by another uid.
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: false)
        chmod(cache, 0o777)
        var r = try CLI.vsim(["run", src], environment: env)
        #expect(r.status == 73 && r.stderr.contains("writable by group or others") && r.stdout.isEmpty, "\(r)")
        if getuid() == 0 {
            chmod(cache, 0o700)
            chown(cache, 65534, 65534)
            r = try CLI.vsim(["run", src], environment: env)
            #expect(r.status == 73 && r.stderr.contains("belongs to uid 65534"), "\(r)")
        }
        // Created by vsim: mode 0700, owned by the user.
        try FileManager.default.removeItem(atPath: cache)
        r = try CLI.vsim(["run", src], environment: env)
        #expect(r.status == 0 && r.stdout == "hi\n", "\(r)")
        var st = stat()
        #expect(stat(cache, &st) == 0 && st.st_mode & 0o777 == 0o700 && st.st_uid == getuid())

        // B10: a cache that cannot be created is an environment problem (73), not a bug (70).
        r = try CLI.vsim(["run", src], environment: QARegressionTests.environment(["XDG_CACHE_HOME": "/proc"]))
        #expect(r.status == 73 && r.stderr.contains("XDG_CACHE_HOME"), "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// Without HOME and XDG_CACHE_HOME the cache lies in $TMPDIR, but vsim creates no missing
    /// TMPDIR (`strace -f -e mkdir` showed `mkdir("/nonexistent", 0700) = 0` for
    /// `TMPDIR=/nonexistent vsim run hello.s`): it stops with 73, EX_CANTCREAT, which
    /// docs/exit-status.md gives a temporary directory it cannot use, naming TMPDIR, and the
    /// directory is still missing afterwards. With that directory made, the same run prints hi.
    @Test func aMissingTMPDIRIsRefusedNotCreated() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let src = try CLI.write(QARegressionTests.hello, name: "hello.s", in: dir)
        let missing = dir + "/nonexistent"
        var r = try CLI.vsim(["run", src], environment: QARegressionTests.environment(["TMPDIR": missing]))
        #expect(r.status == 73 && r.stderr.contains(missing) && r.stderr.contains("TMPDIR") && r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: missing), "vsim created the missing TMPDIR \(missing)")
        // A trailing slash names the same directory.
        r = try CLI.vsim(["run", src], environment: QARegressionTests.environment(["TMPDIR": missing + "/"]))
        #expect(r.status == 73 && !FileManager.default.fileExists(atPath: missing), "\(r)")
        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: false)
        r = try CLI.vsim(["run", src], environment: QARegressionTests.environment(["TMPDIR": missing + "/"]))
        #expect(r.status == 0 && r.stdout == "hi\n", "\(r)")
    }

    /// B5: a source that pulls in other files with .include/.incbin is rebuilt when they change;
    /// the expected output is what `as --32` + `ld` + the host print for the same files.
    @Test func includedFilesArePartOfTheCacheKey() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let env = QARegressionTests.environment(["XDG_CACHE_HOME": dir + "/cache"])
        _ = try CLI.write("""
                .include "m.inc"
                .globl _start
            _start:
                movl $4, %eax
                movl $1, %ebx
                movl $msg, %ecx
                movl $len, %edx
                int $0x80
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
                .data
            msg: MSG
                .incbin "tail.bin"
                .set len, . - msg
            """, name: "p.s", in: dir)
        let native = "cd \"$0\" && as --32 -o n.o p.s && ld -m elf_i386 -o n n.o && ./n"
        let ours = "cd \"$0\" && \"$1\" run p.s"
        for (macro, tail) in [("one", "1"), ("two", "1"), ("two", "2")] {
            _ = try CLI.write(".macro MSG\n.ascii \"\(macro) \"\n.endm\n", name: "m.inc", in: dir)
            _ = try CLI.write(tail + "\n", name: "tail.bin", in: dir)
            let host = try CLI.run("sh", ["-c", native, dir])
            #expect(host.stdout == "\(macro) \(tail)\n", "\(host)")
            let r = try CLI.run("sh", ["-c", ours, dir, CLI.vsimPath], environment: env)
            #expect(r.status == 0 && r.stdout == host.stdout, "\(macro) \(tail): \(r)")
        }
    }

    /// B20: a cached program that no longer loads (emptied, cut short) is built again.
    @Test func damagedCacheEntryIsRebuilt() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let cache = dir + "/cache"
        let env = QARegressionTests.environment(["XDG_CACHE_HOME": cache])
        let src = try CLI.write(QARegressionTests.hello, name: "hello.s", in: dir)
        #expect(try CLI.vsim(["run", src], environment: env).stdout == "hi\n")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/vsim").filter { $0.hasPrefix("hello-") }
        #expect(entries.count == 1)
        for size in [0, 100] {
            #expect(truncate(cache + "/vsim/" + entries[0], off_t(size)) == 0)
            let r = try CLI.vsim(["run", src], environment: env)
            #expect(r.status == 0 && r.stdout == "hi\n", "\(size): \(r)")
        }
    }

    /// The peak RSS of `vsim args...` itself, bytes: python3 runs it as its only child and reads
    /// that child's `ru_maxrss` (so nothing else this test process ran counts).
    static func peakRSS(ofVsim args: [String], environment: [String: String]) throws -> Int {
        let script = "import resource, subprocess, sys\n"
            + "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            + "sys.stderr.write(r.stderr.decode(errors='replace'))\n"
            + "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        let r = try CLI.run("python3", ["-c", script, CLI.vsimPath] + args, environment: environment)
        let fields = r.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(fields.count == 2 && fields[0] == 0, "vsim \(args): \(r.stdout) \(r.stderr)")
        return (fields.last ?? 0) * 1024
    }

    /// B2: compare streams each run's output into a size and SHA-256 instead of keeping it. The
    /// same compare of a program that writes 1 MiB and of one that writes 128 MiB (per run, 2
    /// runs each) differ in vsim's peak RSS by far less than one copy of the larger output: a
    /// baseline measured in the same test, so the bound holds on any machine.
    @Test func compareDoesNotKeepTheOutput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        func source(chunks: Int) -> String {
            """
                .globl _start
            _start:
                movl $\(chunks), %esi
            1:  movl $4, %eax
                movl $1, %ebx
                movl $buf, %ecx
                movl $0x100000, %edx
                int $0x80
                decl %esi
                jnz 1b
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
                .bss
            buf: .skip 0x100000
            """
        }
        let small = try CLI.write(source(chunks: 1), name: "small.s", in: dir)
        let big = try CLI.write(source(chunks: 128), name: "big.s", in: dir)
        let tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = tmp
        let options = ["--runs", "2", "--warmup", "0", "--format", "json"]
        let baseline = try QARegressionTests.peakRSS(ofVsim: ["compare", small] + options, environment: env)
        let peak = try QARegressionTests.peakRSS(ofVsim: ["compare", big] + options, environment: env)
        #expect(baseline > 0 && peak - baseline < 32 << 20,
                "peak RSS \(peak) bytes writing 128 MiB per run, \(baseline) writing 1 MiB")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// B11: every compare run reads the same stdin (vsim's, read once); the program exits with the
    /// number of bytes it read, which the host run of the same ELF gives as the oracle.
    @Test func compareReplaysStdinToEveryRun() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("""
                .globl _start
            _start:
                xorl %esi, %esi
            1:  movl $3, %eax
                xorl %ebx, %ebx
                movl $buf, %ecx
                movl $7, %edx
                int $0x80
                addl %eax, %esi
                testl %eax, %eax
                jg 1b
                movl $1, %eax
                movl %esi, %ebx
                int $0x80
                .bss
            buf: .skip 16
            """, name: "count", in: dir)
        let text = "seventeen bytes!\n" + "and more: 42\n"
        let host = try QARegressionTests.native(exe, stdin: text)
        #expect(host.status == Int32(text.utf8.count))
        let r = try CLI.vsim(["compare", exe, "--runs", "2", "--format", "json"], stdin: text)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        for result in json["results"] as! [[String: Any]] {
            #expect(result["exit_codes"] as! [Int] == [Int(host.status), Int(host.status)], "\(result["mode"]!)")
        }
    }

    /// B12: when the runs disagree (interpret stopped by --max-instructions, native ran to the
    /// end), the table shows no copied instruction count, no MIPS for the modes involved and no
    /// slowdown, and marks those rows.
    @Test func disagreeingRunsShowNoRatios() throws {
        let sumsq = CLI.packageRoot + "/programs/sumsq.s"
        let args = ["compare", sumsq, "--runs", "1", "--max-instructions", "1000"]
        let table = try CLI.vsim(args + ["--", "100000"])
        #expect(table.status == 1)
        #expect(!table.stdout.contains("1,000*") && !table.stdout.contains("1.00x"), "\(table.stdout)")
        #expect(table.stdout.contains("interpret !") && table.stdout.contains("native !"))
        #expect(table.stdout.contains("MISMATCH") && table.stdout.contains("no slowdowns"))
        let json = try CLI.vsim(args + ["--format", "json", "--", "100000"])
        let results = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any])["results"] as! [[String: Any]]
        for result in results {
            #expect(result["disagrees"] as! Bool == true)
            // Unknown values are left out (the JSON holds no null).
            #expect(result["slowdown"] == nil && result["mips"] == nil)
        }
        #expect(results[1]["instructions"] == nil)
    }

    /// B2: the streamed summary of an output is its true size, SHA-256 (`sha256sum`'s) and prefix.
    @Test func streamedOutputMatchesSha256sum() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        var bytes = [UInt8](repeating: 0, count: (3 << 20) + 5)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/data"))
        let output = try StreamedOutput()
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(output.writeDescriptor, $0.baseAddress! + done, $0.count - done) }
            #expect(n > 0)
            if n <= 0 { break }
            done += n
        }
        let summary = output.finish()
        let expected = String(try CLI.run("sha256sum", [dir + "/data"]).stdout.prefix(64))
        #expect(summary.size == UInt64(bytes.count) && summary.sha256 == expected)
        #expect(summary.prefix == Array(bytes.prefix(StreamedOutput.prefixLimit)))
    }

    /// B6: the interpret row's max RSS is that run's own peak, not the peak of whatever exec'd
    /// vsim: started from a process that touched 300 MiB, it stays near what `/usr/bin/time`
    /// measures for a fresh `vsim run` of the same program (its ru_maxrss, in KiB).
    @Test func interpretMaxRSSIsTheRunsOwn() throws {
        let hello = CLI.packageRoot + "/programs/hello.s"
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else { return }
        let timed = try CLI.run("/usr/bin/time", ["-f", "%M", CLI.vsimPath, "run", hello])
        let fresh = try #require(Int(timed.stderr.split(separator: "\n").last.map(String.init) ?? "")) * 1024
        let script = """
            import os, sys
            x = bytearray(300 << 20)
            x[::4096] = b"\\1" * len(x[::4096])
            os.execv(sys.argv[1], ["vsim", "compare", sys.argv[2], "--runs", "2", "--format", "json"])
            """
        let r = try CLI.run("python3", ["-c", script, CLI.vsimPath, hello])
        #expect(r.status == 0, "\(r.stderr)")
        let results = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["results"] as! [[String: Any]]
        let interpret = try #require(results.first { $0["mode"] as? String == "interpret" })
        let rss = try #require(interpret["max_rss_bytes"] as? Int)
        #expect(rss > 1 << 20 && rss < fresh * 3 / 2 + (8 << 20), "interpret \(rss) bytes; a fresh vsim run peaks at \(fresh)")
        let native = try #require(results.first { $0["mode"] as? String == "native" })
        #expect(native["max_rss_bytes"] == nil)
    }

    /// B17: a truncated ELF names where the cut-off part ends and how long the file is. The
    /// expected numbers: the ELF header is 52 bytes, three 32-byte program headers follow it
    /// (`readelf -h`: e_phoff 52, e_phnum 3 as GNU ld 2.40 links a program with .text and .data),
    /// so the table ends at byte 52 + 96 = 148.
    @Test func truncatedELFMessageSaysWhereThePartEnds() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build(QARegressionTests.hello, name: "hello", in: dir)
        let header = try CLI.run("readelf", ["-h", exe]).stdout
        #expect(header.contains("Start of program headers:          52 (bytes into file)"))
        #expect(header.contains("Number of program headers:         3"))
        let data = try Data(contentsOf: URL(fileURLWithPath: exe))
        try data.prefix(100).write(to: URL(fileURLWithPath: dir + "/cut"))
        let r = try CLI.vsim(["run", dir + "/cut"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("(96 bytes from offset 52) ends at byte 148 but the file has 100 bytes"), "\(r.stderr)")
    }

    /// qa4: a VSIM_KERNEL_SOURCE that names no file is exit 66 (docs/exit-status.md: a file that
    /// does not exist or cannot be read) with strerror's words, not Swift's debug text of the error.
    @Test func missingKernelSourceIsExplained() throws {
        let missing = "/nonexistent-\(getpid())/kernel.s"
        let r = try CLI.vsim(["run", "--mode", "pv", CLI.packageRoot + "/programs/hello.s"], environment: ProcessInfo.processInfo.environment.merging(["VSIM_KERNEL_SOURCE": missing]) { $1 })
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("\(missing): cannot be read (No such file or directory (ENOENT); VSIM_KERNEL_SOURCE names it"), "\(r.stderr)")
        #expect(!r.stderr.contains("ReadError"), "\(r.stderr)")
    }

    /// QA round 8: `vsim nanobench --iterations N` past what the benchmarks can count (they read
    /// their count as 32 bits, programs/nanobench/*.s, and vsim runs 2N) is a usage error (64)
    /// at once, where 9223372036854775807 ran a minute and 99999999999 ended as an "internal
    /// error" (70).
    @Test func nanobenchIterationsBounded() throws {
        for n in ["1073741825", "99999999999", "9223372036854775807", "0"] {
            let r = try CLI.vsim(["nanobench", "--iterations", n])
            #expect(r.status == 64, "\(n): \(r.stderr)")
            #expect(r.stderr.contains("--iterations must be from 1 to 1073741824 (got \(n))"), "\(r.stderr)")
        }
    }

    /// QA round 8: `vsim translate --count 0` showed one block and `--show ''` printed nothing
    /// and exited 0; both are usage errors (64, docs/exit-status.md), and `--count 1` still
    /// shows exactly one block (one "IN:" header, qemu -d in_asm's layout).
    @Test func translateCountAndShowBounded() throws {
        let hello = CLI.packageRoot + "/programs/hello.s"
        let zero = try CLI.vsim(["translate", hello, "--count", "0"])
        #expect(zero.status == 64 && zero.stderr.contains("--count must be at least 1 (got 0)"), "\(zero.stderr)")
        let empty = try CLI.vsim(["translate", hello, "--show", ""])
        #expect(empty.status == 64 && empty.stderr.contains("--show needs at least one view"), "\(empty.stderr)")
        let one = try CLI.vsim(["translate", hello, "--count", "1", "--show", "in_asm"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.components(separatedBy: "IN: ").count == 2, "\(one.stdout)")
    }
}
