// Standalone driver for Tests/VSimTests/CorpusGenerator.swift (see scripts/corpus/generate).
import Foundation

let args = CommandLine.arguments
let dir = args.count > 1 ? args[1] : "."
var seed = CorpusGenerator.defaultSeed
if args.count > 2 {
    let s = args[2]
    guard let n = UInt64(s) ?? (s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : nil) else {
        FileHandle.standardError.write("usage: corpusgen DIR [SEED]\n".data(using: .utf8)!)
        exit(64)
    }
    seed = n
}
let p = CorpusGenerator.generate(seed: seed)
try p.source.write(toFile: dir + "/corpus.s", atomically: true, encoding: .utf8)
let table = p.cases.map { "\($0.index)\t\($0.line)\t0x\(String($0.flagsMask, radix: 16))\t\($0.form)\t\($0.text)" }
try (table.joined(separator: "\n") + "\n").write(toFile: dir + "/corpus.cases", atomically: true, encoding: .utf8)
print("corpus: seed \(p.seed) (0x\(String(p.seed, radix: 16))), \(p.cases.count) cases, \(p.instructionsUnderTest) instructions under test, \(p.forms.count) forms -> \(dir)/corpus.s, \(dir)/corpus.cases")
