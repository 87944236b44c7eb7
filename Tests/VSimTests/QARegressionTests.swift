import Foundation
import Testing

/// Regressions for the findings of the first-user QA pass on issue 2 (B-numbers of its report).
/// Every expected value comes from outside vsim: the host CPU running the same i386 ELF, GNU
/// objdump, or Linux's documented behaviour.
@Suite(.serialized) struct QARegressionTests {
    /// `exe args...` run natively through the shell, whose `$?` is 128+signal for a signal, as
    /// vsim's own status is.
    static func native(_ exe: String, _ args: [String] = [], stdin: String = "") throws -> CLI.Output {
        try CLI.run("sh", ["-c", "\"$0\" \"$@\"; exit $?", exe] + args, stdin: stdin)
    }

    static let exit7 = "    movl $1, %eax\n    movl $7, %ebx\n    int $0x80\n"

    /// B8: an instruction longer than 15 bytes raises #GP(0) (Intel SDM Vol. 2A 2.3.11), which
    /// Linux delivers as SIGSEGV.
    @Test func instructionLongerThan15BytesIsSIGSEGV() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("    .globl _start\n_start:\n    .fill 15,1,0x26\n    nop\n" + QARegressionTests.exit7,
                                name: "long", in: dir)
        let host = try QARegressionTests.native(exe)
        let ours = try CLI.vsim(["run", exe])
        #expect(host.status == 139)
        #expect(ours.status == host.status, "\(ours.stderr)")
        #expect(ours.stderr.contains("#GP(0x0)") && ours.stderr.contains("longer than 15 bytes") && ours.stderr.hasSuffix("SIGSEGV\n"))
    }

    /// B15: PAUSE (F3 90) is a NOP with a spin-loop hint (Intel SDM Vol. 2B): it runs, and
    /// `vsim disasm` prints it as objdump does.
    @Test func pauseRunsAsNop() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let exe = try CLI.build("    .globl _start\n_start:\n    pause\n    .byte 0x66, 0xf3, 0x90\n    .byte 0xf2, 0xf3, 0x90\n"
                                + QARegressionTests.exit7, name: "pause", in: dir)
        let host = try QARegressionTests.native(exe)
        #expect(host.status == 7)
        #expect(try CLI.vsim(["run", exe]).status == host.status)
        for syntax in [[String](), ["-M", "intel"]] {
            let ours = try CLI.vsim(["disasm", exe] + (syntax.isEmpty ? [] : ["--syntax", "intel"])).stdout
            let theirs = try CLI.run("objdump", ["-d"] + syntax + [exe]).stdout
            #expect(ours.split(separator: "\n").dropFirst(2) == theirs.split(separator: "\n").dropFirst(2), "\(syntax)")
        }
    }
}
