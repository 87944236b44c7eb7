import Foundation
import XCTest
import Guest
@testable import VSim

/// The probes of programs/holes/ (one per row of Robin and Irvine's table) under each mode,
/// against what the Intel SDM says a kernel observes: at ring 0 (interpret --system, and hvm,
/// where the kernel really runs at ring 0 in VMX non-root operation) the truth; at ring 1 under
/// trap-and-emulate the VMM's state leaking through; with CR4.UMIP the five store instructions
/// fault and the VMM answers them with the virtual values.
final class HoleProbeTests: XCTestCase {
    enum Config: String, CaseIterable { case ring0 = "interpret --system", trap, trapUMIP = "trap --umip", hvm, bt, unikernel }

    func run(_ probe: String, _ config: Config) throws -> String {
        var options = RunOptions()
        options.io = .capture
        options.system = config == .ring0
        options.umip = config == .trapUMIP
        let mode: Mode = config == .ring0 ? .interpret : config == .hvm ? .hvm : config == .bt ? .bt : config == .unikernel ? .unikernel : .trap
        let path = TrapAndExitCountTests.repository + "/programs/holes/\(probe).s"
        let r = try VSim.run(program: .path(path), mode: mode, options: options)
        XCTAssertEqual(r.exitStatus, 0, "\(probe) under \(config.rawValue): \(r.diagnostic ?? "")")
        return String(decoding: r.output ?? [], as: UTF8.self)
    }

    /// GDT and IDT addresses of the guest kernel (its `gdt` and `idt` symbols).
    func kernelTables(symbols: [String: Int] = [:]) throws -> (gdt: String, idt: String) {
        let k = try ELFImage(path: try GuestKernel.build(symbols: symbols))
        func addr(_ name: String) -> String {
            let v = k.symbols.first { $0.name == name }!.value
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }
        return (addr("gdt"), addr("idt"))
    }

    func testEveryProbeAgainstTheSDM() throws {
        let (gdt, idt) = try kernelTables()
        // SDM-derived expectations. Ring 0: the kernel's own state. Trap: the VMM's GDTR
        // (base 0xffc00000), IDTR (0xffc01000), TR (0xe0) and real CR0 (MP TS NE added: 0x3b);
        // descriptors with DPL 1 from the shadow GDT; selectors with RPL 1; PUSHF's real IF = 1;
        // POPF does not restore IF, so the held timer interrupt is not delivered.
        let truth: [String: String] = [
            "sgdt": "sgdt: base=\(gdt) limit=0047\nsidt: base=\(idt) limit=07ff\nsldt: 0000\n",
            "smsw": "smsw: 0011\n",
            "pushf": "pushf after cli: IF=0 IOPL=0\n",
            "popf": "timer interrupts inside pushf;cli...popf: no\ntimer interrupts after popf: yes\n",
            "lar": "lar 0x08: 00cf9a00\nlar 0x10: 00cf9200\nlsl 0x08: ffffffff\nverr 0x08: 1\nverw 0x10: 1\n",
            "pushseg": "push cs: 0008\npush ss: 0010\npop ss 0x10 -> 0010\n",
            "farcall": "lcall pushed cs: 0008\nljmp 0x08 -> cs 0008\nint pushed cs: 0008\n",
            "str": "str: 0018\n",
            "movseg": "mov cs: 0008\nmov ss: 0010\nmov 0x10 to ss -> 0010\n",
        ]
        let leaks: [String: String] = [
            "sgdt": "sgdt: base=ffc00000 limit=0047\nsidt: base=ffc01000 limit=07ff\nsldt: 0000\n",
            "smsw": "smsw: 003b\n",
            "pushf": "pushf after cli: IF=1 IOPL=0\n",
            "popf": "timer interrupts inside pushf;cli...popf: no\ntimer interrupts after popf: no\n",
            "lar": "lar 0x08: 00cfba00\nlar 0x10: 00cfb200\nlsl 0x08: ffffffff\nverr 0x08: 1\nverw 0x10: 1\n",
            "pushseg": "push cs: 0009\npush ss: 0011\npop ss 0x10 -> 0011\n",
            "farcall": "lcall pushed cs: 0009\nljmp 0x08 -> cs 0009\nint pushed cs: 0009\n",
            "str": "str: 00e0\n",
            "movseg": "mov cs: 0009\nmov ss: 0011\nmov 0x10 to ss -> 0011\n",
        ]
        // UMIP closes exactly SGDT SIDT SLDT SMSW STR: those three probes see the truth again.
        var umip = leaks
        for p in ["sgdt", "smsw", "str"] { umip[p] = truth[p] }
        // BT rewrites every one of these instructions into a callout that answers with the virtual
        // CPU's state, so the deprivileged kernel sees what it sees at ring 0 (as under hvm).
        // The unikernel's library OS is the kernel built with UNIKERNEL=1: its tables sit elsewhere.
        let (ugdt, uidt) = try kernelTables(symbols: ["UNIKERNEL": 1])
        var unikernelTruth = truth
        unikernelTruth["sgdt"] = "sgdt: base=\(ugdt) limit=0047\nsidt: base=\(uidt) limit=07ff\nsldt: 0000\n"
        let expected: [Config: [String: String]] = [.ring0: truth, .hvm: truth, .trap: leaks, .trapUMIP: umip, .bt: truth,
                                                    .unikernel: unikernelTruth]
        let probes = try FileManager.default.contentsOfDirectory(atPath: TrapAndExitCountTests.repository + "/programs/holes")
            .filter { $0.hasSuffix(".s") }.map { String($0.dropLast(2)) }.sorted()
        XCTAssertEqual(probes, truth.keys.sorted(), "one probe per row of the table")
        for config in Config.allCases {
            for probe in probes {
                XCTAssertEqual(try run(probe, config), expected[config]![probe]!, "\(probe) under \(config.rawValue)")
            }
        }
    }

    /// The probes name all 18 mnemonics of the table in their headers.
    func testAllEighteenMnemonicsAreCovered() throws {
        let dir = TrapAndExitCountTests.repository + "/programs/holes"
        var text = ""
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasSuffix(".s") {
            text += try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
        }
        for m in ["SGDT", "SIDT", "SLDT", "SMSW", "PUSHF", "POPF", "LAR", "LSL", "VERR", "VERW",
                  "PUSH", "POP", "CALL", "JMP", "INT", "RET", "STR", "MOV"] {
            XCTAssertTrue(text.contains(m), m)
        }
    }
}
