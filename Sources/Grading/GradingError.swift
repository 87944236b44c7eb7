/// Why `vsim lab` or `vsim grade` could not do its job at all (a failing test is not an error:
/// it is a result). Each case has its documented exit status (docs/exit-status.md) and a message
/// that says what, where and what to do.
public enum GradingError: Error, CustomStringConvertible, Equatable {
    /// A bad option or argument (64).
    case usage(String)
    /// No lab of that id in the lessons folder, or no lab folder at that path (66).
    case noSuchLab(String, searched: String)
    /// The submission folder does not exist or is not a folder (66).
    case noSuchSubmission(String)
    /// `lab.toml` (or `hidden/hidden.toml`) is malformed: `file`, the test id when the problem is
    /// inside a test, the key, and what is wrong (65).
    case malformedSpec(file: String, test: String?, key: String?, message: String)
    /// The host refused something the grader needs: a file to write, a folder to copy (73).
    case io(String)
    /// The grader received `signal` (SIGINT, SIGTERM, SIGHUP, SIGQUIT) and stopped at once,
    /// writing no result (128 + signal, as `vsim compare`).
    case interrupted(signal: Int32, String)

    /// The process exit status for this error.
    public var exitStatus: Int32 {
        switch self {
        case .usage: return 64
        case .noSuchLab, .noSuchSubmission: return 66
        case .malformedSpec: return 65
        case .io: return 73
        case .interrupted(let signal, _): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .noSuchLab(let lab, let searched):
            return "no lab '\(lab)': \(searched); `vsim lab list` shows the labs (set VSIM_LESSONS to the lessons folder)"
        case .noSuchSubmission(let dir):
            return "\(dir): no such submission folder; give the folder that holds the files you hand in"
        case .malformedSpec(let file, let test, let key, let message):
            var place = file
            if let test { place += ", test '\(test)'" }
            if let key { place += ", key '\(key)'" }
            return "\(place): \(message)"
        case .io(let m), .interrupted(_, let m): return m
        }
    }
}
