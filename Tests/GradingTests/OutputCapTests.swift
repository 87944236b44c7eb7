import Foundation
import Testing
@testable import Grading

/// `max_output` against guests that go on writing after their reader has gone, graded by the
/// `vsim grade` command as a course runs it: the grader kills what it started once the cap is
/// passed, whatever the guest does with SIGPIPE, as a harness (Gradescope's) kills its child.
///
/// Three C programs that Linux lets live on after the reader of their pipe has gone (run natively
/// into `head -c`, each is still running when `head` has exited):
/// - `sigign.c`: signal(SIGPIPE, SIG_IGN), then printf for ever (glibc retries every buffer and
///   ignores the EPIPE);
/// - `writeloop.c`: a SIGPIPE handler that does nothing, then write() for ever on a dup of
///   stdout, ignoring EPIPE (under the guest kernel the dup's writes go through the host-call
///   device, not the console);
/// - `printpause.c`: SIGPIPE ignored, four writes of 20,000 bytes (EPIPE ignored), then pause()
///   for a signal that never comes (in user mode a wait on the host: the kill ends it too).
///
/// The step budget is 20,000,000 and the time limit 600 s, so a run that were not stopped at
/// the cap would end at its budget with status 152; instead, in every mode, the test fails with
/// "output limit exceeded (10000 bytes)" (status 153), and the staff log says how vsim's run
/// ended: killed by the grader, 137 (128 + SIGKILL), in user mode, where Linux's answer to the
/// write is only EPIPE; 141 (128 + SIGPIPE) under the guest kernel, whose machine stops when any
/// write to the output finds the reader gone. No timing is measured: the status is the proof.
/// Nothing is left behind: no process whose command line names the test's folder, no file in
/// the grader's TMPDIR.
@Suite struct OutputCapTests {
    static let sigIgnored = """
    #include <signal.h>
    #include <stdio.h>

    int main(void) {
        signal(SIGPIPE, SIG_IGN);
        for (unsigned long i = 0;; i++) printf("line %lu of endless output\\n", i);
    }

    """

    static let writeLoop = """
    #include <errno.h>
    #include <signal.h>
    #include <string.h>
    #include <unistd.h>

    static void ignore(int signal) { (void)signal; }

    int main(void) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = ignore;
        sigaction(SIGPIPE, &action, 0);
        int fd = dup(1);
        static const char line[] = "again and again\\n";
        for (;;) {
            if (write(fd, line, sizeof line - 1) < 0 && errno != EPIPE) return 1;
        }
    }

    """

    static let printPause = """
    #include <signal.h>
    #include <string.h>
    #include <unistd.h>

    int main(void) {
        static char block[20000];
        signal(SIGPIPE, SIG_IGN);
        memset(block, 'x', sizeof block);
        for (int i = 0; i < 4; i++) write(1, block, sizeof block);
        pause();
    }

    """

    static let programs = ["sigign", "writeloop", "printpause"]
    static let userModes = ["interpret", "translate"]
    static let kernelModes = ["trap", "hvm", "pv", "bt"]

    static func labTOML(_ modes: [String]) -> String {
        let list = modes.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
        id = "outcap"
        title = "Output cap"
        summary = "writers that ignore SIGPIPE"
        order = 1
        submission = ["prog.s"]

        [defaults]
        max_instructions = 20000000
        time_limit = 600
        max_output = 10000

        [[tests]]
        id = "sigign"
        name = "printf for ever with SIGPIPE ignored"
        points = 1
        program = "lab/tests/sigign"
        modes = [\(list)]
        expect = { exit_status = 0 }

        [[tests]]
        id = "writeloop"
        name = "write() for ever, EPIPE ignored"
        points = 1
        program = "lab/tests/writeloop"
        modes = [\(list)]
        expect = { exit_status = 0 }

        [[tests]]
        id = "printpause"
        name = "80,000 bytes, then pause() for ever"
        points = 1
        program = "lab/tests/printpause"
        modes = [\(list)]
        expect = { exit_status = 0 }

        """
    }

    /// Builds `source` into a static i386 executable `output` (Debian's cross compiler, else
    /// `gcc -m32`); false when this host cannot (no 32-bit C library).
    static func buildI386(_ source: String, _ output: String) -> Bool {
        for compiler in [["i686-linux-gnu-gcc"], ["gcc", "-m32"]] {
            if let r = try? Fixture.run(compiler[0], Array(compiler.dropFirst()) + ["-static", "-O2", "-o", output, source]),
               r.status == 0 { return true }
        }
        return false
    }

    /// Processes (other than this one) whose command line mentions `text`.
    static func processesMentioning(_ text: String) -> [String] {
        let me = String(getpid())
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) && $0 != me }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(text) ? "\(pid): \(line)" : nil
        }
    }

    @Test func writersThatIgnoreSIGPIPEAreStoppedAtTheCapInEveryMode() throws {
        let root = NSTemporaryDirectory() + "vsim-outcap-" + UUID().uuidString
        defer { Fixture.remove(root) }
        let lab = root + "/outcap", tmp = root + "/tmp", cache = root + "/cache"
        let modes = Self.userModes + Self.kernelModes
        try Fixture.write(Self.labTOML(modes), to: lab + "/lab.toml")
        try Fixture.write("", to: lab + "/hidden/hidden.toml")
        try Fixture.write(Self.sigIgnored, to: lab + "/tests/sigign.c")
        try Fixture.write(Self.writeLoop, to: lab + "/tests/writeloop.c")
        try Fixture.write(Self.printPause, to: lab + "/tests/printpause.c")
        for name in Self.programs where !Self.buildI386(lab + "/tests/\(name).c", lab + "/tests/\(name)") {
            print("OutputCapTests: skipped: this host cannot build static i386 C programs (scripts/setup installs gcc-i686-linux-gnu and libc6-dev-i386-cross)")
            return
        }
        let submission = try Fixture.submission(["prog.s": Fixture.solution], in: root, name: "sub")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let result = root + "/result.json", staff = root + "/staff.txt"
        let r = try Fixture.run(Fixture.vsimPath, ["grade", lab, submission, "--format", "gradescope", "--output", result,
                                                   "--staff-log", staff, "--no-timings"],
                                environment: ["TMPDIR": tmp, "XDG_CACHE_HOME": cache])
        #expect(r.status == 0, "\(r.stderr)")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result))) as? [String: Any])
        let tests = try #require(json["tests"] as? [[String: Any]])
        #expect(tests.count == Self.programs.count)
        for t in tests {
            let output = t["output"] as? String ?? ""
            #expect(t["score"] as? Double == 0, "\(output)")
            for mode in modes {
                #expect(output.contains("[\(mode)] output limit exceeded (10000 bytes)"), "\(t["name"] ?? ""): \(output)")
            }
        }
        let log = try String(contentsOfFile: staff, encoding: .utf8)
        for id in Self.programs {
            let section = log.components(separatedBy: "== ").first { $0.hasPrefix(id + " ") } ?? ""
            for mode in Self.userModes {
                #expect(section.contains("[\(mode)] stopped past max_output = 10000 bytes (vsim's status was 137)"), "\(id): \(section)")
            }
            for mode in Self.kernelModes {
                #expect(section.contains("[\(mode)] stopped past max_output = 10000 bytes (vsim's status was 141)"), "\(id): \(section)")
            }
            #expect(!section.contains("status was 152"), "no run reached its budget: \(section)")
        }
        #expect(Self.processesMentioning(root).isEmpty, "\(Self.processesMentioning(root))")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? ["(unreadable)"]
        #expect(left.isEmpty, "the grader left \(left) in its TMPDIR")
    }
}
