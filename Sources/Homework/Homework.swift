import VSim

/// The homework topics of `vsim homework TOPIC` (OSTEP-style generators: a seed picks the problem,
/// `--solve` computes the answers by running vsim).
public enum HomeworkTopic: String, CaseIterable, Sendable {
    case traps, sensitive, blocks, loops

    /// The topic's name as typed on the command line.
    public var name: String { rawValue }

    /// One line for `vsim homework list`.
    public var summary: String {
        switch self {
        case .traps: return "a generated program (writes, brk pages, a loop): count traps under trap, VM exits under hvm, hypercalls under pv, by reason"
        case .sensitive: return "a random set of instructions run in kernel mode: which are privileged, which sensitive but unprivileged (Robin & Irvine), which innocuous"
        case .blocks: return "a generated snippet with branches: where the translation blocks end and which direct jumps the translator chains"
        case .loops: return "a LOOP/LOOPE/LOOPNE snippet with JCXZ, ECX possibly 0, 32- or 16-bit address size: iterations, ECX and where execution continues"
        }
    }

    /// Parses a topic name.
    /// - Throws: ``HomeworkError/unknownTopic(_:)``, whose message lists the known topics.
    public static func named(_ text: String) throws(HomeworkError) -> HomeworkTopic {
        guard let t = HomeworkTopic(rawValue: text.lowercased()) else { throw .unknownTopic(text) }
        return t
    }
}

/// Errors of the homework generators.
public enum HomeworkError: Error, CustomStringConvertible, Equatable {
    /// A topic name that is not one of ``HomeworkTopic/allCases``.
    case unknownTopic(String)
    /// A question number that the problem does not have.
    case unknownQuestion(Int, count: Int)
    /// A vsim run needed for an answer could not start or ended unexpectedly (the message says which).
    case run(String)
    /// The generated program could not be written (the directory and reason).
    case write(String)

    public var description: String {
        switch self {
        case .unknownTopic(let t):
            return "unknown homework topic '\(t)'; known topics: \(HomeworkTopic.allCases.map(\.name).joined(separator: ", ")) (vsim homework list)"
        case .unknownQuestion(let n, let count): return "question \(n) does not exist (this problem has questions 1-\(count))"
        case .run(let m): return m
        case .write(let m): return m
        }
    }

    /// vsim's exit status for the error: 64 (usage) for a bad topic or question, 70 otherwise.
    public var exitStatus: Int32 {
        switch self {
        case .unknownTopic, .unknownQuestion: return 64
        case .write: return 73
        case .run: return 70
        }
    }
}

/// One numbered question of a problem.
public struct HomeworkQuestion: Sendable, Equatable {
    /// 1-based, as printed and as a lab's `compute = { question = N }` names it.
    public var number: Int
    /// A stable short identifier (e.g. "trap-total"), the key of the answer in ``Homework/solve(_:)``.
    public var key: String
    /// The question as printed.
    public var text: String
}

/// A generated problem: everything `vsim homework TOPIC --seed N` prints without `--solve`.
public struct HomeworkProblem: Sendable, Equatable {
    public var topic: HomeworkTopic
    public var seed: UInt64
    /// What the student is asked to do, before the questions (may span lines).
    public var introduction: String
    /// The generated guest program (GNU as, AT&T syntax), or nil for a topic without one.
    public var source: String?
    /// The file name the program is saved under (e.g. "hw-traps-42.s").
    public var fileName: String
    public var questions: [HomeworkQuestion]
    /// The generator's choices that a hand-worked check needs (message lengths, pages, ECX...), by
    /// name, in generation order. Not printed; the answers never come from these.
    public var parameters: [(name: String, value: Int)]

    public static func == (a: HomeworkProblem, b: HomeworkProblem) -> Bool {
        a.topic == b.topic && a.seed == b.seed && a.introduction == b.introduction && a.source == b.source
            && a.fileName == b.fileName && a.questions == b.questions
            && a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.value) == b.parameters.map(\.value)
    }

    /// The parameter called `name` (see ``parameters``).
    public func parameter(_ name: String) -> Int? { parameters.first { $0.name == name }?.value }
}

/// One computed answer.
public struct HomeworkAnswer: Sendable, Equatable {
    public var number: Int
    public var key: String
    /// The answer in its canonical form (a number, a hex value `0x...`, or a comma-separated list).
    public var value: String
    /// The vsim command(s) that show it, with `PROGRAM` standing for the saved program's path
    /// (``Homework/render(_:answers:programPath:)`` substitutes it).
    public var command: String

    /// Whether a student's `text` gives this answer: compared after lowercasing, dropping spaces,
    /// and, for lists, ignoring the order of comma-separated items; numbers also match in hex or
    /// decimal (`0x10` = `16`).
    public func accepts(_ text: String) -> Bool {
        func norm(_ s: String) -> [String] {
            s.lowercased().filter { $0 != " " && $0 != "\t" && $0 != "\n" }
                .split(separator: ",", omittingEmptySubsequences: true).map { item -> String in
                    let t = String(item)
                    if t.hasPrefix("0x"), let v = UInt64(t.dropFirst(2), radix: 16) { return String(v) }
                    return t
                }.sorted()
        }
        return norm(text) == norm(value)
    }
}

