import Foundation
import TOMLKit
import Homework
import VSim

extension LabSpec {
    /// Loads `folder/lab.toml` and, when `includeHidden`, `folder/hidden/hidden.toml` (its tests are
    /// appended after lab.toml's), and validates both against docs/lab-spec.md: every key known and
    /// of the right type, ids unique and well-formed, paths in `submission/`, `lab/` or `builtin/`
    /// form without `..`, modes and operators known, each test with something to check.
    /// - Throws: ``GradingError/noSuchLab(_:searched:)`` without a lab.toml,
    ///   ``GradingError/malformedSpec(file:test:key:message:)`` naming the file, test and key.
    public static func load(folder: String, includeHidden: Bool = true) throws(GradingError) -> LabSpec {
        let dir = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        let absolute = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
        let file = absolute + "/lab.toml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw .noSuchLab(dir, searched: "\(file) does not exist or cannot be read")
        }
        let root = try parse(text, file: file)
        let reader = SpecReader(file: file, table: root, test: nil)
        try reader.onlyKeys(["id", "title", "summary", "order", "submission", "article", "defaults", "variant", "tests"])
        let id = try reader.string("id")
        let folderName = String(absolute.split(separator: "/").last ?? "")
        guard Self.isIdentifier(id) else { throw reader.error("id", "'\(id)' must match [a-z0-9-]+") }
        guard id == folderName else {
            throw reader.error("id", "'\(id)' must equal the lab folder's name '\(folderName)'")
        }
        var defaults = LabDefaults()
        if let t = try reader.table("defaults") {
            let d = SpecReader(file: file, table: t, test: nil, prefix: "defaults.")
            try d.onlyKeys(["max_instructions", "time_limit", "output_limit", "max_output"])
            defaults.maxInstructions = try d.optionalCount("max_instructions") ?? defaults.maxInstructions
            defaults.timeLimit = try d.optionalNumber("time_limit") ?? defaults.timeLimit
            defaults.outputLimit = Int(try d.optionalCount("output_limit") ?? UInt64(defaults.outputLimit))
            defaults.maxOutput = try d.optionalCount("max_output") ?? defaults.maxOutput
            guard defaults.maxOutput > 0 else { throw d.error("max_output", "must be at least 1 byte") }
        }
        var parameters: [VariantParameter] = []
        if let t = try reader.table("variant") {
            for name in t.keys.sorted() {
                guard let p = t[name]?.table else {
                    throw reader.error("variant.\(name)", "must be a table: { min = A, max = B } or { choices = [...] }")
                }
                let r = SpecReader(file: file, table: p, test: nil, prefix: "variant.\(name).")
                try r.onlyKeys(["min", "max", "choices"])
                if let choices = try r.optionalStrings("choices") {
                    guard !choices.isEmpty, p["min"] == nil, p["max"] == nil else {
                        throw reader.error("variant.\(name)", "give either a non-empty choices list or min and max")
                    }
                    parameters.append(VariantParameter(name: name, domain: .choices(choices)))
                } else {
                    let lo = try r.integer("min"), hi = try r.integer("max")
                    guard lo <= hi else { throw reader.error("variant.\(name)", "min \(lo) is above max \(hi)") }
                    parameters.append(VariantParameter(name: name, domain: .range(min: Int64(lo), max: Int64(hi))))
                }
            }
        }
        let submission = try reader.optionalStrings("submission") ?? []
        for name in submission where !Self.isPlainRelativePath(name) {
            throw reader.error("submission", "'\(name)' must be a relative path without '..'")
        }
        var spec = LabSpec(id: id, title: try reader.string("title"), summary: try reader.optionalString("summary") ?? "",
                           order: try reader.optionalInteger("order") ?? 0, submission: submission,
                           article: try reader.optionalStrings("article") ?? [], defaults: defaults,
                           parameters: parameters, tests: [], folder: absolute)
        spec.tests = try readTests(root["tests"], file: file, spec: spec, hidden: false)
        if includeHidden {
            let hiddenFile = absolute + "/hidden/hidden.toml"
            if FileManager.default.fileExists(atPath: hiddenFile) {
                guard let hiddenText = try? String(contentsOfFile: hiddenFile, encoding: .utf8) else {
                    throw .malformedSpec(file: hiddenFile, test: nil, key: nil, message: "cannot be read")
                }
                let hiddenRoot = try parse(hiddenText, file: hiddenFile)
                let h = SpecReader(file: hiddenFile, table: hiddenRoot, test: nil)
                try h.onlyKeys(["tests"])
                spec.tests += try readTests(hiddenRoot["tests"], file: hiddenFile, spec: spec, hidden: true)
            }
        }
        var seen = Set<String>()
        for t in spec.tests where !seen.insert(t.id).inserted {
            throw .malformedSpec(file: t.fromHiddenFile ? absolute + "/hidden/hidden.toml" : file, test: t.id, key: "id",
                                 message: "the id is used by another test; ids must be unique in the lab")
        }
        return spec
    }

    static func parse(_ text: String, file: String) throws(GradingError) -> TOMLTable {
        do { return try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw .malformedSpec(file: file, test: nil, key: nil,
                                 message: "not valid TOML at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw .malformedSpec(file: file, test: nil, key: nil, message: "not valid TOML: \(error)")
        }
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }

    /// Relative, without `..` components or empty ones, not empty.
    static func isPlainRelativePath(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("/") && !s.split(separator: "/", omittingEmptySubsequences: false)
            .contains { $0 == ".." || $0.isEmpty || $0 == "." }
    }

    static let testKeys: Set<String> = [
        "id", "name", "points", "visibility", "tags", "kind", "program", "kernel", "modes", "args", "stdin",
        "system", "engine", "cpu", "umip", "timer", "max_instructions", "time_limit", "output_limit", "max_output", "expect",
        "answers", "key", "tolerance", "compute", "script",
    ]
    static let expectKeys: Set<String> = [
        "stdout", "stdout_file", "stdout_matches", "exit_status", "same_as", "modes_agree", "counters", "max_modeled_cycles",
    ]

    static func readTests(_ value: TOMLValueConvertible?, file: String, spec: LabSpec, hidden: Bool) throws(GradingError) -> [LabTest] {
        guard let value else { return [] }
        guard let array = value.array else {
            throw .malformedSpec(file: file, test: nil, key: "tests", message: "must be an array of tables ([[tests]])")
        }
        var tests: [LabTest] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else {
                throw .malformedSpec(file: file, test: "#\(index + 1)", key: nil, message: "a [[tests]] entry must be a table")
            }
            tests.append(try readTest(table, index: index, file: file, spec: spec, hidden: hidden))
        }
        return tests
    }

    static func readTest(_ table: TOMLTable, index: Int, file: String, spec: LabSpec, hidden: Bool) throws(GradingError) -> LabTest {
        var r = SpecReader(file: file, table: table, test: "#\(index + 1)")
        let id = try r.string("id")
        r.test = id
        guard isIdentifier(id) else { throw r.error("id", "'\(id)' must match [a-z0-9-]+") }
        try r.onlyKeys(testKeys)
        let d = spec.defaults
        var t = LabTest(id: id, name: try r.string("name"), points: try r.number("points"),
                        maxInstructions: try r.optionalCount("max_instructions") ?? d.maxInstructions,
                        timeLimit: try r.optionalNumber("time_limit") ?? d.timeLimit,
                        outputLimit: Int(try r.optionalCount("output_limit") ?? UInt64(d.outputLimit)))
        t.fromHiddenFile = hidden
        t.maxOutput = try r.optionalCount("max_output") ?? d.maxOutput
        guard t.maxOutput > 0 else { throw r.error("max_output", "must be at least 1 byte") }
        guard t.points >= 0 else { throw r.error("points", "must not be negative") }
        guard t.timeLimit > 0 else { throw r.error("time_limit", "must be above 0 seconds") }
        if let v = try r.optionalString("visibility") {
            guard let vis = LabTest.Visibility(rawValue: v) else {
                throw r.error("visibility", "'\(v)' is not one of \(LabTest.Visibility.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            t.visibility = vis
        }
        t.tags = try r.optionalStrings("tags") ?? []
        if let k = try r.optionalString("kind") {
            guard let kind = LabTest.Kind(rawValue: k) else {
                throw r.error("kind", "'\(k)' is not one of run, answer, repl")
            }
            t.kind = kind
        }
        t.program = try r.optionalString("program")
        if let p = t.program { try checkPath(p, key: "program", reader: r, spec: spec, allowBuiltin: true) }
        t.kernel = try r.optionalString("kernel")
        if let k = t.kernel {
            try checkPath(k, key: "kernel", reader: r, spec: spec, allowBuiltin: false)
            guard k.hasSuffix(".s") else { throw r.error("kernel", "'\(k)' must be a .s source (the kernel is built with as --32)") }
        }
        if let modes = try r.optionalStrings("modes") {
            guard !modes.isEmpty else { throw r.error("modes", "must name at least one mode") }
            t.modes = []
            for m in modes {
                guard let mode = Mode(rawValue: m) else {
                    throw r.error("modes", "unknown mode '\(m)'; known modes: \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if let why = LabSpec.ungradable(mode) { throw r.error("modes", why) }
                if !t.modes.contains(mode) { t.modes.append(mode) }
            }
        }
        t.args = try r.optionalStrings("args") ?? []
        t.stdin = try r.optionalString("stdin") ?? ""
        t.system = try r.optionalBool("system") ?? false
        if let e = try r.optionalString("engine") {
            guard let engine = Engine(rawValue: e) else { throw r.error("engine", "'\(e)' is not interpret or translate") }
            t.engine = engine
        }
        t.cpu = try r.optionalString("cpu")
        t.umip = try r.optionalBool("umip") ?? false
        if let timer = try r.optionalCount("timer") {
            guard timer <= UInt64(UInt32.max) else { throw r.error("timer", "must fit in 32 bits") }
            t.timer = UInt32(timer)
        }
        if let e = try r.table("expect") { t.expect = try readExpect(e, test: id, file: file, spec: spec) }
        switch t.kind {
        case .run:
            guard t.program != nil else { throw r.error("program", "a run test needs the program to run") }
            guard !t.expect.isEmpty else { throw r.error("expect", "a run test needs at least one expectation in [tests.expect]") }
        case .repl:
            guard t.program != nil else { throw r.error("program", "a repl test needs the program to debug") }
            t.script = try r.string("script")
            try checkPath(t.script!, key: "script", reader: r, spec: spec, allowBuiltin: false)
            guard t.expect.stdout != nil || t.expect.stdoutMatches != nil || t.expect.stdoutFile != nil else {
                throw r.error("expect", "a repl test checks the transcript: give stdout, stdout_file or stdout_matches")
            }
        case .answer:
            t.answers = try r.string("answers")
            try checkPath(t.answers!, key: "answers", reader: r, spec: spec, allowBuiltin: false)
            t.key = try r.string("key")
            t.tolerance = try r.optionalNumber("tolerance")
            guard let c = try r.table("compute") else { throw r.error("compute", "an answer test says how vsim computes the value") }
            t.compute = try readCompute(c, test: id, file: file, spec: spec)
        }
        return t
    }

    static func readExpect(_ table: TOMLTable, test: String, file: String, spec: LabSpec) throws(GradingError) -> TestExpectation {
        let r = SpecReader(file: file, table: table, test: test, prefix: "expect.")
        try r.onlyKeys(expectKeys)
        var e = TestExpectation()
        e.stdout = try r.optionalString("stdout")
        e.stdoutFile = try r.optionalString("stdout_file")
        if let f = e.stdoutFile {
            guard f.hasPrefix("lab/") else { throw r.error("stdout_file", "'\(f)' must be a lab file (lab/…)") }
            try checkPath(f, key: "stdout_file", reader: r, spec: spec, allowBuiltin: false)
        }
        e.stdoutMatches = try r.optionalString("stdout_matches")
        if let pattern = e.stdoutMatches {
            // Checked as every variant sees it: {param} substituted (here with the seed-0 values).
            let substituted = LabVariant(labID: spec.id, parameters: spec.parameters, student: nil).substitute(pattern)
            do { _ = try NSRegularExpression(pattern: substituted) } catch {
                throw r.error("stdout_matches", "'\(pattern)' is not a valid regular expression (after {param} substitution: '\(substituted)')")
            }
        }
        e.exitStatus = try r.optionalInteger("exit_status")
        e.sameAs = try r.optionalString("same_as")
        if let s = e.sameAs {
            guard !s.hasPrefix("submission/") else { throw r.error("same_as", "the reference must be a lab/ or builtin/ program") }
            try checkPath(s, key: "same_as", reader: r, spec: spec, allowBuiltin: true)
        }
        e.modesAgree = try r.optionalBool("modes_agree") ?? false
        e.maxModeledCycles = try r.optionalCount("max_modeled_cycles")
        if let list = table["counters"] {
            guard let array = list.array else { throw r.error("counters", "must be an array of { counter, op, value } tables") }
            for (i, element) in array.enumerated() {
                guard let c = element.table else { throw r.error("counters", "entry \(i + 1) must be a table") }
                let cr = SpecReader(file: file, table: c, test: test, prefix: "expect.counters[\(i + 1)].")
                try cr.onlyKeys(["counter", "op", "value"])
                let name = try cr.string("counter")
                guard CounterValues.isKnownName(name) else {
                    throw cr.error("counter", "unknown counter '\(name)'; see docs/lab-spec.md for the names")
                }
                let opText = try cr.string("op")
                guard let op = CounterCheck.Operator(rawValue: opText) else {
                    throw cr.error("op", "'\(opText)' is not one of =, <=, >=, <, >")
                }
                let value: String
                if let n = c["value"]?.int {
                    guard n >= 0 else { throw cr.error("value", "must not be negative") }
                    value = String(n)
                } else if let s = c["value"]?.string {
                    value = s
                } else {
                    throw cr.error("value", "must be a non-negative integer or a \"{param}\" string")
                }
                e.counters.append(CounterCheck(counter: name, op: op, value: value))
            }
        }
        return e
    }

    static func readCompute(_ table: TOMLTable, test: String, file: String, spec: LabSpec) throws(GradingError) -> ComputeSource {
        let r = SpecReader(file: file, table: table, test: test, prefix: "compute.")
        if table["homework"] != nil {
            try r.onlyKeys(["homework", "seed", "question"])
            let name = try r.string("homework")
            guard let topic = HomeworkTopic(rawValue: name) else {
                throw r.error("homework", "unknown homework topic '\(name)'; known: \(HomeworkTopic.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let seed: String
            if let n = table["seed"]?.int, n >= 0 { seed = String(n) } else { seed = try r.optionalString("seed") ?? "{seed}" }
            guard UInt64(seed) != nil || (seed.hasPrefix("{") && seed.hasSuffix("}")) else {
                throw r.error("seed", "must be a non-negative integer, \"{seed}\" or \"{param}\"")
            }
            guard let question = table["question"]?.int, question >= 1 else {
                throw r.error("question", "must be the question's number (1, 2, ...), as vsim homework prints it")
            }
            return .homework(topic: topic, seed: seed, question: question)
        }
        if table["nanobench"] != nil {
            try r.onlyKeys(["nanobench", "cpu", "strategy", "cheaper"])
            let bench = try r.string("nanobench")
            guard Nanobench.benchmarks.contains(bench) else {
                throw r.error("nanobench", "unknown nanobenchmark '\(bench)'; known: \(Nanobench.benchmarks.joined(separator: ", "))")
            }
            let cpu = try r.optionalString("cpu") ?? "haswell"
            guard Nanobench.cpuPresets.contains(cpu) else {
                throw r.error("cpu", "unknown cost preset '\(cpu)'; known: \(Nanobench.cpuPresets.joined(separator: ", "))")
            }
            let columns = Nanobench.columns.map(\.name)
            func known(_ name: String, _ key: String) throws(GradingError) {
                guard let c = Nanobench.column(named: name) else {
                    throw r.error(key, "unknown strategy '\(name)'; known: \(columns.joined(separator: ", "))")
                }
                if let why = Nanobench.notApplicable(bench, c) { throw r.error(key, "\(name) has no \(bench) row: \(why)") }
            }
            switch (try r.optionalString("strategy"), try r.optionalStrings("cheaper")) {
            case (let s?, nil):
                try known(s, "strategy")
                return .nanobench(bench: bench, cpu: cpu, measure: .cycles(column: s))
            case (nil, let list?) where list.count >= 2:
                for s in list { try known(s, "cheaper") }
                return .nanobench(bench: bench, cpu: cpu, measure: .cheaper(list))
            default:
                throw r.error(nil, "a nanobench answer gives `strategy = NAME` (modeled cycles per iteration) or `cheaper = [NAME, NAME, ...]` (which costs least)")
            }
        }
        guard table["program"] != nil else {
            let keys = table.keys.sorted().joined(separator: ", ")
            throw r.error(nil, "unknown compute source (keys: \(keys)); this vsim computes answers from { program, mode, counter, args }, { homework, seed, question } or { nanobench, strategy | cheaper, cpu }")
        }
        try r.onlyKeys(["program", "mode", "counter", "args"])
        let program = try r.string("program")
        try checkPath(program, key: "program", reader: r, spec: spec, allowBuiltin: true)
        let modeText = try r.optionalString("mode") ?? "interpret"
        guard let mode = Mode(rawValue: modeText) else { throw r.error("mode", "unknown mode '\(modeText)'") }
        if let why = LabSpec.ungradable(mode) { throw r.error("mode", why) }
        let counter = try r.string("counter")
        guard CounterValues.isKnownName(counter) else { throw r.error("counter", "unknown counter '\(counter)'") }
        return .run(program: program, mode: mode, counter: counter, args: try r.optionalStrings("args") ?? [])
    }

    /// Why a test cannot run in `mode` (nil: it can). Every graded run has a step budget
    /// (`max_instructions`, which decides the verdict the same on every machine), so a mode must
    /// be one where vsim's own machine runs the guest: those that honour `--max-instructions`.
    /// The others (native, qemu, container, ptrace, kvm) run the program on the host CPU, where
    /// student code must never run (lessons/README.md).
    static func ungradable(_ mode: Mode) -> String? {
        guard GuestOption.maxInstructions.refusal(by: mode, system: false) != nil else { return nil }
        let emulated = Mode.allCases.filter { GuestOption.maxInstructions.refusal(by: $0, system: false) == nil }
        return "'\(mode)' runs the program on the host CPU, without the step budget that decides a grade, and student code "
            + "must not run natively; grade in vsim's own machine: \(emulated.map(\.rawValue).joined(separator: ", "))"
    }

    /// A path written in a test: `submission/NAME` (NAME listed in `submission`), `lab/PATH`, or
    /// (when allowed) `builtin/NAME`; relative and without `..`.
    static func checkPath(_ path: String, key: String, reader r: SpecReader, spec: LabSpec, allowBuiltin: Bool) throws(GradingError) {
        if path.hasPrefix("submission/") {
            let name = String(path.dropFirst("submission/".count))
            guard spec.submission.contains(name) else {
                throw r.error(key, "'\(path)': \(name) is not listed in the lab's submission files (\(spec.submission.joined(separator: ", ")))")
            }
        } else if path.hasPrefix("lab/") {
            guard isPlainRelativePath(String(path.dropFirst(4))) else {
                throw r.error(key, "'\(path)' must be a relative path inside the lab folder, without '..'")
            }
        } else if path.hasPrefix("builtin/") && allowBuiltin {
            let name = path.dropFirst("builtin/".count)
            guard !name.isEmpty && !name.contains("/") else {
                throw r.error(key, "'\(path)' must name one of vsim's programs/")
            }
        } else {
            throw r.error(key, "'\(path)' must start with submission/, lab/\(allowBuiltin ? " or builtin/" : "")")
        }
    }
}

/// Typed access to one TOML table with errors that name the file, the test and the key.
struct SpecReader {
    var file: String
    var table: TOMLTable
    var test: String?
    var prefix = ""

    func error(_ key: String?, _ message: String) -> GradingError {
        .malformedSpec(file: file, test: test, key: key.map { prefix + $0 }, message: message)
    }

    func onlyKeys(_ known: Set<String>) throws(GradingError) {
        for key in table.keys.sorted() where !known.contains(key) {
            throw error(key, "unknown key; known keys here: \(known.sorted().joined(separator: ", "))")
        }
    }

    func table(_ key: String) throws(GradingError) -> TOMLTable? {
        guard let v = table[key] else { return nil }
        guard let t = v.table else { throw error(key, "must be a table") }
        return t
    }

    func string(_ key: String) throws(GradingError) -> String {
        guard let s = try optionalString(key) else { throw error(key, "is required (a string)") }
        return s
    }

    func optionalString(_ key: String) throws(GradingError) -> String? {
        guard let v = table[key] else { return nil }
        guard let s = v.string else { throw error(key, "must be a string") }
        return s
    }

    func optionalStrings(_ key: String) throws(GradingError) -> [String]? {
        guard let v = table[key] else { return nil }
        guard let a = v.array else { throw error(key, "must be an array of strings") }
        var out: [String] = []
        for e in a {
            guard let s = e.string else { throw error(key, "must be an array of strings") }
            out.append(s)
        }
        return out
    }

    func integer(_ key: String) throws(GradingError) -> Int {
        guard let n = try optionalInteger(key) else { throw error(key, "is required (an integer)") }
        return n
    }

    func optionalInteger(_ key: String) throws(GradingError) -> Int? {
        guard let v = table[key] else { return nil }
        guard let n = v.int else { throw error(key, "must be an integer") }
        return n
    }

    /// A non-negative integer.
    func optionalCount(_ key: String) throws(GradingError) -> UInt64? {
        guard let n = try optionalInteger(key) else { return nil }
        guard n >= 0 else { throw error(key, "must not be negative") }
        return UInt64(n)
    }

    func number(_ key: String) throws(GradingError) -> Double {
        guard let n = try optionalNumber(key) else { throw error(key, "is required (a number)") }
        return n
    }

    func optionalNumber(_ key: String) throws(GradingError) -> Double? {
        guard let v = table[key] else { return nil }
        if let n = v.int { return Double(n) }
        guard let d = v.double, d.isFinite else { throw error(key, "must be a number") }
        return d
    }

    func optionalBool(_ key: String) throws(GradingError) -> Bool? {
        guard let v = table[key] else { return nil }
        guard let b = v.bool else { throw error(key, "must be true or false") }
        return b
    }
}
