import Foundation
import XCTest
@testable import VSim

/// How a child's end reaches its parent under the guest kernel (programs/kernel/kernel.s,
/// `chld_signal`), chld_reap.c through glibc (and musl) against the same program run natively
/// (the host is the oracle), in every kernel mode that forks on both engines with equal counts:
/// SIGCHLD's si_status (Linux's do_notify_parent), children nobody waits for (SIGCHLD set to
/// SIG_IGN, or SA_NOCLDWAIT: reaped as they exit, wait4 -ECHILD once none is left; POSIX, Linux's
/// kernel/exit.c), and orphans (reparented to init, which reaps them). Before, the kernel gave
/// si_status 0, left those children zombies (waitpid found them; 15 filled the process table)
/// and kept every orphan's zombie until the run ended (fork -EAGAIN after 14 rounds).
extension KernelProcessTests {
    func testChildrenReapedAsLinuxReapsThemC() throws {
        var checks: [Check] = []
        for exe in try builtC("chld_reap") {
            let native = try ProgramsHarness.run([exe], directExecutable: true)
            XCTAssertEqual(native.status, 0)
            let text = String(decoding: native.stdout, as: UTF8.self)
            XCTAssertTrue(text.contains("exit 255: waitpid the child, WEXITSTATUS 255; SIGCHLDs 3, last CLD_EXITED si_status 255 from the child\n"), text)
            XCTAssertTrue(text.contains("SIGTERM: waitpid the child, WTERMSIG 15; SIGCHLDs 5, last CLD_KILLED si_status 15 from the child\n"), text)
            XCTAssertTrue(text.contains("blocked: SIGCHLDs 0 while blocked; 1 after, CLD_EXITED si_status 3 from the first child\n"), text)
            XCTAssertTrue(text.contains("SA_NOCLDWAIT: waitpid -1 ECHILD; SIGCHLDs 1, last CLD_EXITED si_status 5 from the child\n"), text)
            XCTAssertTrue(text.contains("SIG_IGN: 20 children, waitpid -1 ECHILD for 20\n"), text)
            XCTAssertTrue(text.contains("SIG_IGN: the zombie from before: waitpid the child, WEXITSTATUS 7;"), text)
            XCTAssertTrue(text.hasSuffix("orphans: 20 rounds, the child exited 9 in 20, then wait -1 ECHILD in 20\n"), text)
            checks.append(Check(exe: exe, expected: text, status: 0))
        }
        checkEverywhere(checks)
    }
}
