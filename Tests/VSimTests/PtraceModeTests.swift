import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--mode ptrace` (PRoot's way, module Ptrace): every program in programs/ gives the native
/// run's stdout and exit status (the host CPU is the oracle); the system calls it counts equal
/// those of Debian's strace (`strace -f -c`, its table parsed); `--root DIR` shows DIR as `/`
/// (open, `..`, an absolute symlink, getcwd) with no namespace and no privilege, also as the
/// unprivileged uid 65534 when the tests run as root (setpriv). Skipped, with the reason, where
/// the host does not permit ptrace.
@Suite("ptrace mode", .serialized)
struct PtraceModeTests {
    /// Arguments and stdin for the programs that want them (the others run bare).
    static let cases: [(String, [String], String)] = [
        ("hello", [], ""), ("echo", ["one", "two words", ""], ""), ("cat", [], "one\ntwo\n"),
        ("fib", ["15"], ""), ("fib", ["x"], ""), ("strings", [], ""), ("jcxz", [], ""), ("muldiv", [], ""),
        ("bits", [], ""), ("sumsq", ["100"], ""), ("sieve", ["1000"], ""),
        ("faults", ["de"], ""), ("faults", ["ud"], ""), ("faults", ["segv"], ""), ("faults", ["int3"], ""), ("faults", [], ""),
        ("jailbreak", [], ""), ("syscalls", ["1000"], ""), ("vsyscall", [], ""),
    ]

    /// Builds programs/NAME.s once per test process.
    static func build(_ name: String) throws -> String {
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try Self.sharedDirectory()
        let exe = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: exe) { return exe }
        return try ProgramsHarness.build(sourcePath: ProgramsHarness.programsDirectory + "/\(name).s", into: dir)
    }

    /// A directory uid 65534 can read (mode 0755 up to /tmp), for the unprivileged runs.
    nonisolated(unsafe) static var shared: String?
    static func sharedDirectory() throws -> String {
        if let s = shared { return s }
        var template = Array("/tmp/vsim-ptrace-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw ProgramsHarness.Failure(description: "mkdtemp failed") }
        let dir = String(cString: p)
        chmod(dir, 0o755)
        shared = dir
        atexit { if let d = PtraceModeTests.shared { try? FileManager.default.removeItem(atPath: d) } }
        return dir
    }

    /// nil when ptrace works here, else why not (vsim's exit status 77: not permitted).
    static let unavailable: String? = {
        guard ProgramsHarness.hostRunsI386() else { return "the host cannot run i386 programs" }
        guard let hello = try? build("hello"), let r = try? CLI.vsim(["run", "--mode", "ptrace", hello]) else {
            return "cannot build programs/hello.s (binutils) or run vsim"
        }
        return r.status == 0 ? nil : "ptrace is not permitted here (vsim exit \(r.status)): \(r.stderr)"
    }()

    /// Runs `argv` from `cwd` (jailbreak makes and removes .jailbreak in its cwd); a process
    /// killed by a signal gets 128+signal, as vsim and a shell report it.
    static func run(_ argv: [String], stdin: String, cwd: String) throws -> CLI.Output {
        let saved = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(cwd)
        defer { FileManager.default.changeCurrentDirectoryPath(saved) }
        let r = try ProgramsHarness.run(argv, stdin: Array(stdin.utf8), directExecutable: true)
        return CLI.Output(status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: r.stderr)
    }

    @Test("every program in programs/ gives native stdout and exit status under --mode ptrace")
    func programsMatchNative() throws {
        if let why = Self.unavailable { print("skipped: \(why)"); return }
        let cwd = try Self.sharedDirectory()
        for (name, args, input) in Self.cases {
            let exe = try Self.build(name)
            let native = try Self.run([exe] + args, stdin: input, cwd: cwd)
            let traced = try Self.run([CLI.vsimPath, "run", "--mode", "ptrace", exe, "--"] + args, stdin: input, cwd: cwd)
            let what = ([name] + args).joined(separator: " ")
            #expect(traced.status == native.status, "\(what): exit status \(traced.status) under ptrace, \(native.status) natively: \(traced.stderr)")
            #expect(traced.stdout == native.stdout, "\(what): stdout differs\nnative:\n\(native.stdout)\nptrace:\n\(traced.stdout)")
        }
        // Every .s in programs/ is covered (the kernel's are in programs/kernel/).
        let covered = Set(Self.cases.map(\.0))
        for source in try ProgramsHarness.programSources() {
            let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
            #expect(covered.contains(name), "programs/\(name).s has no case in PtraceModeTests.cases")
        }
    }

    /// The 32-bit table of `strace -f -c -o FILE` (strace counts a call at its exit, so exit and
    /// exit_group, which never return, are not in it): name → (calls, errors).
    static func straceCounts(_ text: String) -> [String: (UInt64, UInt64)] {
        guard let range = text.range(of: "System call usage summary for 32 bit mode:") else { return [:] }
        var table: [String: (UInt64, UInt64)] = [:]
        for line in text[range.upperBound...].split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            // "% time seconds usecs/call calls errors syscall": errors may be blank.
            guard f.count >= 5, Double(f[0]) != nil, let name = f.last, name != "total" else { continue }
            let numbers = f.dropLast().compactMap { UInt64($0) }
            let calls = f.count == 6 ? UInt64(f[3]) ?? 0 : (numbers.last ?? 0)
            let errors = f.count == 6 ? UInt64(f[4]) ?? 0 : 0
            table[name] = (calls, errors)
        }
        return table
    }

    /// The counts in `vsim run --mode ptrace --trace syscalls`'s last line:
    /// "vsim: N system calls intercepted (write 3, read 2 (1 errors), ...); ...".
    static func vsimCounts(_ stderr: String) -> [String: (UInt64, UInt64)] {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("vsim: ") && $0.contains("system calls intercepted") }),
              let open = line.range(of: "intercepted ("), let close = line.range(of: "); ") else { return [:] }
        var table: [String: (UInt64, UInt64)] = [:]
        for item in line[open.upperBound..<close.lowerBound].components(separatedBy: ", ") {
            let f = item.split(separator: " ").map(String.init)
            guard f.count >= 2, let n = UInt64(f[1]) else { continue }
            let errors = f.count >= 3 ? UInt64(f[2].trimmingCharacters(in: CharacterSet(charactersIn: "("))) ?? 0 : 0
            table[f[0]] = (n, errors)
        }
        return table
    }

    @Test("system-call counts equal strace -f -c's")
    func countsMatchStrace() throws {
        if let why = Self.unavailable { print("skipped: \(why)"); return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            print("skipped: strace is not installed (scripts/setup installs it)"); return
        }
        let dir = try Self.sharedDirectory()
        var programs: [(String, [String], String)] = [("hello", [], ""), ("echo", ["a", "b c"], ""), ("cat", [], "x\ny\nz\n"), ("fib", ["20"], ""), ("sieve", ["200"], ""), ("fib", ["x"], ""), ("syscalls", ["500"], "")]
        // A static glibc program: its start-up calls, and calls that fail (the errors column).
        if CProgramsTests.hostCanBuild() { programs.append(("confined", [], "")) }
        for (name, args, input) in programs {
            let exe = name == "confined" ? try Self.buildConfined() : try Self.build(name)
            let out = dir + "/strace-\(name).txt"
            _ = try Self.run(["/usr/bin/strace", "-f", "-c", "-o", out, exe] + args, stdin: input, cwd: dir)
            var expected = Self.straceCounts((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
            #expect(!expected.isEmpty, "\(name): no 32-bit table in strace's output")
            let traced = try Self.run([CLI.vsimPath, "run", "--mode", "ptrace", "--trace", "syscalls", exe, "--"] + args, stdin: input, cwd: dir)
            var counted = Self.vsimCounts(traced.stderr)
            // strace counts at exit: the calls that never return are not in its table.
            counted["exit"] = nil
            counted["exit_group"] = nil
            expected["exit"] = nil
            expected["exit_group"] = nil
            #expect(counted.mapValues { "\($0.0)/\($0.1)" } == expected.mapValues { "\($0.0)/\($0.1)" },
                    "\(name): vsim counted \(counted) (calls/errors), strace \(expected)\n\(traced.stderr)")
        }
    }

    /// A C program that reads /etc/hostname, climbs with .., follows an absolute symlink and asks getcwd.
    static let confinedSource = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <unistd.h>
        static void show(const char *what, const char *path) {
            char b[256] = {0};
            int fd = open(path, O_RDONLY);
            if (fd < 0) { printf("%s: cannot open\\n", what); return; }
            ssize_t n = read(fd, b, sizeof b - 1);
            close(fd);
            printf("%s: %.*s", what, (int)(n > 0 ? n : 0), b);
        }
        int main(void) {
            char cwd[256], link[256] = {0};
            show("hostname", "/etc/hostname");
            if (chdir("/etc") != 0) { printf("chdir failed\\n"); return 1; }
            show("climb", "../../../../../etc/hostname");
            show("symlink", "/escape");
            printf("getcwd: %s\\n", getcwd(cwd, sizeof cwd) ? cwd : "(failed)");
            ssize_t n = readlink("/escape", link, sizeof link - 1);
            printf("readlink: %.*s\\n", (int)(n > 0 ? n : 0), link);
            return 0;
        }
        """

    /// ``confinedSource`` built static with the i386 C compiler.
    static func buildConfined() throws -> String {
        let dir = try sharedDirectory()
        let source = dir + "/confined.c", exe = dir + "/confined"
        if FileManager.default.isExecutableFile(atPath: exe) { return exe }
        try confinedSource.write(toFile: source, atomically: true, encoding: .utf8)
        let cc = try CLI.run("/usr/bin/env", CProgramsTests.compiler + ["-static", "-O2", "-o", exe, source])
        guard cc.status == 0 else { throw ProgramsHarness.Failure(description: "cannot build the test program: \(cc.stderr)") }
        return exe
    }

    @Test("--root DIR is the program's / (open, .., an absolute symlink, getcwd), as root and as uid 65534")
    func rootConfines() throws {
        if let why = Self.unavailable { print("skipped: \(why)"); return }
        guard CProgramsTests.hostCanBuild() else { print("skipped: needs an i386 C compiler and static libc (scripts/setup)"); return }
        let dir = try Self.sharedDirectory()
        let exe = try Self.buildConfined()
        let root = dir + "/root"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "guest-root-hostname\n".write(toFile: root + "/etc/hostname", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: "/etc/hostname")
        for path in [root, root + "/etc"] { chmod(path, 0o755) }
        chmod(root + "/etc/hostname", 0o644)
        let host = (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8)) ?? "(none)"
        #expect(host != "guest-root-hostname\n")
        let expected = """
            hostname: guest-root-hostname
            climb: guest-root-hostname
            symlink: guest-root-hostname
            getcwd: /etc
            readlink: /etc/hostname

            """
        let r = try CLI.vsim(["run", "--mode", "ptrace", "--root", root, exe])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == expected)
        // Natively the same program reads the host's file: the root is the tracer's doing.
        let native = try CLI.run(exe, [])
        #expect(native.stdout.hasPrefix("hostname: \(host)"))
        if geteuid() == 0 {
            let u = try CLI.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                     CLI.vsimPath, "run", "--mode", "ptrace", "--root", root, exe])
            #expect(u.status == 0, "as uid 65534: \(u.stderr)")
            #expect(u.stdout == expected, "as uid 65534")
            // And an unprivileged run of every program bare: the same as natively.
            for (name, args, input) in Self.cases where name != "jailbreak" {
                let exe = try Self.build(name)
                let n = try Self.run([exe] + args, stdin: input, cwd: dir)
                let t = try Self.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                      CLI.vsimPath, "run", "--mode", "ptrace", exe, "--"] + args, stdin: input, cwd: dir)
                #expect(t.status == n.status && t.stdout == n.stdout, "\(name) \(args) as uid 65534: \(t.status) vs \(n.status): \(t.stderr)")
            }
        } else {
            print("note: not root, so the runs above were already unprivileged (uid \(geteuid()))")
        }
    }

    @Test("the time limit kills the tracee and reports SIGXCPU (152)")
    func timeLimit() throws {
        if let why = Self.unavailable { print("skipped: \(why)"); return }
        let exe = try Self.build("cat")
        // cat copies /dev/zero to /dev/null forever, one read and one write at a time.
        let s = try CLI.run("/bin/sh", ["-c", "\(CLI.vsimPath) run --mode ptrace --time-limit 0.5 \(exe) < /dev/zero > /dev/null; echo $?"])
        #expect(s.stdout == "152\n", "\(s.stderr)")
        #expect(s.stderr.contains("time limit"), "\(s.stderr)")
        // No tracee is left: no process runs the program any more.
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard Int32(entry) != nil, let exePath = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe") else { return false }
            return exePath == exe
        }
        #expect(left.isEmpty, "processes still running \(exe): \(left)")
    }
}
