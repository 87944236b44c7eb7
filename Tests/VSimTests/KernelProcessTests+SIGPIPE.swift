import Foundation
import XCTest
@testable import VSim

/// SIGPIPE for a write to a pipe of the program's own whose reader is gone, under the guest
/// kernel (programs/kernel/kernel.s, `write_forward`): sigpipe.c through glibc and musl against
/// the same program run natively (the host is the oracle), in every kernel mode that forks on
/// both engines with equal counts. Natively: the default action ends the program with 141 after
/// "before the write"; a handler runs once per write and writev (si_code SI_USER, si_pid its
/// own) and both return EPIPE; SIG_IGN gives EPIPE alone; blocked, EPIPE and SIGPIPE pending.
/// Before, the kernel returned -EPIPE and posted nothing: the default case printed the line
/// "after the write" and exited 0.
extension KernelProcessTests {
    func testWriteToAPipeWithoutReaderPostsSIGPIPE() throws {
        // Natively with SIGPIPE's default action (an ignored disposition survives exec).
        signal(SIGPIPE, SIG_DFL)
        var checks: [Check] = []
        for exe in try builtC("sigpipe") {
            for mode in ["default", "handler", "ignore", "blocked"] {
                let native = try ProgramsHarness.run([exe, mode], directExecutable: true)
                let text = String(decoding: native.stdout, as: UTF8.self)
                switch mode {
                case "default":
                    XCTAssertEqual(native.status, 128 + 13)
                    XCTAssertEqual(text, "before the write\n")
                case "handler":
                    XCTAssertEqual(native.status, 0)
                    XCTAssertEqual(text, "write: -1 EPIPE\nhandler ran 1 time(s), si_code 0, si_pid its own\nwritev: -1 EPIPE\nhandler ran 2 time(s)\n")
                case "ignore":
                    XCTAssertEqual(native.status, 0)
                    XCTAssertEqual(text, "write: -1 EPIPE\nwritev: -1 EPIPE\n")
                default:
                    XCTAssertEqual(native.status, 0)
                    XCTAssertTrue(text.contains("SIGPIPE pending: yes\n"), text)
                }
                checks.append(Check(exe: exe, arguments: [mode], expected: text, status: native.status))
            }
        }
        // The host-call device's write gets EPIPE only where this process ignores SIGPIPE (as
        // the grader does); otherwise the host's SIGPIPE would end the test process itself.
        signal(SIGPIPE, SIG_IGN)
        checkEverywhere(checks)
    }
}
