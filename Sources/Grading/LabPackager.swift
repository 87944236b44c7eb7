import Foundation
import ZIPFoundation
import HostIO

/// Packages a lab for a grading platform: `vsim lab package LAB --gradescope FILE.zip` and
/// `--prairielearn DIR`.
///
/// Both carry the lab (its hidden tests included, its solution/ left out); the Gradescope zip also
/// carries a copy of vsim's source (Package.swift, Plugins/, Sources/, Tests/, programs/) that its
/// setup.sh builds, while PrairieLearn's image must already have vsim on PATH.
public enum LabPackager {
    /// The lab's files that go to the grader: everything but solution/.
    static func labFiles(_ lab: LabSpec) -> [String] {
        let all = (FileManager.default.enumerator(atPath: lab.folder)?.allObjects as? [String] ?? []).sorted()
        return all.filter { rel in
            var st = stat()
            return !rel.hasPrefix("solution/") && rel != "solution" && lstat(lab.folder + "/" + rel, &st) == 0
                && (st.st_mode & S_IFMT) == S_IFREG
        }
    }

    /// vsim's source files needed to build it (relative to the source root, sorted). Tests/ is
    /// among them: SwiftPM refuses a package whose test targets have no folder, even for
    /// `swift build --product vsim` ("Source files for target ... should be located under 'Tests/...'").
    static func sourceFiles(root: String) -> [String] {
        var files = ["Package.swift"]
        for top in ["Plugins", "Sources", "Tests", "programs"] {
            let rels = (FileManager.default.enumerator(atPath: root + "/" + top)?.allObjects as? [String] ?? []).sorted()
            for rel in rels {
                var st = stat()
                if lstat(root + "/" + top + "/" + rel, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { files.append(top + "/" + rel) }
            }
        }
        return files
    }

    /// The Gradescope `setup.sh`: installs the host tools vsim needs (the build-time packages of
    /// scripts/setup: binutils, cpp, pkg-config and the headers of the system libraries libelf,
    /// libseccomp, readline and libarchive; Swift's own needs), a Swift toolchain from
    /// swift.org when the image has none (Gradescope's base images are Ubuntu 22.04/24.04 and
    /// reach the network while the image is built; `SWIFT_VERSION` picks the release), and
    /// builds vsim in release mode.
    /// The Swift release vsim is built and tested with (scripts/setup, CI): the toolchain
    /// setup.sh downloads when the image has none, and the one docs/teaching.md's images name.
    public static let swiftVersion = "6.3.1"

    static func gradescopeSetup() -> String {
        """
        #!/usr/bin/env bash
        # Gradescope runs this once while it builds the autograder image (Ubuntu, as root).
        # It installs the tools vsim needs, a Swift toolchain if there is none, and builds vsim
        # from the source copy in this zip.
        set -euo pipefail
        ROOT="${AUTOGRADER_ROOT:-/autograder}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y binutils cpp libelf-dev libseccomp-dev libreadline-dev libarchive-dev pkg-config git curl \\
            ca-certificates python3 libcurl4-openssl-dev libxml2-dev libz3-dev libncurses-dev gcc
        if ! command -v swift >/dev/null; then
            SWIFT_VERSION="${SWIFT_VERSION:-\(swiftVersion)}"
            . /etc/os-release
            case "$ID$VERSION_ID" in
                ubuntu22.04) platform=ubuntu2204; suffix=ubuntu22.04 ;;
                ubuntu24.04) platform=ubuntu2404; suffix=ubuntu24.04 ;;
                debian12) platform=debian12; suffix=debian12 ;;
                *) echo "setup.sh: no Swift toolchain and no swift.org build for $ID $VERSION_ID; use an image with Swift 6" >&2; exit 1 ;;
            esac
            name="swift-$SWIFT_VERSION-RELEASE-$suffix"
            curl -fsSL "https://download.swift.org/swift-$SWIFT_VERSION-release/$platform/swift-$SWIFT_VERSION-RELEASE/$name.tar.gz" -o /tmp/swift.tar.gz
            mkdir -p /opt/swift && tar -xzf /tmp/swift.tar.gz -C /opt/swift --strip-components 1 && rm /tmp/swift.tar.gz
            ln -sf /opt/swift/usr/bin/* /usr/local/bin/
        fi
        cd "$ROOT/source/vsim"
        # vsim, and vsim-lab beside it (vsim grade runs there: docs/architecture.md)
        swift build -c release --product vsim
        swift build -c release --product vsim-lab
        """ + "\n"
    }

    /// The Gradescope `run_autograder`: grades `$AUTOGRADER_ROOT/submission` (default
    /// /autograder) into `results/results.json`; if vsim itself cannot grade, it still writes a
    /// valid results.json that says why. `VSIM_BIN` may name an already built vsim.
    static func gradescopeRun(lab: String) -> String {
        """
        #!/usr/bin/env bash
        # Gradescope runs this for every submission. AUTOGRADER_ROOT moves /autograder (tests);
        # VSIM_BIN names the vsim to use (default: the one setup.sh built).
        set -u
        ROOT="${AUTOGRADER_ROOT:-/autograder}"
        VSIM="${VSIM_BIN:-$ROOT/source/vsim/.build/release/vsim}"
        mkdir -p "$ROOT/results"
        export VSIM_LESSONS="$ROOT/source/lessons"
        STUDENT=""
        if [ -f "$ROOT/submission_metadata.json" ] && command -v python3 >/dev/null; then
            STUDENT="$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["users"][0].get("email") or m["users"][0].get("name") or "")' "$ROOT/submission_metadata.json" 2>/dev/null || true)"
        fi
        ARGS=(grade \(lab) "$ROOT/submission" --format gradescope --output "$ROOT/results/results.json")
        # --student=ID, one word: an id starting with - (a name) is not read as an option.
        if [ -n "$STUDENT" ]; then ARGS+=("--student=$STUDENT"); fi
        "$VSIM" "${ARGS[@]}"
        STATUS=$?
        if [ $STATUS -ne 0 ] || [ ! -s "$ROOT/results/results.json" ]; then
            printf '{"score": 0, "output": "The grader could not run (vsim exit status %d). Tell the course staff.", "tests": []}\\n' "$STATUS" > "$ROOT/results/results.json"
        fi
        exit 0
        """ + "\n"
    }

    /// Writes the Gradescope autograder zip: `setup.sh` and `run_autograder` at its root (mode
    /// 0755), `lessons/<lab>/` (no solution/) and `vsim/` (the source to build). Entries are
    /// sorted and dated 2000-01-01, so the same inputs give the same zip.
    /// - Throws: ``GradingError/io(_:)`` when the zip cannot be written, or `path` exists and is
    ///   not a regular file (it is not touched).
    public static func gradescope(_ lab: LabSpec, zip path: String, sourceRoot: String = LabCatalog.sourceRoot) throws(GradingError) {
        let fm = FileManager.default
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .io("cannot write the Gradescope zip \(path): its folder \(folder) does not exist; choose a path in an existing folder you can write")
        }
        if FileIdentity.path(path, isWithin: lab.folder) {
            throw .io("cannot write the Gradescope zip \(path): it is inside the lab folder \(lab.folder), which the zip is made of; "
                      + "choose a path outside the lab")
        }
        // An old zip is replaced; anything else at the path is left alone: removing it would
        // delete a device node such as /dev/null (as root), a FIFO, or a symbolic link.
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw .io("cannot write the Gradescope zip \(path): it exists and is not a regular file (a device, FIFO, "
                          + "folder or symbolic link), which is left as it is; give the path of a new or old zip file")
            }
            // Only an old zip (a zip file's local header or an empty zip's end record) is
            // replaced: `--gradescope lab.toml` replaced the lab's own spec with the zip.
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let magic: [UInt8] = fd < 0 ? [] : ((try? HostIO.readSome(fd, upTo: 4).get()) ?? [])
            if fd >= 0 { close(fd) }
            guard st.st_size == 0 || magic == [0x50, 0x4b, 0x03, 0x04] || magic == [0x50, 0x4b, 0x05, 0x06] else {
                throw .io("cannot write the Gradescope zip \(path): it exists and is not a zip file, which is left as it is; "
                          + "give the path of a new or old zip file")
            }
            try? fm.removeItem(atPath: path)
        }
        let date = Date(timeIntervalSince1970: 946_684_800)
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            func add(_ name: String, _ data: Data, mode: UInt16) throws {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: date,
                                     permissions: mode, compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            try add("setup.sh", Data(gradescopeSetup().utf8), mode: 0o755)
            try add("run_autograder", Data(gradescopeRun(lab: lab.id).utf8), mode: 0o755)
            for rel in labFiles(lab) {
                guard let data = fm.contents(atPath: lab.folder + "/" + rel) else { continue }
                try add("lessons/\(lab.id)/" + rel, data, mode: 0o644)
            }
            for rel in sourceFiles(root: sourceRoot) {
                guard let data = fm.contents(atPath: sourceRoot + "/" + rel) else { continue }
                try add("vsim/" + rel, data, mode: 0o644)
            }
        } catch {
            try? fm.removeItem(atPath: path)    // no half-written zip is left behind
            var why = (error as NSError).domain == NSCocoaErrorDomain ? error.localizedDescription : "\(error)"
            while why.hasSuffix(".") { why.removeLast() }
            throw .io("cannot write the Gradescope zip \(path): \(why); choose a path in an existing folder you can write")
        }
    }

    /// A version-4-shaped UUID made from the lab id (the same lab, the same question uuid).
    static func stableUUID(_ id: String) -> String {
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s.suffix(digits)
        }
        let a = LabVariant.fnv1a64(Array(("vsim lab " + id).utf8)), b = LabVariant.fnv1a64(Array((id + " question").utf8))
        return "\(hex(a >> 32, 8))-\(hex((a >> 16) & 0xFFFF, 4))-4\(hex(a & 0xFFF, 3))-8\(hex((b >> 48) & 0xFFF, 3))-\(hex(b & 0xFFFF_FFFF_FFFF, 12))"
    }

    /// Writes a PrairieLearn external-grading setup into `directory`: `info.json` (the
    /// question's `externalGradingOptions`: enabled, image, entrypoint, serverFilesCourse,
    /// timeout), `serverFilesCourse/vsim-grade/grade.sh` (the entrypoint: grades /grade/student
    /// into /grade/results/results.json), and `serverFilesCourse/vsim-grade/lessons/<lab>/`.
    /// The image must have vsim on PATH (docs/teaching.md shows a Dockerfile).
    public static func prairieLearn(_ lab: LabSpec, directory: String, image: String = "vsim-grader:latest") throws(GradingError) {
        try LabFiles.requireEmpty(directory)
        let timeout = min(600, max(30, Int(lab.worstCaseSeconds.rounded(.up)) + 30))
        let info = JSONValue.object([
            ("uuid", .string(stableUUID(lab.id))),
            ("title", .string(lab.title)), ("topic", .string("vsim")), ("type", .string("v3")),
            ("singleVariant", .bool(lab.parameters.isEmpty)),
            ("gradingMethod", .string("External")),
            ("externalGradingOptions", .object([
                ("enabled", .bool(true)), ("image", .string(image)),
                ("entrypoint", .string("/grade/serverFilesCourse/vsim-grade/grade.sh")),
                ("serverFilesCourse", .array([.string("vsim-grade/")])),
                ("timeout", .number(String(timeout))),
            ])),
        ])
        let script = """
        #!/usr/bin/env bash
        # PrairieLearn external grader entrypoint: grades /grade/student into /grade/results/results.json.
        set -u
        mkdir -p /grade/results
        export VSIM_LESSONS=/grade/serverFilesCourse/vsim-grade/lessons
        vsim grade \(lab.id) /grade/student --format prairielearn --output /grade/results/results.json
        STATUS=$?
        if [ $STATUS -ne 0 ] || [ ! -s /grade/results/results.json ]; then
            printf '{"gradable": false, "score": 0, "format_errors": ["the grader could not run (vsim exit status %d)"]}\\n' "$STATUS" > /grade/results/results.json
        fi
        exit 0
        """ + "\n"
        let fm = FileManager.default
        let base = directory + "/serverFilesCourse/vsim-grade"
        do {
            try Data(info.rendered().utf8).write(to: URL(fileURLWithPath: directory + "/info.json"))
            try fm.createDirectory(atPath: base, withIntermediateDirectories: true)
            try Data(script.utf8).write(to: URL(fileURLWithPath: base + "/grade.sh"))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base + "/grade.sh")
        } catch { throw .io("cannot write the PrairieLearn files in \(directory): \(error.localizedDescription)") }
        for rel in labFiles(lab) {
            try LabFiles.copyFile(lab.folder + "/" + rel, to: base + "/lessons/\(lab.id)/" + rel)
        }
    }
}
