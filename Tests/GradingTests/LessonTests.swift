import Foundation
import Testing
@testable import Grading

/// Every lab in lessons/: its reference solution scores full marks, its starter what the handout
/// says, and its deliberately wrong submission loses exactly the points of the tests it breaks.
/// The expected scores are the lab author's hand counts in `expected-scores.toml` (each wrong
/// test and its points named in a comment there), not the grader's output.
@Suite struct LessonTests {
    static let lessons: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons").path
    }()

    static let labs: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: lessons)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: lessons + "/" + $0 + "/lab.toml") }.sorted()
    }()

    @Test func thereAreAtLeastSixLabs() {
        #expect(Self.labs.count >= 6, "\(Self.labs)")
    }

    @Test(arguments: LessonTests.labs)
    func solutionStarterAndWrongScoreAsHandCounted(_ lab: String) throws {
        let folder = Self.lessons + "/" + lab
        let text = try String(contentsOfFile: folder + "/expected-scores.toml", encoding: .utf8)
        let expected = try TOMLTableBox(text)
        let spec = try LabSpec.load(folder: folder)
        var grader = Grader(lab: spec, student: nil)
        grader.vsimExecutable = Fixture.vsimPath
        for submission in ["solution", "starter", "wrong"] {
            let want = try #require(expected.number(submission), "\(lab)/expected-scores.toml has no \(submission) score")
            let result = try grader.grade(submission: folder + "/" + submission)
            #expect(result.score == want, "\(lab) \(submission): \(TextEmitter(timings: false).render(result))")
            if submission == "solution" { #expect(result.score == result.maxScore, "\(lab): the solution scores full marks") }
            #expect(result.tests.allSatisfy { $0.status != .error }, "\(lab) \(submission): no test errors")
        }
    }

    /// Lab 03's REPL test wants a session that stops at STI's trap. Text that only looks like the
    /// stop must not pass: setting the catchpoint prints its line ("Catchpoint 1 (trap #GP: sti)")
    /// before anything has run, and `help TEXT` echoes TEXT; each is followed by a real
    /// `info registers` (whose GDTR line the test also wants).
    @Test func lab03SessionMustReallyStopAtSTI() throws {
        let folder = Self.lessons + "/03-holes"
        var grader = Grader(lab: try LabSpec.load(folder: folder), student: nil)
        grader.vsimExecutable = Fixture.vsimPath
        let root = NSTemporaryDirectory() + "vsim-cheat-" + UUID().uuidString
        defer { Fixture.remove(root) }
        // The third session's lines are all bad commands whose errors would quote the stop and
        // the VMM's trap line: errors go to stderr (docs/repl.md), never into the transcript.
        let echoes = "Catchpoint 1 (trap #GP: sti)\n[vmm] trap 0x00100000  sti  [#GP: sti]\nprint Catchpoint 1 (trap #GP: sti)\ninfo registers\n"
        for (i, session) in ["catch trap #GP: sti\ninfo registers\n", "help Catchpoint 1 (trap #GP: sti)\ninfo registers\n", echoes].enumerated() {
            let dir = root + "/\(i)"
            for file in ["redpill.s", "answers.toml"] {
                try Fixture.write(try String(contentsOfFile: folder + "/solution/" + file, encoding: .utf8), to: dir + "/" + file)
            }
            try Fixture.write(session, to: dir + "/session.txt")
            let result = try grader.grade(submission: dir)
            let repl = try #require(result.tests.first { $0.id == "repl-sti" })
            #expect(repl.status == .failed, "session \(i) passed repl-sti: \(repl.output)")
        }
    }

    /// A test's name is substituted like its inputs (lab-spec.md): lab 08's hidden test is
    /// "your path {f} over a whiteout, in two layers", and the student reads their own path, the
    /// one the report's variant line names (`f = ...`, one of lab.toml's five choices).
    @Test func testNamesShowTheStudentsVariant() throws {
        let folder = Self.lessons + "/08-layers"
        let result = try Grader(lab: try LabSpec.load(folder: folder), student: "alice@example.edu").grade(submission: folder + "/solution")
        let line = result.variant.summaryLine
        let value = try #require(line.range(of: "f = ").map { String(line[$0.upperBound...]) })
        #expect(["app/config", "srv/www/index.html", "opt/tool/bin/run", "home/user/.profile", "usr/lib/libz.so.1"].contains(value), "\(line)")
        let test = try #require(result.tests.first { $0.id == "variant" })
        #expect(test.name == "your path \(value) over a whiteout, in two layers")
    }

    /// `vsim lab export` gives students the handout, the starter and the visible tests only.
    @Test(arguments: LessonTests.labs)
    func exportLeavesOutHiddenTestsAndTheSolution(_ lab: String) throws {
        let out = NSTemporaryDirectory() + "vsim-export-" + UUID().uuidString
        defer { Fixture.remove(out) }
        let r = try Fixture.run(Fixture.vsimPath, ["lab", "export", Self.lessons + "/" + lab, "--student", out])
        #expect(r.status == 0, "\(r.stderr)")
        let files = FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []
        #expect(files.contains("lab.toml") && files.contains("README.md"), "\(files)")
        for secret in ["hidden", "solution", "wrong", "expected-scores.toml"] {
            #expect(!files.contains { $0 == secret || $0.hasPrefix(secret + "/") }, "\(lab) export holds \(secret)")
        }
    }

    /// A whole grading is bounded by every run at its time_limit plus every assembler check of a
    /// submission source at its 60 s. education.md (Gradescope's troubleshooting page): the
    /// default global timeout is 10 min, and a grading past it scores 0 and shows no tests. The
    /// sums are hand counts from each lab.toml and hidden.toml (runs = modes per `run` test,
    /// twice with same_as, one per repl session and per answer computed from a program; `as`
    /// checks = one per submission `.s` and `--defsym` set: the kernel of a `pv` run is
    /// assembled with PV=1, so 05 and 06, whose kernel.s also runs under trap/hvm, have two),
    /// as docs/teaching.md lists them: runs + 60 x checks.
    @Test func everyLabsWorstCaseFitsGradescopesDefaultTimeout() throws {
        let handCounted: [String: Double] = ["01-emulation": 160 + 60, "02-translation": 120 + 60, "03-holes": 130 + 60,
                                             "04-hvm-exits": 110 + 60, "05-pv-hypercalls": 110 + 120, "06-containers": 80 + 120,
                                             "07-compare": 120, "08-layers": 130 + 60, "09-nanobench": 0]
        for lab in Self.labs {
            let spec = try LabSpec.load(folder: Self.lessons + "/" + lab)
            #expect(spec.worstCaseSeconds <= 600, "\(lab): \(spec.worstCaseSeconds) s")
            if let want = handCounted[lab] { #expect(spec.worstCaseSeconds == want, "\(lab)") }
        }
    }

    /// Every `vsim lab SUBCOMMAND ID` and `vsim grade ID` that the documentation shows names a
    /// lab of lessons/ (the folder listing is the oracle): teaching.md's "Running a course
    /// locally" used `traps`, which `vsim lab export` refuses (exit 66, no such lab). `LAB`
    /// placeholders and options are not lab ids.
    @Test func everyLabIdTheDocsUseExists() throws {
        let root = Self.lessons + "/.."
        let docs = ["README.md", "lessons/README.md"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []).filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
            + Self.labs.map { "lessons/\($0)/README.md" }
        let command = try NSRegularExpression(pattern: #"vsim (?:lab (?:show|start|check|export|package)|grade) ([A-Za-z0-9][A-Za-z0-9._-]*)"#)
        var seen = 0
        for doc in docs {
            let text = try String(contentsOfFile: root + "/" + doc, encoding: .utf8)
            for m in command.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let id = String(text[Range(m.range(at: 1), in: text)!])
                guard id != "LAB" else { continue }
                seen += 1
                #expect(Self.labs.contains(id), "\(doc): `\(text[Range(m.range, in: text)!])` names no lab of lessons/")
            }
        }
        #expect(seen >= 10, "the docs show lab commands: \(seen)")
    }
}

