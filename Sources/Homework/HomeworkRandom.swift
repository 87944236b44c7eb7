import Guest

/// The generators' only source of randomness: vsim's SplitMix64 ``SeededGenerator`` with our own
/// range mapping (never `Int.random`, whose mapping Swift may change between releases), so that a
/// seed gives the same problem with any Swift version on any machine.
struct HomeworkRandom {
    private var generator: SeededGenerator

    /// A stream per (seed, topic): the same seed gives unrelated problems in two topics.
    init(seed: UInt64, topic: HomeworkTopic) {
        let salt = UInt64(HomeworkTopic.allCases.firstIndex(of: topic)! + 1) &* 0xD6E8_FEB8_6659_FD93
        generator = SeededGenerator(seed: seed ^ salt)
    }

    /// A uniform integer in `range` (Lemire's multiply-shift on the high 32 bits; the bias is below
    /// 2^-32 for the small ranges used here).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        let r = ((generator.next() >> 32) &* span) >> 32
        return range.lowerBound + Int(r)
    }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { int(1...denominator) <= numerator }

    /// One element of `items` (not empty).
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    /// `items` in a random order (Fisher-Yates).
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        var i = a.count - 1
        while i > 0 {
            let j = int(0...i)
            a.swapAt(i, j)
            i -= 1
        }
        return a
    }
}
