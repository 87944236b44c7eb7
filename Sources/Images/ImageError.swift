/// Why an image operation failed. Every message says what failed, where (the file, the blob or
/// the archive entry), and, where there is one, what to do.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// A bad argument: a malformed name, `--name` with several images (exit status 64).
    case usage(String)
    /// No such file, directory or image (66).
    case missing(String)
    /// The input is not a well-formed image: bad JSON, a missing field, an unknown media type,
    /// a digest or size that does not match the content (65).
    case malformed(String)
    /// An archive entry that would write outside its root, a device node, a link pointing out,
    /// an entry over the limits, a truncated archive (65).
    case hostileArchive(String)
    /// The store cannot be created or written, or an I/O error (73).
    case store(String)
    /// `vsim image build`: a `RUN` step failed or its container could not start (1, as
    /// `docker build` exits).
    case buildStep(String)
    /// `vsim image build`: vsim received `signal` (SIGINT, SIGTERM, SIGHUP, SIGQUIT) during a
    /// `RUN` step, forwarded it to the step's container and tore it down: the user stopped the
    /// build (128 + `signal`, as `vsim compare` stops).
    case interrupted(signal: Int32, String)

    public var exitStatus: Int32 {
        switch self {
        case .usage: return 64
        case .missing: return 66
        case .malformed, .hostileArchive: return 65
        case .store: return 73
        case .buildStep: return 1
        case .interrupted(let signal, _): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .usage(let m), .missing(let m), .malformed(let m), .store(let m), .buildStep(let m), .interrupted(_, let m): return m
        case .hostileArchive(let m): return m + " (refused: nothing was unpacked or kept)"
        }
    }
}
