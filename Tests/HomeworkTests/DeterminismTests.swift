import Testing
@testable import Homework

@Suite struct DeterminismTests {
    @Test(arguments: HomeworkTopic.allCases)
    func sameSeedSameText(topic: HomeworkTopic) {
        let a = Homework.render(Homework.generate(topic: topic, seed: 42))
        let b = Homework.render(Homework.generate(topic: topic, seed: 42))
        #expect(a == b)
    }
}
