import ArgumentParser

/// An option whose value is one of an enum's cases, spelled as its raw value (`--mode translate`).
/// The same as swift-argument-parser's own `ExpressibleByArgument` for a `CaseIterable` String enum,
/// but `allValueStrings` maps the cases directly: the library's default builds the key path
/// `\.rawValue.defaultValueDescription` at run time on every call (32 calls while parsing
/// `vsim run`, 1.4 M host instructions of its 20.5 M: docs/performance.md).
public protocol ChoiceArgument: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceArgument {
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
}
