/// vsim's deterministic random number generator (SplitMix64, Steele, Lea & Flood, OOPSLA 2014).
///
/// Everything random that a guest can observe (AT_RANDOM bytes today; lab variants and fuzzing
/// later) comes from one of these, so the same seed gives the same run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The seed vsim uses when none is given.
    public static let defaultSeed: UInt64 = 0x7673_696d   // "vsim"

    public private(set) var state: UInt64

    public init(seed: UInt64 = SeededGenerator.defaultSeed) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
