import Descriptions
import FoundationEssentials

/// A Containerfile (Dockerfile) in the subset `vsim image build` reads: `FROM scratch|IMAGE`,
/// `COPY SRC... DEST`, `RUN` (shell or exec form), `ENV`, `WORKDIR`, `CMD` (shell or exec
/// form); `#` comments and `\` line continuations (Dockerfile reference, docs.docker.com).
public struct Containerfile: Sendable {
    public enum Instruction: Sendable, Equatable {
        /// nil: `FROM scratch` (no layers).
        case from(String?)
        case copy(sources: [String], destination: String)
        /// argv: exec form as written; shell form as `/bin/sh -c TEXT`.
        case run([String])
        case env([String])
        case workdir(String)
        case cmd([String])
    }

    public struct Step: Sendable {
        /// The line the instruction starts on (1-based).
        public var line: Int
        /// The instruction as written (continuations joined), e.g. `COPY hello /bin/`.
        public var text: String
        public var instruction: Instruction
    }

    public var steps: [Step]

    /// - Throws: ``ImageError/malformed(_:)`` naming the file and line: an instruction outside
    ///   the subset, a missing argument, bad JSON in an exec form, no `FROM` first.
    public init(parsing text: String, file: String) throws(ImageError) {
        var steps: [Step] = []
        var pending = "", start = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmed(" \t")
            if pending.isEmpty && (line.isEmpty || line.hasPrefix("#")) { continue }
            if pending.isEmpty { start = i + 1 }
            if line.hasSuffix("\\") {
                pending += line.dropLast().trimmed(" \t") + " "
                continue
            }
            pending += line
            steps.append(try Containerfile.step(pending.trimmed(" \t"), line: start, file: file))
            pending = ""
        }
        if !pending.isEmpty { steps.append(try Containerfile.step(pending, line: start, file: file)) }
        guard let first = steps.first, case .from = first.instruction else {
            throw .malformed("\(file): the first instruction must be FROM (scratch or an image in the store)")
        }
        for s in steps.dropFirst() {
            if case .from = s.instruction {
                throw .malformed("\(file):\(s.line): a second FROM (multi-stage builds are outside vsim's subset)")
            }
        }
        self.steps = steps
    }

    static func step(_ text: String, line: Int, file: String) throws(ImageError) -> Step {
        let keyword = String(text.prefix { !$0.isWhitespace })
        let rest = text.dropFirst(keyword.count).trimmed(" \t")
        let at = "\(file):\(line)"
        func need(_ ok: Bool, _ what: String) throws(ImageError) {
            if !ok { throw .malformed("\(at): \(keyword.uppercased()) needs \(what)") }
        }
        let instruction: Instruction
        switch keyword.uppercased() {
        case "FROM":
            let words = rest.split(separator: " ").map(String.init)
            try need(words.count == 1, "one image name (scratch, or an image in the store; AS and --platform are outside the subset)")
            instruction = .from(words[0] == "scratch" ? nil : words[0])
        case "COPY":
            if rest.hasPrefix("--") { throw .malformed("\(at): COPY options (\(rest.prefix { !$0.isWhitespace })) are outside vsim's subset") }
            let words = rest.hasPrefix("[") ? try jsonArray(rest, at: at) : rest.split(separator: " ").map(String.init)
            try need(words.count >= 2, "at least one source and a destination")
            instruction = .copy(sources: Array(words.dropLast()), destination: words.last!)
        case "RUN":
            try need(!rest.isEmpty, "a command")
            instruction = .run(rest.hasPrefix("[") ? try jsonArray(rest, at: at) : ["/bin/sh", "-c", rest])
        case "CMD":
            try need(!rest.isEmpty, "a command")
            instruction = .cmd(rest.hasPrefix("[") ? try jsonArray(rest, at: at) : ["/bin/sh", "-c", rest])
        case "ENV":
            try need(!rest.isEmpty, "NAME=VALUE")
            instruction = .env(try environment(rest, at: at))
        case "WORKDIR":
            try need(!rest.isEmpty, "a directory")
            instruction = .workdir(rest)
        default:
            throw .malformed("\(at): \(keyword) is outside vsim's Containerfile subset (FROM, COPY, RUN, ENV, WORKDIR, CMD)")
        }
        return Step(line: line, text: text, instruction: instruction)
    }

    static func jsonArray(_ text: String, at: String) throws(ImageError) -> [String] {
        guard let strings = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), !strings.isEmpty else {
            throw .malformed("\(at): '\(text)' is not a JSON array of strings (the exec form)")
        }
        return strings
    }

    /// `NAME=VALUE ...` (values may be double-quoted) or the old `NAME VALUE` form.
    static func environment(_ text: String, at: String) throws(ImageError) -> [String] {
        let first = text.prefix { !$0.isWhitespace }
        if !first.contains("=") {
            let value = text.dropFirst(first.count).trimmed(" \t")
            return [first + "=" + value]
        }
        var out: [String] = [], current = "", quoted = false
        for c in text {
            if c == "\"" { quoted.toggle(); continue }
            if c.isWhitespace && !quoted {
                if !current.isEmpty { out.append(current); current = "" }
                continue
            }
            current.append(c)
        }
        if quoted { throw .malformed("\(at): ENV has an unclosed quote") }
        if !current.isEmpty { out.append(current) }
        for pair in out where !pair.contains("=") || pair.hasPrefix("=") {
            throw .malformed("\(at): ENV '\(pair)' is not NAME=VALUE")
        }
        return out
    }
}
