import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// JSON in and out of the image structures, with errors that name the file.
enum JSONFile {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], shown: String) throws(ImageError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed("\(shown): missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformed("\(shown): field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .malformed("\(shown): field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is null")
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as? ImageError)?.description ?? context.debugDescription
            throw .malformed("\(shown): not valid JSON for an image (\(detail))")
        } catch {
            throw .malformed("\(shown): \(error)")
        }
    }

    /// Canonical enough for digests: sorted keys, no whitespace, no escaped slashes.
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ImageError) {
        let temporary = path + ".\(getpid()).tmp"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .store("cannot write \(temporary): \(fileErrorText(error))")
        }
        if rename(temporary, path) != 0 {
            let e = errno
            unlink(temporary)
            throw .store("cannot rename \(temporary) to \(path): \(String(cString: strerror(e)))")
        }
    }
}
