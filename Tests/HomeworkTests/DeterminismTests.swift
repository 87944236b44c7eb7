import Foundation
import Testing
@testable import Homework

/// Same seed, same text; different seeds, different problems; bad input is reported clearly.
@Suite struct DeterminismTests {
    @Test(arguments: HomeworkTopic.allCases)
    func sameSeedGivesIdenticalText(topic: HomeworkTopic) {
        let a = Homework.render(Homework.generate(topic: topic, seed: 42))
        let b = Homework.render(Homework.generate(topic: topic, seed: 42))
        #expect(a == b)
        #expect(a.contains("--seed 42"))
    }

    /// The solved text too (answers from fresh vsim runs each time) is byte-identical.
    @Test(arguments: [HomeworkTopic.traps, .blocks, .loops])
    func sameSeedGivesIdenticalAnswers(topic: HomeworkTopic) throws {
        let p = Homework.generate(topic: topic, seed: 7)
        let a = Homework.render(p, answers: try Homework.solve(p))
        let b = Homework.render(p, answers: try Homework.solve(Homework.generate(topic: topic, seed: 7)))
        #expect(a == b)
    }

    @Test(arguments: HomeworkTopic.allCases)
    func differentSeedsGiveDifferentProblems(topic: HomeworkTopic) {
        let sources = (1...8).map { Homework.generate(topic: topic, seed: UInt64($0)).source! }
        // Each program names its own seed in its header, so compare them without the comment lines.
        let bodies = sources.map { $0.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") }
        #expect(Set(bodies).count >= 6, "8 seeds should give at least 6 different programs")
    }

    /// --output-dir writes the program, and writing it again is harmless; but a file of that
    /// name holding anything else (the student's edited copy) stays byte for byte as it was,
    /// and vsim says why (exit 73), where it used to truncate it (found by QA).
    @Test func outputDirNeverReplacesAnEditedProgram() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vsim-homework-out-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problem = Homework.generate(topic: .traps, seed: 7)
        let path = dir + "/" + problem.fileName
        _ = try Homework.commandLine(topic: "traps", seed: 7, solve: false, outputDirectory: dir)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == problem.source)
        _ = try Homework.commandLine(topic: "traps", seed: 7, solve: false, outputDirectory: dir)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == problem.source)
        let edited = problem.source! + "        # my change\n"
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: HomeworkError.self) { try Homework.commandLine(topic: "traps", seed: 7, solve: false, outputDirectory: dir) }
        do { _ = try Homework.commandLine(topic: "traps", seed: 7, solve: false, outputDirectory: dir) } catch {
            #expect(error.exitStatus == 73)
            #expect(error.description.contains("\(path) exists and is not the program of traps --seed 7"), "\(error.description)")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == edited)
    }

    @Test func unknownTopicListsTheKnownOnes() {
        #expect(throws: HomeworkError.unknownTopic("nope")) { try HomeworkTopic.named("nope") }
        let e = HomeworkError.unknownTopic("nope")
        #expect(e.exitStatus == 64)
        for t in HomeworkTopic.allCases { #expect(e.description.contains(t.name)) }
    }

    @Test func answersAcceptEquivalentSpellings() {
        let list = HomeworkAnswer(number: 1, key: "k", value: "1, 3, 5", command: "")
        #expect(list.accepts("5,3,1"))
        #expect(!list.accepts("1, 3"))
        let hex = HomeworkAnswer(number: 2, key: "k", value: "0x0000ffff", command: "")
        #expect(hex.accepts("65535"))
        #expect(hex.accepts("0xFFFF"))
    }

    @Test func questionNumbersAreOneBasedAndKeysUnique() {
        for t in HomeworkTopic.allCases {
            let p = Homework.generate(topic: t, seed: 3)
            #expect(p.questions.map(\.number) == Array(1...p.questions.count))
            #expect(Set(p.questions.map(\.key)).count == p.questions.count)
        }
    }
}
