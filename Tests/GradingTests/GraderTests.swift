import Foundation
import Testing
@testable import Grading

@Suite struct GraderTests {
    func grade(_ files: [String: String], name: String = "sub", student: String? = nil,
               configure: (inout Grader) -> Void = { _ in }) throws -> (GradingResult, String) {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        var grader = Grader(lab: spec, student: student)
        configure(&grader)
        let dir = try Fixture.submission(files, in: root, name: name)
        let result = try grader.grade(submission: dir)
        return (result, TextEmitter(timings: false).render(result))
    }

    @Test func solutionScoresFullMarks() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        let result = try Grader(lab: spec).grade(submission: lab + "/solution")
        #expect(result.score == Fixture.fullScore, "\(TextEmitter().render(result))")
        #expect(result.maxScore == Fixture.fullScore)
        #expect(result.tests.map(\.id) == ["prints", "counts", "trap", "predict", "same-as-ref"])
        #expect(result.tests.allSatisfy { $0.status == .passed })
        #expect(result.tests[2].output.contains("[trap] traps = "))
    }

    @Test func starterScoresZero() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let result = try Grader(lab: try LabSpec.load(folder: lab)).grade(submission: lab + "/starter")
        #expect(result.score == 0, "\(TextEmitter().render(result))")
        #expect(result.tests.count == 5)
        let prints = result.tests[0]
        #expect(prints.status == .failed)
        #expect(prints.output.contains("expected \"hi\\n\", got \"no\\n\""))
        // answers.toml has no key: failed, not error.
        #expect(result.tests[3].status == .failed)
        #expect(result.tests[3].output.contains("ref_instructions"))
    }

    @Test func wrongSubmissionLosesExactlyTheBrokenTests() throws {
        // Prints the right text but spins first: only `counts` (5 points) breaks.
        let (r, text) = try grade(["prog.s": Fixture.slow, "answers.toml": "ref_instructions = 8\n"])
        #expect(r.score == Fixture.fullScore - 5, "\(text)")
        #expect(r.tests.filter { $0.status != .passed }.map(\.id) == ["counts"])
        #expect(r.tests[1].output.contains("instructions: expected <= 100, got 609"))
        // A wrong prediction loses exactly the answer test.
        let (r2, text2) = try grade(["prog.s": Fixture.solution, "answers.toml": "ref_instructions = 9\n"])
        #expect(r2.score == Fixture.fullScore - 5, "\(text2)")
        #expect(r2.tests.filter { $0.status != .passed }.map(\.id) == ["predict"])
        #expect(!r2.tests[3].output.contains("8"), "the computed answer is not revealed to the student")
    }

    @Test func visibleOnlyRunsTheVisibleTests() throws {
        let (r, _) = try grade(["prog.s": Fixture.solution, "answers.toml": "ref_instructions = 8\n"]) { $0.visibleOnly = true }
        #expect(r.tests.map(\.id) == ["prints", "counts", "trap", "predict"])
    }

    @Test func emptyFolderGivesACompleteResult() throws {
        let (r, text) = try grade([:])
        #expect(r.tests.count == 5)
        #expect(r.score == 0)
        #expect(r.tests.allSatisfy { $0.status == .error }, "\(text)")
        #expect(r.tests[0].output.contains("missing file prog.s"))
        #expect(r.submissionProblems.count == 2)
    }

    @Test func missingOneFileErrorsOnlyTheTestsThatNeedIt() throws {
        let (r, text) = try grade(["prog.s": Fixture.solution])
        #expect(r.score == Fixture.fullScore - 5, "\(text)")
        #expect(r.tests[3].status == .error)
        #expect(r.tests[3].output.contains("missing file answers.toml"))
    }

    @Test func assemblerErrorIsAnErrorWithTheMessages() throws {
        let (r, text) = try grade(["prog.s": ".globl _start\n_start:\n    movl %eax, %bogus\n", "answers.toml": "ref_instructions = 8\n"])
        #expect(r.tests[0].status == .error, "\(text)")
        #expect(r.tests[0].output.contains("building prog.s failed"))
        #expect(r.tests[0].output.contains("submission/prog.s"), "messages name the file, not the scratch folder")
        #expect(!text.contains("vsim-grade-"))
        #expect(r.tests[3].status == .passed, "the answer test does not need prog.s")
        #expect(r.score == 5)
    }

    /// A source that keeps the assembler busy (GNU as repeats a `.rept` body once per count:
    /// 100 million bytes here, over a minute on this 2-vCPU host) is stopped at the check's time
    /// limit, here 1 s, and refused with that said. Before, the message was "as --32 exited with
    /// status 9" (Foundation's status of a process killed by SIGKILL) and no reason.
    @Test func assemblerThatRunsTooLongIsStoppedAndSaysSo() throws {
        let (root, _) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let dir = try Fixture.submission(["prog.s": ".data\n.rept 100000000\n.byte 0\n.endr\n"], in: root, name: "busy")
        let sandbox = try SubmissionSandbox(submission: dir, files: ["prog.s"])
        sandbox.assemblyTimeLimit = 1
        guard case .failure(let problem) = sandbox.path("prog.s") else {
            Issue.record("the source was accepted")
            return
        }
        #expect(problem.message == "building prog.s failed: as --32 did not finish within 1 s and was stopped; "
                + "look for a .rept, .fill or macro that makes the assembler run without end", "\(problem.message)")
    }

    /// A listed `src/prog.s` whose folder `src` is a symbolic link (to the lab's solution, say)
    /// is refused like a linked file: lstat(2) follows every component but the last
    /// (path_resolution(7)), so checking the file alone handed in what the link points at.
    @Test func aLinkedFolderOnTheWayIsRefused() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let dir = try Fixture.submission(["real/prog.s": Fixture.solution], in: root, name: "linked")
        #expect(symlink(lab + "/solution", dir + "/src") == 0)
        let sandbox = try SubmissionSandbox(submission: dir, files: ["src/prog.s", "real/prog.s"])
        guard case .failure(let problem) = sandbox.path("src/prog.s") else {
            Issue.record("src/prog.s through a linked folder was accepted")
            return
        }
        #expect(problem.message == "src/prog.s is not a regular file (a symbolic link or folder is not accepted)")
        guard case .success = sandbox.path("real/prog.s") else {
            Issue.record("real/prog.s in a real folder was refused")
            return
        }
    }

    @Test func infiniteLoopStopsAtTheStepBudget() throws {
        let loop = ".globl _start\n_start:\n    jmp _start\n"
        let (r, text) = try grade(["prog.s": loop, "answers.toml": ""])
        #expect(r.tests[0].status == .failed, "\(text)")
        #expect(r.tests[0].output.contains("exit status: expected 0, got 152"))
        #expect((r.tests[0].steps ?? 0) >= 2 * 2_000_000, "the step budget ends both runs")
        #expect(r.tests[3].status == .failed)
    }

    /// 1600 writes of 64 KiB: 100 MiB of guest output.
    static let flood = """
        .globl _start
        _start:
            movl $1600, %esi
        1:  movl $4, %eax
            movl $1, %ebx
            movl $buf, %ecx
            movl $65536, %edx
            int $0x80
            decl %esi
            jnz 1b
            movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
        .bss
        buf: .space 65536

        """

    @Test func hugeOutputIsStoppedAtMaxOutput() throws {
        let (r, text) = try grade(["prog.s": Self.flood, "answers.toml": ""])
        // docs/lab-spec.md: max_output defaults to 65,536 bytes; past it the run fails with
        // "output limit exceeded (N bytes)" and status 153 (128 + SIGXFSZ 25).
        #expect(r.tests[0].status == .failed)
        #expect(r.tests[0].output.contains("[interpret] output limit exceeded (65536 bytes)"), "\(text.prefix(2000))")
        #expect(r.tests[0].output.contains("[translate] output limit exceeded (65536 bytes)"), "\(text.prefix(2000))")
        #expect(r.tests[0].staffLog.contains("stopped past max_output = 65536 bytes"))
        #expect(!r.tests[0].output.contains("modes disagree"), "a cut output is not compared across modes")
        for t in r.tests { #expect(t.output.utf8.count <= 4096) }
    }

    /// A guest that prints forever: one that ignores SIGPIPE (SIG_IGN through sigaction, then
    /// write errors ignored), one that does not. Every run ends as "output limit exceeded" with
    /// status 153 whatever the guest did after its write failed. In user mode the one that does
    /// not ignore SIGPIPE is killed by it at its first write past the limit, as Linux kills a
    /// writer whose pipe has no reader: vsim's own status is 141 (128 + SIGPIPE 13); the one
    /// that ignores it is killed by the grader: 137 (128 + SIGKILL 9). The step
    /// budget is 2,000,000 and the time limit 600 s: without the output limit the user-mode run
    /// that ignores SIGPIPE would write 2,000,000 / 6 writes of 6 bytes, and the guest kernel
    /// modes would run to their budget.
    @Test func endlessPrintingEndsAtMaxOutputNotAtTheTimeLimit() throws {
        for ignorePipe in [false, true] {
            let ignore = ignorePipe ? """
                movl $67, %eax          # sigaction(SIGPIPE, {SIG_IGN}, NULL)
                movl $13, %ebx
                movl $act, %ecx
                xorl %edx, %edx
                int $0x80
            """ : ""
            let endless = """
            .globl _start
            _start:
            \(ignore)
            1:  movl $4, %eax
                movl $1, %ebx
                movl $line, %ecx
                movl $6, %edx
                int $0x80
                jmp 1b
            .data
            line: .ascii "again\\n"
            act:  .long 1, 0, 0, 0

            """
            let (root, lab) = try Fixture.makeLab()
            defer { Fixture.remove(root) }
            try Fixture.write("""
                id = "demo"
                title = "t"
                summary = "s"
                order = 1
                submission = ["prog.s"]
                [defaults]
                max_instructions = 2000000
                time_limit = 600
                max_output = 10000
                [[tests]]
                id = "once"
                name = "prints hi"
                points = 1
                program = "submission/prog.s"
                modes = ["interpret", "translate", "trap", "hvm", "pv"]
                expect = { stdout = "hi\\n", exit_status = 153 }

                """, to: lab + "/lab.toml")
            try Fixture.write("", to: lab + "/hidden/hidden.toml")
            let spec = try LabSpec.load(folder: lab)
            #expect(spec.tests[0].maxOutput == 10000)
            let dir = try Fixture.submission(["prog.s": endless], in: root, name: "sub")
            let r = try Grader(lab: spec).grade(submission: dir)
            let out = r.tests[0].output
            #expect(r.tests[0].status == .failed, "\(out)")
            for mode in ["interpret", "translate", "trap", "hvm", "pv"] {
                #expect(out.contains("[\(mode)] output limit exceeded (10000 bytes)"), "SIG_IGN \(ignorePipe): \(out)")
            }
            // Under the guest kernel the machine stops when its console finds the reader gone,
            // whatever the program's SIGPIPE disposition: 141 there too.
            for mode in ["trap", "hvm", "pv"] {
                #expect(r.tests[0].staffLog.contains("[\(mode)] stopped past max_output = 10000 bytes (vsim's status was 141)"),
                        "SIG_IGN \(ignorePipe): \(r.tests[0].staffLog)")
            }
            #expect(!out.contains("stdout differs"), "no other expectation is judged on a cut output: \(out)")
            #expect(r.tests[0].steps == nil, "a stopped run reports no step count (it depends on when the pipe closed)")
            // In user mode the one that ignores SIGPIPE goes on writing and is killed by the
            // grader (137, 128 + SIGKILL) instead of running to its budget.
            for mode in ["interpret", "translate"] {
                let status = ignorePipe ? 137 : 141
                #expect(r.tests[0].staffLog.contains("[\(mode)] stopped past max_output = 10000 bytes (vsim's status was \(status))"),
                        "\(r.tests[0].staffLog)")
            }
        }
    }

    @Test func incbinOfAHostFileIsRefused() throws {
        let steal = ".globl _start\n_start:\n    nop\n.data\nsecret: .incbin \"/etc/passwd\"\n"
        let (r, text) = try grade(["prog.s": steal, "answers.toml": "ref_instructions = 8\n"])
        for t in r.tests where t.id != "predict" {
            #expect(t.status == .error, "\(text)")
            #expect(t.output.contains("is refused"))
        }
        #expect(!text.contains("root:x:0"))
        #expect(r.score == 5)
    }

    @Test func includeBuiltByAMacroIsRefused() throws {
        // No `.incbin` appears in the text: the directive name is built from macro arguments.
        let sneaky = """
        .macro m a, b
        .\\a\\()\\b "/etc/passwd"
        .endm
        .globl _start
        _start:
            nop
        .data
        m inc, bin

        """
        let (r, text) = try grade(["prog.s": sneaky, "answers.toml": ""])
        #expect(r.tests[0].status == .error, "\(text)")
        #expect(r.tests[0].output.contains("is refused"))
        #expect(!text.contains("root:x:0"))
    }

    @Test func guestCannotOpenTheLabsFiles() throws {
        // open("lessons/demo/hidden/ref.s") is not in vsim's Linux ABI: the guest gets an error.
        let probe = """
        .globl _start
        _start:
            movl $5, %eax
            movl $path, %ebx
            xorl %ecx, %ecx
            int $0x80
            testl %eax, %eax
            js 1f
            movl $4, %eax
            movl $1, %ebx
            movl $opened, %ecx
            movl $7, %edx
            int $0x80
        1:  movl $4, %eax
            movl $1, %ebx
            movl $msg, %ecx
            movl $3, %edx
            int $0x80
            movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
        .data
        path: .asciz "lessons/demo/hidden/ref.s"
        opened: .ascii "OPENED\\n"
        msg: .ascii "hi\\n"

        """
        let (r, text) = try grade(["prog.s": probe, "answers.toml": "ref_instructions = 8\n"])
        #expect(!text.contains("OPENED"))
        #expect(r.tests[0].status == .passed, "\(text)")
        #expect(r.tests.count == 5)
    }

    @Test func symbolicLinkInTheSubmissionIsRefused() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let dir = try Fixture.submission(["answers.toml": "ref_instructions = 8\n"], in: root, name: "sub")
        try FileManager.default.createSymbolicLink(atPath: dir + "/prog.s", withDestinationPath: lab + "/hidden/ref.s")
        let r = try Grader(lab: try LabSpec.load(folder: lab)).grade(submission: dir)
        #expect(r.tests[0].status == .error)
        #expect(r.tests[0].output.contains("not a regular file"))
    }

    @Test func missingSubmissionFolderThrows() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        #expect(throws: GradingError.self) { try Grader(lab: try LabSpec.load(folder: lab)).grade(submission: root + "/nope") }
    }

    @Test func sameSubmissionGradesIdentically() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        let a = try Grader(lab: spec, student: "alice").grade(submission: lab + "/starter")
        let b = try Grader(lab: spec, student: "alice").grade(submission: lab + "/starter")
        for format in ResultFormat.allCases {
            #expect(format.render(a, timings: false) == format.render(b, timings: false), "\(format)")
        }
    }

    @Test func variantsDependOnTheStudentOnly() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        let alice = LabVariant(lab: spec, student: "alice"), bob = LabVariant(lab: spec, student: "bob")
        #expect(alice == LabVariant(lab: spec, student: "alice"))
        #expect(alice.seed != bob.seed)
        #expect(alice.value("n") != bob.value("n"))
        #expect(LabVariant(lab: spec, student: nil).seed == 0)
        // FNV-1a 64 of "demo\0alice", computed independently.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in Array("demo".utf8) + [0] + Array("alice".utf8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        #expect(alice.seed == h)
        let handout = LabFiles.handout(spec, student: "alice")
        #expect(handout.contains("Your n is \(alice.value("n")!), your word \(alice.value("word")!), seed \(alice.seed)."))
    }

    @Test func malformedSpecNamesFileTestAndKey() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let broken = Fixture.labTOML.replacingOccurrences(of: "op = \"<=\"", with: "op = \"=<\"")
        try Fixture.write(broken, to: lab + "/lab.toml")
        do {
            _ = try LabSpec.load(folder: lab)
            Issue.record("expected an error")
        } catch {
            #expect(error.exitStatus == 65)
            #expect(error.description.contains("lab.toml, test 'counts', key 'expect.counters[1].op'"), "\(error)")
        }
        try Fixture.write(Fixture.labTOML.replacingOccurrences(of: "lab/tests/ref.s", with: "lab/../x.s"), to: lab + "/lab.toml")
        #expect(throws: GradingError.self) { try LabSpec.load(folder: lab) }
        try Fixture.write(Fixture.labTOML.replacingOccurrences(of: "compute = { program", with: "compute = { shell = \"cat answers\", program2"), to: lab + "/lab.toml")
        do { _ = try LabSpec.load(folder: lab) } catch { #expect(error.description.contains("unknown compute source")) }
        // A mode that runs the program on the host CPU (no step budget; student code natively)
        // is refused at load time, for run tests and for computed answers alike.
        for mode in ["native", "qemu", "container", "ptrace", "kvm"] {
            for (old, new, key) in [("modes = [\"trap\"]", "modes = [\"\(mode)\"]", "test 'trap', key 'modes'"),
                                    ("mode = \"interpret\", counter", "mode = \"\(mode)\", counter", "test 'predict', key 'compute.mode'")] {
                try Fixture.write(Fixture.labTOML.replacingOccurrences(of: old, with: new), to: lab + "/lab.toml")
                do {
                    _ = try LabSpec.load(folder: lab)
                    Issue.record("expected \(mode) to be refused (\(key))")
                } catch {
                    #expect(error.exitStatus == 65)
                    #expect(error.description.contains("\(key): '\(mode)' runs the program on the host CPU"), "\(error)")
                }
            }
        }
        // Nanobenchmark answers: the benchmark, the strategies and the preset must exist, and a
        // strategy must have the row (a PV kernel never writes its page tables).
        let nanobench: [(String, String)] = [
            ("nanobench = \"ptemod2\", strategy = \"bt\"", "unknown nanobenchmark 'ptemod2'"),
            ("nanobench = \"ptemod\", strategy = \"vmware\"", "unknown strategy 'vmware'"),
            ("nanobench = \"ptemod\", strategy = \"pv\"", "pv has no ptemod row"),
            ("nanobench = \"in\", cheaper = [\"bt\", \"hvm-shadow\"], cpu = \"pentium\"", "unknown cost preset 'pentium'"),
            ("nanobench = \"in\", cheaper = [\"bt\"]", "`cheaper = [NAME, NAME, ...]`"),
        ]
        for (compute, message) in nanobench {
            let text = Fixture.labTOML.replacingOccurrences(of: "compute = { program", with: "compute = { \(compute) } #")
            try Fixture.write(text, to: lab + "/lab.toml")
            do {
                _ = try LabSpec.load(folder: lab)
                Issue.record("expected an error for \(compute)")
            } catch {
                #expect(error.description.contains(message), "\(compute): \(error)")
            }
        }
    }

    @Test func startAndExportLeaveOutHiddenAndSolution() throws {
        let (root, lab) = try Fixture.makeLab()
        defer { Fixture.remove(root) }
        let spec = try LabSpec.load(folder: lab)
        #expect(try LabFiles.start(spec, into: root + "/work") == ["answers.toml", "prog.s"])
        #expect(throws: GradingError.self) { try LabFiles.start(spec, into: root + "/work") }
        let exported = try LabFiles.export(spec, into: root + "/student")
        #expect(exported == ["README.md", "lab.toml", "starter/answers.toml", "starter/prog.s", "tests/ref.s"])
    }
}
