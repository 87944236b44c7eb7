import ArgumentParser
import Foundation
import Grading
import VSim

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: LabExecutable.Command.lab.rawValue,
        abstract: LabExecutable.Command.lab.abstract,
        discussion: "Labs live in lessons/ (or VSIM_LESSONS); docs/teaching.md is the guide, docs/lab-spec.md the lab.toml format.",
        subcommands: [LabListCommand.self, LabShowCommand.self, LabStartCommand.self, LabCheckCommand.self,
                      LabExportCommand.self, LabPackageCommand.self])
}

struct LabListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the labs in course order.")

    func run() throws {
        let catalog = LabCatalog()
        var lines: [String] = []
        for entry in catalog.all() {
            switch entry {
            case .success(let lab):
                let points = lab.tests.reduce(0) { $0 + $1.points }
                lines.append("\(lab.id)\t\(lab.title) (\(GradingResult.points(points)) points, visible tests)\t\(lab.summary)")
            case .failure(let error):
                lines.append("(broken)\t\(error.description)")
            }
        }
        if lines.isEmpty { lines.append("no labs in \(catalog.folder) (set VSIM_LESSONS to the lessons folder)") }
        print(lines.joined(separator: "\n"))
    }
}

struct LabShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a lab's handout with the student's variant.")

    @Argument(help: "A lab id or a lab folder.") var lab: String
    @Option(help: "The student id that selects the variant (default: none, seed 0).") var student: String?

    func run() throws {
        try failing { () throws(GradingError) in
            let spec = try LabCatalog().load(lab, includeHidden: false)
            try writeOutput(LabFiles.handout(spec, student: student), to: nil)
        }
    }
}

struct LabStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Copy a lab's starter files into a new or empty folder.")

    @Argument(help: "A lab id or a lab folder.") var lab: String
    @Argument(help: "The folder to create (must not exist or be empty).") var directory: String

    func run() throws {
        try failing { () throws(GradingError) in
            let spec = try LabCatalog().load(lab, includeHidden: false)
            let files = try LabFiles.start(spec, into: directory)
            print("copied \(files.count) starter file(s) into \(directory): \(files.joined(separator: ", "))")
            print("then: vsim lab check \(spec.id) \(directory)")
        }
    }
}

struct LabCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Run a lab's visible tests on your folder, as the grader will.")

    @Argument(help: "A lab id or a lab folder.") var lab: String
    @Argument(help: "Your submission folder.") var directory: String
    @Option(help: "Your student id (selects your variant).") var student: String?
    @Option(help: "text, gradescope, prairielearn, junit, tap or classroom (GitHub Classroom's runner result, base64).") var format: ResultFormat = .text
    @Flag(help: "Leave out host seconds.") var noTimings = false

    func run() throws {
        try failing { () throws(GradingError) in
            try grade(visibleOnly: true, lab: lab, submission: directory, student: student, format: format,
                      output: nil, timings: !noTimings, staffLog: nil)
        }
    }
}

struct LabExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write what students get: README, lab.toml, starter/, tests/ (no hidden/, no solution/).")

    @Argument(help: "A lab id or a lab folder.") var lab: String
    @Option(help: "The folder to write (must not exist or be empty).") var student: String

    func run() throws {
        try failing { () throws(GradingError) in
            let spec = try LabCatalog().load(lab, includeHidden: false)
            let files = try LabFiles.export(spec, into: student)
            print("exported \(files.count) file(s) of \(spec.id) into \(student)")
        }
    }
}

struct LabPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "package", abstract: "Package a lab's autograder for Gradescope (zip) or PrairieLearn (folder).")

    @Argument(help: "A lab id or a lab folder.") var lab: String
    @Option(help: "Write a Gradescope autograder zip (setup.sh, run_autograder at its root).") var gradescope: String?
    @Option(help: "Write a PrairieLearn question folder (info.json with externalGradingOptions, the entrypoint).") var prairielearn: String?
    @Option(help: "With --prairielearn: the Docker image that has vsim on PATH.") var image: String = "vsim-grader:latest"

    func validate() throws {
        if gradescope == nil && prairielearn == nil { throw ValidationError("give --gradescope FILE.zip or --prairielearn DIR") }
    }

    func run() throws {
        try failing { () throws(GradingError) in
            let spec = try LabCatalog().load(lab)
            if let zip = gradescope {
                try LabPackager.gradescope(spec, zip: zip)
                print("wrote \(zip): upload it as the Gradescope autograder (setup.sh builds vsim)")
                let worst = spec.worstCaseSeconds
                if worst > LabSpec.gradescopeDefaultTimeout {
                    print("note: a grading can take up to \(Int(worst.rounded(.up))) s (every run at its time_limit), past Gradescope's "
                        + "default timeout of \(Int(LabSpec.gradescopeDefaultTimeout)) s, which scores 0 and shows no tests: "
                        + "raise the assignment's timeout (40 min at most) or lower the tests' time_limit")
                }
            }
            if let dir = prairielearn {
                try LabPackager.prairieLearn(spec, directory: dir, image: image)
                print("wrote \(dir): info.json's externalGradingOptions and serverFilesCourse/vsim-grade/")
            }
        }
    }
}
