import Foundation
import Testing

/// Drives `vsim repl` through a pseudo-terminal with python3's `pty` module (send/expect), so
/// GNU Readline really runs: history recall with the up arrow, Tab completion of a command and of
/// a symbol, and the history file written for the next session.
@Suite("REPL on a terminal")
struct TerminalTests {
    static let driver = #"""
import os, pty, select, sys, time
vsim, program, home = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, HOME=home, TERM="xterm", NO_COLOR="1")
env.pop("VSIM_HISTORY", None); env.pop("XDG_STATE_HOME", None)
pid, fd = pty.fork()
if pid == 0:
    os.execve(vsim, [vsim, "repl", program], env)
seen = b""
def expect(what, timeout=20):
    global seen
    end = time.time() + timeout
    while what.encode() not in seen:
        left = end - time.time()
        if left <= 0:
            sys.stdout.write("TIMEOUT waiting for %r; got:\n%s\n" % (what, seen.decode(errors="replace")))
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try: data = os.read(fd, 4096)
            except OSError: data = b""
            if not data:
                sys.stdout.write("EOF waiting for %r; got:\n%s\n" % (what, seen.decode(errors="replace")))
                sys.exit(1)
            seen += data
    i = seen.index(what.encode()) + len(what)
    seen = seen[i:]
def send(s): os.write(fd, s.encode())
expect("(vsim interpret cpl3 0x08049000) ")
send("si\r");            expect("(vsim interpret cpl3 0x08049005) ")
send("\x1b[A\r");        expect("(vsim interpret cpl3 0x0804900a) ")   # up arrow: si again
send("\r");              expect("(vsim interpret cpl3 0x0804900c) ")   # empty line repeats
send("disas\t\r");       expect("Dump of assembler code for function _start:")
expect("=> 0x0804900c <+12>:")
send("b bu\t\r");        expect("Breakpoint 1 at 0x8049026 <bump>")
send("info reg\t\r");    expect("eflags 0x00000206  [ PF IF ]")
send("quit\r")
_, status = os.waitpid(pid, 0)
print("EXIT", os.waitstatus_to_exitcode(status))
"""#

    @Test("up-arrow history, Tab completion of commands and symbols, and the history file")
    func readline() throws {
        let program = try Batch.source("counter.s", counterSource)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-repl-home-\(getpid())").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let out = try Batch.shell(["python3", "-c", Self.driver, Batch.vsimPath, program, home])
        #expect(out.hasSuffix("EXIT 0\n"), "\(out)")
        let history = try String(contentsOfFile: home + "/.vsim_history", encoding: .utf8)
        #expect(history.split(separator: "\n").map(String.init) == ["si", "si", "disassemble ", "b bump ", "info registers ", "quit"])
    }

    /// A loop that runs far longer than any test waits: only Ctrl-C ends `continue` early.
    static let spinSource = """
            .text
            .globl _start
    _start:
            xorl %eax, %eax
    spin:   incl %eax
            jmp spin
    """

    static let interruptDriver = #"""
import os, pty, select, sys, time
vsim, program, home = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, HOME=home, TERM="xterm", NO_COLOR="1")
env.pop("VSIM_HISTORY", None); env.pop("XDG_STATE_HOME", None)
pid, fd = pty.fork()
if pid == 0:
    os.execve(vsim, [vsim, "repl", "--max-instructions", "4000000000", program], env)
seen = b""
def expect(what, timeout=20):
    global seen
    end = time.time() + timeout
    while what.encode() not in seen:
        left = end - time.time()
        if left <= 0:
            sys.stdout.write("TIMEOUT waiting for %r; got:\n%s\n" % (what, seen.decode(errors="replace")))
            os.kill(pid, 9)
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try: data = os.read(fd, 4096)
            except OSError: data = b""
            if not data:
                sys.stdout.write("EOF waiting for %r; got:\n%s\n" % (what, seen.decode(errors="replace")))
                sys.exit(1)
            seen += data
    i = seen.index(what.encode()) + len(what)
    before = seen[:i]
    seen = seen[i:]
    return before
def send(s): os.write(fd, s.encode())
prompt = "(vsim interpret cpl3 0x"
expect(prompt); expect(") ")
send("continue\r"); time.sleep(1); send("\x03")
expect("Program interrupted (Ctrl-C)."); expect("<spin"); expect(prompt); expect(") ")
print("CONTINUE INTERRUPTED")
send("stepi 50000000\r"); time.sleep(1); send("\x03")
expect("Program interrupted (Ctrl-C)."); expect(prompt); expect(") ")
print("STEPI INTERRUPTED")
send("bogus words"); time.sleep(0.5); send("\x03"); time.sleep(0.5)
send("print 7\r")
got = expect("$ = 0x7 = 7")
if b"Undefined command" in got or b"bogus" in got.split(b"^C")[-1]:
    print("LINE KEPT: %r" % got); os.kill(pid, 9); sys.exit(1)
print("LINE DISCARDED")
expect(prompt); expect(") ")
send("quit\r")
_, status = os.waitpid(pid, 0)
print("EXIT", os.waitstatus_to_exitcode(status))
"""#

    @Test("Ctrl-C stops continue and stepi 50000000 with the prompt back; at the prompt it discards the typed line")
    func interrupt() throws {
        let program = try Batch.source("spin.s", Self.spinSource)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-repl-home-int-\(getpid())").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let out = try Batch.shell(["python3", "-c", Self.interruptDriver, Batch.vsimPath, program, home])
        #expect(out.contains("CONTINUE INTERRUPTED\n"), "\(out)")
        #expect(out.contains("STEPI INTERRUPTED\n"), "\(out)")
        #expect(out.contains("LINE DISCARDED\n"), "\(out)")
        #expect(out.hasSuffix("EXIT 0\n"), "\(out)")
    }
}
