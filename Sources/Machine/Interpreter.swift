#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import X86

/// What the platform does after serving a software interrupt.
public enum InterruptOutcome: Sendable {
    case resume
    case stop(exitStatus: Int32)
    /// Raise this exception instead (e.g. `#GP` for a vector the platform does not serve); EIP
    /// is reset to the INT for fault-class vectors.
    case exception(CPUException)
}

/// Serves `INT n` at CPL 3 in user-mode emulation (Linux `int $0x80` lives in the Guest module).
public protocol SoftwareInterruptHandler: AnyObject {
    /// INT n (CD ib) executed at CPL 3. EIP already points past the INT; the lazy flags are
    /// intact (read ``CPUState/eflags`` to see them).
    func softwareInterrupt(_ vector: UInt8, cpu: CPUState, memory: GuestMemory) -> InterruptOutcome
}

/// Why ``Interpreter/run(maxInstructions:deadline:)`` returned.
public enum StopReason: Sendable, Equatable {
    case exited(status: Int32)
    case exception(CPUException)
    case instructionLimit
    case timeLimit
}

/// The `interpret` engine: executes guest instructions one at a time (Bochs-style).
///
/// Each instruction is decoded once by ``X86/Decoder`` and lowered to a compact ``DecodedOp``. The
/// hot loop (``runFast(_:)``) runs pre-decoded blocks of them (``DecodedBlockCache``,
/// Interpreter+Blocks.swift), with EIP updated per block and the instruction count counted per
/// block (committed where it can be read); single steps and the tail of a slice run one instruction
/// at a time from a direct-mapped decoded-instruction cache of 65,536 slots indexed by the low 16
/// bits of EIP and tagged with the full EIP (``runSingle(_:)``). Pages holding decoded code are
/// marked in the ``GuestMemory`` page table; a guest write to such a page takes the slow path, and
/// the interpreter (a ``CodeWriteObserver``) drops exactly the cached instructions and blocks whose
/// bytes overlap the write, so self-modifying code sees its new bytes at the next fetch (the
/// instruction doing the write completes with the bytes it was fetched with, as on a CPU).
///
/// The guest-visible time stamp counter (RDTSC) is ``instructionsExecuted``: instructions retired
/// before the RDTSC. A faulting instruction does not retire; INT n, INT3 and INTO do.
public final class Interpreter: CodeWriteObserver {
    public let cpu: CPUState
    public let memory: GuestMemory
    /// Held weakly: the platform (e.g. a Linux process) usually owns the interpreter.
    public weak var interruptHandler: SoftwareInterruptHandler?
    /// Instructions retired since creation (also the guest's RDTSC value).
    public internal(set) var instructionsExecuted: UInt64 = 0
    /// Called before each instruction when set (the run loop then takes the slow, stepping path).
    public var traceHandler: ((Instruction, CPUState) -> Void)?
    /// The system-level machine this interpreter runs in (Interpreter+Protected.swift), or nil
    /// in user-mode emulation.
    public internal(set) weak var system: SystemMachine?
    /// A debugger's instruction breakpoints (Interpreter+Breakpoints.swift).
    public var breakpoints: Set<UInt32> = [] { didSet { dropCached(oldValue.union(breakpoints)) } }

    /// Instructions run between two checks of the deadline.
    public static let deadlineCheckInterval: UInt64 = 1 << 20
    static let cacheBits = 16
    static let cacheMask: UInt32 = (1 << 16) - 1

    /// CPUState.raw
    @usableFromInline let s: UnsafeMutablePointer<UInt32>
    /// CPUState.raw as bytes (register byte offsets).
    @usableFromInline let sb: UnsafeMutableRawPointer
    /// Host address of guest 0.
    @usableFromInline let mem: UnsafeMutableRawPointer
    @usableFromInline let pt: UnsafeMutablePointer<UInt8>
    let cache: UnsafeMutablePointer<DecodedOp>
    /// Whether any slot was filled since the cache was last emptied: until then a code write
    /// (the loader mapping the program's segments) has nothing to drop.
    var cacheInUse = false
    /// Set by INT n when the handler asks to stop.
    var pendingStop: StopReason?
    /// The pre-decoded blocks (Interpreter+Blocks.swift).
    let blocks = DecodedBlockCache()
    /// Set by ``H/exitBlock``: the running block was invalidated; the op did not run.
    var blockLeft = false
    /// The segment registers whose base was 0 when ``noteSegmentBases()`` last looked (bit n:
    /// ES CS SS DS FS GS, ``SegmentRegister``), for which a block's memory forms leave the
    /// segment base out (``specializeAddressing(_:_:_:)``). None until the first look.
    var flatSegments: UInt8 = 0
    /// The exception an out-of-line call of the block loop raised (``execOutOfLine(_:)``), until
    /// the loop takes it (``takeBlockFault()``) and throws it to its `catch`.
    var blockFault: CPUException?

