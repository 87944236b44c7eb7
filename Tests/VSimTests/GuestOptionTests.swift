import Foundation
import Testing

/// Every mode × {run, compare, repl} accepts and refuses the same guest options with the same
/// message. The table of which modes honour which option is written here from
/// docs/user-guide.md ("Options and the modes that honour them"), not taken from the code. A
/// program that does not exist tells the two apart without running anything: an accepted option
/// gets as far as opening PROG (exit 66), a refused one stops at the options (exit 64).
@Suite struct GuestOptionTests {
    static let modes = ["interpret", "translate", "trap", "hvm", "pv", "bt", "unikernel", "kvm", "container", "qemu", "native"]
    static let emulated: Set<String> = ["interpret", "translate", "trap", "hvm", "pv", "bt", "unikernel"]
    static let vmms: Set<String> = ["trap", "hvm", "pv", "bt", "unikernel"]
    /// The REPL steps only what vsim's own machine runs.
    static let steppable: Set<String> = ["interpret", "translate", "trap", "hvm", "pv"]

    /// (the option as typed, the modes that honour it).
    static let table: [([String], Set<String>)] = [
        (["--max-instructions", "5"], emulated),
        (["--time-limit", "5"], Set(modes)),
        (["--system"], ["interpret", "translate"]),
        (["--timer", "10"], vmms),
        (["--cpu", "merom"], vmms),
        (["--cost-model", "costs.txt"], vmms),
        (["--umip"], ["trap"]),
        (["--ept", "off"], ["hvm", "unikernel"]),
        (["--engine", "translate"], vmms),
        (["--seed", "3"], emulated.union(["kvm"])),
        (["--root", "/tmp"], emulated.union(["kvm"])),
        (["--memory", "64M"], vmms.union(["kvm"])),
    ]
    /// Options the console refuses in every mode (a session has no host time limit), with its
    /// own reason. The rest it takes as `vsim run` does: it boots through the same runtime.
    static let notForTheREPL: Set<String> = ["--time-limit"]

    /// The first line of stderr that says why, without ArgumentParser's "Error: " prefix.
    static func reason(_ r: CLI.Output) -> String {
        let line = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        return line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
    }

