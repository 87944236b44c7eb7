import VSim

/// Why the REPL could not start (errors inside a session are printed and the session goes on).
public enum REPLError: Error, CustomStringConvertible {
    case usage(String)
    case host(String)
    case vsim(VSimError)

    public var description: String {
        switch self {
        case .usage(let s), .host(let s): return s
        case .vsim(let e): return e.description
        }
    }

    /// vsim's exit status for it (docs/exit-status.md).
    public var exitStatus: Int32 {
        switch self {
        case .usage: return 64
        case .host: return 70
        case .vsim(let e): return e.exitStatus
        }
    }
}
