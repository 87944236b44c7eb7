import Foundation
import Testing
import VSim
#if canImport(Glibc)
import Glibc
#endif

extension ContainerTests {
    @Suite("programs/: the same stdout and exit status in a container as natively",
           .enabled(if: Support.containersWork, "needs root to create namespaces and cgroups"))
    struct ProgramsTests {
        /// Representative arguments per program (stdin is /dev/null in both modes).
        static let cases: [String: [[String]]] = [
            "echo": [[], ["hello", "container", "world"]],
            "fib": [[], ["30"], ["x"]],
            "faults": [["de"], ["ud"], ["segv"], ["wrro"], ["int3"], ["nope"]],
            "sumsq": [["1000000"]],
            "sieve": [["100000"]],
        ]

        @Test func everyProgramMatchesNative() throws {
            let sources = try FileManager.default.contentsOfDirectory(atPath: Support.repositoryRoot + "/programs")
                .filter { $0.hasSuffix(".s") }.sorted()
            #expect(!sources.isEmpty)
            for file in sources {
                let name = String(file.dropLast(2))
                for args in Self.cases[name] ?? [[]] {
                    var options = RunOptions()
                    options.io = .capture
                    let program = ProgramReference.path(Support.repositoryRoot + "/programs/" + file)
                    let native = try VSim.run(program: program, mode: .native, arguments: args, options: options)
                    let contained = try VSim.run(program: program, mode: .container, arguments: args, options: options)
                    let what = ([name] + args).joined(separator: " ")
                    #expect(contained.exitStatus == native.exitStatus, "\(what): status \(contained.exitStatus) vs native \(native.exitStatus) (\(contained.diagnostic ?? ""))")
                    #expect(contained.output == native.output, "\(what): output differs")
                    #expect(contained.mode == .container)
                }
            }
        }
    }
}
