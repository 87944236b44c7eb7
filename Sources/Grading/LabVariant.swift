import Foundation
import Guest

/// One `[variant]` parameter: an integer in [min, max], or one of a list of choices.
public struct VariantParameter: Sendable, Equatable {
    public enum Domain: Sendable, Equatable {
        case range(min: Int64, max: Int64)
        case choices([String])
    }
    public var name: String
    public var domain: Domain
}

/// A student's variant of a lab: the seed and one value per parameter (docs/lab-spec.md).
///
/// The seed is FNV-1a 64 of `"<lab id>\0<student id>"` (0 without a student id). Values are drawn
/// in parameter-name order from ``SeededGenerator`` (SplitMix64) seeded with it, each with
/// ``draw(_:from:)``'s range mapping, so every machine and every vsim build regenerates the same
/// variant.
public struct LabVariant: Sendable, Equatable {
    /// The generator's seed.
    public var seed: UInt64
    /// The student id it was made for (nil: none, seed 0).
    public var student: String?
    /// Parameter name → value as text, sorted by name.
    public var values: [(name: String, value: String)]

    public static func == (a: LabVariant, b: LabVariant) -> Bool {
        a.seed == b.seed && a.student == b.student && a.values.map(\.name) == b.values.map(\.name)
            && a.values.map(\.value) == b.values.map(\.value)
    }

    /// The variant of `lab` for `student`.
    public init(lab: LabSpec, student: String?) {
        self.init(labID: lab.id, parameters: lab.parameters, student: student)
    }

    public init(labID: String, parameters: [VariantParameter], student: String?) {
        self.student = student
        seed = student.map { LabVariant.fnv1a64(Array(labID.utf8) + [0] + Array($0.utf8)) } ?? 0
        var generator = SeededGenerator(seed: seed)
        values = parameters.sorted { $0.name < $1.name }.map { ($0.name, LabVariant.draw($0.domain, from: &generator)) }
    }

    /// FNV-1a 64 of `bytes`.
    public static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// One value: for [min, max], `min + next() % (max - min + 1)` (the modulo bias is below
    /// 2^-40 for any span a lab uses, and the mapping is ours, not the standard library's, so
    /// it never changes under us); for choices, `choices[next() % count]`.
    static func draw(_ domain: VariantParameter.Domain, from generator: inout SeededGenerator) -> String {
        let word = generator.next()
        switch domain {
        case .range(let lo, let hi):
            let span = UInt64(bitPattern: hi &- lo) &+ 1     // 0 means the full 2^64 range
            let offset = span == 0 ? word : word % span
            return String(lo &+ Int64(bitPattern: offset))
        case .choices(let list):
            return list[Int(word % UInt64(list.count))]
        }
    }

    /// The value of `name`, if the lab has such a parameter.
    public func value(_ name: String) -> String? { values.first { $0.name == name }?.value }

    /// `text` with each `{name}` of a parameter replaced by its value and `{seed}` by the seed;
    /// other braces are left alone.
    public func substitute(_ text: String) -> String {
        guard text.contains("{") else { return text }
        var out = text.replacingOccurrences(of: "{seed}", with: String(seed))
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }

    /// "seed 1234 (student alice): n = 7, op = add" for reports.
    public var summaryLine: String {
        let who = student.map { "student \($0)" } ?? "no student id"
        let list = values.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
        return "variant seed \(seed) (\(who))" + (list.isEmpty ? "" : ": " + list)
    }
}
