import Foundation
import Testing
import Reports

/// `vsim compare`'s exports (issue 9, item 4): stdout for one format alone, hyperfine's JSON
/// fields with measured CPU times and no nulls, export paths checked before the first run, the
/// SVG's visible title and its log axis from 1x.
@Suite(.serialized) struct ReportExportTests {
    /// Checks a JSON document the way hyperfine's scripts read it: the whole file is one JSON
    /// value, every result has hyperfine's fields with their types, and nothing is null.
    static let hyperfineCheck = #"""
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
runs = int(sys.argv[2])
def no_null(v, where):
    if v is None: raise SystemExit("null at " + where)
    if isinstance(v, dict):
        for k, x in v.items(): no_null(x, where + "." + k)
    if isinstance(v, list):
        for i, x in enumerate(v): no_null(x, "%s[%d]" % (where, i))
no_null(d, "$")
def number(x): return isinstance(x, (int, float)) and not isinstance(x, bool)
for r in d["results"]:
    assert isinstance(r["command"], str), r
    for k in ["mean", "stddev", "median", "user", "system", "min", "max"]:
        assert number(r[k]) and r[k] >= 0, (k, r.get(k))
    assert isinstance(r["times"], list) and len(r["times"]) == runs and all(number(t) for t in r["times"]), r["times"]
    assert isinstance(r["exit_codes"], list) and all(isinstance(c, int) for c in r["exit_codes"]), r["exit_codes"]
    assert isinstance(r["parameters"], dict) and r["parameters"]["mode"] == r["mode"], r["parameters"]
    assert r["min"] <= r["median"] <= r["max"]
print("modes", ",".join(r["mode"] for r in d["results"]))
print("unavailable", ",".join(u["mode"] + ":" + ("reason" if u["reason"] else "") for u in d["unavailable"]))
"""#

    @Test("--export-json - puts only JSON on stdout (hyperfine's fields, no nulls), the table on stderr; an unavailable mode is listed apart")
    func jsonOnStdout() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        var env = ProcessInfo.processInfo.environment
        env["VSIM_KVM_DEVICE"] = "/nonexistent/kvm"
        let r = try CLI.vsim(["compare", "--modes", "interpret,kvm,native", "--runs", "2", "--warmup", "0",
                              "--export-json", "-", "--", "300"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("{\n"))
        #expect(!r.stdout.contains("median  "), "the table went to stdout")
        #expect(r.stderr.contains("vsim ") && r.stderr.contains(" compare: ") && r.stderr.contains("median"), "\(r.stderr)")
        let json = try CLI.write(r.stdout, name: "r.json", in: dir)
        let check = try CLI.run("python3", ["-c", Self.hyperfineCheck, json, "2"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout == "modes interpret,native\nunavailable kvm:reason\n", "\(check.stdout) \(check.stderr)")
    }

    @Test("--export-csv: Python's csv module reads it; a modeled row says so and carries its modeled time (cycles at the i7-4770's 3.4 GHz)")
    func csvModeledColumns() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let r = try CLI.vsim(["compare", "--modes", "interpret,trap", "--runs", "1", "--warmup", "0",
                              "--export-csv", "-", "--", "300"])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try CLI.write(r.stdout, name: "r.csv", in: dir)
        let check = try CLI.run("python3", ["-c", #"""
import csv, sys
rows = {r["mode"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
i, t = rows["interpret"], rows["trap"]
assert i["basis"] == "measured" and i["modeled_seconds"] == "" and i["modeled_slowdown"] == "", i
assert t["basis"] == "modeled", t
cycles, seconds = int(t["modeled_cycles"]), float(t["modeled_seconds"])
assert abs(seconds * 3.4e9 - cycles) <= 1e-6 * cycles, (seconds, cycles)
assert float(t["modeled_slowdown"]) >= 1.0, t["modeled_slowdown"]
print("ok")
"""#, csv])
        #expect(check.stdout == "ok\n", "\(check.stdout) \(check.stderr)")
    }

    @Test("two exports to - are a usage error, as is - with a --format other than table")
    func oneFormatOnStdout() throws {
        let two = try CLI.vsim(["compare", "--runs", "1", "--export-json", "-", "--export-csv", "-"])
        #expect(two.status == 64)
        #expect(two.stderr.contains("--export-json - and --export-csv - would both write to stdout"), "\(two.stderr)")
        #expect(two.stdout.isEmpty)
        let format = try CLI.vsim(["compare", "--runs", "1", "--format", "json", "--export-svg", "-"])
        #expect(format.status == 64)
        #expect(format.stderr.contains("--export-svg - and --format json would both write to stdout"), "\(format.stderr)")
    }

    /// A native program that creates the directory named by its first argument: the side effect
    /// that shows whether a run happened.
    static let mkdirSource = """
            .globl _start
        _start:
            movl 8(%esp), %ebx      # argv[1]
            movl $39, %eax          # mkdir(argv[1], 0755)
            movl $0755, %ecx
            int $0x80
            movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
        """

    @Test("an export path that cannot be created fails with 73 before the first run; a good one lets the runs go on")
    func exportPathCheckedFirst() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build(Self.mkdirSource, name: "mkdirarg", in: dir)
        let marker = dir + "/ran"
        for (option, path, why) in [("--export-json", dir + "/missing/r.json", "its directory \(dir)/missing does not exist"),
                                    ("--export-svg", dir, "it is a directory"),
                                    ("--export-csv", exe + "/r.csv", "Not a directory")] {
            let r = try CLI.vsim(["compare", "--modes", "native", "--runs", "1", "--warmup", "0", option, path, exe, "--", marker])
            #expect(r.status == 73, "\(option): \(r.stderr)")
            #expect(r.stderr.contains("vsim: error: \(option) \(path): the output file cannot be created: ") && r.stderr.contains(why),
                    "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(option): a run happened before the check")
        }
        let ok = try CLI.vsim(["compare", "--modes", "native", "--runs", "1", "--warmup", "0", "--export-json", dir + "/r.json",
                               exe, "--", marker])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(FileManager.default.fileExists(atPath: dir + "/r.json"))
    }

    /// Files that exist but take no write: `access(2)` says yes to root for all of them, so the
    /// check opens each and writes zero bytes. Linux's answers (drivers/char/mem.c: /dev/full's
    /// write is ENOSPC; a FIFO opened O_NONBLOCK for writing with no reader is ENXIO, fifo(7)).
    @Test("an export to /dev/full, a FIFO nobody reads or a read-only file fails with 73 before the first run")
    func exportToSpecialFilesCheckedFirst() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build(Self.mkdirSource, name: "mkdirarg", in: dir)
        let marker = dir + "/ran"
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        var cases = [("--export-json", "/dev/full", "No space left on device"), ("--export-csv", fifo, "it is a FIFO that no process reads")]
        if getuid() != 0 {
            let readOnly = dir + "/ro.json"
            #expect(FileManager.default.createFile(atPath: readOnly, contents: Data("old".utf8), attributes: [.posixPermissions: 0o444]))
            cases.append(("--export-markdown", readOnly, "Permission denied"))
        } else {
            // root may open any regular file; /proc/version takes no write (EIO).
            cases.append(("--export-markdown", "/proc/version", "Input/output error"))
        }
        for (option, path, why) in cases {
            let r = try CLI.vsim(["compare", "--modes", "native", "--runs", "1", "--warmup", "0", option, path, exe, "--", marker])
            #expect(r.status == 73, "\(option) \(path): \(r.stderr)")
            #expect(r.stderr.contains("vsim: error: \(option) \(path): the output file cannot be created: ") && r.stderr.contains(why),
                    "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(option) \(path): a run happened before the check")
        }
    }

    /// The promise of `--export-*` (docs/user-guide.md): it writes the report and nothing else.
    /// An export naming one of compare's inputs would truncate it at the end of the runs (found
    /// by QA: `--export-json prog.s` replaced the program with the JSON); the oracle is each
    /// file's bytes before and after, and that no run happened (the marker).
    @Test("an export naming the program, the --cost-model file, the file on stdin or another export's file is a usage error (64) before any run; every file stays as it was")
    func exportNeverReplacesAnInput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let source = try CLI.write(Self.mkdirSource, name: "mkdirarg.s", in: dir)
        let model = try CLI.write("trapRoundTrip = 1000\n", name: "model.txt", in: dir)
        let input = try CLI.write("guest input\n", name: "input.txt", in: dir)
        let marker = dir + "/ran"
        let before = try [source, model, input].map { try String(contentsOfFile: $0, encoding: .utf8) }
        let cases: [([String], String)] = [
            (["--export-json", source], "--export-json \(source) is the program \(source)"),
            (["--export-csv", dir + "/./mkdirarg.s"], "--export-csv \(dir)/./mkdirarg.s is the program \(source)"),
            (["--export-svg", model, "--cost-model", model], "--export-svg \(model) is the --cost-model file \(model)"),
            (["--export-markdown", input], "--export-markdown \(input) is the file on vsim's stdin"),
            (["--export-json", dir + "/r.out", "--export-csv", dir + "/r.out"],
             "--export-csv \(dir)/r.out is the file --export-json \(dir)/r.out writes"),
        ]
        for (options, message) in cases {
            let modes = options.contains("--cost-model") ? "native,trap" : "native"
            let args = ["compare", "--modes", modes, "--runs", "1", "--warmup", "0"] + options + [source, "--", marker]
            let r = try CLI.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" < \(input)", CLI.vsimPath] + args)
            #expect(r.status == 64, "\(options): \(r.stderr)")
            #expect(r.stderr.contains("vsim: error: \(message): writing the report there would replace it; choose another path"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(options): a run happened before the check")
        }
        #expect(try [source, model, input].map { try String(contentsOfFile: $0, encoding: .utf8) } == before)
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.out"))
        // Two exports to a device replace nothing: /dev/null takes both.
        let ok = try CLI.vsim(["compare", "--modes", "native", "--runs", "1", "--warmup", "0", "--export-json", "/dev/null",
                               "--export-csv", "/dev/null", source, "--", marker])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// A directory on stdin cannot be read (read(2): EISDIR): that is the input's fault, not a
    /// bug in vsim, so 66 (docs/exit-status.md: cannot be read), where it was 70 (found by QA).
    @Test("a directory on compare's stdin is 66 (cannot be read), not 70")
    func directoryOnStdinIsUnreadable() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let source = try CLI.write(Self.mkdirSource, name: "mkdirarg.s", in: dir)
        let r = try CLI.run("/bin/sh", ["-c", "exec \"$0\" compare --modes native --runs 1 --warmup 0 \"$1\" -- \"$2\" < \"$3\"",
                                         CLI.vsimPath, source, dir + "/ran", dir])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("vsim: error: cannot read stdin: \(String(cString: strerror(EISDIR)))"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/ran"))
    }

    @Test("a comparison that fails after the export check leaves no export file behind")
    func failedComparisonCreatesNoExport() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let r = try CLI.vsim(["compare", "--modes", "interpret", "--runs", "1", "--export-json", dir + "/r.json",
                              "--export-csv", dir + "/r.csv", dir + "/no-such-program"])
        #expect(r.status == 66, "docs/exit-status.md: a program that does not exist is 66: \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing created")
    }

    @Test("--runs takes 1 to 1000 and --warmup 0 to 100: anything else is a usage error (64) before any run")
    func runsAndWarmupBounded() throws {
        for (args, message) in [(["--runs", "1001"], "--runs must be from 1 to 1000 (got 1001)"),
                                (["--runs", "0"], "--runs must be from 1 to 1000 (got 0)"),
                                (["--runs", "9223372036854775807"], "--runs must be from 1 to 1000 (got 9223372036854775807)"),
                                (["--warmup", "101"], "--warmup must be from 0 to 100 (got 101)")] {
            let r = try CLI.vsim(["compare", "--modes", "interpret"] + args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    @Test("the SVG shows its title as text and starts its log axis at a labelled 1x")
    func svgTitleAndAxis() throws {
        let header = ComparisonReport.Header(vsimVersion: "0.1.0", hostCPU: "Test CPU (2 CPUs)", kernel: "Linux 6.1",
                                             date: "2026-11-20T22:10:00Z", program: "sumsq (built in)", arguments: ["300"], runs: 3,
                                             programIsBuiltIn: true)
        let native = ComparisonReport.ModeSummary(mode: "native", command: "n", wallTimes: Statistics([0.001, 0.001, 0.001]),
                                                  instructions: nil, exitStatuses: [0, 0, 0], maxResidentBytes: nil)
        let slow = ComparisonReport.ModeSummary(mode: "interpret", command: "i", wallTimes: Statistics([0.05, 0.05, 0.05]),
                                                instructions: 1000, exitStatuses: [0, 0, 0], maxResidentBytes: nil)
        let svg = SVGRenderer.render(ComparisonReport(header: header, modes: [slow, native], baselineMode: "native"))
        let title = try #require(svg.components(separatedBy: "<g class=\"title\">").dropFirst().first?.components(separatedBy: "</g>").first)
        #expect(title.contains(">vsim compare: sumsq (built in) 300, 3 runs per mode</text>"), "\(title)")
        #expect(title.contains(">host: Test CPU (2 CPUs); kernel Linux 6.1; 2026-11-20T22:10:00Z</text>"), "\(title)")
        #expect(svg.contains(">1x</text>") && svg.contains(">10x</text>") && svg.contains(">100x</text>"))
        #expect(!svg.contains("0.5x"))
        // The 1x label sits where the bars start.
        let oneX = try #require(svg.components(separatedBy: "\n").first { $0.hasSuffix(">1x</text>") })
        let bar = try #require(svg.components(separatedBy: "\n").first { $0.contains("class=\"bar\"") })
        func attribute(_ line: String, _ name: String) -> String? {
            line.components(separatedBy: " \(name)=\"").dropFirst().first?.components(separatedBy: "\"").first
        }
        #expect(attribute(oneX, "x") != nil && attribute(oneX, "x") == attribute(bar, "x"), "\(oneX)\n\(bar)")
    }
}

/// A closed stdin (`<&-`) gives the guest what a native process with fd 0 closed gets (read
/// fails with EBADF) in every mode, at once; compare gives every run the same (empty) input.
@Suite(.serialized) struct ClosedStdinTests {
    @Test("vsim run PROG <&- exits with the native status in every mode")
    func everyMode() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let cat = try CLI.build(String(contentsOfFile: CLI.packageRoot + "/programs/cat.s", encoding: .utf8), name: "cat", in: dir)
        let oracle = try CLI.run("sh", ["-c", "exec \"$0\" <&-", cat])
        #expect(oracle.status == 1)     // cat's read(0) fails with -EBADF: exit 1
        let variants: [[String]] = [["--mode", "native"], ["--mode", "interpret"], ["--mode", "translate"],
                                    ["--mode", "trap"], ["--mode", "hvm"], ["--mode", "pv"],
                                    ["--mode", "interpret", "--system"], ["--mode", "translate", "--system"],
                                    ["--mode", "trap", "--engine", "translate"]]
        for options in variants {
            // A short time limit: without the fix the guest kernel read its own RAM (the file
            // that landed on fd 0) until the limit, which gives 152, not the native status.
            let r = try CLI.run("sh", ["-c", "exec \"$0\" run --time-limit 20 \"$@\" <&-", CLI.vsimPath] + options + [cat])
            #expect(r.status == oracle.status, "\(options): \(r.status) \(r.stderr)")
        }
    }

    @Test("compare with a closed stdin gives every run, native included, the same empty input: no mismatch")
    func compare() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let cat = try CLI.build(String(contentsOfFile: CLI.packageRoot + "/programs/cat.s", encoding: .utf8), name: "cat", in: dir)
        let r = try CLI.run("sh", ["-c", "exec \"$0\" compare --modes interpret,trap,pv,native --runs 1 --warmup 0 \"$1\" <&-",
                                   CLI.vsimPath, cat])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(!r.stdout.contains("MISMATCH"), "\(r.stdout)")
    }
}
