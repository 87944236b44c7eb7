import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The Linux ABI pieces of user-mode emulation that the C-program corpus (CProgramsTests) cannot
/// check by itself, each against an oracle apart from vsim:
/// - files inside `--root`: Tests/VSimTests/CPrograms/root/files_root.c run natively in a
///   `chroot` of a prepared directory (the host kernel's own confinement) and under
///   `vsim run --root` of the same directory: same stdout, stderr and status; and the file next
///   to the root, outside it, never shows up (a fact of the layout, not of either run);
/// - default signal actions (terminate, core, forced faults) give the exit status the native
///   process has;
/// - without `--root` a path lookup fails with ENOENT and vsim says once how to give a root.
/// (That an unimplemented call returns -ENOSYS and is named once: CRunTests.)
@Suite("Linux ABI in user-mode emulation", .serialized)
struct LinuxABITests {
    static let rootProgram = CProgramsTests.directory + "/root/files_root.c"
    static let secret = "SECRET-OUTSIDE"

    /// DIR/root laid out as files_root.c expects (with the program as /prog), DIR/secret.txt outside.
    static func makeRoot(in dir: String, program: String) throws -> String {
        let fm = FileManager.default
        let root = dir + "/root"
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try (secret + "\n").write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
        try "hello from inside the root\n".write(toFile: root + "/data/hello.txt", atomically: true, encoding: .utf8)
        try "root-passwd stand-in\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/data/up", withDestinationPath: "../../../../..")
        try fm.createSymbolicLink(atPath: root + "/data/abs", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: root + "/data/out", withDestinationPath: "../../secret.txt")
        try fm.createSymbolicLink(atPath: root + "/data/loop", withDestinationPath: "loop")
        try ProgramsHarness.copyExecutable(program, to: root + "/prog")
        return root
    }

    /// How to run `/prog` natively confined to `root`, or nil with the reason (chroot needs
    /// CAP_SYS_CHROOT; `unshare -r` a user namespace).
    static func nativeChroot(_ root: String) -> [String]? {
        for prefix in [["chroot"], ["unshare", "-r", "chroot"]] {
            if let r = try? CLI.run("/usr/bin/env", prefix + [root, "/prog"]), r.status == 0 { return prefix + [root, "/prog"] }
        }
        return nil
    }

    static func canChroot() -> Bool {
        guard CProgramsTests.hostCanBuild(), let dir = try? ProgramsHarness.temporaryDirectory(prefix: "chroot-probe") else { return false }
        guard let exe = try? CProgramsTests.build(.init(program: "hello", libc: "glibc", optimization: "-O2")),
              let root = try? makeRoot(in: dir + "/probe", program: exe) else { return false }
        return nativeChroot(root) != nil
    }

    static var rootVariants: [CProgramsTests.Variant] {
        CProgramsTests.libcs.flatMap { l in ["-O0", "-O2"].map { CProgramsTests.Variant(program: "root/files_root", libc: l, optimization: $0) } }
    }

    @Test("files inside --root: the same as natively in a chroot of the directory, nothing outside it readable",
          .enabled(if: LinuxABITests.canChroot(), "needs an i386 C compiler and static libc, and chroot (root or a user namespace)"),
          arguments: LinuxABITests.rootVariants)
    func filesInsideTheRoot(_ v: CProgramsTests.Variant) throws {
        let exe = try CProgramsTests.build(v)
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "root")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var root = try Self.makeRoot(in: dir + "/native", program: exe)
        let command = try #require(Self.nativeChroot(root))
        root = try Self.makeRoot(in: dir + "/native", program: exe)        // the probe run changed it
        let native = try CLI.run("/usr/bin/env", command)
        #expect(native.status == 0, "native: \(native.stderr)")
        #expect(!native.stdout.contains(Self.secret))
        for mode in ["interpret", "translate"] {
            let rooted = try Self.makeRoot(in: dir + "/\(mode)", program: exe)
            let r = try CLI.vsim(["run", "--mode", mode, "--root", rooted, exe])
            #expect(r.status == native.status, "\(v) \(mode): \(r.stderr)")
            #expect(r.stdout == native.stdout, "\(v) \(mode): stdout differs\nnative:\n\(native.stdout)\nvsim:\n\(r.stdout)")
            #expect(r.stderr == native.stderr, "\(v) \(mode): \(r.stderr)")
            #expect(!r.stdout.contains(Self.secret), "\(v) \(mode) read the file outside the root")
            #expect(!FileManager.default.fileExists(atPath: dir + "/\(mode)/escaped.txt"), "a rename escaped the root")
        }
    }

    /// Writes `source` as a C file and builds it (glibc, -O2).
    static func buildC(_ source: String, name: String) throws -> String {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "abi")
        let src = dir + "/\(name).c", exe = dir + "/\(name)"
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        let r = try CLI.run("/usr/bin/env", CProgramsTests.compiler + ["-static", "-O2", "-o", exe, src])
        guard r.status == 0 else { throw ProgramsHarness.Failure(description: "gcc failed: \(r.stderr)") }
        return exe
    }

    /// What a test program does first: a process spawned from a test runner's thread inherits
    /// that thread's blocked signals (and the runner may ignore some), which a native run would
    /// keep while vsim's guest starts, as from a shell, with none.
    static let freshSignalState = "{ sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, 0); for (int i = 1; i < 32; i++) if (i != SIGKILL && i != SIGSTOP) signal(i, SIG_DFL); }\n"

    /// Programs ending by a signal's default action, with the status a shell shows natively.
    static let deaths: [(name: String, body: String)] = [
        ("terminate", "raise(SIGTERM);"),
        ("core", "kill(getpid(), SIGQUIT);"),
        ("timer", "struct itimerval it = {.it_value = {0, 1000}}; setitimer(ITIMER_REAL, &it, 0); for (;;) {}"),
        ("unblocked-at-sigprocmask", "sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR2); sigprocmask(SIG_BLOCK, &s, 0); raise(SIGUSR2); puts(\"still here\"); fflush(stdout); sigprocmask(SIG_UNBLOCK, &s, 0);"),
        ("ignored-fault-is-forced", "signal(SIGSEGV, SIG_IGN); *(volatile int *)8 = 1;"),
        ("blocked-fault-is-forced", "sigset_t s; sigemptyset(&s); sigaddset(&s, SIGFPE); sigprocmask(SIG_BLOCK, &s, 0); volatile int z = 0; printf(\"%d\", 1 / z);"),
        ("handler-reset-by-SA_RESETHAND", "struct sigaction sa = {0}; sa.sa_handler = handler; sa.sa_flags = SA_RESETHAND; sigaction(SIGUSR1, &sa, 0); raise(SIGUSR1); raise(SIGUSR1);"),
        ("sigpipe", "int p[2]; pipe(p); close(p[0]); write(p[1], \"x\", 1);"),
        ("ignored-by-default", "raise(SIGCHLD); raise(SIGWINCH); signal(SIGTERM, SIG_IGN); raise(SIGTERM); return 3;"),
    ]

    @Test("default actions end the guest with the native exit status",
          .enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static libc (scripts/setup)"),
          arguments: LinuxABITests.deaths.indices)
    func defaultActions(_ i: Int) throws {
        let (name, body) = Self.deaths[i]
        let source = "#include <signal.h>\n#include <stdio.h>\n#include <sys/time.h>\n#include <unistd.h>\n"
            + "static void handler(int s) { (void)s; write(1, \"handled\\n\", 8); }\n"
            + "int main(void) {\n(void)handler;\n" + Self.freshSignalState + "\(body)\nreturn 0;\n}\n"
        let exe = try Self.buildC(source, name: name)
        let native = try CProgramsTests.run([exe], environment: [:], stdin: "")
        for mode in ["interpret", "translate"] {
            let r = try CProgramsTests.run([CLI.vsimPath, "run", "--mode", mode, exe], environment: [:], stdin: "")
            #expect(r.status == native.status, "\(name) under \(mode): \(r.status), natively \(native.status): \(r.stderr)")
            #expect(r.stdout == native.stdout, "\(name) under \(mode)")
        }
    }

    /// Without --root the guest has no file system: a path lookup fails with ENOENT and vsim
    /// says once how to give it one.
    @Test func noRootMeansNoFiles() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("""
                .globl _start
            _start:
                movl $5, %eax
                movl $path, %ebx
                xorl %ecx, %ecx
                int $0x80
                movl %eax, %esi
                movl $5, %eax
                movl $path, %ebx
                int $0x80
                addl %eax, %esi
                negl %esi
                movl %esi, %ebx
                movl $1, %eax
                int $0x80
                .data
            path: .asciz "/etc/passwd"
            """, name: "noroot", in: dir)
        let r = try CLI.vsim(["run", "--mode", "interpret", exe])
        #expect(r.status == 4, "two -ENOENT (2): \(r.stderr)")
        #expect(r.stderr.components(separatedBy: "--root").count == 2, "\(r.stderr)")
        let missing = try CLI.vsim(["run", "--mode", "interpret", "--root", dir + "/none", exe])
        #expect(missing.status == 66 && missing.stderr.contains("--root"), "\(missing.stderr)")
    }
}
