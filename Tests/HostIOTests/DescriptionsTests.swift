import Testing
import Descriptions
#if canImport(Glibc)
import Glibc
#endif

/// The names and numbers every message uses, checked against outside sources: the shell's
/// `kill -l`, Python's `errno` module, and the C library's printf.
@Suite struct DescriptionsTests {
    @Test func signalNamesMatchTheShell() throws {
        // bash's `kill -l N` prints the name without "SIG" (from the host's signal table).
        for n: Int32 in 1...31 {
            let name = try shell("kill -l \(n)").trimmed()
            #expect(SignalName.of(n) == "SIG" + name, "signal \(n)")
        }
        #expect(SignalName.of(40) == "signal 40")
    }

    /// bash reads each quoted word back as the word itself (its `printf '%s\0'` prints the words
    /// it was given), and no quoted word spans two lines.
    @Test func shellWordsReadBackByBash() throws {
        let words = ["plain", "a/b.s", "-x", "", "two words", "it's", "'", "a\"b", "$HOME", "`id`", "*", "~",
                     "new\nline", "tab\there", "esc\u{1b}[1m", "back\\slash\n", "quote'\nnewline", "ünï cödé",
                     "ünï\ncödé", "\u{7f}", ";rm -rf x", "a|b"]
        let line = ShellWord.line(words)
        #expect(!line.contains("\n"), "\(line)")
        let back = try shell("printf '%s\\0' " + line)
        #expect(back.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == words, "\(line)")
        #expect(ShellWord.quoted("programs/sumsq.s") == "programs/sumsq.s")
        #expect(ShellWord.quoted("my prog.s") == "'my prog.s'")
    }

    @Test func errnoNamesMatchPython() throws {
        let listed = try shell("python3 -c 'import errno; print(\"\\n\".join(f\"{k} {v}\" for k, v in sorted(errno.errorcode.items())))'")
        var python: [Int32: Set<String>] = [:]
        for line in listed.split(separator: "\n") {
            let parts = line.split(separator: " ")
            python[Int32(parts[0])!, default: []].insert(String(parts[1]))
        }
        for (value, name) in ErrnoName.table {
            // Python lists one name per value; EAGAIN/EWOULDBLOCK and EOPNOTSUPP/ENOTSUP share one.
            let aliases: [String: String] = ["EAGAIN": "EWOULDBLOCK", "EOPNOTSUPP": "ENOTSUP"]
            let known = python[value] ?? []
            #expect(known.contains(name) || known.contains(aliases[name] ?? ""), "errno \(value): \(name) vs \(known)")
        }
    }

    @Test func hexMatchesPrintf() {
        var state: UInt32 = 0x1234_5678
        for _ in 0..<500 {
            state = state &* 1_664_525 &+ 1_013_904_223
            #expect(Hex.word(state) == printf("%08x", state))
            #expect(Hex.address(state) == printf("0x%08x", state))
            #expect(Hex.prefixed(state) == printf("%#x", state) || state == 0)
            #expect(Hex.byte(UInt8(state & 0xff)) == printf("%02x", state & 0xff))
        }
        #expect(Hex.prefixed(0 as UInt32) == "0x0")  // printf's %#x prints a bare "0" for zero
        #expect(Hex.bytes([0xf3, 0x0f, 0x1e, 0xfb]) == "f3 0f 1e fb")
    }

    @Test func limitMessagesNameTheOptionAndTheStatus() {
        let i = LimitStop.message("guest", .instructions(executed: 1000, budget: 1000), at: "0x0804902b")
        #expect(i == "vsim: guest stopped after 1000 instructions (--max-instructions 1000) at 0x0804902b -> SIGXCPU (exit status 152); raise --max-instructions if the program needs more")
        let t = LimitStop.message("native run", .time(limit: .milliseconds(500), executed: nil))
        #expect(t == "vsim: native run stopped by the host time limit of 0.5 s -> SIGXCPU (exit status 152); raise --time-limit if the program needs longer")
        #expect(LimitStop.exitStatus == 128 + SIGXCPU)
    }

