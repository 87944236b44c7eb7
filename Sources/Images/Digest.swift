import Crypto

/// A content digest as the OCI image spec writes it (`algorithm:encoded`, image-spec
/// descriptor.md "Digests"). Only `sha256` is accepted: it is the one algorithm every
/// implementation must support, and the one Docker and the registries use.
public struct Digest: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses `sha256:<64 lowercase hex digits>`.
    /// - Throws: ``ImageError/malformed(_:)`` naming `context` for any other text.
    public init(parsing text: String, context: String) throws(ImageError) {
        guard text.hasPrefix("sha256:") else {
            throw .malformed("\(context): digest '\(text)' is not sha256:<hex> (only sha256 is supported)")
        }
        let hex = String(text.dropFirst(7))
        guard Digest.isHex(hex) else {
            throw .malformed("\(context): digest '\(text)' does not have 64 lowercase hex digits")
        }
        self.hex = hex
    }

    init(hex: String) { self.hex = hex }

    /// The SHA-256 of `bytes`.
    public static func of(_ bytes: some Sequence<UInt8>) -> Digest {
        Digest(hex: SHA256.hash(data: Array(bytes)).hexString)
    }

    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits, as `docker images` shows an id.
    public var short: String { String(hex.prefix(12)) }

    static func isHex(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Digest(parsing: text, context: "digest")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension SHA256.Digest {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
