import Foundation
import Testing
@testable import X86

@Suite("Decoder fuzzing")
struct DecoderFuzzTests {
    static let seed: UInt64 = 0xF0220_1386

    /// One million random byte strings of every length 1…15 (half of them starting with typical
    /// prefixes or the 0F escape so that deep paths are reached). The decoder must not crash; a
    /// success is 1…15 bytes and no longer than its input, decodes identically with more bytes
    /// after it, and is `.truncated` when its last byte is missing.
    @Test("1,000,000 random byte strings")
    func fuzz() throws {
        print("fuzz seed: 0x\(String(Self.seed, radix: 16))")
        var rng = SeededGenerator(seed: Self.seed)
        let iterations = 1_000_000
        var buffer = [UInt8](repeating: 0, count: 32)
        var successes = 0, truncated = 0, outside = 0, invalid = 0, failures: [String] = []
        let leaders: [UInt8] = [0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x0F, 0x0F, 0x0F]
        let clock = ContinuousClock()
        let started = clock.now
        buffer.withUnsafeMutableBytes { raw in
            for i in 0..<iterations {
                let length = 1 + i % 15
                var word = rng.next(), second = rng.next()
                for j in 0..<32 {
                    if j == 8 { word = second }
                    if j == 16 { word = rng.next() }
                    if j == 24 { word = rng.next() }
                    raw[j] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                }
                if second & 1 == 0 { raw[0] = leaders[Int(second >> 8) % leaders.count] }
                if second & 6 == 0 { raw[1] = 0x0F }
                let input = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[0..<length])
                let address = UInt32(truncatingIfNeeded: second >> 32)
                do throws(DecodeError) {
                    let insn = try Decoder.decode(input, address: address)
                    successes += 1
                    let n = Int(insn.length)
                    if n < 1 || n > 15 || n > length {
                        failures.append("bad length \(n) for \(hexString(Array(input)))")
                        continue
                    }
                    // Extension by up to 15 - length bytes (the rest of the buffer).
                    let extended = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[0..<32])
                    if let again = try? Decoder.decode(extended, address: address), again == insn {
                    } else {
                        failures.append("extension changes \(hexString(Array(input)))")
                    }
                    // One byte short: truncated.
                    let short = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[0..<(n - 1)])
                    do throws(DecodeError) {
                        _ = try Decoder.decode(short, address: address)
                        failures.append("decodes without its last byte: \(hexString(Array(input.prefix(n))))")
                    } catch {
                        if case .truncated = error {} else {
                            failures.append("\(hexString(Array(input.prefix(n - 1)))): \(error), not truncated")
                        }
                    }
                    if i % 8 == 0 {
                        let a = ATTPrinter.format(insn, symbols: nil), b = IntelPrinter.format(insn, symbols: nil)
                        if a.isEmpty || b.isEmpty { failures.append("empty text for \(hexString(Array(input)))") }
                    }
                } catch {
                    switch error {
                    case .truncated(_, let bytes):
                        truncated += 1
                        if bytes.count > length { failures.append("truncated names more bytes than given") }
                    case .outsideSubset(_, let bytes, let len, _):
                        outside += 1
                        if let len, len > length || len < 1 || bytes.count != len {
                            failures.append("outside length \(len) for \(hexString(Array(input)))")
                        }
                    case .invalid, .tooLong:
                        invalid += 1
                    }
                    _ = error.description
                }
                if failures.count > 50 { break }
            }
        }
        let elapsed = clock.now - started
        print("fuzz: \(iterations) strings in \(elapsed): \(successes) decoded, \(truncated) truncated, "
              + "\(outside) outside the subset, \(invalid) invalid, \(failures.count) property failures")
        for f in failures.prefix(20) { print("FUZZ FAILURE " + f) }
        #expect(failures.isEmpty)
        #expect(successes > 100_000)
    }
}
