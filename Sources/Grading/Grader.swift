import Crypto
import Descriptions
import Foundation
import Guest
import Homework
import HostIO
import VSim

/// Grades one submission of a lab: each test run through ``VSim/run(program:mode:arguments:options:)``
/// with the guest's stdout streamed into a bounded summary (size, SHA-256, the first 64 KiB), its
/// stdin from the test, an empty environment, the step budget deciding and the host time limit
/// only as a backstop. Counters come from vsim's own measurements, never from the guest.
///
/// One test failing or erroring never stops the others: every test gets a ``TestResult``.
public struct Grader {
    public var lab: LabSpec
    public var variant: LabVariant
    /// Grade only lab.toml's tests with visibility `visible` (`vsim lab check`).
    public var visibleOnly = false
    /// The vsim executable that runs `repl` tests (`vsim repl --batch`); nil: `VSIM_EXECUTABLE`,
    /// else none (a repl test is then an error that says so).
    public var vsimExecutable: String?

    /// - Parameter student: the student id the variant is made for (nil: seed 0).
    public init(lab: LabSpec, student: String? = nil) {
        self.lab = lab
        variant = LabVariant(lab: lab, student: student)
        vsimExecutable = ProcessInfo.processInfo.environment["VSIM_EXECUTABLE"]
    }

    /// The tests this grader runs, in lab order.
    public var selectedTests: [LabTest] {
        visibleOnly ? lab.tests.filter { !$0.fromHiddenFile && $0.visibility == .visible } : lab.tests
    }

    /// Grades the submission in folder `submission`.
    /// - Returns: a complete result, one ``TestResult`` per selected test, whatever the submission does.
    /// - Throws: ``GradingError/noSuchSubmission(_:)`` when the folder does not exist,
    ///   ``GradingError/io(_:)`` when the scratch copy cannot be made.
    public func grade(submission: String) throws(GradingError) -> GradingResult {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: submission, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .noSuchSubmission(submission)
        }
        // A run stopped at max_output gets EPIPE when the guest writes again (StreamedOutput
        // closes the pipe's read end). The guest runs in this process, so the host's SIGPIPE
        // would end the grader: vsim-lab ignores it from its start (StandardDescriptors.reserve),
        // and so does this for a caller that did not (a test process); vsim posts SIGPIPE to the guest.
        StandardStreams.ignoreSIGPIPE()
        let sandbox = try SubmissionSandbox(submission: submission, files: lab.submission)
        var result = GradingResult(labID: lab.id, labTitle: lab.title, variant: variant, tests: [], vsimVersion: VSim.version)
        result.submissionProblems = lab.submission.sorted().compactMap { sandbox.problems[$0] }
        for (index, test) in selectedTests.enumerated() {
            let start = ContinuousClock.now
            var run = TestRun(test: test, grader: self, sandbox: sandbox)
            try Grader.stopIfSignalled(during: test.id)
            run.execute()
            try Grader.stopIfSignalled(during: test.id)
            let elapsed = ContinuousClock.now - start
            let (s, atto) = elapsed.components
            let status: TestResult.Status = run.errors.isEmpty ? (run.failures.isEmpty ? .passed : .failed) : .error
            result.tests.append(TestResult(
                id: test.id, name: variant.substitute(test.name), score: status == .passed ? test.points : 0, maxScore: test.points,
                status: status, output: run.studentOutput(limit: test.outputLimit), staffLog: run.staff.joined(separator: "\n"),
                visibility: test.visibility, tags: test.tags, steps: run.steps, seconds: Double(s) + Double(atto) / 1e18,
                number: index + 1))
        }
        return result
    }

    /// Throws ``GradingError/interrupted(signal:_:)`` when the grading process received SIGINT,
    /// SIGTERM, SIGHUP or SIGQUIT (``StopSignal``, held by `vsim grade`): the run it stopped is
    /// not graded, no later test runs, and the scratch folder goes with the sandbox. A host tool
    /// the test was running (the submission check's `as` or `cpp`, a `repl` session) was killed
    /// with its process group at the signal (``HostProcess``).
    static func stopIfSignalled(during test: String) throws(GradingError) {
        guard let s = StopSignal.received else { return }
        throw .interrupted(signal: s, "grading stopped by \(SignalName.of(s)) during test '\(test)' "
            + "(passed on to the run, check or REPL session in progress, which was ended); no result was written")
    }
}

