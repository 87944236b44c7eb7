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

    /// run_autograder passes the student id from Gradescope's submission_metadata.json; an id
    /// that starts with "-" (a name such as "-x", or "--no-timings") was read by vsim as an
    /// option ("Missing value for '--student'"), so the submission got the fallback score 0
    /// (found by QA). The oracle: results.json has the test's score and names that student.
    @Test func gradescopeStudentIdStartingWithADash() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let zip = root + "/autograder.zip"
        try LabPackager.gradescope(try LabSpec.load(folder: lab), zip: zip)
        let auto = root + "/autograder"
        let u = try Fixture.python("import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", [zip, auto + "/source"])
        #expect(u.status == 0, "\(u.stderr)")
        for (file, text) in [("prog.s", Fixture.slow), ("answers.toml", "ref_instructions = 8\n")] {
            try Fixture.write(text, to: auto + "/submission/" + file)
        }
        try Fixture.write(#"{"users": [{"email": "--no-timings", "name": "x"}]}"#, to: auto + "/submission_metadata.json")
        let out = try Fixture.run("bash", [auto + "/source/run_autograder"],
                                  environment: ["AUTOGRADER_ROOT": auto, "VSIM_BIN": Fixture.vsimPath, "PATH": "/usr/bin:/bin"])
        #expect(out.status == 0, "\(out.stderr)")
        let check = "import json,sys; r=json.load(open(sys.argv[1])); print(r['score'], len(r['tests']), '(student --no-timings)' in r['output'])"
        let r = try Fixture.python(check, [auto + "/results/results.json"])
        #expect(r.stdout == "25 5 True\n", "\(r.stderr)\(out.stderr)")
    }

    /// setup.sh builds vsim from the zip's vsim/ folder, so that folder must be a package SwiftPM
    /// can load: every target of Package.swift (as `swift package dump-package` reads it) has its
    /// folder (`path`, else SwiftPM's default Sources/NAME, Tests/NAME or Plugins/NAME), or SwiftPM
    /// refuses the whole package. And setup.sh installs every build-time package scripts/setup
    /// lists (the headers of the system libraries, pkg-config, binutils, cpp).
    @Test func gradescopeZipHoldsABuildablePackage() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let zip = root + "/autograder.zip"
        try LabPackager.gradescope(try LabSpec.load(folder: lab), zip: zip)
        let list = "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))"
        let names = try Fixture.python(list, [zip]).stdout.split(separator: "\n").map(String.init)
        let extract = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('vsim/Package.swift', sys.argv[2])"
        #expect(try Fixture.python(extract, [zip, root + "/x"]).status == 0)
        let dump = try Fixture.run("swift", ["package", "dump-package"], directory: root + "/x/vsim")
        try #require(dump.status == 0, "\(dump.stderr)")
        let targets = "import json, sys; [print(t['type'], t['name'], t.get('path') or '') for t in json.load(sys.stdin)['targets']]"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", targets]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(dump.stdout.utf8))
        try input.fileHandleForWriting.close()
        let rows = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        p.waitUntilExit()
        #expect(rows.count > 20, "\(rows)")
        for row in rows {
            let f = row.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let folder = !f[2].isEmpty ? f[2] : (f[0] == "test" ? "Tests/" : f[0] == "plugin" ? "Plugins/" : "Sources/") + f[1]
            #expect(names.contains { $0.hasPrefix("vsim/\(folder)/") }, "target \(f[1]): no vsim/\(folder)/ in the zip")
        }
        let setup = try Fixture.python("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('setup.sh').decode())", [zip]).stdout
        let listed = try Fixture.run("bash", ["-c", "eval \"$(sed -n '/^packages=(/,/)/p' \"$1\")\"; printf '%s\\n' \"${packages[@]}\"", "-",
                                              LabCatalog.sourceRoot + "/scripts/setup"])
        let buildTime = listed.stdout.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("lib") && $0.hasSuffix("-dev") || ["pkg-config", "binutils", "cpp"].contains($0) }
        #expect(buildTime.count >= 7, "scripts/setup's packages: \(listed.stdout) \(listed.stderr)")
        for package in buildTime { #expect(setup.contains(" \(package) "), "setup.sh does not install \(package)") }
    }

    /// A zip path in a folder that does not exist: exit 73 (docs/exit-status.md: an output that
    /// cannot be written) with a sentence, not Foundation's NSError dump, and no file made.
    @Test func gradescopeZipInAMissingFolderIsExplained() throws {
        let (root, _) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let zip = root + "/missing/autograder.zip"
        let out = try Fixture.run(Fixture.vsimPath, ["lab", "package", "demo", "--gradescope", zip], environment: ["VSIM_LESSONS": root + "/lessons"])
        #expect(out.status == 73, "\(out.stderr)")
        #expect(out.stderr.contains("cannot write the Gradescope zip \(zip): its folder \(root)/missing does not exist; choose a path in an existing folder"),
                "\(out.stderr)")
        #expect(!out.stderr.contains("NSCocoaErrorDomain") && !out.stderr.contains("UserInfo"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: zip))
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

    /// A lab whose one test is a repl test run by a fake "vsim" (VSIM_EXECUTABLE, lab-spec.md)
    /// that only touches `marker`: the marker's presence says whether grading began.
    /// - Returns: the fixture's root (remove it), the lab folder, the marker's path and the
    ///   environment that selects the lab and the fake vsim.
    static func labWithMarkingVsim() throws -> (root: String, lab: String, marker: String, env: [String: String]) {
        let (root, lab) = try Fixture.makeLab()
        try Fixture.write("""
            id = "demo"
            title = "t"
            summary = "s"
            order = 1
            submission = ["prog.s"]
            [[tests]]
            id = "session"
            name = "a session"
            points = 1
            kind = "repl"
            program = "lab/tests/ref.s"
            script = "lab/tests/ref.s"
            expect = { stdout_matches = "x" }

            """, to: lab + "/lab.toml")
        try Fixture.write("", to: lab + "/hidden/hidden.toml")
        let marker = root + "/graded", fake = root + "/fake-vsim"
        try Fixture.write("#!/bin/sh\ntouch '\(marker)'\n", to: fake)
        #expect(chmod(fake, 0o755) == 0)
        return (root, lab, marker, ["VSIM_LESSONS": root + "/lessons", "VSIM_EXECUTABLE": fake])
    }

    /// docs/exit-status.md: 73 when "an output (the result file ...) cannot be written". The
    /// check comes before grading: the lab's one test is a repl test whose "vsim" (VSIM_EXECUTABLE,
    /// lab-spec.md) is a script that leaves a marker, and no marker may appear. A good path gets
    /// the result and no temporary file beside it.
    @Test func unwritableOutputIsRefusedBeforeGrading() throws {
        let (root, lab, marker, env) = try Self.labWithMarkingVsim()
        defer { Fixture.remove(root) }
        for (option, path, why) in [("--output", root + "/missing/r.txt", "its folder does not exist"),
                                    ("--staff-log", root + "/missing/log.txt", "its folder does not exist"),
                                    ("--output", root, "it is a directory")] {
            let r = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution", option, path], environment: env)
            #expect(r.status == 73, "\(option) \(path): \(r.stderr)")
            #expect(r.stderr.contains("vsim: error: \(option) \(path): ") && r.stderr.contains(why), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(option): graded before the check")
        }
        let ok = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution", "--output", root + "/r.txt"], environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker), "the fake vsim ran: the grading happened")
        #expect(try String(contentsOfFile: root + "/r.txt", encoding: .utf8).contains("Score: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.contains(".tmp-") }.isEmpty)
    }

    /// An output must not replace what the grading reads (found by QA: `--output
    /// submission/prog.s` replaced the student's program with the result, `--output
    /// lessons/LAB/lab.toml` the lab's spec). The oracles: each file's bytes before and after,
    /// and the fake vsim's marker (no grading happened). Devices replace nothing and pass.
    @Test func outputsNeverReplaceWhatTheGradingReads() throws {
        let (root, lab, marker, env) = try Self.labWithMarkingVsim()
        defer { Fixture.remove(root) }
        let submission = try Fixture.submission(["prog.s": Fixture.solution], in: root, name: "alice")
        let kept = [submission + "/prog.s", lab + "/lab.toml", lab + "/hidden/hidden.toml"]
        let before = try kept.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let both = root + "/both.txt"
        for (options, message) in [(["--output", submission + "/prog.s"], "--output \(submission)/prog.s is the submitted file prog.s"),
                                   (["--staff-log", submission + "/./prog.s"], "--staff-log \(submission)/./prog.s is the submitted file prog.s"),
                                   (["--output", lab + "/lab.toml"], "--output \(lab)/lab.toml is a file of the lab folder"),
                                   (["--staff-log", lab + "/hidden/hidden.toml"], "--staff-log \(lab)/hidden/hidden.toml is a file of the lab folder"),
                                   (["--output", both, "--staff-log", both], "--staff-log \(both) is the file --output \(both) writes too")] {
            let r = try Fixture.run(Fixture.vsimPath, ["grade", "demo", submission] + options, environment: env)
            #expect(r.status == 64, "\(options): \(r.stderr)")
            #expect(r.stderr.hasPrefix("vsim: error: \(message)"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(options): graded before the check")
        }
        #expect(try kept.map { try String(contentsOfFile: $0, encoding: .utf8) } == before)
        #expect(!FileManager.default.fileExists(atPath: both))
        let ok = try Fixture.run(Fixture.vsimPath, ["grade", "demo", submission, "--output", "/dev/null", "--staff-log", "/dev/null"],
                                 environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// Folders that cannot be made are named with mkdir(2)'s reason, not Foundation's "The
    /// operation could not be completed. The file doesn't exist.": a folder under a regular file
    /// (ENOTDIR, "Not a directory") for `lab start`, and a TMPDIR that does not exist (ENOENT)
    /// for the grader's scratch folder; both exit 73 (docs/exit-status.md).
    @Test func foldersThatCannotBeMadeAreExplained() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        var env = ProcessInfo.processInfo.environment
        env["VSIM_LESSONS"] = root + "/lessons"
        try Fixture.write("a file\n", to: root + "/file")
        let start = try Fixture.run(Fixture.vsimPath, ["lab", "start", "demo", root + "/file/sub"], environment: env)
        #expect(start.status == 73, "\(start.stderr)")
        #expect(start.stderr == "vsim: error: cannot create \(root)/file/sub: Not a directory; give a folder you can write\n", "\(start.stderr)")
        env["TMPDIR"] = root + "/missing"
        let graded = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution"], environment: env)
        #expect(graded.status == 73, "\(graded.stderr)")
        #expect(graded.stderr.hasPrefix("vsim: error: cannot create a scratch folder \(root)/missing/vsim-grade-")
                && graded.stderr.contains(": No such file or directory; set TMPDIR to a folder you can write"), "\(graded.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/missing"), "TMPDIR itself is not made")
    }

    /// An output that is not a regular file is written into, never renamed over: a rename(2)
    /// onto /dev/stdout replaced the symbolic link by a file, and as root onto /dev/full the
    /// device node itself. The oracles are outside vsim: null(4) (a write to the full device,
    /// major 1 minor 7, fails with ENOSPC, so exit 73, docs/exit-status.md), lstat(2) for what is
    /// left at each path, and a reader of the FIFO for what came through it. The device node is
    /// made in the scratch folder (root only: skipped, with the reason, otherwise).
    @Test func gradeWritesIntoLinksDevicesAndFIFOs() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let env = ["VSIM_LESSONS": root + "/lessons"]
        func type(_ path: String) -> mode_t { var st = stat(); return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0 }

        try Fixture.write("old\n", to: root + "/target.txt")
        #expect(symlink(root + "/target.txt", root + "/link.txt") == 0)
        let linked = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution", "--output", root + "/link.txt"], environment: env)
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(type(root + "/link.txt") == S_IFLNK, "the symbolic link stays")
        #expect(try String(contentsOfFile: root + "/target.txt", encoding: .utf8).contains("Score: "))

        #expect(mkfifo(root + "/fifo", 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [root + "/fifo"]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        let read = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution", "--output", root + "/fifo"], environment: env)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(type(root + "/fifo") == S_IFIFO, "the FIFO stays")
        // A run that did not write into the FIFO leaves cat waiting for a writer: end it.
        if read.status != 0 || type(root + "/fifo") != S_IFIFO { reader.terminate() }
        let through = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reader.waitUntilExit()
        #expect(through.contains("Score: "), "\(through)")

        // The full device: major 1, minor 7 (Linux's devices.txt); dev_t keeps a major below 4096
        // in bits 8-19 and a minor below 256 in bits 0-7, so 0x107.
        let full = root + "/full"
        guard mknod(full, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0 else {
            print("skipped: the /dev/full case needs root to make a device node (mknod: \(String(cString: strerror(errno))))")
            return
        }
        let probe = open(full, O_WRONLY)
        let refuses = probe >= 0 && write(probe, "x", 1) < 0 && errno == ENOSPC
        if probe >= 0 { close(probe) }
        guard refuses else {
            print("skipped: a device node made here is not the full device (a nodev mount?)")
            return
        }
        for option in ["--output", "--staff-log"] {
            let r = try Fixture.run(Fixture.vsimPath, ["grade", "demo", lab + "/solution", option, full], environment: env)
            #expect(r.status == 73, "\(option): \(r.stderr)")
            #expect(r.stderr.contains("\(option) \(full): cannot write there (a write to it fails: No space left on device)"), "\(r.stderr)")
            #expect(type(full) == S_IFCHR, "\(option): the device node stays")
        }
    }

    /// `lab package --gradescope PATH` replaces an old zip, and nothing else: before, an existing
    /// folder at PATH was removed with everything in it, and as root a device node such as
    /// /dev/null. Exit 73 (docs/exit-status.md: an output that cannot be written), and the
    /// folder, its file and the symbolic link are as they were (lstat(2)).
    @Test func gradescopeZipNeverReplacesAFolderOrLink() throws {
        let (root, _) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let env = ["VSIM_LESSONS": root + "/lessons"]
        try Fixture.write("keep\n", to: root + "/course/notes.txt")
        #expect(symlink(root + "/course/notes.txt", root + "/link.zip") == 0)
        for path in [root + "/course", root + "/link.zip"] {
            let out = try Fixture.run(Fixture.vsimPath, ["lab", "package", "demo", "--gradescope", path], environment: env)
            #expect(out.status == 73, "\(path): \(out.stderr)")
            #expect(out.stderr.contains("cannot write the Gradescope zip \(path): it exists and is not a regular file"), "\(out.stderr)")
        }
        #expect(try String(contentsOfFile: root + "/course/notes.txt", encoding: .utf8) == "keep\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/link.zip")) == root + "/course/notes.txt")
        // An old zip: one Python's zipfile wrote (the zip's own format, not vsim's).
        #expect(try Fixture.python("import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('old.txt', 'old')", [root + "/old.zip"]).status == 0)
        let replaced = try Fixture.run(Fixture.vsimPath, ["lab", "package", "demo", "--gradescope", root + "/old.zip"], environment: env)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let names = try Fixture.python("import sys, zipfile; print(' '.join(zipfile.ZipFile(sys.argv[1]).namelist()[:2]))", [root + "/old.zip"])
        #expect(names.stdout == "setup.sh run_autograder\n", "the new zip replaced the old one: \(names.stdout)\(names.stderr)")
    }

    /// Found by QA: `lab package LAB --gradescope lessons/LAB/lab.toml` replaced the lab's spec
    /// with the zip (and left lab.toml out of it). A file that is not a zip (neither a local
    /// header PK\3\4 nor an empty zip's PK\5\6, APPNOTE.TXT 4.3.7 and 4.3.16) is left as it is,
    /// and no zip is written inside the lab folder; exit 73 (docs/exit-status.md).
    @Test func gradescopeZipNeverReplacesANonZipOrALabFile() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let env = ["VSIM_LESSONS": root + "/lessons"]
        try Fixture.write("my notes\n", to: root + "/notes.zip")
        let spec = try String(contentsOfFile: lab + "/lab.toml", encoding: .utf8)
        for (path, why) in [(root + "/notes.zip", "it exists and is not a zip file"),
                            (lab + "/lab.toml", "it is inside the lab folder"),
                            (lab + "/grader.zip", "it is inside the lab folder")] {
            let out = try Fixture.run(Fixture.vsimPath, ["lab", "package", "demo", "--gradescope", path], environment: env)
            #expect(out.status == 73, "\(path): \(out.stderr)")
            #expect(out.stderr.contains("cannot write the Gradescope zip \(path): \(why)"), "\(out.stderr)")
        }
        #expect(try String(contentsOfFile: root + "/notes.zip", encoding: .utf8) == "my notes\n")
        #expect(try String(contentsOfFile: lab + "/lab.toml", encoding: .utf8) == spec)
        #expect(!FileManager.default.fileExists(atPath: lab + "/grader.zip"))
    }

    /// vsim is built and tested with one Swift release: the toolchain running this test (from
    /// `swift --version`, the independent source), setup.sh's default download and every Swift
    /// image docs/teaching.md names must all be it.
    @Test func oneSwiftVersionEverywhere() throws {
        let version = LabPackager.swiftVersion
        #expect(LabPackager.gradescopeSetup().contains("SWIFT_VERSION=\"${SWIFT_VERSION:-\(version)}\""))
        let teaching = try String(contentsOfFile: LessonTests.lessons + "/../docs/teaching.md", encoding: .utf8)
        let tags = teaching.components(separatedBy: "swift:").dropFirst().map { String($0.prefix { $0 != "-" && $0 != "`" }) }
        #expect(!tags.isEmpty && tags.allSatisfy { $0 == version }, "\(tags)")
        #expect(teaching.contains("default \(version)"))
        if let out = try? Fixture.run("swift", ["--version"]), out.status == 0 {
            #expect(out.stdout.contains("Swift version \(version) "), "this toolchain: \(out.stdout)")
        } else {
            print("skipped: no swift on PATH to compare \(version) with")
        }
    }
}
