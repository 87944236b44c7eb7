// Build-time tool behind the EmbedProgramsPlugin: writes a Swift file that holds the text of each
// guest program given on the command line.
//
//   embed-programs OUTPUT.swift programs/a.s programs/b.s ...
//
// Each source becomes a raw string literal whose `#` delimiter is longer than any `"""#…` run in
// the text, so no program can end its literal early.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: embed-programs OUTPUT.swift SOURCE.s...\n".utf8))
    exit(64)
}

/// The longest run of `#` that follows a `"""` in `text` (0 when none).
func longestHashRunAfterQuotes(_ text: String) -> Int {
    let scalars = Array(text.unicodeScalars)
    var longest = 0
    var i = 0
    while i + 2 < scalars.count {
        if scalars[i] == "\"" && scalars[i + 1] == "\"" && scalars[i + 2] == "\"" {
            var j = i + 3
            while j < scalars.count && scalars[j] == "#" { j += 1 }
            longest = max(longest, j - (i + 3))
        }
        i += 1
    }
    return longest
}

var swift = "// Generated at build time by embed-programs (EmbedProgramsPlugin) from programs/*.s.\n\n"
swift += "enum EmbeddedPrograms {\n    static let all: [EmbeddedProgram] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let text: String
    do {
        text = try String(contentsOf: url, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("embed-programs: cannot read \(path): \(error)\n".utf8))
        exit(66)
    }
    let hashes = String(repeating: "#", count: longestHashRunAfterQuotes(text) + 1)
    // The path under programs/: "sumsq.s", or "nanobench/ptemod.s" for a subdirectory's program.
    let fileName = url.deletingLastPathComponent().lastPathComponent == "programs"
        ? url.lastPathComponent
        : url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
    let name = String(fileName.dropLast(2))
    // A multi-line literal drops the newline before its closing delimiter: add one so the embedded
    // text equals the file byte for byte.
    swift += "        EmbeddedProgram(name: \"\(name)\", fileName: \"\(fileName)\", source: \(hashes)\"\"\"\n"
    swift += text + "\n\"\"\"\(hashes)),\n"
}
swift += "    ]\n}\n"

do {
    let data = Data(swift.utf8)
    if (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) != data {
        try data.write(to: URL(fileURLWithPath: outputPath), options: .atomic)
    }
} catch {
    FileHandle.standardError.write(Data("embed-programs: cannot write \(outputPath): \(error)\n".utf8))
    exit(73)
}
