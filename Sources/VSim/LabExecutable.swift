#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// The second executable, `vsim-lab`, which holds `vsim lab` and `vsim grade`: they need Foundation
/// (TOMLKit, ZIPFoundation, `Process`), which `vsim` itself does not link, so that no other command
/// loads it at start (docs/performance.md, "Start-up, third round"). `vsim` hands these commands
/// over by `execv` of the `vsim-lab` beside it, with the same arguments, as git runs `git-foo`; its
/// root command is named `vsim`, so help, usage lines, errors and exit statuses are those of `vsim`.
public enum LabExecutable {
    /// The file name of the second executable, in the folder of `vsim`.
    public static let name = "vsim-lab"

    /// The commands `vsim-lab` runs, with the abstracts `vsim --help` lists for them.
    public enum Command: String, CaseIterable, Sendable {
        case lab, grade

        /// One line for `vsim --help` and for the command's own help.
        public var abstract: String {
            switch self {
            case .lab: "Course labs: list, show the handout, start, check, export for students, package for a platform."
            case .grade: "Grade a submission folder against a lab's tests, hidden ones included."
            }
        }
    }

    /// Whether `arguments` (argv without argv[0]) run a command of `vsim-lab`: `lab ...`,
    /// `grade ...`, or `help lab|grade ...`.
    public static func runs(_ arguments: [String]) -> Bool {
        guard let first = arguments.first else { return false }
        if Command(rawValue: first) != nil { return true }
        return first == "help" && arguments.count > 1 && Command(rawValue: arguments[1]) != nil
    }

    /// The absolute path of the running executable (`/proc/self/exe`), nil where it cannot be read.
    public static func runningExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `name` in the folder of the running executable, nil where that cannot be read.
    public static func sibling(_ name: String) -> String? {
        guard let me = runningExecutable(), let slash = me.lastIndex(of: "/") else { return nil }
        return String(me[...slash]) + name
    }

    /// Replaces this process with `vsim-lab` (argv[0] "vsim", then `arguments`). Returns only where
    /// that fails, after printing why: the caller exits with the returned status, 69
    /// (`EX_UNAVAILABLE`: the executable is missing or cannot be run; docs/exit-status.md).
    public static func exec(_ arguments: [String]) -> Int32 {
        guard let path = sibling(name) else {
            _ = HostIO.writeAll(2, "vsim: error: cannot read /proc/self/exe to find \(name)\n")
            return 69
        }
        var argv: [UnsafeMutablePointer<CChar>?] = (["vsim"] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        _ = HostIO.writeAll(2, "vsim: error: `vsim \(arguments[0])` runs \(path), which cannot be executed (\(reason)): "
                              + "build it beside vsim (scripts/build, or swift build)\n")
        return 69
    }
}
