import VSim
import HostIO
#if canImport(Glibc)
import Glibc
#endif

extension Homework {
    /// The text of `vsim homework list`: one line per topic with its summary.
    public static func topicList() -> String {
        let width = HomeworkTopic.allCases.map(\.name.count).max() ?? 0
        var out = "Homework topics (vsim homework TOPIC --seed N [--solve]):\n"
        for t in HomeworkTopic.allCases {
            out += "  \(t.name)\(String(repeating: " ", count: width - t.name.count))  \(t.summary)\n"
        }
        return out
    }

    /// A seed for a run without `--seed`: the host clock's nanoseconds, reduced to 0-99999 so that
    /// it is easy to type again. Printed in the header like any seed.
    public static func seedFromClock() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (UInt64(ts.tv_sec) &* 1_000_000_007 &+ UInt64(ts.tv_nsec)) % 100_000
    }

    /// `vsim homework TOPIC [--seed N] [--solve] [--output-dir DIR]`: the problem's text (with the
    /// answers when `solve`), after writing the program into `outputDirectory` when given (the
    /// printed commands then name it there).
    /// - Throws: ``HomeworkError``: an unknown topic (exit 64), a directory that cannot be written
    ///   (73), a vsim run that fails while solving (70).
    public static func commandLine(topic: String, seed: UInt64?, solve: Bool, outputDirectory: String?) throws(HomeworkError) -> String {
        let t = try HomeworkTopic.named(topic)
        let problem = generate(topic: t, seed: seed ?? seedFromClock())
        var path: String? = nil
        if let dir = outputDirectory, let source = problem.source {
            var st = stat()
            if stat(dir, &st) != 0 && mkdir(dir, 0o755) != 0 {
                throw .write("cannot create the output directory \(dir): \(String(cString: strerror(errno)))")
            }
            path = (dir.hasSuffix("/") ? String(dir.dropLast()) : dir) + "/" + problem.fileName
            // A file there that is not this very program is the student's (an edited copy of
            // it): left as it is, never truncated.
            if lstat(path!, &st) == 0 {
                guard st.st_mode & S_IFMT == S_IFREG, (try? HostIO.readFile(path!)) == Array(source.utf8) else {
                    throw .write("\(path!) exists and is not the program of \(t.name) --seed \(problem.seed) (an edited copy?): vsim leaves it as it is; move it away or give another --output-dir")
                }
            } else {
                try write(source, to: path!)
            }
        }
        let answers = solve ? try Homework.solve(problem) : nil
        return render(problem, answers: answers, programPath: path)
    }
}
