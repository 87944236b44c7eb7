import Foundation
import TOMLKit

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

    /// The number at `key` (an integer, a float, or a string holding one); nil otherwise.
    func number(_ key: String) -> Double? {
        guard let v = table[key] else { return nil }
        if let n = v.int { return Double(n) }
        if let d = v.double { return d }
        if let s = v.string { return Double(s.trimmingCharacters(in: .whitespaces)) }
        return nil
    }
}