    @Test func durationsAndNumbers() {
        #expect(DurationText.seconds(.seconds(60)) == "60 s")
        #expect(DurationText.measured(0.8123) == "812.3 ms")
        #expect(DurationText.measured(1.2044) == "1.204 s")
        #expect(DurationText.measured(0.0000451) == "45.1 µs")
        #expect(DurationText.nanoseconds(.seconds(-1)) == 0)
        // Under a second in the past: Duration.components gives (0, negative attoseconds); a
        // deadline that passed while a loaded machine was busy must read 0, not trap.
        #expect(DurationText.nanoseconds(.zero - .milliseconds(500)) == 0)
        #expect(DurationText.nanoseconds(.zero - .nanoseconds(1)) == 0)
        #expect(NumberText.grouped(1_234_567) == "1,234,567")
        #expect(NumberText.fixed(2.675, 2) == printf("%.2f", 2.675))
    }

    private func printf(_ format: String, _ value: UInt32) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, 64, format, $0) }
        return String(cString: buffer)
    }

    private func printf(_ format: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, 64, format, $0) }
        return String(cString: buffer)
    }
}

/// Runs `command` with /bin/bash and returns its stdout.
func shell(_ command: String) throws -> String {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { throw ShellError() }
    let pid = fork()
    if pid == 0 {
        dup2(pipeEnds[1], 1)
        close(pipeEnds[0])
        let argv: [UnsafeMutablePointer<CChar>?] = ([String](["bash", "-c", command])).map { strdup($0) } + [nil]
        execv("/bin/bash", argv)
        _exit(127)
    }
    close(pipeEnds[1])
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    close(pipeEnds[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return String(decoding: out, as: UTF8.self)
}

struct ShellError: Error {}

@Suite struct TrimmingTests {
    @Test func trimsEachScalarOfTheSet() {
        #expect("  PWR\n".trimmed() == "PWR")
        #expect("\r\nPWR\r\n".trimmed() == "PWR")
        #expect("\tx y \t".trimmed(" ") == "\tx y \t")
        #expect("  a b  ".trimmed(" ") == "a b")
        #expect("a  ".trimmingTrailingSpaces() == "a")
    }
}

/// Sizes as `--memory` takes them, against coreutils' `numfmt --from=iec` (the same binary
/// units; numfmt rounds a fraction away from zero, ByteSize to nearest: the examples avoid a
/// fraction of a byte below one half) and Docker's spellings by hand (`64MiB`, `64mb` = 64 × 2^20).
@Suite struct ByteSizeTests {
    @Test func sizesMatchNumfmt() throws {
        for text in ["65536", "64M", "1.5G", "512K", "1T", "0.5K", "1.3M", "3G", "0"] {
            let expected = try shell("numfmt --from=iec \(text)").trimmed()
            #expect(ByteSize.read(text) == .bytes(UInt64(expected)!), "\(text): numfmt says \(expected)")
            #expect(ByteSize.read(text.lowercased()) == .bytes(UInt64(expected)!), "\(text.lowercased())")
        }
    }

    @Test func dockerSpellings() {
        for text in ["64m", "64M", "64mb", "64MB", "64MiB", "64mib", "67108864", "67108864b"] {
            #expect(ByteSize.read(text) == .bytes(64 << 20), "\(text)")
        }
    }

    @Test func notSizesAndTooLarge() {
        for text in ["", "m", "mb", "ib", "b", "abc", "12q", "-5m", "1.2.3g", "1.g", ".5g", "0x10", "64 m", " 64m", "64kk", "64bi"] {
            #expect(ByteSize.read(text) == .notASize, "\(text)")
        }
        #expect(ByteSize.read("4194304T") == .tooLarge)             // 2^22 × 2^40 = 2^62
        #expect(ByteSize.read("4194303T") == .bytes(4_194_303 << 40))
        #expect(ByteSize.read("99999999999999999999G") == .tooLarge)
        #expect(ByteSize.read("4194303.9999999999999999T") == .tooLarge)   // the fraction rounds up to 2^62
    }
}
