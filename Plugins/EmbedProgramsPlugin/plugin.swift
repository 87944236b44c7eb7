import Foundation
import PackagePlugin

/// Compiles the guest programs in `programs/*.s` and `programs/nanobench/*.s` into the VSim module
/// as string constants, so that `vsim compare` with no PROG (and `vsim run sumsq`, `vsim
/// nanobench`, a lab's `builtin/nanobench/ptemod`) work from any directory: the sources travel
/// inside the binary. Runs at build time; there is no generated file to keep in sync by hand.
@main
struct EmbedProgramsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let programs = context.package.directoryURL.appending(path: "programs")
        let sources = try ["", "nanobench"].flatMap { sub in
            try FileManager.default
                .contentsOfDirectory(at: sub.isEmpty ? programs : programs.appending(path: sub), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "s" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedPrograms.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(sources.count) guest programs from programs/ and programs/nanobench/ into \(target.name)",
                executable: try context.tool(named: "embed-programs").url,
                arguments: [output.path] + sources.map(\.path),
                inputFiles: sources,
                outputFiles: [output]),
        ]
    }
}
