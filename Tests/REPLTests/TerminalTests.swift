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
}
