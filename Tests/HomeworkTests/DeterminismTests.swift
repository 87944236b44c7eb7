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
