import Foundation

/// What a student gets of a lab: `vsim lab show` (the handout with the variant), `vsim lab start`
/// (the starter files), `vsim lab export --student` (README, starter, lab.toml, tests/; never
/// hidden/ or solution/).
public enum LabFiles {
    /// README.md with `{param}` and `{seed}` substituted, after a line naming the variant.
    public static func handout(_ lab: LabSpec, student: String?) -> String {
        let variant = LabVariant(lab: lab, student: student)
        let readme = (try? String(contentsOfFile: lab.folder + "/README.md", encoding: .utf8)) ?? "# \(lab.title)\n\n(no README.md)\n"
        var out = "<!-- vsim lab \(lab.id): \(variant.summaryLine) -->\n"
        out += variant.substitute(readme)
        if !out.hasSuffix("\n") { out += "\n" }
        if !lab.article.isEmpty {
            out += "\nThis lab covers:\n" + lab.article.map { "- " + $0 + "\n" }.joined()
        }
        out += "\n\(variant.summaryLine)\n"
        return out
    }

    /// Copies `starter/` into `directory`, which must not exist or be empty.
    /// - Returns: the files copied (relative, sorted).
    /// - Throws: ``GradingError/usage(_:)`` for a non-empty folder, ``GradingError/io(_:)``.
    @discardableResult
    public static func start(_ lab: LabSpec, into directory: String) throws(GradingError) -> [String] {
        try requireEmpty(directory)
        return try copyTree(lab.folder + "/starter", to: directory)
    }

    /// Writes what students get into `directory` (must not exist or be empty): README.md (the
    /// generic handout, variant not substituted), lab.toml, starter/, tests/. Never hidden/ or solution/.
    @discardableResult
    public static func export(_ lab: LabSpec, into directory: String) throws(GradingError) -> [String] {
        try requireEmpty(directory)
        var files: [String] = []
        for name in ["README.md", "lab.toml"] where FileManager.default.fileExists(atPath: lab.folder + "/" + name) {
            try copyFile(lab.folder + "/" + name, to: directory + "/" + name)
            files.append(name)
        }
        for sub in ["starter", "tests"] where FileManager.default.fileExists(atPath: lab.folder + "/" + sub) {
            files += try copyTree(lab.folder + "/" + sub, to: directory + "/" + sub).map { sub + "/" + $0 }
        }
        return files.sorted()
    }

    static func requireEmpty(_ directory: String) throws(GradingError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw .usage("\(directory) exists and is not a folder; give a new or empty folder") }
            if let items = try? fm.contentsOfDirectory(atPath: directory), !items.isEmpty {
                throw .usage("\(directory) is not empty; give a new or empty folder (nothing was copied)")
            }
        }
        if let why = makeFolders(directory) { throw .io("cannot create \(directory): \(why); give a folder you can write") }
    }

    /// `mkdir -p path`: the folders are made with `mode` (umask applied). Returns nil, or why
    /// not in mkdir(2)'s words (Foundation's "The operation could not be completed. The file
    /// doesn't exist." named no folder and no reason).
    static func makeFolders(_ path: String, mode: mode_t = 0o755) -> String? {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST {
                let why = String(cString: strerror(errno))
                return current == path || "./" + path == current ? why : "\(current): \(why)"
            }
        }
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return "it is not a folder" }
        return nil
    }

    /// Copies the regular files under `source` (symbolic links skipped) to `target`.
    static func copyTree(_ source: String, to target: String) throws(GradingError) -> [String] {
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(atPath: source) else { return [] }
        var copied: [String] = []
        let relatives = (enumerator.allObjects as? [String] ?? []).sorted()
        for rel in relatives {
            var st = stat()
            guard lstat(source + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            try copyFile(source + "/" + rel, to: target + "/" + rel)
            copied.append(rel)
        }
        return copied
    }

    static func copyFile(_ source: String, to target: String) throws(GradingError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.copyItem(atPath: source, toPath: target)
        } catch { throw .io("cannot copy \(source) to \(target): \(error.localizedDescription)") }
    }
}
