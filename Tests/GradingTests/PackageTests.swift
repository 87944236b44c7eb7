import Foundation
import Testing
@testable import Grading

/// The Gradescope zip end to end: unzipped into a scratch folder laid out like /autograder,
/// its run_autograder (with AUTOGRADER_ROOT and VSIM_BIN, so vsim is not rebuilt) writes results.json.
@Suite struct PackageTests {
    @Test func gradescopeRunAutograderWritesTheExpectedScore() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        let zip = root + "/autograder.zip"
        try LabPackager.gradescope(spec, zip: zip)
        let auto = root + "/autograder"
        let unzip = """
        import sys, zipfile
        z = zipfile.ZipFile(sys.argv[1])
        names = z.namelist()
        assert "setup.sh" in names and "run_autograder" in names, names[:5]
        assert not any(n.startswith("lessons/demo/solution/") for n in names)
        assert "lessons/demo/hidden/hidden.toml" in names and "vsim/Package.swift" in names
        assert (z.getinfo("run_autograder").external_attr >> 16) & 0o111
        z.extractall(sys.argv[2])
        """
        let u = try Fixture.python(unzip, [zip, auto + "/source"])
        #expect(u.status == 0, "\(u.stderr)")
        for (file, text) in [("prog.s", Fixture.slow), ("answers.toml", "ref_instructions = 8\n")] {
            try Fixture.write(text, to: auto + "/submission/" + file)
        }
        let out = try Fixture.run("bash", [auto + "/source/run_autograder"],
                                  environment: ["AUTOGRADER_ROOT": auto, "VSIM_BIN": Fixture.vsimPath])
        #expect(out.status == 0, "\(out.stderr)")
        let check = "import json,sys; r=json.load(open(sys.argv[1])); print(r['score'], len(r['tests']))"
        let r = try Fixture.python(check, [auto + "/results/results.json"])
        #expect(r.stdout == "25 5\n", "\(r.stderr)\(out.stderr)")
    }

    @Test func prairieLearnFolderHasTheExternalGradingBlock() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        try LabPackager.prairieLearn(try LabSpec.load(folder: lab), directory: root + "/pl")
        let check = """
        import json, os, sys
        info = json.load(open(sys.argv[1] + "/info.json"))
        g = info["externalGradingOptions"]
        assert g["enabled"] is True and isinstance(g["image"], str) and isinstance(g["timeout"], int) and g["timeout"] <= 600
        entry = g["entrypoint"]
        local = sys.argv[1] + "/serverFilesCourse/vsim-grade/grade.sh"
        assert entry == "/grade/serverFilesCourse/vsim-grade/grade.sh" and os.access(local, os.X_OK)
        text = open(local).read()
        assert "/grade/student" in text and "/grade/results/results.json" in text
        assert not os.path.exists(sys.argv[1] + "/serverFilesCourse/vsim-grade/lessons/demo/solution")
        print("ok")
        """
        let out = try Fixture.python(check, [root + "/pl"])
        #expect(out.stdout == "ok\n", "\(out.stderr)")
    }

    @Test func gradeCommandExitStatuses() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let env = ["VSIM_LESSONS": root + "/lessons"]
        let graded = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/starter", "--format", "tap"], environment: env)
        #expect(graded.status == 0, "graded with failing tests is 0: \(graded.stderr)")
        #expect(graded.stdout.hasPrefix("TAP version 14\n1..5\n"))
        #expect(try Fixture.run(Fixture.vsimPath, ["grade", "nolab", lab + "/starter"], environment: env).status == 66)
        #expect(try Fixture.run(Fixture.vsimPath, ["grade", "demo", root + "/none"], environment: env).status == 66)
        #expect(try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab, "--format", "xml"], environment: env).status == 64)
        try Fixture.write("id = \"demo\"\ntitle = 3\n", to: lab + "/lab.toml")
        let bad = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/starter"], environment: env)
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("key 'title'"))
    }
}
