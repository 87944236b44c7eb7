import Guest
import Machine
import Translation
import X86

/// What the translator did in one user-mode run under `--mode translate`: the blocks it made, in
/// order, and which of their direct exits it chained. For teaching tools (`vsim homework blocks`)
/// that ask "where do the blocks end, which jumps chain".
public struct TranslationRecord: Sendable, Equatable {
    /// One translated block.
    public struct Block: Sendable, Equatable {
        /// Guest address of its first instruction.
        public var pc: UInt32
        /// Guest address of its last instruction (the one that ended it).
        public var lastAddress: UInt32
        /// The ending instruction's mnemonic as the AT&T printer spells it (e.g. "jl", "call", "int").
        public var lastMnemonic: String
        /// Guest instructions in the block.
        public var instructionCount: Int
        /// Targets of goto_tb slots 0 (fall-through / unconditional) and 1 (branch taken) that
        /// were chained by the end of the run; nil where the slot was never chained.
        public var chainedTargets: [UInt32?]
    }
    /// Blocks in the order the translator made them.
    public var blocks: [Block]
    /// The run's counters (`vsim run --mode translate --stats`).
    public var blocksTranslated: UInt64
    public var chainsMade: UInt64
    /// The guest's exit status (0-255) or 128+signal.
    public var exitStatus: Int32
}

extension VSim {
    /// Runs `program` under the translator in user-mode emulation (stdout and stderr discarded, stdin
    /// empty, no environment) and returns what it translated and chained.
    /// - Throws: ``VSimError`` when the program cannot be resolved, loaded or set up.
    public static func translationRecord(program: ProgramReference, arguments: [String] = [],
                                         maxInstructions: UInt64 = 100_000_000) throws(VSimError) -> TranslationRecord {
        let resolved = try resolve(program)
        var options = RunOptions()
        options.io = .discard
        options.environment = []
        options.maxInstructions = maxInstructions
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let process = try LinuxUserPlatform(program: resolved, arguments: arguments, options: options).start(stdio: io.guestStdio)
        let user = try UserModeEngine(process: process, engine: .translate, codeBufferSize: 16 << 20)
        let engine = user.translator!
        let status: Int32
        switch user.run(maxInstructions: maxInstructions, deadline: nil) {
        case .exited(let s): status = s
        case .fault(let e): status = 128 + e.linuxSignal
        case .killed(let signal, _): status = 128 + signal
        case .instructionLimit, .timeLimit: status = 152
        }
        let blocks = engine.translatedBlocks.map { b -> TranslationRecord.Block in
            let last = b.instructions.last
            let mnemonic = last.map { ATTPrinter.format($0, symbols: nil).split(separator: " ").first.map(String.init) ?? "" } ?? ""
            return TranslationRecord.Block(pc: b.pc, lastAddress: last?.address ?? b.pc, lastMnemonic: mnemonic,
                                           instructionCount: b.instructions.count, chainedTargets: b.chainedTargets)
        }
        return TranslationRecord(blocks: blocks, blocksTranslated: engine.stats.blocksTranslated,
                                 chainsMade: engine.stats.chainsMade, exitStatus: status)
    }
}
