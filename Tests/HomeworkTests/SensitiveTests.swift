import Testing
@testable import Homework

/// `sensitive` answers (found by running each instruction under trap and at ring 0) against the
/// documented facts, written here from the sources and not from vsim:
/// - privileged (#GP when CPL > 0, Intel SDM Vol. 3A §2.8 / §5.9 "Privileged Instructions"): CLI,
///   STI (CPL > IOPL), MOV from/to control registers, CLTS, WBINVD, LGDT/LIDT/LTR, HLT, INVLPG;
///   IN/OUT when CPL > IOPL (Vol. 1 §19.5.1);
/// - sensitive but unprivileged: Robin & Irvine, "Analysis of the Intel Pentium's Ability to
///   Support a Secure Virtual Machine Monitor", USENIX Security 2000, §4 (../shared/references/
///   virtualization.md): SGDT SIDT SLDT SMSW PUSHF POPF LAR LSL VERR VERW POP PUSH CALL JMP INT n
///   RET STR MOV (of segment registers);
/// - everything else here (ADD, BSWAP, IMUL, LEA, ROR, XCHG) touches no system state: innocuous.
@Suite struct SensitiveTests {
    /// By the first word of the item as shown to students.
    static let facts: [String: String] = [
        "cli": "privileged", "sti": "privileged", "movl %cr0,": "privileged", "movl %cr3,": "privileged",
        "clts": "privileged", "wbinvd": "privileged", "inb": "privileged",
        "sgdt": "sensitive", "sidt": "sensitive", "smsw": "sensitive", "str": "sensitive",
        "pushfl;": "sensitive", "larl": "sensitive", "pushl %cs;": "sensitive", "movl %ss,": "sensitive",
        "addl": "innocuous", "bswap": "innocuous", "imull": "innocuous", "leal": "innocuous",
        "rorl": "innocuous", "xchgb": "innocuous",
    ]

    static func fact(_ shown: String) -> String? {
        facts.keys.sorted { $0.count > $1.count }.first { shown.hasPrefix($0) }.map { facts[$0]! }
    }

    @Test func everyPoolItemHasADocumentedClass() {
        for item in SensitiveTopic.pool { #expect(Self.fact(item.shown) != nil, "\(item.shown)") }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func classificationMatchesTheSDMAndRobinIrvine(seed: UInt64) throws {
        let p = Homework.generate(topic: .sensitive, seed: seed)
        let n = p.parameter("items")!
        var expected: [String: [Int]] = ["privileged": [], "sensitive": [], "innocuous": []]
        for k in 1...n { expected[Self.fact(SensitiveTopic.pool[p.parameter("item\(k)")!].shown)!]!.append(k) }
        func list(_ a: [Int]) -> String { a.isEmpty ? "none" : a.map(String.init).joined(separator: ", ") }
        let a = try Homework.solve(p)
        #expect(a["privileged"]!.value == list(expected["privileged"]!))
        #expect(a["sensitive-unprivileged"]!.value == list(expected["sensitive"]!))
        #expect(a["innocuous"]!.value == list(expected["innocuous"]!))
        // Each privileged item traps as the #GP of its own instruction (the VMM names it by mnemonic).
        let reasons = ["cli": "#GP: cli", "sti": "#GP: sti", "movl %cr0,": "#GP: mov from cr0", "movl %cr3,": "#GP: mov from cr3",
                       "clts": "#GP: clts", "wbinvd": "#GP: wbinvd", "inb": "#GP: in"]
        for k in expected["privileged"]! {
            let shown = SensitiveTopic.pool[p.parameter("item\(k)")!].shown
            let reason = reasons.sorted { $0.key < $1.key }.first { shown.hasPrefix($0.key) }!.value
            #expect(a["trap-reasons"]!.value.contains("\(k): \(reason)"), "\(k) \(shown): \(a["trap-reasons"]!.value)")
        }
    }
}
