/// The REPL's commands: gdb's names and abbreviations where gdb has the command, Bochs's idea
/// (`vmexitbp`) for stopping at VMM events as gdb's `catch`.
struct CommandInfo {
    var name: String
    var aliases: [String]
    var usage: String
    var summary: String
    var detail: String
}

enum Commands {
    static let all: [CommandInfo] = [
        CommandInfo(name: "stepi", aliases: ["si"], usage: "stepi [N]",
                    summary: "execute N guest instructions (default 1)",
                    detail: """
                    N is 1 to 2147483647. Stops early at a breakpoint, watchpoint or catchpoint, \
                    when the program ends, or at Ctrl-C. \
                    In the guest kernel modes a step is one retired instruction or one trap, exit, \
                    hypercall or interrupt handled before the next instruction.
                    """),
        CommandInfo(name: "reverse-stepi", aliases: ["rsi"], usage: "reverse-stepi [N]",
                    summary: "undo the last N steps (default 1; at most 2000 are kept)",
                    detail: """
                    User-mode emulation keeps an undo log (registers before each step, old bytes of \
                    each memory write) of the last 2000 steps, like RARS's backstep. The guest kernel \
                    modes replay the deterministic machine from boot to the earlier step. Output already \
                    written and, in user mode, the effects of a system call outside the guest are not undone.
                    """),
        CommandInfo(name: "continue", aliases: ["c"], usage: "continue",
                    summary: "run until a breakpoint, watchpoint, catchpoint, the end, or Ctrl-C",
                    detail: "Guest output appears as it is written, each line marked [guest stdout] or [guest stderr]. --max-instructions bounds one continue."),
        CommandInfo(name: "break", aliases: ["b"], usage: "break ADDR|SYMBOL",
                    summary: "stop before the instruction at ADDR (e.g. break print, break *0x8049010)", detail: ""),
        CommandInfo(name: "watch", aliases: [], usage: "watch ADDR|SYMBOL [SIZE]",
                    summary: "stop when the guest changes SIZE bytes (1, 2 or 4; default 4) at ADDR",
                    detail: "Shows the old and new value and the instruction that wrote them."),
        CommandInfo(name: "catch", aliases: [], usage: "catch trap|exit|hypercall [REASON]",
                    summary: "stop when the modeled VMM takes a trap, VM exit or hypercall (with REASON)",
                    detail: """
                    REASON matches the reason as info traps counts it: its exit-reason number \
                    (catch exit 30), or any part of its text (catch trap #GP, catch exit I/O, \
                    catch hypercall console_io). A REASON that matches none of the VMM's reasons is \
                    refused with the list of them. Only the modes with a VMM (trap, hvm, ...) take such events.
                    """),
        CommandInfo(name: "delete", aliases: ["d"], usage: "delete [N...]",
                    summary: "delete breakpoints, watchpoints and catchpoints N... (all without N)", detail: ""),
        CommandInfo(name: "info", aliases: ["i"], usage: "info registers|breakpoints|traps|vmcs|tb|symbol [ARGS]",
                    summary: "show registers, breakpoints, VMM events, the VMCS, the translation block, symbols",
                    detail: """
                    info registers [REG...]   registers, changed ones marked * with their old value; \
                    EFLAGS decoded with the conditional jumps it would take
                    info breakpoints          breakpoints, watchpoints and catchpoints
                    info traps                traps, VM exits and hypercalls by reason, and the last ones
                    info vmcs                 the modeled VMCS controls and last exit (hvm); the VMM's virtual CPU (trap)
                    info tb [in_asm|ir|ir_opt...]  the translation block at EIP as vsim translate prints it
                    info symbol [NAME|ADDR]   the symbol at an address, or the symbols matching NAME
                    """),
        CommandInfo(name: "x", aliases: [], usage: "x/NFU ADDR",
                    summary: "examine memory: N units of format F (x d u o t a c s i) and size U (b h w g)",
                    detail: "As gdb: x/4xw $esp, x/s msg, x/16xb 0x804a000, x/3i $pc. Format and size are remembered; x alone goes on after the last."),
        CommandInfo(name: "print", aliases: ["p"], usage: "print EXPR",
                    summary: "evaluate EXPR ($eax, msg+4, *$esp) and print it in hex and decimal", detail: ""),
        CommandInfo(name: "disassemble", aliases: [], usage: "disassemble [ADDR|SYMBOL]",
                    summary: "disassemble the function around ADDR (default: EIP, marked =>)", detail: ""),
        CommandInfo(name: "run", aliases: ["r"], usage: "run",
                    summary: "start the program again from its entry point (breakpoints are kept)", detail: ""),
        CommandInfo(name: "kill", aliases: ["k"], usage: "kill", summary: "end the program being debugged", detail: ""),
        CommandInfo(name: "help", aliases: ["h"], usage: "help [COMMAND]", summary: "list the commands, or explain one", detail: ""),
        CommandInfo(name: "quit", aliases: ["q"], usage: "quit", summary: "leave the REPL", detail: ""),
    ]

    static let infoTopics = ["registers", "breakpoints", "traps", "vmcs", "tb", "symbol"]
    static let catchKinds = ["trap", "exit", "hypercall"]

    /// The command `word` names: a name, an alias, or a unique prefix of a name (as in gdb).
    static func lookup(_ word: String) -> CommandInfo? {
        if let c = all.first(where: { $0.name == word || $0.aliases.contains(word) }) { return c }
        let matches = all.filter { $0.name.hasPrefix(word) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// `info` topic from a word: a topic or a unique prefix of one (`info r`, `info b`).
    static func infoTopic(_ word: String) -> String? {
        if infoTopics.contains(word) { return word }
        let m = infoTopics.filter { $0.hasPrefix(word) }
        return m.count == 1 ? m[0] : nil
    }

    static func helpText(_ topic: String?) -> String {
        if let topic, !topic.isEmpty {
            guard let c = lookup(topic) else { return "Undefined command: \"\(topic)\".  Try \"help\"." }
            var s = "\(c.usage)\n  \(c.summary)"
            if !c.aliases.isEmpty { s += "\n  abbreviation\(c.aliases.count > 1 ? "s" : ""): \(c.aliases.joined(separator: ", "))" }
            if !c.detail.isEmpty { s += "\n" + c.detail.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") }
            return s
        }
        var s = "Commands (gdb's names; an empty line repeats the last command in a terminal):\n"
        let width = all.map(\.usage.count).max() ?? 0
        for c in all {
            s += "  " + c.usage + String(repeating: " ", count: width - c.usage.count) + "  " + c.summary
            if !c.aliases.isEmpty { s += " [\(c.aliases.joined(separator: ", "))]" }
            s += "\n"
        }
        s += "Addresses: 0x8049000, a symbol (print), $reg, sums (msg+4, $esp+8), *ADDR for the word at ADDR."
        return s
    }
}