/// The guest's stdout as the grader keeps it: bounded whatever the guest writes.
struct CapturedOutput: Equatable {
    var size: UInt64
    var sha256: String
    /// The first bytes (at most ``StreamedOutput/prefixLimit``).
    var prefix: [UInt8]
    /// The run was stopped past `max_output` (`size` is then what was read by then).
    var limitExceeded = false

    /// Whether the whole output is exactly `bytes`.
    func equals(_ bytes: [UInt8]) -> Bool {
        guard UInt64(bytes.count) == size else { return false }
        if UInt64(prefix.count) == size { return prefix == bytes }
        return sha256 == SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// One run's outcome: vsim's result and the captured stdout.
struct RunOutcome {
    var mode: Mode
    var result: RunResult
    var stdout: CapturedOutput
}

/// The state of one test while it runs: failures (expectations), errors (could not run), lines
/// for the student and for staff.
struct TestRun {
    let test: LabTest
    let grader: Grader
    let sandbox: SubmissionSandbox
    var failures: [String] = []
    var errors: [String] = []
    var notes: [String] = []
    var staff: [String] = []
    var excerpts: [String] = []
    var steps: UInt64?

    var variant: LabVariant { grader.variant }
    var lab: LabSpec { grader.lab }

    init(test: LabTest, grader: Grader, sandbox: SubmissionSandbox) {
        self.test = test
        self.grader = grader
        self.sandbox = sandbox
    }

    mutating func execute() {
        switch test.kind {
        case .run: executeRun()
        case .answer: executeAnswer()
        case .repl: executeREPL()
        }
    }

    /// Errors first, then failures, notes and guest output excerpts; cut at `limit` bytes.
    func studentOutput(limit: Int) -> String {
        var lines: [String] = []
        lines += errors.map { "error: " + $0 }
        lines += failures.map { "failed: " + $0 }
        if errors.isEmpty && failures.isEmpty { lines.append("passed") }
        lines += notes
        lines += excerpts
        return TestRun.truncate(lines.joined(separator: "\n"), limit: limit)
    }

    /// `text` cut to at most `limit` UTF-8 bytes (on a character boundary) with a note saying so.
    static func truncate(_ text: String, limit: Int) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > limit else { return text }
        let note = "\n[output truncated by the grader at \(limit) bytes of \(bytes.count)]"
        var cut = max(0, limit - note.utf8.count)
        while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }
        return String(decoding: bytes[..<cut], as: UTF8.self) + note
    }

    // MARK: programs and runs

    /// The program a test path names, or nil after recording an error.
    mutating func reference(_ path: String, symbolSets: [[String]] = [[]]) -> ProgramReference? {
        if path.hasPrefix("submission/") {
            switch sandbox.path(String(path.dropFirst("submission/".count)), symbolSets: symbolSets) {
            case .success(let p): return .path(p)
            case .failure(let problem): errors.append(problem.message); return nil
            }
        }
        if path.hasPrefix("lab/") {
            let p = lab.folder + "/" + path.dropFirst(4)
            guard FileManager.default.fileExists(atPath: p) else {
                errors.append("the lab file \(path) is missing (a problem with the lab, not your submission: tell the staff)")
                return nil
            }
            return .path(p)
        }
        return .embedded(String(path.dropFirst("builtin/".count)).replacingOccurrences(of: ".s", with: ""))
    }

