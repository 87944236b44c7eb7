import ArgumentParser

/// An option whose value is one of an enum's cases, spelled as its raw value (`--mode translate`).
/// The same as swift-argument-parser's own `ExpressibleByArgument` for a `CaseIterable` String enum,
/// with the same help text, but each property is computed directly from the raw values: the
/// library's defaults build the key path `\.rawValue.defaultValueDescription` at run time on every
/// call (32 calls while parsing `vsim run`, 1.4 M host instructions of its 20.5 M), and
/// `allValueDescriptions` compares every case's two descriptions, which are always equal here
/// (so it is always empty), through string interpolation (0.5 M of `vsim run`'s 18.4 M:
/// docs/performance.md, "Start-up, fourth round").
public protocol ChoiceArgument: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceArgument {
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }

    /// Empty, as the library's default for an enum whose description is its raw value.
    public static var allValueDescriptions: [String: String] { [:] }

    public var defaultValueDescription: String { rawValue }
}
