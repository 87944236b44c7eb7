import Foundation
import TOMLKit
import Descriptions

/// A student's answers file (TOML: `key = number` lines) for `answer` tests.
struct TOMLTableBox {
    struct ParseFailure: Error { var message: String }
    let table: TOMLTable

    init(_ text: String) throws(ParseFailure) {
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ParseFailure(message: "line \(e.source.begin.line): \(e.description)")
        } catch {
            throw ParseFailure(message: "\(error)")
        }
    }

    /// The text of the value at `key` (a string as written, a number in decimal, an array's items
    /// joined by commas); nil when there is none.
    func text(_ key: String) -> String? {
        guard let v = table[key] else { return nil }
        if let s = v.string { return s }
        if let n = v.int { return String(n) }
        if let d = v.double { return String(d) }
        if let a = v.array { return a.map { $0.string ?? $0.int.map(String.init) ?? "" }.joined(separator: ",") }
        return nil
    }

    /// The number at `key` (an integer, a float, or a string holding one); nil otherwise.
    func number(_ key: String) -> Double? {
        guard let v = table[key] else { return nil }
        if let n = v.int { return Double(n) }
        if let d = v.double { return d }
        if let s = v.string { return Double(s.trimmed(" \t")) }
        return nil
    }
}