    /// Runs `program` once in `mode` with the test's options; nil after recording an error.
    mutating func runOnce(_ program: ProgramReference, mode: Mode, arguments: [String]) -> RunOutcome? {
        var options = RunOptions()
        options.maxInstructions = test.maxInstructions
        options.timeLimit = .milliseconds(Int64((test.timeLimit * 1000).rounded()))
        options.system = test.system
        if let e = test.engine { options.engine = e }
        if let c = test.cpu { options.cpu = c }
        options.umip = test.umip
        options.timerPeriod = test.timer
        options.environment = []        // the same guest stack on every machine
        if let kernel = test.kernel {
            guard case .path(let k)? = reference(kernel, symbolSets: LabTest.kernelSymbolSets(mode)) else { return nil }
            options.kernelSource = k
        }
        let input = variant.substitute(test.stdin)
        let inputFD = TestRun.temporaryInput(Array(input.utf8))
        guard inputFD >= 0 else { errors.append("the grader cannot create a temporary file for stdin"); return nil }
        defer { close(inputFD) }
        let output: StreamedOutput
        do { output = try StreamedOutput(limit: test.maxOutput) } catch { errors.append(error.description); return nil }
        options.io = .stream(input: inputFD, output: output)
        let result: RunResult
        do {
            result = try StopSignal.whileRunning(output.killRequest) { () throws(VSimError) in
                try VSim.run(program: program, mode: mode, arguments: arguments, options: options)
            }
        } catch {
            _ = output.finish()
            errors.append("[\(mode)] " + sandbox.redact(error.description))
            staff.append("[\(mode)] \(program.displayName): vsim error (status \(error.exitStatus)): \(sandbox.redact(error.description))")
            return nil
        }
        let summary = output.finish()
        if StopSignal.received != nil { return nil }      // stopped by a signal: nothing to grade
        if summary.limitExceeded {
            // Stopped at max_output: where the guest stood when its write failed depends on
            // when the reader closed the pipe, so only the verdict is reported (the same on
            // every machine): status 153, the byte count of the limit, no step count.
            var stopped = result
            stopped.exitStatus = TestRun.outputLimitStatus
            failures.append("[\(mode)] " + TestRun.outputLimitMessage(test.maxOutput))
            staff.append("[\(mode)] stopped past max_output = \(test.maxOutput) bytes (vsim's status was \(result.exitStatus)) "
                + "(\(sandbox.redact(program.displayName)))")
            let captured = CapturedOutput(size: summary.size, sha256: summary.sha256,
                                          prefix: Array(summary.prefix.prefix(Int(clamping: test.maxOutput))), limitExceeded: true)
            return RunOutcome(mode: mode, result: stopped, stdout: captured)
        }
        if let n = result.instructions { steps = (steps ?? 0) + n }
        let captured = CapturedOutput(size: summary.size, sha256: summary.sha256, prefix: summary.prefix)
        var line = "[\(mode)] exit status \(result.exitStatus)"
        if let n = result.instructions { line += ", \(n) instructions" }
        line += ", \(captured.size) bytes of output"
        staff.append(line + " (\(sandbox.redact(program.displayName)))")
        if let d = result.diagnostic { staff.append("[\(mode)] " + sandbox.redact(d)); notes.append("[\(mode)] " + sandbox.redact(d)) }
        return RunOutcome(mode: mode, result: result, stdout: captured)
    }

    /// The status of a run stopped at `max_output`: 153, 128 + SIGXFSZ (25), what a native
    /// process gets for writing past its file-size limit (RLIMIT_FSIZE), as 152 (SIGXCPU) is
    /// the status of a run stopped at its step or time limit.
    static let outputLimitStatus: Int32 = 128 + 25

    /// The failure of a run stopped at `max_output` bytes of stdout.
    static func outputLimitMessage(_ limit: UInt64) -> String {
        "output limit exceeded (\(limit) bytes): the program printed more than the test's max_output and was stopped (status 153)"
    }

