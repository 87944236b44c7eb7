import Foundation
import Testing
@testable import Grading

/// Each format checked by a real consumer: prove (TAP::Harness), Python's XML parser and
/// junitparser, and Python's json against the field lists and types of the platforms' docs
/// (../shared/references/education.md §1.1, §1.2).
@Suite struct EmitterTests {
    /// Results of the solution (all pass) and of the starter (all fail), graded once.
    static let graded: (pass: GradingResult, fail: GradingResult, mixed: GradingResult) = {
        let (root, lab) = try! Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try! LabSpec.load(folder: lab)
        let grader = Grader(lab: spec, student: "alice")
        let mixed = try! Fixture.submission(["prog.s": "<bad & \u{1}\n"], in: root, name: "mixed")
        return (try! grader.grade(submission: lab + "/solution"), try! grader.grade(submission: lab + "/starter"),
                try! grader.grade(submission: mixed))
    }()

    func file(_ text: String, _ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "vsim-emit-" + UUID().uuidString
        try Fixture.write(text, to: dir + "/" + name)
        return dir + "/" + name
    }

    /// Whether this perl's TAP::Parser reads `TAP version 14` (Test::Harness 3.48 and later).
    static let proveKnowsTAP14: Bool = {
        let out = try? Fixture.run("perl", ["-MTAP::Parser", "-e", "print $TAP::Parser::VERSION"])
        return (Double(out?.stdout ?? "") ?? 0) >= 3.48
    }()

