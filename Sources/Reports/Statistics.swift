/// Summary statistics of a sample of measurements (any unit; the caller keeps track of it).
///
/// `standardDeviation` is the sample standard deviation (divisor n − 1, as hyperfine reports it),
/// 0 for a single value. Percentiles interpolate linearly between the closest ranks
/// (the "R-7" definition used by NumPy and spreadsheets).
public struct Statistics: Codable, Equatable, Sendable {
    /// The measurements in the order given.
    public var values: [Double]
    /// The measurements sorted ascending.
    public var sorted: [Double]
    public var count: Int { values.count }
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var standardDeviation: Double

    /// - Precondition: `values` is not empty.
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Statistics of an empty sample")
        self.values = values
        self.sorted = values.sorted()
        self.min = sorted.first!
        self.max = sorted.last!
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.mean = mean
        self.median = Statistics.percentile(sorted, 50)
        if values.count > 1 {
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            self.standardDeviation = (squares / (n - 1)).squareRoot()
        } else {
            self.standardDeviation = 0
        }
    }

    /// The `p`-th percentile, `p` in 0…100 (clamped).
    public func percentile(_ p: Double) -> Double { Statistics.percentile(sorted, p) }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let clamped = Swift.min(Swift.max(p, 0), 100)
        let rank = clamped / 100 * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = rank - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
