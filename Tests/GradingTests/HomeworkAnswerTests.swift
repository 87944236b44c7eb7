import Foundation
import Testing
import Homework
@testable import Grading

/// `compute = { homework, seed, question }`: the grader asks the Homework module, which answers
/// by running vsim (its answers are checked against the host CPU, the SDM and hand counts in
/// HomeworkTests); here the wiring: the student's variant picks the seed, a right answer in any
/// of the forms `accepts` allows passes, a wrong one fails without revealing the value.
@Suite struct HomeworkAnswerTests {
    static let labTOML = """
    id = "hw"
    title = "Homework lab"
    summary = "answers to vsim homework loops"
    order = 1
    submission = ["answers.toml"]

    [variant]
    s = { min = 1, max = 50 }

    [[tests]]
    id = "q1"
    name = "question 1 of vsim homework loops for your seed"
    kind = "answer"
    answers = "submission/answers.toml"
    key = "q1"
    points = 4
    compute = { homework = "loops", seed = "{s}", question = 1 }

    [[tests]]
    id = "q1-fixed"
    name = "question 1 of vsim homework loops --seed 7"
    kind = "answer"
    answers = "submission/answers.toml"
    key = "fixed"
    points = 2
    compute = { homework = "loops", seed = 7, question = 1 }

    """

    func grade(_ answers: String, student: String) throws -> GradingResult {
        let root = NSTemporaryDirectory() + "vsim-hw-test-" + UUID().uuidString
        defer { Fixture.remove(root) }
        try Fixture.write(Self.labTOML, to: root + "/lessons/hw/lab.toml")
        try Fixture.write("# Homework\n", to: root + "/lessons/hw/README.md")
        let dir = try Fixture.submission(["answers.toml": answers], in: root, name: "sub")
        return try Grader(lab: try LabSpec.load(folder: root + "/lessons/hw"), student: student).grade(submission: dir)
    }

    @Test func rightAnswersPassAndWrongOnesFail() throws {
        let variant = LabVariant(lab: try Self.spec(), student: "alice")
        let seed = UInt64(variant.substitute("{s}"))!
        let mine = try Homework.answer(topic: .loops, seed: seed, question: 1)
        let fixed = try Homework.answer(topic: .loops, seed: 7, question: 1)
        let right = try grade("q1 = \"\(mine.value)\"\nfixed = \"\(fixed.value)\"\n", student: "alice")
        #expect(right.score == 6, "\(TextEmitter(timings: false).render(right))")
        let wrong = try grade("q1 = \"\(mine.value)1\"\nfixed = \"\(fixed.value)\"\n", student: "alice")
        #expect(wrong.score == 2)
        #expect(wrong.tests[0].status == .failed)
        #expect(!wrong.tests[0].output.contains("says"), "the computed value stays in the staff log")
        let missing = try grade("fixed = \"\(fixed.value)\"\n", student: "alice")
        #expect(missing.tests[0].status == .failed && missing.tests[0].output.contains("no answer for `q1`"))
    }

    @Test func unknownTopicIsRefusedWhenTheSpecLoads() throws {
        let root = NSTemporaryDirectory() + "vsim-hw-test-" + UUID().uuidString
        defer { Fixture.remove(root) }
        try Fixture.write(Self.labTOML.replacingOccurrences(of: "homework = \"loops\", seed = 7", with: "homework = \"nope\", seed = 7"),
                          to: root + "/lessons/hw/lab.toml")
        #expect(throws: GradingError.self) { try LabSpec.load(folder: root + "/lessons/hw") }
    }

    static func spec() throws -> LabSpec {
        let root = NSTemporaryDirectory() + "vsim-hw-spec-" + UUID().uuidString
        defer { Fixture.remove(root) }
        try Fixture.write(labTOML, to: root + "/lessons/hw/lab.toml")
        return try LabSpec.load(folder: root + "/lessons/hw")
    }
}
