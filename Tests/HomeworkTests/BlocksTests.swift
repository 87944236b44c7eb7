import Foundation
import Testing
@testable import Homework

/// `blocks` answers (the translator's record of a run) against a hand count for one seed and,
/// for many seeds, against objdump's disassembly of the natively built program.
@Suite struct BlocksTests {
    /// Seed 4 by hand. _start: EAX=8, EBX=11; s1: EBX=19, EAX=9, `call sub` ends block 1
    /// (_start:call; its goto_tb to sub is chained). sub: EBX=20, `ret` ends block 2 (sub:ret; a
    /// RET is a lookup, never chained). s2 falls through s3 into the loop's first iteration (ECX
    /// 3 -> 2), `jnz s3l` taken ends block 3 (s2:jne; chained s2->s3l). s3l: ECX 2 -> 1 taken
    /// (chained s3l->s3l), 1 -> 0 falls through (chained s3l->s4): block 4 (s3l:jne). s4:
    /// `jmp s5`, block 5 (s4:jmp; chained s4->s5). s5: `int $0x80` needs the main loop, block 6
    /// (s5:int; no chain). 6 blocks, 5 chains.
    @Test func seedFourWorkedByHand() throws {
        let p = Homework.generate(topic: .blocks, seed: 4)
        #expect(p.source!.contains("s3l:   addl $2, %eax     # a loop of 3 iterations"), "seed 4's program changed: rework the hand count")
        let a = try Homework.solve(p)
        #expect(a["blocks"]!.value == "6")
        #expect(a["block-list"]!.value == "_start:call, sub:ret, s2:jne, s3l:jne, s4:jmp, s5:int")
        #expect(a["chains"]!.value == "5")
        #expect(a["chain-list"]!.accepts("_start->sub, s2->s3l, s3l->s3l, s3l->s4, s4->s5"))
    }

    /// Every block the translator reports starts at a label and ends at the first instruction
    /// from there on that objdump shows as a control transfer or INT; every chain joins two
    /// reported blocks.
    @Test(arguments: Array(1...8) as [UInt64])
    func blocksEndWhereObjdumpSaysControlLeaves(seed: UInt64) throws {
        let p = Homework.generate(topic: .blocks, seed: seed)
        let (dir, exe) = try buildNatively(p)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // objdump -d lines: "  8049000:\tb8 13 00 00 00       \tmov    $0x13,%eax"
        var listing: [(address: UInt32, mnemonic: String)] = []
        for line in try host(["objdump", "-d", "--no-show-raw-insn", exe], in: dir).split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard parts.count >= 2, parts[0].hasSuffix(":"), let address = UInt32(parts[0].dropLast().trimmingCharacters(in: .whitespaces), radix: 16) else { continue }
            listing.append((address, String(parts[1].split(separator: " ").first ?? "")))
        }
        func endsBlock(_ m: String) -> Bool { m.hasPrefix("j") || m.hasPrefix("call") || m.hasPrefix("ret") || m.hasPrefix("loop") || m == "int" }
        let a = try Homework.solve(p)
        let blocks = a["block-list"]!.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(String(blocks.count) == a["blocks"]!.value)
        var starts: Set<String> = []
        for b in blocks {
            let f = b.split(separator: ":")
            let label = String(f[0]), mnemonic = String(f[1])
            starts.insert(label)
            let address = try #require(try nmAddress(label, exe), "block start \(label) is a label")
            let end = listing.first { $0.address >= address && endsBlock($0.mnemonic) }
            #expect(end?.mnemonic == mnemonic, "seed \(seed): block \(label) should end with \(end?.mnemonic ?? "?")")
        }
        let chains = a["chain-list"]!.value
        if chains != "none" {
            let list = chains.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(String(list.count) == a["chains"]!.value)
            for c in list {
                let ends = c.components(separatedBy: "->")
                #expect(starts.contains(ends[0]) && starts.contains(ends[1]), "seed \(seed): \(c)")
            }
        }
    }
}