    public init(cpu: CPUState, memory: GuestMemory) {
        self.cpu = cpu
        self.memory = memory
        s = cpu.raw
        sb = UnsafeMutableRawPointer(cpu.raw)
        mem = memory.base
        pt = memory.pageTable
        // An empty slot is one whose tag cannot equal an EIP that maps to it. All-zero slots
        // (calloc: fresh zero pages, nothing to write at start-up) are empty but for slot 0,
        // where EIP 0 would match the tag 0; that one gets a tag ending in 0xFFFF instead.
        // (A zero DecodedOp is a valid one: H.invalid, all fields 0.)
        let n = 1 << Interpreter.cacheBits
        guard let c = calloc(n, MemoryLayout<DecodedOp>.stride) else { fatalError("vsim: out of memory for the decoded-instruction cache") }
        cache = c.bindMemory(to: DecodedOp.self, capacity: n)
        cache[0].tag = ~UInt32(0)
        memory.addCodeObserver(self)
    }

    deinit { free(cache) }

    // MARK: - Run loop

    /// Runs until an exit, an exception, `maxInstructions` more instructions, or `deadline`
    /// (checked every ``deadlineCheckInterval`` instructions).
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> StopReason {
        var remaining = maxInstructions
        if traceHandler != nil {
            var sinceCheck: UInt64 = 0
            while remaining > 0 {
                if let r = step() { return r }
                remaining -= 1
                sinceCheck += 1
                if sinceCheck >= 4096 {
                    sinceCheck = 0
                    if let d = deadline, ContinuousClock.now >= d { return .timeLimit }
                }
            }
            return .instructionLimit
        }
        while remaining > 0 {
            let chunk = min(remaining, Interpreter.deadlineCheckInterval)
            let before = instructionsExecuted
            let stop = trapFlagSet ? stepWithTrapFlag() : runFast(chunk)   // Interpreter+SingleStep
            remaining -= instructionsExecuted - before
            if let stop { return stop }
            if let d = deadline, ContinuousClock.now >= d { return .timeLimit }
        }
        return .instructionLimit
    }

    /// Executes one instruction (calling the trace handler first, if set); nil = continue.
    public func step() -> StopReason? {
        if let t = traceHandler {
            let eip = s[CPUState.iEIP]
            if let insn = try? decodeForTrace(eip) { t(insn, cpu) }
        }
        return stepWithTrapFlag()
    }

    /// Runs at most `count` instructions (no trace handler, no deadline check) and returns as
    /// the hot loop does: nil when the count ran out or an instruction ended the slice, else the
    /// exception or stop. For an engine that runs guest code in pieces (the BT VMM's identical
    /// stretches of a translation unit, and guest user code run directly).
    public func runSlice(_ count: UInt64) -> StopReason? { runFast(count) }