    @Test func tapPassesProveOnlyWhenAllPass() throws {
        if !Self.proveKnowsTAP14 {
            // Debian 12's Test::Harness 3.44 stops at "TAP specified version 14". The rest of what
            // the emitter writes (plan, test points, 2-space YAML blocks) is TAP 13 as well, so
            // prove reads it with the version line lowered; everything else is checked as written.
            print("note: this prove predates TAP 14 (Test::Harness < 3.48): checking with the version line set to 13")
        }
        for (result, shouldPass) in [(Self.graded.pass, true), (Self.graded.fail, false), (Self.graded.mixed, false)] {
            var text = TAPEmitter().render(result)
            #expect(text.hasPrefix("TAP version 14\n1..\(result.tests.count)\n"))
            if !Self.proveKnowsTAP14 { text = text.replacingOccurrences(of: "TAP version 14\n", with: "TAP version 13\n") }
            let tap = try file(text, "out.tap")
            let script = try file("#!/bin/sh\ncat '\(tap)'\n", "grade.t")
            let out = try Fixture.run("prove", ["-v", script])
            #expect((out.status == 0) == shouldPass, "\(out.stdout)\(out.stderr)")
            if shouldPass { #expect(out.stdout.contains("Result: PASS")) } else { #expect(out.stdout.contains("Result: FAIL")) }
            #expect(!out.stdout.contains("Parse errors"), "\(out.stdout)")
            #expect(out.stdout.contains("Tests=\(result.tests.count)"), "\(out.stdout)")
        }
    }

    /// A student id with a newline and a tab (a staff script that read it carelessly) is read
    /// back unchanged by Python's XML parser, the consumer: a literal newline in an attribute is
    /// normalized to a space (XML 1.0 §3.3.3), so the emitter writes `&#10;` and `&#9;` there.
    @Test func junitAttributesKeepNewlinesAndTabs() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let student = "alice\n\tbob"
        let result = try Grader(lab: try LabSpec.load(folder: lab), student: student).grade(submission: lab + "/solution")
        let xml = try file(JUnitEmitter().render(result), "junit.xml")
        let check = """
        import sys, xml.etree.ElementTree as ET
        props = {p.get("name"): p.get("value") for p in ET.parse(sys.argv[1]).getroot().find("testsuite").find("properties")}
        sys.stdout.write(repr(props["student"]))
        """
        let out = try Fixture.python(check, [xml])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "'alice\\n\\tbob'", "\(out.stdout)")
    }

    @Test func junitParsesAndCounts() throws {
        for result in [Self.graded.pass, Self.graded.fail, Self.graded.mixed] {
            let xml = try file(JUnitEmitter().render(result), "junit.xml")
            let check = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == "testsuites", root.tag
            suite = root.find("testsuite")
            cases = suite.findall("testcase")
            assert int(suite.get("tests")) == len(cases)
            assert all(c.get("classname") and c.get("name") for c in cases)
            fails = sum(1 for c in cases if c.find("failure") is not None)
            errs = sum(1 for c in cases if c.find("error") is not None)
            assert int(suite.get("failures")) == fails and int(suite.get("errors")) == errs
            props = {p.get("name"): p.get("value") for p in suite.find("properties")}
            assert "seed" in props and props["student"] == "alice"
            print(len(cases), fails, errs)
            """
            let out = try Fixture.python(check, [xml])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == "\(result.tests.count) \(result.failedCount) \(result.errorCount)\n")
            let junitparser = """
            import sys
            try:
                from junitparser import JUnitXml, Failure, Error
            except ImportError:
                print("skip: junitparser is not installed (pip install junitparser)"); sys.exit(0)
            xml = JUnitXml.fromfile(sys.argv[1])
            n = f = e = 0
            for suite in xml:
                for case in suite:
                    n += 1
                    f += any(isinstance(r, Failure) for r in case.result)
                    e += any(isinstance(r, Error) for r in case.result)
            print(n, f, e)
            """
            let jp = try Fixture.python(junitparser, [xml])
            #expect(jp.status == 0, "\(jp.stderr)")
            if jp.stdout.hasPrefix("skip") { print(jp.stdout) } else {
                #expect(jp.stdout == "\(result.tests.count) \(result.failedCount) \(result.errorCount)\n")
            }
        }
    }

    @Test func gradescopeJSONHasTheDocumentedFields() throws {
        for result in [Self.graded.pass, Self.graded.fail, Self.graded.mixed] {
            let json = try file(GradescopeEmitter().render(result), "results.json")
            // Field names and types from Gradescope's autograder specs (education.md §1.1).
            let check = """
            import json, sys
            r = json.load(open(sys.argv[1]))
            num = (int, float)
            top = {"score": num, "execution_time": num, "output": str, "output_format": str, "test_output_format": str,
                   "test_name_format": str, "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list}
            for k, v in r.items():
                assert k in top, "unknown top-level field " + k
                assert isinstance(v, top[k]), k
            test = {"score": num, "max_score": num, "status": str, "name": str, "name_format": str, "number": str,
                    "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}
            vis = {"hidden", "after_due_date", "after_published", "visible"}
            fmts = {"text", "html", "simple_format", "md", "ansi"}
            for t in r["tests"]:
                for k, v in t.items():
                    assert k in test, "unknown test field " + k
                    assert isinstance(v, test[k]), k
                assert t["status"] in ("passed", "failed")
                assert t["visibility"] in vis and t["output_format"] in fmts
                assert (t["status"] == "passed") == (t["score"] == t["max_score"])
            assert abs(r["score"] - sum(t["score"] for t in r["tests"])) < 1e-9
            print(r["score"])
            """
            let out = try Fixture.python(check, [json])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == GradingResult.points(result.score) + "\n")
        }
    }

    @Test func prairieLearnJSONHasTheDocumentedFields() throws {
        for result in [Self.graded.pass, Self.graded.fail, Self.graded.mixed] {
            let text = PrairieLearnEmitter().render(result)
            #expect(text.utf8.count < 1_000_000)
            let json = try file(text, "results.json")
            // Field names and types from PrairieLearn's externalGrading.md (education.md §1.2).
            let check = """
            import json, sys
            r = json.load(open(sys.argv[1]))
            num = (int, float)
            top = {"score": num, "gradable": bool, "format_errors": (list, str), "message": str, "output": str,
                   "images": list, "tests": list}
            for k, v in r.items():
                assert k in top, "unknown field " + k
                assert isinstance(v, top[k]), k
            assert 0 <= r["score"] <= 1
            test = {"name": str, "description": str, "points": num, "max_points": num, "message": str, "output": str, "images": list}
            for t in r["tests"]:
                for k, v in t.items():
                    assert k in test and isinstance(v, test[k]), k
                assert 0 <= t["points"] <= t["max_points"]
            print(r["score"], r["gradable"])
            """
            let out = try Fixture.python(check, [json])
            #expect(out.status == 0, "\(out.stderr)")
            let fraction = result.score / result.maxScore
            #expect(out.stdout.hasPrefix(fraction == 1 ? "1 " : fraction == 0 ? "0 " : "0."))
        }
    }

    /// GitHub Classroom's reporter (classroom-resources/autograding-grading-reporter,
    /// src/main.js and src/notify-classroom.js, education.md §1.3), redone in Python: it
    /// base64-decodes the runner's result, adds up `tests[].score` against `max_score` for its
    /// "Points X/Y" notice, and fails the job when `status` is "fail" or "error". The points it
    /// computes are the fixture's hand count (30 for the solution, 0 for the starter).
    @Test func classroomResultReadsAsTheReporterReadsIt() throws {
        for (result, points, status) in [(Self.graded.pass, "30/30", "pass"), (Self.graded.fail, "0/30", "fail")] {
            let line = ClassroomEmitter().render(result)
            #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "one line for $GITHUB_OUTPUT")
            let path = try file(line, "result.b64")
            let reporter = """
            import base64, json, sys
            r = json.loads(base64.b64decode(open(sys.argv[1]).read().strip()).decode("utf-8"))
            assert r["version"] == 1
            total = sum(t["score"] for t in r["tests"])
            for t in r["tests"]:
                assert t["status"] in ("pass", "fail", "error"), t["status"]
                assert isinstance(t["name"], str) and isinstance(t["message"], str)
                assert isinstance(t["line_no"], int) and isinstance(t["duration"], int)
            print("Points %g/%g %s" % (total, r["max_score"], r["status"]))
            hidden = [t for t in r["tests"] if t["name"] == "same output as the reference"]
            assert len(hidden) == 1 and "reference" not in hidden[0]["message"], hidden
            """
            let out = try Fixture.python(reporter, [path])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == "Points \(points) \(status)\n", "\(out.stdout)")
        }
    }

    /// PrairieLearn shows every test in results.json to the student (education.md §1.2: no
    /// per-test visibility, unlike Gradescope's), so a hidden test must not carry its failure
    /// details there: the fixture's after_due_date test compares with lab/hidden/ref.s, whose
    /// output ("hi") the starter's failure message would otherwise quote.
    @Test func prairieLearnShowsNoDetailsOfHiddenTests() throws {
        let gradescope = GradescopeEmitter(timings: false).render(Self.graded.fail)
        #expect(gradescope.contains("reference"), "the staff-visible Gradescope output names the reference: \(gradescope)")
        let json = try file(PrairieLearnEmitter().render(Self.graded.fail), "results.json")
        let check = """
        import json, sys
        for t in json.load(open(sys.argv[1]))["tests"]:
            print(t["description"], "|", t["output"].replace("\\n", " "))
        """
        let out = try Fixture.python(check, [json])
        let hidden = out.stdout.split(separator: "\n").filter { $0.hasPrefix("same-as-ref ") }
        #expect(hidden.count == 1, "\(out.stdout)")
        #expect(hidden.first.map { $0.hasSuffix("| failed (visibility after_due_date: the details are for the course staff)") } == true, "\(out.stdout)")
        #expect(out.stdout.split(separator: "\n").contains { $0.hasPrefix("prints (visible) | failed:") }, "\(out.stdout)")
    }

    /// A student id with a line break (run_autograder takes it from Gradescope's metadata) stays
    /// inside the TAP comment: the stream has exactly the fixture's 5 test points (4 in lab.toml,
    /// 1 hidden), counted by Python, whatever the id says.
    @Test func tapHeaderCannotInjectTestPoints() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let grader = Grader(lab: try LabSpec.load(folder: lab), student: "mallory\nnot ok 1 - fake\rok 2 - fake\r\nBail out! no")
        let text = TAPEmitter(timings: false).render(try grader.grade(submission: lab + "/solution"))
        let tap = try file(text, "out.tap")
        let count = "import re, sys; print(sum(1 for l in open(sys.argv[1], newline='') .read().splitlines() if re.match(r'(not )?ok |Bail out!', l)))"
        let out = try Fixture.python(count, [tap])
        #expect(out.stdout == "5\n", "\(text)")
    }

    @Test func textReportLooksLikeMakeGrade() {
        let text = TextEmitter(timings: false).render(Self.graded.pass)
        #expect(text.contains("prints: OK  [10/10] prints hi"))
        #expect(text.hasSuffix("Score: 30/30\n"))
        let failing = TextEmitter(timings: true).render(Self.graded.fail)
        #expect(failing.contains("prints: FAIL ("))
        #expect(failing.hasSuffix("Score: 0/30\n"))
    }
}