/// The homework generators: `generate` makes a problem from a seed (the same seed gives the same
/// problem on any machine: vsim's SplitMix64 ``Guest/SeededGenerator`` is the only randomness),
/// `solve` answers it by running vsim on the generated program.
public enum Homework {
    /// Generates the problem for `topic` and `seed`. Pure and deterministic.
    public static func generate(topic: HomeworkTopic, seed: UInt64) -> HomeworkProblem {
        var random = HomeworkRandom(seed: seed, topic: topic)
        switch topic {
        case .traps: return TrapsTopic.generate(seed: seed, random: &random)
        case .sensitive: return SensitiveTopic.generate(seed: seed, random: &random)
        case .blocks: return BlocksTopic.generate(seed: seed, random: &random)
        case .loops: return LoopsTopic.generate(seed: seed, random: &random)
        }
    }

    /// Answers every question of `problem` by running vsim on its program (saved into a temporary
    /// directory, removed afterwards): the modeled VMMs' trap, exit and hypercall counts, the
    /// translator's block record, the interpreter's registers.
    /// - Returns: the answers by question key (``HomeworkQuestion/key``).
    /// - Throws: ``HomeworkError/run(_:)`` when a run cannot start or ends unexpectedly,
    ///   ``HomeworkError/write(_:)`` when the program cannot be saved.
    public static func solve(_ problem: HomeworkProblem) throws(HomeworkError) -> [String: HomeworkAnswer] {
        let workspace = try Workspace(problem)
        defer { workspace.remove() }
        let list: [HomeworkAnswer]
        switch problem.topic {
        case .traps: list = try TrapsTopic.solve(problem, program: workspace.programPath)
        case .sensitive: list = try SensitiveTopic.solve(problem, program: workspace.programPath)
        case .blocks: list = try BlocksTopic.solve(problem, program: workspace.programPath)
        case .loops: list = try LoopsTopic.solve(problem, program: workspace.programPath)
        }
        return Dictionary(list.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The answer to question `number` (1-based), as a lab's `compute = { homework, seed, question }` asks.
    /// - Throws: ``HomeworkError/unknownQuestion(_:count:)`` or what ``solve(_:)`` throws.
    public static func answer(topic: HomeworkTopic, seed: UInt64, question number: Int) throws(HomeworkError) -> HomeworkAnswer {
        let problem = generate(topic: topic, seed: seed)
        guard let q = problem.questions.first(where: { $0.number == number }) else {
            throw .unknownQuestion(number, count: problem.questions.count)
        }
        return try solve(problem)[q.key]!
    }

    /// The text `vsim homework` prints: a header (topic, seed, vsim version), the program as a `.s`
    /// listing, the numbered questions and, when `answers` is given, each answer with the vsim
    /// command that shows it (`programPath` is how the commands name the saved program).
    public static func render(_ problem: HomeworkProblem, answers: [String: HomeworkAnswer]? = nil,
                              programPath: String? = nil) -> String {
        let path = programPath ?? problem.fileName
        let rule = String(repeating: "-", count: 72)
        var out = "vsim homework \(problem.topic.name) --seed \(problem.seed)   (vsim \(VSim.version))\n"
        out += "topic: \(problem.topic.name): \(problem.topic.summary)\n\(rule)\n"
        out += problem.introduction
        if !out.hasSuffix("\n") { out += "\n" }
        if let source = problem.source {
            out += "\n==> \(path) <==   (save it with --output-dir DIR, or copy it from here)\n"
            out += source
            if !source.hasSuffix("\n") { out += "\n" }
        }
        out += "\(rule)\nQuestions\n"
        for q in problem.questions {
            out += "\(q.number). \(q.text)\n"
        }
        if let answers {
            out += "\(rule)\nAnswers (computed by running vsim)\n"
            for q in problem.questions {
                guard let a = answers[q.key] else { continue }
                out += "\(q.number). \(a.value)\n"
                // A shell loop is one command: its later lines are indented, not prompted.
                let block = a.command.hasPrefix("for ")
                for (i, line) in a.command.replacingAll("PROGRAM", with: path).split(separator: "\n").enumerated() {
                    out += block && i > 0 ? "     \(line)\n" : "   $ \(line)\n"
                }
            }
        } else {
            out += "\nRun `vsim homework \(problem.topic.name) --seed \(problem.seed) --solve` for the answers.\n"
        }
        return out
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[rest.startIndex..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        let t = Array(target)
        guard !t.isEmpty, count >= t.count else { return nil }
        var i = startIndex
        while i < endIndex {
            var j = i, k = 0
            while k < t.count, j < endIndex, self[j] == t[k] { j = index(after: j); k += 1 }
            if k == t.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}
