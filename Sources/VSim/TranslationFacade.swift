import Guest
import Machine
import Translation
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

extension VSim {
    /// `vsim translate`: translates the block at `address` (or at `symbol`, or the entry point) and
    /// the blocks its direct jumps lead to, breadth first, `count` blocks in all, without running
    /// anything, and prints the chosen views of each.
    /// - Throws: ``VSimError`` for a missing or malformed program, an unknown symbol, or an address
    ///   where nothing can be decoded.
    public static func translationListing(program: ProgramReference, address: UInt32?, symbol: String?,
                                          count: Int, show: [TranslationView]) throws(VSimError) -> String {
        let resolved = try resolve(program)
        let image: ELFImage
        do { image = try ELFImage(path: resolved.executablePath) } catch { throw .elf(error) }
        let process: LinuxProcess
        do { process = try LinuxProcess(image: image, argv: [resolved.executablePath], envp: [], stdio: .inherited) } catch { throw .process(error) }
        var start = address ?? image.entry
        if let symbol {
            guard let s = image.symbols.first(where: { $0.name == symbol }) else {
                throw .usage("no symbol '\(symbol)' in \(resolved.displayName); `vsim disasm` lists the code and its labels")
            }
            start = s.value
        }
        guard let out = TranslationPrinter.listing(process.memory, from: start, mode: TranslationEngine.mode(of: process.cpu),
                                                   count: count, symbols: ELFSymbolizer(image), show: show) else {
            throw .usage("nothing can be translated at \(Hex.address(start)): the bytes there do not decode (or are not mapped)")
        }
        return out
    }
}

extension CommandLineFacade {
    /// `vsim run --mode translate [--stats] [--check]`.
    public static func runTranslated(program: String, options: RunOptions, stats: Bool,
                                     check: Bool, arguments: [String]) throws(ExitStatus) {
        if check {
            let r: LockstepCheck.Result
            do { r = try LockstepCheck.run(program: .path(program), arguments: arguments, options: options) } catch { throw fail(error) }
            if let m = r.mismatch {
                writeStandardError("vsim: check failed: \(m)\n")
                throw ExitStatus(1)
            }
            writeStandardError("vsim: check passed: translate and interpret agree at all \(r.blocksCompared) block boundaries (\(r.instructions) instructions)\n")
            if let d = r.run.diagnostic, r.run.signal != nil { writeStandardError(d + "\n") }
            if r.run.exitStatus != 0 { throw ExitStatus(r.run.exitStatus) }
            return
        }
        let box = StatsBox()
        var backend = TranslatorBackend()
        if stats { backend.statistics = { @Sendable s in box.set(s) } }
        let result: RunResult
        do {
            let resolved = try VSim.resolve(.path(program))
            result = try backend.run(resolved, arguments: arguments, options: options)
        } catch { throw fail(error) }
        if let d = result.diagnostic, result.signal != nil { writeStandardError(d + "\n") }
        if stats, let s = box.get() { writeStandardError(s.text) }
        if result.exitStatus != 0 { throw ExitStatus(result.exitStatus) }
    }

    /// `vsim translate`.
    public static func translate(program: String, address: String?, symbol: String?, count: Int, show: String) throws(ExitStatus) {
        var views: [TranslationView] = []
        for part in show.split(separator: ",") {
            guard let v = TranslationView(rawValue: String(part)) else {
                throw fail(.usage("unknown view '\(part)' in --show; known: \(TranslationView.allCases.map(\.rawValue).joined(separator: ","))"))
            }
            views.append(v)
        }
        // `--show ''` printed nothing and exited 0; `--count 0` printed one block.
        if views.isEmpty { throw fail(.usage("--show needs at least one view: \(TranslationView.allCases.map(\.rawValue).joined(separator: ","))")) }
        if count < 1 { throw fail(.usage("--count must be at least 1 (got \(count))")) }
        var at: UInt32?
        if let address {
            let text = address.lowercased()
            let value = text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
            guard let value else { throw fail(.usage("--address wants a number such as 0x8049000 (got '\(address)')")) }
            at = value
        }
        if at != nil && symbol != nil { throw fail(.usage("give --address or --symbol, not both")) }
        do {
            writeStandardOutput(try VSim.translationListing(program: .path(program), address: at, symbol: symbol, count: count, show: views))
        } catch { throw fail(error) }
    }
}

/// Carries the statistics out of the backend's sendable callback.
final class StatsBox: @unchecked Sendable {
    private var value: TranslationStats?
    func set(_ s: TranslationStats) { value = s }
    func get() -> TranslationStats? { value }
}
