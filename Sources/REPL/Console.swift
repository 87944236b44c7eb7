import CReadline
#if canImport(Glibc)
import Glibc
#endif
import HostIO
import Descriptions

/// Set by SIGINT while the guest runs (`continue` checks it after every step).
private let interruptFlag: UnsafeMutablePointer<sig_atomic_t> = {
    let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

/// The session whose names Readline completes (Readline's callbacks are C functions).
private var completingSession: DebugSession?
private var completionMatches: [String] = []

/// Readline's generator: called with state 0 first, then 1, 2, ... until it returns NULL.
private let completionGenerator: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { text, state in
    if state == 0 {
        let word = text.map { String(cString: $0) } ?? ""
        let line = vsim_rl_line_buffer().pointee.map { String(cString: $0) } ?? ""
        let start = Int(vsim_rl_point().pointee) - word.utf8.count
        let before = String(decoding: line.utf8.prefix(max(0, start)), as: UTF8.self)
        completionMatches = completingSession?.completions(for: word, lineStart: before) ?? []
    }
    let i = Int(state)
    guard i < completionMatches.count else { return nil }
    return strdup(completionMatches[i])
}

private let attemptedCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, _, _ in
    vsim_rl_attempted_completion_over().pointee = 1   // never fall back to file names
    return rl_completion_matches(text, completionGenerator)
}

/// Readline's hook after a signal interrupted its read: after Ctrl-C, the line typed so far is
/// dropped (not run, not kept in history) and a fresh prompt is shown on the next line.
private let discardLineAfterInterrupt: @convention(c) () -> Int32 = {
    guard interruptFlag.pointee != 0 else { return 0 }
    interruptFlag.pointee = 0
    rl_replace_line("", 1)
    vsim_rl_point().pointee = 0
    vsim_rl_mark().pointee = 0
    rl_crlf()
    rl_on_new_line()
    rl_redisplay()
    return 0
}

/// `vsim repl`: the interactive console on GNU Readline (history in a file, completion of
/// commands and symbols), or a batch run of commands from a file or a non-terminal stdin.
public enum REPL {
    /// The history file: `$VSIM_HISTORY`, else `$XDG_STATE_HOME/vsim/history` when
    /// XDG_STATE_HOME is set, else `~/.vsim_history`.
    public static func historyPath() -> String? {
        if let p = getenv("VSIM_HISTORY"), p.pointee != 0 { return String(cString: p) }
        if let x = getenv("XDG_STATE_HOME"), x.pointee != 0 {
            let dir = String(cString: x) + "/vsim"
            mkdir(dir, 0o700)
            return dir + "/history"
        }
        if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) + "/.vsim_history" }
        return nil
    }

    /// Lines of history kept in the file.
    public static let historyLimit: Int32 = 1000

    /// Runs the REPL on `program`; returns vsim's exit status: 0, or 1 when a batch command
    /// failed, or the start-up error's status.
    /// - Parameter batch: a command file (`-` for stdin); nil reads stdin, interactively when it is a terminal.
    public static func main(program: String, options: REPLOptions, batch: String?) -> Int32 {
        let interactive = batch == nil && isatty(0) != 0
        var opts = options
        opts.colour = interactive && isatty(1) != 0 && getenv("NO_COLOR") == nil
            && (getenv("TERM").map { String(cString: $0) != "dumb" } ?? false)
        var lines: [String] = []
        if !interactive {
            let fd: Int32 = (batch == nil || batch == "-") ? 0 : open(batch!, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                writeError("vsim repl: cannot read --batch \(batch!): \(String(cString: strerror(errno)))\n")
                return 66
            }
            defer { if fd != 0 { close(fd) } }
            // A --batch that cannot be read whole (a directory: EISDIR) is an error, not an
            // empty script: an autograder must not take "no commands ran" for a clean session.
            let bytes: [UInt8]
            do { bytes = try HostIO.readToEnd(fd) } catch {
                writeError("vsim repl: cannot read --batch \(batch ?? "-"): \(error.description)\n")
                return 66
            }
            lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        let session: DebugSession
        do {
            session = try DebugSession(program: program, options: opts, write: { writeOut($0) }, writeError: { writeError($0) },
                                       interrupted: { interruptFlag.pointee != 0 })
        } catch {
            writeError("vsim repl: \(error.description)\n")
            return error.exitStatus
        }
        if !interactive {
            session.banner()
            for line in lines where !session.execute(line) { break }
            return session.failed ? 1 : 0
        }
        // Ctrl-C sets the flag: a running command (continue, stepi N) stops at the next step;
        // at the prompt, readline's own handler cleans up and calls this one, then the hook
        // below discards the typed line and shows a fresh prompt, as gdb and bash do.
        signal(SIGINT) { _ in interruptFlag.pointee = 1 }
        // A parent may have started vsim with SIGINT blocked (the mask survives exec).
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        sigprocmask(SIG_UNBLOCK, &interrupt, nil)
        // Readline is loaded here, not linked (CReadline/include/readline_loader.h).
        guard vsim_readline_load() == 0 else {
            let why = vsim_readline_error().map { String(cString: $0) } ?? "no reason given"
            writeError("vsim repl: GNU Readline cannot be loaded: \(why); install Debian's libreadline8 (scripts/setup installs libreadline-dev), or run commands with --batch\n")
            return 69
        }
        vsim_rl_signal_event_hook().pointee = discardLineAfterInterrupt
        completingSession = session
        vsim_rl_readline_name().pointee = UnsafePointer(strdup("vsim"))
        vsim_rl_attempted_completion_function().pointee = attemptedCompletion
        let history = historyPath()
        if let history { _ = read_history(history) }
        session.banner()
        var last = ""
        while true {
            interruptFlag.pointee = 0
            guard let raw = readline(session.prompt) else { writeOut("quit\n"); break }
            var line = String(cString: raw)
            free(raw)
            if line.trimmed(" \t").isEmpty {
                line = last
                // gdb: `x` repeated goes on after the last unit shown.
                if line.hasPrefix("x") { line = String(line.prefix { $0 != " " }) }
            } else {
                add_history(line)
                if let history {
                    if append_history(1, history) != 0 { _ = write_history(history) }
                    _ = history_truncate_file(history, historyLimit)
                }
                last = line
            }
            if !session.execute(line) { break }
        }
        return 0
    }

    static func writeOut(_ s: String) { StandardStreams.write(s, to: 1) }
    static func writeError(_ s: String) { StandardStreams.write(s, to: 2) }
}