    /// The hot loop: at most `count` instructions without deadline checks, a pre-decoded block
    /// at a time (Interpreter+Blocks.swift). A block runs only when all of it fits in what is left
    /// of `count`; the instructions of a block that does not fit, and those where no block can
    /// be built (the first instruction cannot be fetched or decoded, or is at a breakpoint), run
    /// one at a time (``runSingle(_:)``), so a slice always ends at the exact instruction count.
    ///
    /// The count lives in a local while the loop runs. It is committed to
    /// ``instructionsExecuted`` before an op runs out of line (``execOutOfLine(_:)``), as if the
    /// block's last instruction were about to run (the only one that may read it: RDTSC, a
    /// system call, a port), when a fault or a stop leaves the loop (what ran), and when the
    /// loop ends; the hot forms neither read it nor call anything that does. A block's ops run until one says
    /// the block is done (a control transfer, or the ``H/blockEnd`` after a block that falls
    /// through), so the loop compares no op pointer with the block's last.
    @inline(never)
    func runFast(_ count: UInt64) -> StopReason? {
        // The segment bases may have been written since the last slice (``CPUState/setSegmentBase(_:_:)``,
        // a debugger, a hypervisor model's exit handler).
        noteSegmentBases()
        let k = hot, s = k.s
        let info = blocks.info, ops = blocks.ops
        // The count at the end of the slice; `left` of it not yet given to a block (the running
        // block's instructions are taken before it starts).
        let end = instructionsExecuted &+ count
        var left = count
        // Only the loop's pointer, `left` and the pointers of `k` stay live across a block: the
        // rest (the block's start, its count) is worked out again on the uncommon paths.
        outer: while true {
            let eip = s[CPUState.iEIP]
            let slot = DecodedBlockCache.slot(eip)
            // A block is built (its page fetched) only when one of its instructions may run:
            // with nothing left of the slice, the next block waits (a timer interrupt may come
            // first, and the translator fetches nothing there either).
            if _slowPath(info[slot].tag != eip) && (left == 0 || !buildBlock(slot, eip)) { break }
            let n = UInt64(info[slot].count)
            if _slowPath(n > left) { break }   // it does not fit: one at a time (runSingle)
            left &-= n
            var op = ops + slot &* DecodedBlockCache.maxOps
            do throws(CPUException) {
                while true {
                    let step = try execInBlock(op, k)
                    if _fastPath(step == .next) { op += 1; continue }
                    if _fastPath(step == .end) { break }
                    if step == .branch {
                        // To an op of this block, `imm2` bytes away: forward, the skipped
                        // instructions go back to the slice (`len` > 0); back (a loop of one
                        // block), the block's instructions are taken again (`len` < 0) if they
                        // fit, else the block ends with EIP at its start. (`left` < 2^63.)
                        let to = UnsafeMutableRawPointer(op).advanced(by: Int(Int32(bitPattern: op.pointee.imm2)))
                            .assumingMemoryBound(to: DecodedOp.self)
                        let l = left &+ UInt64(bitPattern: Int64(Int8(bitPattern: op.pointee.len)))
                        if _fastPath(Int64(bitPattern: l) >= 0) { left = l; op = to; continue }
                        s[CPUState.iEIP] = to.pointee.tag
                        break
                    }
                    // Out of line: the count as if at the block's last instruction (the only
                    // one that may read it), EIP at the instruction.
                    instructionsExecuted = Interpreter.retired(end, left) &- 1
                    s[CPUState.iEIP] = op.pointee.tag
                    let after = execOutOfLine(op)
                    if _fastPath(after == .next) { op += 1; continue }
                    if _fastPath(after == .end) { break }
                    if after == .fault { throw takeBlockFault() }
                    // What did not run goes back to `left`: `op` and the rest of the block.
                    let (ran, n) = blocks.position(op)
                    if blockLeft {
                        // Invalidated (self-modifying code): `op` did not run; EIP is at it.
                        blockLeft = false
                        left &+= n &- ran
                        continue outer
                    }
                    left &+= n &- ran &- 1
                    instructionsExecuted = Interpreter.retired(end, left)
                    let r = pendingStop
                    pendingStop = nil
                    return r
                }
            } catch {
                // Fault-class exceptions report the instruction (the handlers commit last);
                // INT3 and INTO have set EIP past themselves.
                if error.vector != .bp && error.vector != .of { s[CPUState.iEIP] = op.pointee.tag }
                let (ran, n) = blocks.position(op)
                left &+= n &- ran
                instructionsExecuted = Interpreter.retired(end, left)
                return .exception(finishException(error))
            }
        }
        instructionsExecuted = Interpreter.retired(end, left)
        return left == 0 ? nil : runSingle(left)
    }