    /// An unlinked temporary file holding `bytes`, positioned at 0 (the guest's stdin).
    static func temporaryInput(_ bytes: [UInt8]) -> Int32 {
        var template = Array((NSTemporaryDirectory() + "vsim-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return -1 }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n <= 0 { close(fd); return -1 }
            done += n
        }
        lseek(fd, 0, SEEK_SET)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    // MARK: kind = run

    mutating func executeRun() {
        guard let programPath = test.program, let program = reference(programPath) else { return }
        let arguments = test.args.map(variant.substitute)
        var outcomes: [RunOutcome] = []
        for mode in test.modes where StopSignal.received == nil {
            guard let outcome = runOnce(program, mode: mode, arguments: arguments) else { continue }
            outcomes.append(outcome)
            check(outcome, arguments: arguments)
        }
        if test.expect.modesAgree, let first = outcomes.first, !outcomes.contains(where: \.stdout.limitExceeded) {
            for other in outcomes.dropFirst() {
                if other.stdout != first.stdout {
                    failures.append("modes disagree: \(first.mode) and \(other.mode) printed different output "
                        + "(\(first.stdout.size) and \(other.stdout.size) bytes)")
                }
                if other.result.exitStatus != first.result.exitStatus {
                    failures.append("modes disagree: exit status \(first.result.exitStatus) under \(first.mode), "
                        + "\(other.result.exitStatus) under \(other.mode)")
                }
            }
        }
        if !failures.isEmpty, let last = outcomes.last, last.stdout.size > 0 {
            excerpts.append("your program's output under \(last.mode) (first bytes):\n" + TestRun.show(last.stdout.prefix, max: 2048))
        }
    }

    mutating func check(_ run: RunOutcome, arguments: [String]) {
        // A run stopped at max_output has failed already (runOnce said why); its output and
        // status are cut short, so no other expectation is judged on them.
        guard !run.stdout.limitExceeded else { return }
        let e = test.expect
        let m = "[\(run.mode)]"
        if let s = e.stdout {
            let expected = Array(variant.substitute(s).utf8)
            if !run.stdout.equals(expected) { failures.append("\(m) stdout differs: " + TestRun.difference(expected, run.stdout)) }
        }
        if let f = e.stdoutFile {
            if let data = FileManager.default.contents(atPath: lab.folder + "/" + f.dropFirst(4)) {
                let expected = [UInt8](data)
                if !run.stdout.equals(expected) { failures.append("\(m) stdout differs from \(f): " + TestRun.difference(expected, run.stdout)) }
            } else {
                errors.append("the lab file \(f) is missing (a problem with the lab: tell the staff)")
            }
        }
        if let pattern = e.stdoutMatches, let regex = try? NSRegularExpression(pattern: variant.substitute(pattern)) {
            let text = String(decoding: run.stdout.prefix, as: UTF8.self)
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                failures.append("\(m) stdout does not match /\(variant.substitute(pattern))/")
            }
        }
        if let status = e.exitStatus, Int(run.result.exitStatus) != status {
            failures.append("\(m) exit status: expected \(status), got \(run.result.exitStatus)")
        }
        for c in e.counters {
            let text = variant.substitute(c.value)
            guard let expected = UInt64(text) else {
                errors.append("counter \(c.counter): the value '\(c.value)' is not a number after substitution ('\(text)'); a lab problem")
                continue
            }
            guard let actual = CounterValues.value(c.counter, in: run.result) else {
                failures.append("\(m) \(c.counter) is not measured under --mode \(run.mode)")
                continue
            }
            if !c.op.holds(actual, expected) {
                failures.append("\(m) \(c.counter): expected \(c.op.rawValue) \(expected), got \(actual)")
            } else {
                notes.append("\(m) \(c.counter) = \(actual) (\(c.op.rawValue) \(expected))")
            }
        }
        if let bound = e.maxModeledCycles {
            if let cycles = run.result.modeledCycles {
                if cycles > bound { failures.append("\(m) modeled cycles: expected at most \(bound), got \(cycles)") }
            } else {
                failures.append("\(m) modeled cycles are not measured under --mode \(run.mode)")
            }
        }
        if let reference = e.sameAs, let program = self.reference(reference),
           let ref = runOnce(program, mode: run.mode, arguments: arguments) {
            if ref.stdout != run.stdout {
                failures.append("\(m) output differs from the reference \(reference): "
                    + "expected \(ref.stdout.size) bytes starting \(TestRun.show(ref.stdout.prefix, max: 80)), "
                    + "got \(run.stdout.size) bytes starting \(TestRun.show(run.stdout.prefix, max: 80))")
            }
            if ref.result.exitStatus != run.result.exitStatus {
                failures.append("\(m) exit status: the reference exits with \(ref.result.exitStatus), yours with \(run.result.exitStatus)")
            }
        }
    }

    /// Where expected and actual output first differ, both shown escaped.
    static func difference(_ expected: [UInt8], _ actual: CapturedOutput) -> String {
        var at = 0
        while at < expected.count && at < actual.prefix.count && expected[at] == actual.prefix[at] { at += 1 }
        let from = max(0, at - 20)
        let exp = Array(expected[min(from, expected.count)...].prefix(80))
        let act = Array(actual.prefix[min(from, actual.prefix.count)...].prefix(80))
        return "expected \(expected.count) bytes, got \(actual.size); first difference at byte \(at): "
            + "expected \(show(exp, max: 80)), got \(show(act, max: 80))"
    }

    /// Bytes shown as a quoted, escaped string of at most `max` bytes.
    static func show(_ bytes: [UInt8], max: Int) -> String {
        var s = "\""
        for b in bytes.prefix(max) {
            switch b {
            case 0x0A: s += "\\n"
            case 0x09: s += "\\t"
            case 0x0D: s += "\\r"
            case 0x22: s += "\\\""
            case 0x5C: s += "\\\\"
            case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
            default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return s + (bytes.count > max ? "\"…" : "\"")
    }

    // MARK: kind = answer

    mutating func executeAnswer() {
        guard let answers = test.answers, let key = test.key, let compute = test.compute else { return }
        let name = String(answers.dropFirst("submission/".count))
        let path: String
        switch sandbox.path(name) {
        case .success(let p): path = p
        case .failure(let problem): errors.append(problem.message); return
        }
        let text = String(decoding: HostProcess.readPrefix(path, SubmissionSandbox.maxFileSize), as: UTF8.self)
        let table: TOMLTableBox
        do { table = try TOMLTableBox(text) } catch {
            errors.append("\(name) is not valid TOML: \(error.message); write lines such as `\(key) = 42`")
            return
        }
        if case .homework(let topic, let seedText, let question) = compute {
            checkHomeworkAnswer(table, name: name, key: key, topic: topic, seedText: seedText, question: question)
            return
        }
        if case .nanobench(let bench, let cpu, let measure) = compute {
            checkNanobenchAnswer(table, name: name, key: key, bench: bench, cpu: cpu, measure: measure)
            return
        }
        guard let given = table.number(key) else {
            failures.append("\(name) has no numeric answer for `\(key)` (write `\(key) = <number>`)")
            return
        }
        guard case .run(let programPath, let mode, let counter, let args) = compute, let program = reference(programPath) else { return }
        guard let run = runOnce(program, mode: mode, arguments: args.map(variant.substitute)) else { return }
        guard let truth = CounterValues.value(counter, in: run.result) else {
            errors.append("the lab computes \(counter) under --mode \(mode), which does not measure it (a lab problem: tell the staff)")
            return
        }
        let tolerance = test.tolerance ?? 0
        let ok = abs(given - Double(truth)) <= tolerance * Double(truth)
        staff.append("answer \(key): given \(GradingResult.points(given)), vsim measures \(truth) (\(counter) under \(mode))")
        if !ok {
            failures.append("`\(key)` = \(GradingResult.points(given)) is not what vsim measures for \(counter) under --mode \(mode)"
                + (tolerance > 0 ? " (within \(GradingResult.points(tolerance * 100))%)" : ""))
        } else {
            notes.append("`\(key)` = \(GradingResult.points(given)): right")
        }
    }

    /// An answer to question `question` of `vsim homework TOPIC --seed SEED`, which the Homework
    /// module answers by running vsim. The student sees right or wrong; the staff log the value.
    mutating func checkHomeworkAnswer(_ table: TOMLTableBox, name: String, key: String, topic: HomeworkTopic,
                                      seedText: String, question: Int) {
        let substituted = variant.substitute(seedText)
        guard let seed = UInt64(substituted) else {
            errors.append("the lab's homework seed '\(seedText)' is '\(substituted)', not a number (a lab problem: tell the staff)")
            return
        }
        guard let given = table.text(key) else {
            failures.append("\(name) has no answer for `\(key)` (write `\(key) = ...` as vsim homework \(topic.rawValue) --seed \(seed) asks)")
            return
        }
        let truth: HomeworkAnswer
        do { truth = try Homework.answer(topic: topic, seed: seed, question: question) } catch {
            errors.append("vsim homework \(topic.rawValue) --seed \(seed) could not answer question \(question): \(error) (a lab problem: tell the staff)")
            return
        }
        staff.append("answer \(key): given \(given), vsim homework \(topic.rawValue) --seed \(seed) question \(question) says \(truth.value)")
        if truth.accepts(given) {
            notes.append("`\(key)` = \(given): right")
        } else {
            failures.append("`\(key)` = \(given) is not the answer to question \(question) of vsim homework \(topic.rawValue) --seed \(seed)")
        }
    }

    /// An answer about a nanobenchmark: modeled cycles per iteration under one strategy (within
    /// `tolerance`), or which of several strategies costs least. Computed by the models on the
    /// lab's cost preset, as `vsim nanobench --cpu CPU` computes its table.
    mutating func checkNanobenchAnswer(_ table: TOMLTableBox, name: String, key: String, bench: String, cpu: String,
                                       measure: NanobenchMeasure) {
        func cycles(_ column: String) -> Double? {
            guard let c = Nanobench.column(named: column) else { return nil }
            do {
                return try Nanobench.measure(bench, c, cpu: cpu, iterations: Self.nanobenchIterations)?.cycles
            } catch {
                errors.append("vsim could not measure nanobenchmark \(bench) under \(column): \(error) (a lab problem: tell the staff)")
                return nil
            }
        }
        switch measure {
        case .cycles(let column):
            guard let given = table.number(key) else {
                failures.append("\(name) has no numeric answer for `\(key)` (write `\(key) = <cycles per iteration>`)")
                return
            }
            guard let truth = cycles(column) else { return }
            let tolerance = test.tolerance ?? 0
            let ok = abs(given - truth) <= max(tolerance * abs(truth), 0.5)
            staff.append("answer \(key): given \(GradingResult.points(given)), the models give \(NumberText.fixed(truth, 1)) cycles per iteration (\(bench) under \(column), --cpu \(cpu))")
            if ok {
                notes.append("`\(key)` = \(GradingResult.points(given)): right")
            } else {
                failures.append("`\(key)` = \(GradingResult.points(given)) is not the modeled cycles per iteration of \(bench) under \(column) (--cpu \(cpu))"
                    + (tolerance > 0 ? " within \(GradingResult.points(tolerance * 100))%" : ""))
            }
        case .cheaper(let columns):
            guard let given = table.text(key) else {
                failures.append("\(name) has no answer for `\(key)` (write `\(key) = \"\(columns[0])\"`, one of \(columns.joined(separator: ", ")))")
                return
            }
            var costs: [(String, Double)] = []
            for c in columns {
                guard let v = cycles(c) else { return }
                costs.append((c, v))
            }
            let best = costs.min { $0.1 < $1.1 }!
            let answer = given.trimmed().lowercased()
            staff.append("answer \(key): given \(given), the models give "
                + costs.map { "\($0.0) \(NumberText.fixed($0.1, 1))" }.joined(separator: ", ") + " cycles per iteration (\(bench), --cpu \(cpu))")
            guard columns.contains(answer) else {
                failures.append("`\(key)` = \(given) is not one of \(columns.joined(separator: ", "))")
                return
            }
            if answer == best.0 {
                notes.append("`\(key)` = \(given): right")
            } else {
                failures.append("`\(key)` = \(given) is not the strategy that costs least on \(bench) (--cpu \(cpu))")
            }
        }
    }

    /// Iterations of the shorter nanobenchmark run (the longer runs twice as many).
    static let nanobenchIterations = 50

    // MARK: kind = repl

    mutating func executeREPL() {
        guard let programPath = test.program, let scriptPath = test.script else { return }
        guard let program = reference(programPath) else { return }
        let script: String
        if scriptPath.hasPrefix("submission/") {
            switch sandbox.path(String(scriptPath.dropFirst("submission/".count))) {
            case .success(let p): script = p
            case .failure(let problem): errors.append(problem.message); return
            }
        } else {
            script = lab.folder + "/" + scriptPath.dropFirst(4)
        }
        guard let vsim = grader.vsimExecutable else {
            errors.append("repl tests need the vsim executable: run `vsim grade` (or set VSIM_EXECUTABLE)")
            return
        }
        let programArgument: String
        switch program {
        case .path(let p): programArgument = p
        case .embedded(let n):
            guard let resolved = try? VSim.resolve(program) else { errors.append("no built-in program \(n)"); return }
            programArgument = resolved.executablePath
        }
        let mode = test.modes[0]
        var argv = [vsim, "repl", programArgument, "--mode", mode.rawValue, "--batch", script,
                    "--max-instructions", String(test.maxInstructions)]
        if test.system { argv.append("--system") }
        if let c = test.cpu { argv += ["--cpu", c] }
        if test.umip { argv.append("--umip") }
        if let t = test.timer { argv += ["--timer", String(t)] }
        let args = test.args.map(variant.substitute)
        if !args.isEmpty { argv += ["--"] + args }
        guard let out = HostProcess.run(argv, directory: sandbox.folder, timeLimit: test.timeLimit, limit: StreamedOutput.prefixLimit,
                                        outputLimit: test.maxOutput) else {
            errors.append("cannot start \(vsim) repl")
            return
        }
        if out.outputLimitExceeded {
            failures.append("the REPL session's " + TestRun.outputLimitMessage(test.maxOutput))
            staff.append("[repl \(test.modes[0])] stopped past max_output = \(test.maxOutput) bytes")
            return
        }
        let transcript = sandbox.redact(out.stdoutText).replacingOccurrences(of: lab.folder, with: "lab")
        staff.append("[repl \(mode)] status \(out.status)\(out.timedOut ? " (killed at the time limit)" : "")\n" + sandbox.redact(out.stderrText))
        if out.timedOut { failures.append("the REPL session did not finish within \(GradingResult.points(test.timeLimit)) s") }
        let e = test.expect
        if let s = e.stdout, transcript != variant.substitute(s) {
            failures.append("transcript differs: " + TestRun.difference(Array(variant.substitute(s).utf8),
                CapturedOutput(size: UInt64(transcript.utf8.count), sha256: "", prefix: Array(transcript.utf8))))
        }
        if let f = e.stdoutFile, let data = FileManager.default.contents(atPath: lab.folder + "/" + f.dropFirst(4)),
           Array(transcript.utf8) != [UInt8](data) {
            failures.append("transcript differs from \(f)")
        }
        if let pattern = e.stdoutMatches, let regex = try? NSRegularExpression(pattern: variant.substitute(pattern)),
           regex.firstMatch(in: transcript, range: NSRange(transcript.startIndex..., in: transcript)) == nil {
            failures.append("transcript does not match /\(variant.substitute(pattern))/")
        }
        if !failures.isEmpty {
            excerpts.append("transcript (first bytes):\n" + String(transcript.prefix(2048)))
            // The session's command errors go to stderr, not into the transcript the checks read.
            let errors = sandbox.redact(out.stderrText).replacingOccurrences(of: lab.folder, with: "lab")
            if !errors.isEmpty { excerpts.append("the session's errors (stderr, first bytes):\n" + String(errors.prefix(1024))) }
        }
    }
}