    @Test(arguments: GuestOptionTests.table.indices)
    func everyCommandAcceptsAndRefusesAlike(_ row: Int) throws {
        let (option, honouring) = Self.table[row]
        let missing = "/nonexistent/vsim-option-test.s"
        for mode in Self.modes {
            let run = try CLI.vsim(["run", missing, "--mode", mode] + option)
            let compare = try CLI.vsim(["compare", missing, "--modes", mode, "--runs", "1"] + option)
            let expected: Int32 = honouring.contains(mode) ? 66 : 64
            #expect(run.status == expected, "run --mode \(mode) \(option): \(run.stderr)")
            #expect(compare.status == expected, "compare --modes \(mode) \(option): \(compare.stderr)")
            if expected == 64 {
                #expect(Self.reason(run).hasPrefix(option[0]), "\(mode) \(option): \(run.stderr)")
                #expect(Self.reason(run) == Self.reason(compare), "run and compare say the same for \(mode) \(option)")
            }
            guard Self.steppable.contains(mode) else { continue }
            let repl = try CLI.vsim(["repl", missing, "--mode", mode, "--batch", "/dev/null"] + option)
            if Self.notForTheREPL.contains(option[0]) {
                #expect(repl.status == 64 && Self.reason(repl).hasPrefix("\(option[0]) does not apply to vsim repl"), "\(repl.stderr)")
            } else {
                #expect(repl.status == expected, "repl --mode \(mode) \(option): \(repl.stderr)")
                if expected == 64 { #expect(Self.reason(repl) == Self.reason(run), "repl and run say the same for \(mode) \(option)") }
            }
        }
    }

    /// `--timer` also applies where `--system` brings the guest kernel to interpret and translate.
    @Test func timerWithTheGuestKernel() throws {
        for mode in ["interpret", "translate"] {
            let r = try CLI.vsim(["run", "/nonexistent/p.s", "--mode", mode, "--system", "--timer", "10"])
            #expect(r.status == 66, "\(mode): \(r.stderr)")
        }
    }

    /// A negative number for a numeric option is a bad value (docs/exit-status.md: 64, "a bad
    /// value"), and the message says which value: ArgumentParser read `-5` as the next option
    /// and said "Missing value", as if nothing had been given.
    @Test func negativeNumbersAreNamedAsBadValues() throws {
        // --time-limit takes a real number: -1 is one, and the range check names it (the REPL
        // has no --time-limit at all).
        for (option, value, said) in [("--max-instructions", "-5", "The value '-5' is invalid for '--max-instructions"),
                                      ("--timer", "-1", "The value '-1' is invalid for '--timer"),
                                      ("--seed", "-1", "The value '-1' is invalid for '--seed"),
                                      ("--time-limit", "-1", "--time-limit must be a positive number of seconds (got -1")] {
            for command in option == "--time-limit" ? ["run"] : ["run", "repl"] {
                let r = try CLI.vsim([command, "/nonexistent/p.s", "--mode", "trap", option, value])
                #expect(r.status == 64, "\(command) \(option) \(value): \(r.stderr)")
                #expect(r.stderr.contains(said), "\(command) \(option): \(r.stderr)")
            }
        }
    }

    /// compare accepts an option that one compared mode honours (the others run without it) and
    /// refuses one that none does, naming the modes.
    @Test func compareNeedsOneModeThatHonoursTheOption() throws {
        let ok = try CLI.vsim(["compare", "/nonexistent/p.s", "--modes", "trap,native", "--umip", "--runs", "1"])
        #expect(ok.status == 66, "\(ok.stderr)")
        let refused = try CLI.vsim(["compare", "/nonexistent/p.s", "--modes", "interpret,native", "--umip", "--runs", "1"])
        #expect(refused.status == 64)
        #expect(Self.reason(refused).hasPrefix("none of the compared modes (interpret, native) honours --umip"), "\(refused.stderr)")
    }

    /// The modes that ran without a given option say so under the table and in the JSON, so a
    /// reader does not take native's row for one confined to --root (native, per the table above,
    /// honours neither --root nor --cpu; interpret honours --root).
    @Test func compareSaysWhichModesRanWithoutAnOption() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-notes-\(getpid())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try CLI.vsim(["compare", CLI.packageRoot + "/programs/hello.s", "--modes", "native,interpret", "--runs", "1", "--warmup", "0", "--root", root])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("note: native ran without --root (it does not honour it; see vsim run --help)"), "\(r.stdout)")
        #expect(!r.stdout.contains("interpret ran without"), "\(r.stdout)")
        let json = try CLI.vsim(["compare", CLI.packageRoot + "/programs/hello.s", "--modes", "native,interpret", "--runs", "1", "--warmup", "0", "--root", root, "--format", "json"])
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let results = doc?["results"] as? [[String: Any]] ?? []
        let native = results.first { $0["mode"] as? String == "native" }
        let interpret = results.first { $0["mode"] as? String == "interpret" }
        #expect(native?["options_not_honoured"] as? [String] == ["--root"], "\(json.stdout)")
        #expect(interpret?["options_not_honoured"] == nil, "\(json.stdout)")
    }

    /// --stats and --check run the user-mode translator alone: what it cannot honour is refused,
    /// not dropped.
    @Test func statsAndCheckRefuseWhatTheyWouldDrop() throws {
        for (flag, extra) in [("--stats", ["--system"]), ("--check", ["--timer", "5"]), ("--stats", ["--trace", "insns"])] {
            let r = try CLI.vsim(["run", "/nonexistent/p.s", "--mode", "translate", flag] + extra)
            #expect(r.status == 64 && Self.reason(r).hasPrefix("\(extra[0]) cannot go with \(flag)"), "\(r.stderr)")
        }
    }
}