    /// Drops every block when a segment register whose base was 0 (``flatSegments``) has
    /// another base now: the blocks' memory forms for it leave its base out
    /// (``specializeAddressing(_:_:_:)``). The block loop calls it before a slice, for writers
    /// outside the interpreter (``CPUState/setSegmentBase(_:_:)`` and ``CPUState/raw`` are
    /// public), and after every out-of-line instruction that may load a segment register or
    /// call out (``mayLoadSegments(_:)``), each of which ends its block.
    func noteSegmentBases() {
        var flat: UInt8 = 0
        for i in 0 ..< 6 where s[CPUState.iSegBase + i] == 0 { flat |= 1 << i }
        if flatSegments & ~flat != 0 { blocks.removeAll() }
        flatSegments = flat
    }

    /// The instruction count when `left` instructions of a slice ending at `end` have not run.
    /// Out of line on purpose: inlined, LLVM works it out at every block's start, in case an
    /// uncommon path needs it, and keeps it in a stack slot.
    @inline(never)
    static func retired(_ end: UInt64, _ left: UInt64) -> UInt64 { end &- left }

    /// Runs at most `count` instructions one at a time through the decoded-instruction cache,
    /// and returns as ``runFast(_:)`` does. The exact path: single steps, the tail of a slice.
    @inline(never)
    func runSingle(_ count: UInt64) -> StopReason? {
        let s = self.s
        let cache = self.cache
        var n: UInt64 = 0
        while n < count {
            let eip = s[CPUState.iEIP]
            let op = cache + Int(eip & Interpreter.cacheMask)
            if _slowPath(op.pointee.tag != eip) {
                do throws(CPUException) { try fill(op, eip) } catch {
                    return .exception(finishException(error))
                }
            }
            do throws(CPUException) {
                if _slowPath(!(try exec(op))) {
                    instructionsExecuted &+= 1
                    let r = pendingStop
                    pendingStop = nil
                    return r
                }
            } catch {
                return .exception(finishException(error))
            }
            instructionsExecuted &+= 1
            n &+= 1
        }
        return nil
    }

    /// Completes an exception: EIP for fault-class ones, CR2 for `#PF`.
    func finishException(_ e: CPUException) -> CPUException {
        var e = e
        if e.vector != .bp && e.vector != .of { e.eip = s[CPUState.iEIP] }
        if e.vector == .pf, let a = e.faultAddress { cpu.cr2 = a }
        return e
    }

    // MARK: - Decoding and the decoded-instruction cache

    /// Reads up to 15 instruction bytes at `eip` for the decoder. The page of `eip` is fetched
    /// (``GuestMemory/checkFetch(_:)``: a TLB fill where it is missing, or `#PF`); bytes on the
    /// next page are only looked at (``GuestMemory/peekCode(_:)``), so that decoding near a
    /// page's end does not fetch the next page: ``decodeForTrace(_:)`` fetches it when the
    /// instruction reaches into it, as the CPU does. Returns the number of bytes available and,
    /// when the next page may not be fetched, its `#PF`; throws `#PF` if not even the first byte
    /// is available.
    func fetchBytes(_ eip: UInt32, _ buf: UnsafeMutableRawPointer) throws(CPUException) -> (Int, CPUException?) {
        try memory.checkFetch(eip)
        let n = memory.codeBytes(at: eip, into: buf)
        if n < 15 {
            // The next page could not be looked at: the fault its fetch would take, if any.
            do throws(CPUException) { try memory.checkFetch(eip &+ UInt32(n)) } catch { return (n, error) }
        }
        return (n, nil)
    }

    /// Decodes the instruction at `eip` (for traces and diagnostics; does not touch the cache),
    /// fetching the page(s) it occupies. With `acrossPages` false, an instruction that runs on
    /// into the next page is not fetched and nil is returned (a block ends before it).
    public func decodeForTrace(_ eip: UInt32) throws(CPUException) -> Instruction {
        try decode(eip, acrossPages: true)!
    }

