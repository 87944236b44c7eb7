import Foundation

/// Where labs are found: `VSIM_LESSONS` when set, else `lessons/` next to vsim's own source tree
/// (as ``VSim/GuestKernel`` finds `programs/kernel/`). A LAB argument is a lab id in that folder
/// or a path to a lab folder (anything with a `/`, or an existing folder with a lab.toml).
public struct LabCatalog {
    /// The lessons folder.
    public var folder: String

    public init(folder: String? = nil) {
        self.folder = folder ?? LabCatalog.defaultFolder
    }

    public static var defaultFolder: String {
        if let env = ProcessInfo.processInfo.environment["VSIM_LESSONS"], !env.isEmpty { return env }
        return sourceRoot + "/lessons"
    }

    /// vsim's source tree (located at build time).
    public static var sourceRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)   // Sources/Grading/LabCatalog.swift
        return parts.joined(separator: "/")
    }

    /// The folder of lab `name` (an id or a path).
    /// - Throws: ``GradingError/noSuchLab(_:searched:)``.
    public func labFolder(_ name: String) throws(GradingError) -> String {
        let fm = FileManager.default
        if name.contains("/") || fm.fileExists(atPath: name + "/lab.toml") {
            guard fm.fileExists(atPath: name + "/lab.toml") else {
                throw .noSuchLab(name, searched: "\(name)/lab.toml does not exist")
            }
            return name
        }
        let path = folder + "/" + name
        guard LabSpec.isIdentifier(name), fm.fileExists(atPath: path + "/lab.toml") else {
            throw .noSuchLab(name, searched: "no \(path)/lab.toml")
        }
        return path
    }

    /// Loads lab `name` (an id or a path).
    public func load(_ name: String, includeHidden: Bool = true) throws(GradingError) -> LabSpec {
        try LabSpec.load(folder: labFolder(name), includeHidden: includeHidden)
    }

    /// Every lab of the lessons folder, by `order` then id; a folder whose lab.toml does not load
    /// is returned as an error beside the others (`vsim lab list` shows it).
    public func all() -> [Result<LabSpec, GradingError>] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        var labs: [LabSpec] = [], broken: [Result<LabSpec, GradingError>] = []
        for name in names where FileManager.default.fileExists(atPath: folder + "/" + name + "/lab.toml") {
            do { labs.append(try LabSpec.load(folder: folder + "/" + name, includeHidden: false)) } catch {
                broken.append(.failure(error))
            }
        }
        labs.sort { ($0.order, $0.id) < ($1.order, $1.id) }
        return labs.map { .success($0) } + broken
    }
}
