import Foundation
import XCTest

/// `vsim lab` and `vsim grade` live in the second executable, vsim-lab, which vsim execs from its
/// own folder (docs/architecture.md, "Two executables"). The expected texts and statuses are the
/// documented ones: the commands' usage and discussion, docs/exit-status.md (64 usage, 69 missing).
final class LabExecutableTests: XCTestCase {
    func testHelpListsTheLabCommandsAndTheirOwnHelpComesFromVsimLab() throws {
        let help = try CLI.vsim(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("\n  lab "), help.stdout)
        XCTAssertTrue(help.stdout.contains("\n  grade "), help.stdout)
        // The discussion and the arguments are declared only in vsim-lab.
        let grade = try CLI.vsim(["help", "grade"])
        XCTAssertEqual(grade.status, 0, grade.stderr)
        XCTAssertTrue(grade.stdout.contains("USAGE: vsim grade <lab> <submission>"), grade.stdout)
        XCTAssertTrue(grade.stdout.contains("Exit status: 0 when graded"), grade.stdout)
        let lab = try CLI.vsim(["lab", "--help"])
        XCTAssertEqual(lab.status, 0, lab.stderr)
        XCTAssertTrue(lab.stdout.contains("USAGE: vsim lab <subcommand>"), lab.stdout)
    }

    func testUsageErrorsKeepTheirStatus() throws {
        let r = try CLI.vsim(["grade"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("Missing expected argument '<lab>'"), r.stderr)
    }

    func testAMissingVsimLabIsExitStatus69WithTheReason() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let alone = dir + "/vsim"
        try FileManager.default.copyItem(atPath: CLI.vsimPath, toPath: alone)
        let r = try CLI.run(alone, ["lab", "list"])
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("vsim: error: `vsim lab` runs /") && r.stderr.contains("/vsim-lab, which cannot be executed"), r.stderr)
        // Every other command works without it.
        let version = try CLI.run(alone, ["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
    }
}