    func decode(_ eip: UInt32, acrossPages: Bool) throws(CPUException) -> Instruction? {
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 1)
        defer { buf.deallocate() }
        let (n, pending) = try fetchBytes(eip, buf)
        let insn: Instruction
        do throws(DecodeError) {
            insn = try Decoder.decode(UnsafeRawBufferPointer(start: buf, count: n), address: eip)
        } catch {
            if case .truncated = error, let p = pending { throw p }
            if case .tooLong = error { throw CPUException(vector: .gp, errorCode: 0, eip: eip, detail: error.description) }
            throw CPUException(vector: .ud, eip: eip, detail: error.description)
        }
        let toPageEnd = 0x1000 - (eip & 0xFFF)
        if UInt32(insn.length) > toPageEnd {
            guard acrossPages else { return nil }
            try memory.checkFetch(eip &+ toPageEnd)   // the CPU fetches the next page now
        }
        return insn
    }

    /// Decodes the instruction at `eip` into cache slot `op`.
    @inline(never)
    func fill(_ op: UnsafeMutablePointer<DecodedOp>, _ eip: UInt32) throws(CPUException) {
        if !breakpoints.isEmpty && breakpoints.contains(eip) { throw .debuggerBreakpoint(at: eip) }
        let insn = try decodeForTrace(eip)
        op.pointee = DecodedOp(insn)
        cacheInUse = true
        memory.markCode(eip, UInt32(insn.length))
    }

    /// ``CodeWriteObserver``: drops cached instructions and blocks overlapping
    /// `[address, address+count)`, and under a system-level MMU those decoded from the same
    /// bytes through another linear page mapping their frame (``MMU/forEachDecodedAlias(ofWrittenPage:_:)``):
    /// a write to code is seen by the next fetch of it, whatever linear address either goes
    /// through (Intel SDM Vol. 3A, 11.6).
    public func codeWritten(address: UInt32, count: UInt32) {
        dropDecoded(address: address, count: count)
        guard let mmu = memory.mmu, count > 0, cacheInUse || blocks.inUse else { return }
        let end = UInt64(address) + UInt64(count)
        var a = UInt64(address)
        while a < end {
            let page = UInt32(truncatingIfNeeded: a >> 12)
            let pageEnd = min(end, (a | 0xFFF) + 1)
            let offset = UInt32(a & 0xFFF), n = UInt32(pageEnd - a)
            mmu.forEachDecodedAlias(ofWrittenPage: page) { dropDecoded(address: $0 << 12 | offset, count: n) }
            a = pageEnd
        }
    }

    /// ``CodeWriteObserver``: the TLB entry of code page `address` left or maps another frame:
    /// what was decoded at that linear page goes (nothing was written: its aliases keep theirs).
    public func codeMappingLeft(address: UInt32) { dropDecoded(address: address, count: 4096) }

    /// ``CodeWriteObserver``: on entry to CPL 3, what was decoded on the supervisor page goes
    /// (nothing was written: its aliases keep theirs).
    public func supervisorCodeLeft(address: UInt32, count: UInt32) { dropDecoded(address: address, count: count) }

    /// Drops cached instructions and blocks overlapping linear `[address, address+count)`.
    func dropDecoded(address: UInt32, count: UInt32) {
        blocks.invalidate(address: address, count: count)
        guard cacheInUse else { return }
        if count < 1 << Interpreter.cacheBits {
            // Instructions are at most 15 bytes: only those starting in [address-14, end) can overlap.
            let start = address &- 14
            var off: UInt32 = 0
            while off < count &+ 14 {
                let e = start &+ off
                let slot = cache + Int(e & Interpreter.cacheMask)
                if slot.pointee.tag == e && off &+ UInt32(slot.pointee.len) > 14 {
                    slot.pointee.tag = ~(e & Interpreter.cacheMask)
                }
                off &+= 1
            }
        } else {
            let lo = UInt64(address) >= 14 ? UInt64(address) - 14 : 0
            let hi = UInt64(address) + UInt64(count)
            for i in 0..<(1 << Interpreter.cacheBits) {
                let t = UInt64(cache[i].tag)
                if t >= lo && t < hi && UInt32(t) & Interpreter.cacheMask == UInt32(i) {
                    cache[i].tag = ~UInt32(i)
                }
            }
        }
    }

    /// Drops the whole decoded-instruction cache and every block.
    public func flushCodeCache() {
        blocks.removeAll()
        guard cacheInUse else { return }
        for i in 0..<(1 << Interpreter.cacheBits) { cache[i].tag = ~UInt32(i) }
        cacheInUse = false
    }
}
