import Guest
import Machine
import X86
import Descriptions

/// Text for instructions in guest memory: `--trace insns` lines and fault diagnostics.
enum GuestDiagnostics {
    /// Fills `result`'s exit status, signal and one-line diagnostic from how a user-mode guest
    /// ended, the same for every engine that runs a ``LinuxProcess`` (interpret, translate): an
    /// exit gives its status; a fault 128+signal as Linux would (DESIGN.md, "Contracts"); the
    /// instruction budget or the host time limit SIGXCPU (152), naming the instruction reached.
    static func record(_ termination: GuestTermination, into result: inout RunResult, process: LinuxProcess,
                       options: RunOptions) {
        // Built only for a message that names an address (a fault, a stop): an exit needs none.
        func symbols() -> ELFSymbolizer { ELFSymbolizer(process.image) }
        let executed = result.instructions ?? 0
        switch termination {
        case .exited(let status):
            result.exitStatus = status
        case .fault(let e):
            result.signal = e.linuxSignal
            result.exitStatus = 128 + e.linuxSignal
            result.diagnostic = GuestDiagnostics.faultLine(e, memory: process.memory, symbols: symbols())
        case .killed(let signal, let detail):
            result.signal = signal
            result.exitStatus = 128 + signal
            result.diagnostic = "vsim: the guest was killed: \(detail) at \(Hex.address(process.cpu.eip)) -> exit status \(128 + signal)"
        case .instructionLimit, .timeLimit:
            result.signal = Signal.SIGXCPU
            result.exitStatus = 128 + Signal.SIGXCPU
            let eip = process.cpu.eip
            let window = GuestDiagnostics.bytes(at: eip, count: Decoder.maximumLength, memory: process.memory)
            var at = Hex.address(eip)
            if let insn = try? Decoder.decode(window, address: eip) {
                at += ": " + Hex.bytes(Array(window.prefix(Int(insn.length)))) + "  "
                    + ATTPrinter.format(insn, symbols: symbols())
            }
            let limit: LimitStop.Limit
            if case .instructionLimit = termination {
                limit = .instructions(executed: executed, budget: options.maxInstructions)
            } else {
                limit = .time(limit: options.timeLimit, executed: executed)
            }
            result.diagnostic = LimitStop.message("guest", limit, at: at)
        }
    }

    /// Up to `count` bytes at `address` that the guest could read (fewer at the end of a mapping).
    static func bytes(at address: UInt32, count: Int, memory: GuestMemory) -> [UInt8] {
        var n = count
        while n > 0 {
            if let b = try? memory.read(at: address, count: n) { return b }
            // Shrink to the end of the page, then byte by byte.
            let toPageEnd = Int(GuestMemory.pageSize - (address & (GuestMemory.pageSize - 1)))
            n = n > toPageEnd ? toPageEnd : n - 1
        }
        return []
    }


    /// `08049000: b8 01 00 00 00        mov    $0x1,%eax` (bytes padded to 15*3 columns... to 21).
    static func traceLine(_ insn: Instruction, memory: GuestMemory, symbols: Symbolizer?) -> String {
        let raw = bytes(at: insn.address, count: Int(insn.length), memory: memory)
        var hex = Hex.bytes(raw)
        if hex.count < 20 { hex += String(repeating: " ", count: 20 - hex.count) }
        return "\(Hex.word(insn.address)): \(hex)  \(ATTPrinter.format(insn, symbols: symbols))"
    }

    /// The SDM name of an exception vector: "divide error", "page fault", ...
    static func exceptionName(_ v: CPUException.Vector) -> String {
        switch v {
        case .de: return "divide error"
        case .db: return "debug"
        case .nmi: return "non-maskable interrupt"
        case .bp: return "breakpoint"
        case .of: return "overflow"
        case .br: return "BOUND range exceeded"
        case .ud: return "invalid opcode"
        case .nm: return "device not available"
        case .df: return "double fault"
        case .ts: return "invalid TSS"
        case .np: return "segment not present"
        case .ss: return "stack-segment fault"
        case .gp: return "general protection"
        case .pf: return "page fault"
        case .mf: return "x87 floating-point error"
        case .ac: return "alignment check"
        }
    }

    /// The instruction an exception is about: at `eip` for faults, the one before for the traps
    /// `#BP` (INT3 `cc` or `int $3` `cd 03`) and `#OF` (INTO `ce` or `int $4`).
    static func faultingAddress(_ e: CPUException, memory: GuestMemory) -> UInt32 {
        guard e.vector == .bp || e.vector == .of else { return e.eip }
        let one = bytes(at: e.eip &- 1, count: 1, memory: memory)
        if one == [0xcc] || one == [0xce] { return e.eip &- 1 }
        return e.eip &- 2
    }

    /// `vsim: guest fault #DE (divide error) at 0x08049012: f7 f3  div %ebx -> SIGFPE`, one line.
    /// The detail of the exception follows the text when it adds something (which page, why).
    static func faultLine(_ e: CPUException, memory: GuestMemory, symbols: Symbolizer?) -> String {
        let address = faultingAddress(e, memory: memory)
        let window = bytes(at: address, count: Decoder.maximumLength, memory: memory)
        var what: String
        do {
            let insn = try Decoder.decode(window, address: address)
            what = Hex.bytes(Array(window.prefix(Int(insn.length)))) + "  " + ATTPrinter.format(insn, symbols: symbols)
            // Which address and why, for memory faults; the other vectors say it all by their name.
            if !e.detail.isEmpty && (e.vector == .pf || e.vector == .gp) { what += ": " + e.detail }
        } catch {
            switch error {
            case .outsideSubset(_, let bytes, let length, let name):
                let shown = length.map { Array(bytes.prefix($0)) } ?? bytes
                what = Hex.bytes(shown) + "  " + (name ?? "(unknown)") + ": outside the vsim subset"
            case .invalid(_, let bytes, let reason):
                what = Hex.bytes(bytes) + "  (bad): " + reason
            case .tooLong(_, let bytes):
                what = Hex.bytes(bytes) + "  (bad): longer than 15 bytes (Intel SDM Vol. 2A 2.3.11)"
            case .truncated(_, let bytes):
                what = (bytes.isEmpty ? "(no readable bytes)" : Hex.bytes(bytes)) + "  (truncated: the instruction runs into unmapped or unreadable memory)"
            }
        }
        var vector = e.vector.name
        if let code = e.errorCode, e.vector == .gp || e.vector == .pf { vector += "(0x\(String(code, radix: 16)))" }
        return "vsim: guest fault \(vector) (\(exceptionName(e.vector))) at \(Hex.address(address)): \(what) -> \(SignalName.of(e.linuxSignal))"
    }

}
