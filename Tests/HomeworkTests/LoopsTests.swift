import Foundation
import Testing
@testable import Homework

/// `loops` answers (vsim's interpreter's registers) against the host CPU: the generated program
/// is assembled natively (as --32, ld -m elf_i386), run on this machine's processor, and prints
/// ECX, EDX and the label it reached; the label's address comes from binutils' nm.
@Suite struct LoopsTests {
    @Test(arguments: Array(1...16) as [UInt64])
    func registersMatchTheHostCPU(seed: UInt64) throws {
        let p = Homework.generate(topic: .loops, seed: seed)
        let (dir, exe) = try buildNatively(p)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let native = try host([exe], in: dir).trimmingCharacters(in: .newlines)
        // "ecx=XXXXXXXX edx=XXXXXXXX at LABEL"
        let f = native.split(separator: " ")
        #expect(f.count == 4, "\(native)")
        let ecx = UInt32(f[0].dropFirst(4), radix: 16)!, edx = UInt32(f[1].dropFirst(4), radix: 16)!
        let label = String(f[3])
        let a = try Homework.solve(p)
        #expect(a["iterations"]!.value == String(edx), "seed \(seed)")
        #expect(a["ecx"]!.value == hex32(ecx), "seed \(seed)")
        #expect(a["label"]!.value == label, "seed \(seed)")
        #expect(a["eip"]!.value == hex32(try nmAddress(label, exe)!), "seed \(seed)")
    }

    /// The seeds above cover the variants the topic promises: ECX (or CX) 0, the 16-bit form,
    /// a JCXZ guard, and each of LOOP, LOOPE, LOOPNE.
    @Test func seedsCoverTheVariants() {
        let ps = (1...16).map { Homework.generate(topic: .loops, seed: UInt64($0)) }
        #expect(ps.contains { $0.parameter("count")! & 0xFFFF == 0 })
        #expect(ps.contains { $0.parameter("addr16") == 1 })
        #expect(ps.contains { $0.parameter("guarded") == 1 })
        #expect(Set(ps.map { $0.parameter("kind")! }) == [0, 1, 2])
    }
}
