import Guest

/// vsim's own failures (not the guest's), each with its documented exit status
/// (docs/dev/contracts.md) and a one-line message that says what, where and what to do.
public enum VSimError: Error, CustomStringConvertible {
    /// The ELF image is unreadable (66) or malformed (65).
    case elf(ELFError)
    /// The image could not be set up as a Linux process.
    case process(LinuxProcessError)
    /// Bad option or argument (64).
    case usage(String)
    /// A source file cannot be read (66).
    case unreadable(path: String, reason: String)
    /// A host tool is missing (69): `tool` is its name, `hint` how to get it.
    case toolMissing(tool: String, hint: String)
    /// A host tool is there but cannot do the job for lack of a part (69), e.g. gcc without the
    /// 32-bit C library: `what` is missing, `hint` how to get it.
    case toolIncomplete(what: String, hint: String)
    /// Assembling, preprocessing or linking failed (69): the tool's own messages follow the line.
    case buildFailed(program: String, command: String, status: Int32, messages: String)
    /// The host refused something vsim needs (spawn, temp files, cache directory) (70 unless noted).
    case host(String, status: Int32 = 70)
    /// A bug in vsim (70).
    case `internal`(String)
    /// vsim received `signal` (SIGINT, SIGTERM, ...) and stopped what it was doing after undoing
    /// it, e.g. a container's setup (128 + signal, as a shell shows for a killed command).
    case interrupted(signal: Int32, String)

    public var exitStatus: Int32 {
        switch self {
        case .elf(let e): return e.exitStatus
        case .process(let e): return e.exitStatus
        case .usage: return 64
        case .unreadable: return 66
        case .toolMissing, .toolIncomplete, .buildFailed: return 69
        case .host(_, let status): return status
        case .internal: return 70
        case .interrupted(let signal, _): return 128 + signal
        }
    }

    /// The message without the `vsim: error: ` prefix (may span lines only for `.buildFailed`,
    /// whose tool messages follow the first line).
    public var description: String {
        switch self {
        case .elf(let e): return e.description
        case .process(let e): return e.description
        case .usage(let m): return m
        case .unreadable(let path, let reason): return "\(path): cannot be read (\(reason)); check the path and its permissions"
        case .toolMissing(let tool, let hint): return "`\(tool)` was not found in PATH; \(hint)"
        case .toolIncomplete(let what, let hint): return "\(what) is missing; \(hint)"
        case .buildFailed(let program, let command, let status, let messages):
            let trimmed = messages.hasSuffix("\n") ? String(messages.dropLast()) : messages
            return "building \(program) failed: `\(command)` exited with status \(status); fix the source (messages below)"
                + (trimmed.isEmpty ? "" : "\n" + trimmed)
        case .host(let m, _): return m
        case .internal(let m): return "internal error: \(m) (a bug in vsim: please report it with the command line)"
        case .interrupted(_, let m): return m
        }
    }
}
