import Machine
import X86
import Descriptions

/// Counters of the BT VMM's translation cache (Adams & Agesen's vocabulary: a *translation unit*
/// of guest code becomes a *compiled code fragment* in the *translation cache*).
public struct BinaryTranslationStats: Sendable, Equatable {
    /// Translation units translated (including retranslations after an invalidation).
    public var blocksTranslated: UInt64 = 0
    /// Guest instructions translated; of those IDENT (copied unchanged) and rewritten (a callout
    /// or an in-TC emulation).
    public var instructionsTranslated: UInt64 = 0
    public var identInstructions: UInt64 = 0
    public var rewrittenInstructions: UInt64 = 0
    /// Direct exits of a fragment patched to jump straight to the next fragment (once per pair).
    public var chainsMade: UInt64 = 0
    /// Indirect control transfers (RET, JMP/CALL through a register or memory) looked up at run time.
    public var indirectLookups: UInt64 = 0
    /// Fragments dropped because their guest code was written (through any linear alias of its
    /// frame), its linear page now maps another frame, or it was retranslated adaptively.
    public var invalidations: UInt64 = 0
    /// Instructions retranslated into a callout after repeated traced page-table write faults.
    public var adaptiveRetranslations: UInt64 = 0
    public init() {}
}

/// `--mode bt`: a software VMM in the style of VMware's (Adams & Agesen, ASPLOS 2006). The
/// unmodified guest kernel runs deprivileged at ring 1, as under ``TrapAndEmulateVMM`` (virtual
/// CPU, shadow GDT with DPL 0 compressed to 1, events reflected through the guest's IDT, page
/// tables traced), but its code never runs as it is: every stretch of kernel code (CPL 0 in the
/// guest's eyes) is first translated, a *translation unit* (TU) of at most 12 instructions or up
/// to a control transfer, into the translation cache, where
///
/// - most instructions are IDENT: they run unchanged (here: on vsim's interpreter, the stretch
///   between two rewritten instructions as one slice);
/// - every **sensitive** instruction, privileged or not, is rewritten: the privileged ones (IN,
///   OUT, HLT, LGDT, LIDT, LTR, LLDT, MOV to CR3/CR4/DR, CR0 writes that change more than TS,
///   INVLPG, RDMSR/WRMSR ...) into a **callout** to the VMM, which emulates them against the
///   virtual CPU as trap-and-emulate would after a `#GP`; and the holes of Robin & Irvine that
///   never trap (PUSHF, POPF, IRET, SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW, PUSH/POP/MOV
///   of segment registers, far CALL/JMP/RET, INT n) into callouts that give the guest its
///   *virtual* state: IF and IOPL, GDTR/IDTR/TR/LDTR, CR0, descriptors with their own DPL,
///   selectors with RPL 0;
/// - simple ones are emulated **in the TC** without leaving it (CLI and STI: a store to the
///   virtual IF; MOV from a control register; CLTS and a MOV to CR0 that changes only TS), the
///   paper's cheapest case (its `%cr8` write, 35 cycles);
/// - direct exits are **chained** to the next fragment the first time they are taken; indirect
///   ones (RET, JMP/CALL through a register or memory) cost a hash-table lookup every time (the
///   paper's call/ret penalty);
/// - writes to translated code **invalidate** the fragments that hold it, whatever linear page
///   the write goes through: a fragment knows the frames its code came from, which the MMU marks
///   (``Machine/TranslatedCodeHolder/vmm``), so every TLB entry mapping them sends writes to the
///   code observers, and ``codeWritten(address:count:)`` finds the fragments by frame (as the
///   translator finds its blocks, and the interpreter its decoded instructions at other aliases);
/// - a fragment runs only while the linear pages of its unit map the frames it was translated
///   from (checked at each lookup: the TLB's frame, else a walk of the guest's tables); after the
///   guest kernel remaps the page, the unit is translated again from the new frame's bytes;
/// - **adaptive translation**: a kernel instruction that keeps faulting on traced page tables
///   (``adaptiveThreshold`` hidden page faults) is retranslated into a callout that performs the
///   write, cheaper than a trap (the paper's *ptemod*).
///
/// Guest user code (CPL 3) runs directly, untranslated, as VMware ran it: its system calls and
/// faults still trap into the VMM, which reflects them into the translated kernel. "Directly" is
/// vsim's fastest engine for it (``userCodeRunner``: the translator unless `--engine interpret`),
/// standing in for the real CPU; the counts are the same on either.
///
/// Costs (docs/cost-model.md): a callout `btCallout` + the VMM's work (as trap-and-emulate's);
/// an in-TC emulation `btInTC`; `btTranslateInstruction` per instruction translated;
/// `btIndirectLookup` per indirect transfer in translated code; traps as under trap, the hidden
/// page faults of its shadow page tables included (VMware's software VMM shadowed the guest's
/// page tables too).
public final class BinaryTranslationVMM: TrapAndEmulateVMM, CodeWriteObserver {
    /// Longest translation unit, in instructions (Adams & Agesen: up to 12).
    public static let maxUnitLength = 12
    /// Traced-write faults from one instruction after which it is retranslated into a callout.
    public var adaptiveThreshold = 2

    public private(set) var stats = BinaryTranslationStats()

    /// One rewritten instruction: how the fragment runs it.
    enum Site {
        case ident(Int)                 // n IDENT instructions in a row
        case rewrite(Instruction)       // a callout or an in-TC emulation
    }

    /// A compiled code fragment: the sites of one translation unit.
    final class Fragment {
        /// The unit's linear addresses, `[start, end)` (at most two pages).
        let start: UInt32
        let end: UInt32
        /// The frames (physical page numbers) of the unit's first and last page when it was
        /// translated (the same for a unit on one page).
        let frame: UInt32
        let lastFrame: UInt32
        let sites: [Site]
        /// The guest code it was translated from (to tell a real write from a permission change
        /// or a store of the same bytes).
        let bytes: [UInt8]
        /// How the unit ends: a direct transfer or fall-through (chainable), an indirect one, or
        /// a rewritten instruction that leaves to the VMM.
        enum Exit { case direct, indirect, vmm }
        let exit: Exit
        init(start: UInt32, end: UInt32, frame: UInt32, lastFrame: UInt32, sites: [Site], bytes: [UInt8], exit: Exit) {
            self.start = start; self.end = end; self.frame = frame; self.lastFrame = lastFrame
            self.sites = sites; self.bytes = bytes; self.exit = exit
        }
        /// Linear page of the unit's last byte.
        var lastPage: UInt32 { (end &- 1) >> 12 }
        /// Whether the unit's bytes on `frame` overlap offsets `[lo, hi)` of it.
        func overlaps(frame f: UInt32, _ lo: UInt32, _ hi: UInt32) -> Bool {
            let first = start >> 12
            var page = first
            while true {
                if (page == first ? frame : lastFrame) == f {
                    let from = page == first ? start & 0xFFF : 0
                    let to = page == lastPage ? ((end &- 1) & 0xFFF) &+ 1 : 0x1000
                    if from < hi && lo < to { return true }
                }
                if page == lastPage { return false }
                page &+= 1
            }
        }
    }

    /// The translation cache: fragments by the linear address of their unit (the guest kernel's
    /// EIP), and by the frames their code lies on.
    var cache: [UInt32: Fragment] = [:]
    var fragmentsOnFrame: [UInt32: [Fragment]] = [:]
    var chained: Set<UInt64> = []
    /// Traced-write faults by instruction address, and the instructions retranslated for them.
    var tracedFaults: [UInt32: Int] = [:]
    var adaptive: Set<UInt32> = []
    /// The fragment whose end was last reached, for chaining.
    var previous: Fragment?
    /// The guest's IOPL (the real one stays 0 at ring 1).
    var virtualIOPL: UInt32 = 0
    /// What runs guest user code (CPL 3) for up to n instructions, returning as
    /// ``Interpreter/runSlice(_:)`` does: nil = the machine's interpreter. The runtime plugs the
    /// translator in here (it must count and stop exactly as the interpreter does).
    public var userCodeRunner: ((UInt64) -> StopReason?)?

    /// The machine's memory, held here so that the lookup's frame check (``mapsItsFrames(_:)``)
    /// does not go through the unowned ``machine`` each time.
    let memory: GuestMemory

    public override init(machine: SystemMachine, log: VMMLog, cost: CostModel, umip: Bool = false) {
        memory = machine.memory
        super.init(machine: machine, log: log, cost: cost, umip: false)
        machine.memory.addCodeObserver(self)
        let interpreter = machine.interpreter
        machine.sliceRunner = { [unowned self] n in self.runSlice(n, interpreter) }
    }

    // MARK: the dispatcher

    /// Runs up to `n` guest instructions: user code directly, kernel code from the translation cache.
    func runSlice(_ n: UInt64, _ interpreter: Interpreter) -> StopReason? {
        let m = machine, cpu = m.cpu
        let start = interpreter.instructionsExecuted
        var rounds = 0
        while !m.stopRequested && !m.halted {
            let done = interpreter.instructionsExecuted &- start
            // The instruction in STI's shadow runs from the TC whatever the budget (no tick is
            // taken inside the shadow; the machine's loop would step it untranslated).
            if done >= n && !m.blockingBySTI { return nil }
            rounds += 1
            if rounds > 4096 && !m.blockingBySTI { return nil }   // let the machine loop check its deadline
            if cpu.cpl == 3 {
                previous = nil
                if cpu.trapFlag { return nil }   // EFLAGS.TF: the machine steps it (SystemMachine.run)
                if let r = userCodeRunner.map({ $0(n &- done) }) ?? interpreter.runSlice(n &- done) { return r }
                continue
            }
            let eip = cpu.eip
            let fragment: Fragment
            if let f = cache[eip], mapsItsFrames(f) {
                fragment = f
            } else {
                if let stale = cache[eip] { drop(stale) }   // its page maps another frame now
                do throws(CPUException) { fragment = try translate(at: eip) } catch {
                    var e = error
                    e.eip = eip
                    if e.vector == .pf, let a = e.faultAddress { cpu.cr2 = a }
                    return .exception(e)
                }
            }
            if let p = previous {
                switch p.exit {
                case .direct:
                    if chained.insert(UInt64(p.start) << 32 | UInt64(eip)).inserted { stats.chainsMade &+= 1 }
                case .indirect:
                    stats.indirectLookups &+= 1
                    log.charge(cost.btIndirectLookup)
                case .vmm: break
                }
            }
            previous = nil
            if let r = execute(fragment, budget: n &- done, interpreter) { return r }
        }
        return nil
    }

    /// Runs `f` from its start; nil when it ran to its end (``previous`` set) or left early.
    func execute(_ f: Fragment, budget: UInt64, _ interpreter: Interpreter) -> StopReason? {
        let m = machine, cpu = m.cpu
        var left = budget
        for site in f.sites {
            switch site {
            case .ident(var count):
                if m.blockingBySTI {
                    // The instruction in STI's shadow, then the interrupt window (the VMM put a
                    // callout after it when it translated the STI).
                    let before = interpreter.instructionsExecuted
                    let r = interpreter.runSlice(1)
                    m.endBlockingBySTI()
                    if let r { return r }
                    left &-= min(left, interpreter.instructionsExecuted &- before)
                    let after = cpu.eip
                    m.openInterruptWindow()
                    if cpu.eip != after || m.stopRequested || cache[f.start] !== f { return nil }
                    count -= 1
                    if count == 0 { continue }
                }
                let k = UInt64(count)
                let before = interpreter.instructionsExecuted
                if k > left {
                    return interpreter.runSlice(left)   // the slice ends inside the unit
                }
                if let r = interpreter.runSlice(k) { return r }
                left &-= interpreter.instructionsExecuted &- before
                if interpreter.instructionsExecuted &- before < k || cache[f.start] !== f { return nil }
            case .rewrite(let insn):
                guard cpu.eip == insn.address else { return nil }
                // A debugger's breakpoint on an instruction the VMM emulates (identity runs
                // check theirs in the interpreter).
                if !interpreter.breakpoints.isEmpty && interpreter.breakpoints.contains(insn.address) {
                    return .exception(.debuggerBreakpoint(at: insn.address))
                }
                let next = insn.address &+ UInt32(insn.length)
                // In STI's shadow the VMM runs the instruction whole: the shadow ends with it, so
                // an interrupt it lets in is delivered after it (the HLT of `sti; hlt`).
                let shadowed = m.blockingBySTI
                if shadowed { m.endBlockingBySTI() }
                let r = rewritten(insn, next: next)
                switch r {
                case .handled, .proceed: break
                case .stop(let why):
                    m.requestStop(.vmm(why))
                    return nil
                }
                if shadowed { m.openInterruptWindow() }
                if cpu.eip != next || cpu.cpl == 3 || m.halted || m.stopRequested || cache[f.start] !== f { return nil }
                // INVLPG and a MOV to CR3 or CR0 may have moved the unit's own pages to other
                // frames; being serializing, what follows is fetched from there (SDM Vol. 3A,
                // "Serializing Instructions").
                if insn.mnemonic == .invlpg || insn.mnemonic == .mov, !mapsItsFrames(f) { return nil }
            }
        }
        previous = f
        return nil
    }

    // MARK: translation

    /// Translates the unit at `eip` into the cache.
    func translate(at eip: UInt32) throws(CPUException) -> Fragment {
        var sites: [Site] = []
        var a = eip
        var idents = 0
        var exit = Fragment.Exit.direct
        var count = 0
        func flush() { if idents > 0 { sites.append(.ident(idents)); idents = 0 } }
        while count < Self.maxUnitLength {
            let insn: Instruction
            do throws(CPUException) { insn = try machine.decode(at: a) } catch {
                if count == 0 { throw error }
                break
            }
            count += 1
            a = a &+ UInt32(insn.length)
            if isSensitive(insn) {
                flush()
                sites.append(.rewrite(insn))
                stats.rewrittenInstructions &+= 1
                if leavesUnit(insn) { exit = .vmm; break }
                continue
            }
            idents += 1
            stats.identInstructions &+= 1
            if let kind = transferKind(insn) { exit = kind; break }
        }
        flush()
        // The unit's pages were fetched to decode it: the TLB holds their frames.
        let frame = memory.writtenFrame(ofPage: eip >> 12) ?? UInt32.max
        let lastFrame = (a &- 1) >> 12 == eip >> 12 ? frame : memory.writtenFrame(ofPage: (a &- 1) >> 12) ?? UInt32.max
        let f = Fragment(start: eip, end: a, frame: frame, lastFrame: lastFrame, sites: sites,
                         bytes: bytes(eip, a, frame, lastFrame), exit: exit)
        cache[eip] = f
        for fr in Set([frame, lastFrame]) { fragmentsOnFrame[fr, default: []].append(f) }
        memory.markTranslatedCode(address: eip, count: a &- eip, holder: .vmm)
        stats.blocksTranslated &+= 1
        stats.instructionsTranslated &+= UInt64(count)
        log.charge(UInt64(count) &* cost.btTranslateInstruction)
        return f
    }

    /// nil: not a control transfer; else how a unit ending with it exits.
    func transferKind(_ insn: Instruction) -> Fragment.Exit? {
        switch insn.mnemonic {
        case .jcc, .loop, .loope, .loopne, .jcxz: return .direct
        case .jmp, .call:
            if case .relative = insn.operand0 { return .direct }
            return .indirect
        case .ret: return .indirect
        default: return nil
        }
    }

    /// Rewritten instructions after which the unit ends (control goes elsewhere).
    func leavesUnit(_ insn: Instruction) -> Bool {
        switch insn.mnemonic {
        case .iret, .int, .int3, .into, .callf, .jmpf, .retf, .hlt: return true
        default: return false
        }
    }

    /// Whether the BT VMM rewrites `insn` (at the guest kernel's privilege).
    func isSensitive(_ insn: Instruction) -> Bool {
        if adaptive.contains(insn.address) { return true }
        switch insn.mnemonic {
        case .cli, .sti, .hlt, .in, .out, .ins, .outs, .lgdt, .lidt, .lldt, .ltr, .lmsw, .clts, .invlpg, .wbinvd,
             .invd, .rdmsr, .wrmsr, .iret, .sgdt, .sidt, .sldt, .str, .smsw, .lar, .lsl, .verr, .verw,
             .pushf, .popf, .callf, .jmpf, .retf, .int:
            return true
        case .push:
            // Reading a segment register shows its RPL (1 for CS and SS at ring 1).
            if case .register(let r) = insn.operand0, r.kind == .segment { return true }
            return false
        case .pop:
            // Loading SS with RPL 0 faults at ring 1; DS ES FS GS load as they would at ring 0.
            if case .register(let r) = insn.operand0, r.kind == .segment, r.number == 2 { return true }
            return false
        case .mov:
            if case .register(let r) = insn.operand1, r.kind == .segment || r.kind == .control || r.kind == .debug { return true }
            if case .register(let r) = insn.operand0, r.kind == .control || r.kind == .debug || (r.kind == .segment && r.number == 2) { return true }
            return false
        default:
            return false
        }
    }

    // MARK: the fragments' frames (CodeWriteObserver)

    /// The bytes at linear `[start, end)` (at most two pages) now, read from `frame` (the first
    /// page's) and `lastFrame` (the last page's).
    func bytes(_ start: UInt32, _ end: UInt32, _ frame: UInt32, _ lastFrame: UInt32) -> [UInt8] {
        let mmu = machine.mmu
        let first = start >> 12
        return (0..<(end &- start)).map { i -> UInt8 in
            let a = start &+ i
            let pa = (a >> 12 == first ? frame : lastFrame) << 12 | (a & 0xFFF)
            return UInt8(truncatingIfNeeded: mmu.physicalRead32(pa & ~3) >> ((pa & 3) * 8))
        }
    }

    /// The bytes of `f`'s unit now, read from the frames it was translated from.
    func bytes(of f: Fragment) -> [UInt8] { bytes(f.start, f.end, f.frame, f.lastFrame) }

    /// Whether the linear pages of `f`'s unit map the frames it was translated from: the
    /// frames a fetch there would reach now (the TLB's, else the guest's tables'), without
    /// filling the TLB.
    func mapsItsFrames(_ f: Fragment) -> Bool {
        guard memory.writtenFrame(ofPage: f.start >> 12) == f.frame else { return false }
        return f.lastPage == f.start >> 12 || memory.writtenFrame(ofPage: f.lastPage) == f.lastFrame
    }

    /// Takes `f` out of the translation cache (an invalidation); the MMU stops marking a frame
    /// once no fragment has code on it.
    func drop(_ f: Fragment) {
        guard cache[f.start] === f else { return }
        cache[f.start] = nil
        for fr in Set([f.frame, f.lastFrame]) {
            fragmentsOnFrame[fr]?.removeAll { $0 === f }
            if fragmentsOnFrame[fr]?.isEmpty == true {
                fragmentsOnFrame[fr] = nil
                memory.releaseTranslatedFrame(fr, holder: .vmm)
            }
        }
        stats.invalidations &+= 1
    }

    /// Guest memory told us bytes `[address, address + count)` changed, through whatever linear
    /// page: each page written is taken to its frame (the TLB's, else the guest's tables'), and
    /// the fragments with code on that frame at those offsets whose bytes really changed are
    /// dropped (a store of the same bytes, or a permission change, drops nothing).
    public func codeWritten(address: UInt32, count: UInt32) {
        guard !fragmentsOnFrame.isEmpty, count > 0 else { return }
        let end = UInt64(address) + UInt64(count)
        var hit: [Fragment] = []
        var a = UInt64(address)
        while a < end {
            let page = UInt32(a >> 12)
            let pageEnd = min(end, UInt64(page + 1) << 12)
            if let frame = memory.writtenFrame(ofPage: page), let list = fragmentsOnFrame[frame] {
                let lo = UInt32(a & 0xFFF), hi = UInt32(pageEnd - (UInt64(page) << 12))
                hit += list.filter { $0.overlaps(frame: frame, lo, hi) }
            }
            a = pageEnd
        }
        for f in hit where cache[f.start] === f && bytes(of: f) != f.bytes { drop(f) }
    }

    /// The TLB entry of a code page left or maps another frame: nothing to do, the fragments
    /// are checked against their frames when looked up (``mapsItsFrames(_:)``).
    public func codeMappingLeft(address: UInt32) {}

    /// The TLB was emptied: nothing to do (as for ``codeMappingLeft(address:)``).
    public func codeMappingsFlushed(addresses: [UInt32]) {}

    /// The CPU entered CPL 3: nothing to do, fragments run only at the guest kernel's CPL.
    public func supervisorCodeLeft(address: UInt32, count: UInt32) {}

    // MARK: callouts

    /// Runs rewritten instruction `insn` for the guest kernel.
    func rewritten(_ insn: Instruction, next: UInt32) -> InterceptResult {
        let m = machine, cpu = m.cpu
        let text = ATTPrinter.format(insn, symbols: nil)
        func callout(_ reason: String, _ action: String, work: UInt64 = cost.emulateInstruction) {
            record(.callout, reason, insn.address, text, action, cost.btCallout + work)
        }
        func inTC(_ reason: String, _ action: String) {
            record(.callout, "\(reason) (in TC)", insn.address, text, action, cost.btInTC)
        }
        func deliverPending() -> InterceptResult {
            if virtualIF, !m.blockingBySTI, let v = pendingInterrupt {
                pendingInterrupt = nil
                return reflect(vector: v, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
            }
            return .handled
        }
        do throws(CPUException) {
            if adaptive.contains(insn.address), let w = performPageTableWrite(insn) {
                cpu.eip = next
                callout("ptemod (adaptive)", "entry at \(Hex.address(w.physical)) <- \(Hex.address(w.value))")
                return .handled
            }
            switch insn.mnemonic {
            case .cli, .sti:
                if insn.mnemonic == .sti && !virtualIF {
                    // STI's shadow, as under trap: the window opens after the next instruction.
                    m.blockInterruptsAfterSTI()
                    if pendingInterrupt != nil { m.requestInterruptWindow() }
                }
                virtualIF = insn.mnemonic == .sti
                cpu.eip = next
                inTC("\(insn.mnemonic)", "virtual IF <- \(virtualIF ? 1 : 0)")
                return deliverPending()
            case .clts:
                virtualCR0 &= ~CR0.ts
                cpu.eip = next
                inTC("clts", "virtual CR0.TS <- 0")
                return .handled
            case .mov:
                guard case .register(let r0) = insn.operand0 else { break }
                if case .register(let r1) = insn.operand1, r1.kind == .control {
                    let v: UInt32
                    switch r1.number {
                    case 0: v = virtualCR0
                    case 2: v = cpu.cr2
                    case 3: v = virtualCR3
                    default: v = virtualCR4
                    }
                    cpu[reg32: Int(r0.number)] = v
                    cpu.eip = next
                    inTC("mov from \(r1.name)", "\(r0.name) <- virtual CR\(r1.number) = \(Hex.address(v))")
                    return .handled
                }
                if r0.kind == .control, r0.number == 0, case .register(let r1) = insn.operand1 {
                    let v = cpu[reg32: Int(r1.number)]
                    if (v ^ virtualCR0) & ~CR0.ts == 0 {
                        virtualCR0 = v
                        cpu.eip = next
                        inTC("mov to cr0 (TS only)", "virtual CR0 <- \(Hex.address(v))")
                        return .handled
                    }
                }
            default: break
            }
            if let r = try holeCallout(insn, next: next, callout: callout) { return r }
        } catch {
            var f = error
            f.eip = insn.address
            callout("\(insn.mnemonic)", "emulation raised \(error.vector.name): reflected")
            return reflect(vector: f.vector.rawValue, errorCode: f.errorCode ?? 0, returnEIP: insn.address, software: false,
                           reason: nil, eip: insn.address, text: text)
        }
        // The privileged instructions: as trap-and-emulate emulates them after a #GP.
        if let r = emulate(insn, kind: .callout, prefix: "", roundTrip: cost.btCallout) { return r }
        // Nothing to emulate (an operand form the VMM does not handle): run it as it is.
        switch m.interpreter.runSlice(1) {
        case .exception(let e)?: m.raise(e)
        default: break
        }
        return .handled
    }

    /// The sensitive-unprivileged instructions (and IRET, INT n, far transfers), emulated with the
    /// virtual CPU's state; nil for the privileged ones.
    func holeCallout(_ insn: Instruction, next: UInt32, callout: (String, String, UInt64) -> Void) throws(CPUException) -> InterceptResult? {
        let m = machine, cpu = m.cpu
        let ssBase = cpu.segmentBase(.ss)
        let size: UInt32 = insn.operandSize == 2 ? 2 : 4
        func push(_ v: UInt32) throws(CPUException) {
            try m.writeLinear(ssBase &+ cpu.esp &- size, size: UInt8(size), v)
            cpu.esp &-= size
        }
        func pop() throws(CPUException) -> UInt32 {
            let v = try m.readLinear32(ssBase &+ cpu.esp)
            cpu.esp &+= size
            return size == 2 ? v & 0xFFFF : v
        }
        /// The real selector for one the guest kernel loads: RPL 0 becomes 1 (ring compression).
        func real(_ sel: UInt16) -> UInt16 { sel & 0xFFFC != 0 && sel & 3 == 0 ? sel | 1 : sel }
        let work = cost.emulateInstruction
        switch insn.mnemonic {
        case .pushf:
            let v = (cpu.eflags & ~(EFLAGS.if | EFLAGS.iopl | EFLAGS.rf | EFLAGS.vm)) | (virtualIF ? EFLAGS.if : 0) | virtualIOPL
            try push(v)
            cpu.eip = next
            callout("pushf", "pushed \(Hex.address(v)) (virtual IF \(virtualIF ? 1 : 0), IOPL \(virtualIOPL >> 12))", work)
            return .handled
        case .popf:
            let v = try pop()
            let mask: UInt32 = size == 2 ? 0xFFFF : 0x003F_7FD5 & ~(EFLAGS.vm | EFLAGS.rf)
            virtualIF = v & EFLAGS.if != 0
            virtualIOPL = v & EFLAGS.iopl
            cpu.eflags = (cpu.eflags & ~mask) | (v & mask & ~EFLAGS.iopl) | EFLAGS.if | EFLAGS.reserved1
            cpu.eip = next
            callout("popf", "virtual IF <- \(virtualIF ? 1 : 0)", work)
            if virtualIF, let vec = pendingInterrupt {
                pendingInterrupt = nil
                return reflect(vector: vec, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
            }
            return .handled
        case .iret:
            let eip = try pop(), cs = UInt16(truncatingIfNeeded: try pop()), fl = try pop()
            virtualIOPL = fl & EFLAGS.iopl
            let flags = (fl & ~(EFLAGS.iopl | EFLAGS.vm)) | EFLAGS.if | EFLAGS.reserved1
            if cs & 3 == 3 {
                let esp = try pop(), ss = UInt16(truncatingIfNeeded: try pop())
                m.setCPL(3)
                try m.loadSegment(2, ss)
                cpu.segments[1] = cs
                cpu.esp = esp
                for s in [0, 3, 4, 5] where cpu.segments[s] & 0xFFFC != 0 && cpu.segments[s] & 3 != 3 { try m.loadSegment(UInt8(s), 0) }
                virtualIF = true
            } else {
                cpu.segments[1] = real(cs)
                virtualIF = fl & EFLAGS.if != 0
            }
            cpu.eflags = flags
            cpu.eip = eip
            callout("iret", "to \(Hex.address(eip)) at guest ring \(cs & 3), virtual IF \(virtualIF ? 1 : 0)", work)
            if virtualIF, let vec = pendingInterrupt {
                pendingInterrupt = nil
                return reflect(vector: vec, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
            }
            return .handled
        case .int:
            guard case .immediate(let v, _) = insn.operand0 else { return nil }
            callout("int 0x\(Hex.plain(v))", "reflected to the guest's handler (vector 0x\(Hex.plain(v)))", cost.reflectEvent)
            return reflect(vector: UInt8(truncatingIfNeeded: v), errorCode: nil, returnEIP: next, software: true,
                           reason: nil, eip: insn.address, text: "")
        case .callf, .jmpf:
            let sel: UInt16, off: UInt32
            switch insn.operand0 {
            case .farPointer(let s, let o): sel = s; off = o
            case .memory(let mo):
                let a = m.linearAddress(mo)
                off = size == 2 ? try m.readLinear32(a) & 0xFFFF : try m.readLinear32(a)
                sel = UInt16(truncatingIfNeeded: try m.readLinear32(a &+ size))
            default: return nil
            }
            if insn.mnemonic == .callf {
                try push(UInt32(guestVisibleSelector(cpu.segments[1])))
                try push(next)
            }
            cpu.segments[1] = real(sel)
            cpu.eip = off
            callout("\(insn.mnemonic == .callf ? "lcall" : "ljmp")", "to 0x\(Hex.plain(sel)):\(Hex.address(off)) (CS loaded with RPL 1)", work)
            return .handled
        case .retf:
            let eip = try pop(), cs = UInt16(truncatingIfNeeded: try pop())
            if case .immediate(let n, _) = insn.operand0 { cpu.esp &+= n }
            cpu.segments[1] = real(cs)
            cpu.eip = eip
            callout("lret", "to 0x\(Hex.plain(cs)):\(Hex.address(eip))", work)
            return .handled
        case .push:
            guard case .register(let r) = insn.operand0 else { return nil }
            let v = guestVisibleSelector(cpu.segments[Int(r.number)])
            try push(UInt32(v))
            cpu.eip = next
            callout("push \(r.name)", "pushed 0x\(Hex.plain(v))", work)
            return .handled
        case .pop:
            guard case .register(let r) = insn.operand0 else { return nil }
            let v = UInt16(truncatingIfNeeded: try pop())
            try m.loadSegment(r.number, r.number == 2 ? real(v) : v)
            cpu.eip = next
            callout("pop \(r.name)", "\(r.name) <- 0x\(Hex.plain(v))", work)
            return .handled
        case .mov:
            if case .register(let r1) = insn.operand1, r1.kind == .segment {
                let v = UInt32(guestVisibleSelector(cpu.segments[Int(r1.number)]))
                switch insn.operand0 {
                case .register(let r0) where r0.kind == .gpr32: cpu[reg32: Int(r0.number)] = v
                case .register(let r0): cpu[reg16: Int(r0.number)] = UInt16(v)
                case .memory(let mo): try m.writeLinear(m.linearAddress(mo), size: 2, v)
                default: return nil
                }
                cpu.eip = next
                callout("mov from \(r1.name)", "0x\(Hex.plain(v))", work)
                return .handled
            }
            if case .register(let r0) = insn.operand0, r0.kind == .segment {
                let v = UInt16(truncatingIfNeeded: try m.operandValue(insn.operand1, size: 2))
                try m.loadSegment(r0.number, r0.number == 2 ? real(v) : v)
                cpu.eip = next
                callout("mov to \(r0.name)", "\(r0.name) <- 0x\(Hex.plain(v))", work)
                return .handled
            }
            return nil
        case .sgdt, .sidt, .sldt, .str, .smsw:
            try emulateStore(insn)
            cpu.eip = next
            callout("\(insn.mnemonic)", "virtual value stored", work)
            return .handled
        case .lar, .lsl, .verr, .verw:
            let selOperand = insn.mnemonic == .lar || insn.mnemonic == .lsl ? insn.operand1 : insn.operand0
            let sel = UInt16(truncatingIfNeeded: try m.operandValue(selOperand, size: 2))
            var ok = false
            var result: UInt32 = 0
            let index = UInt32(sel >> 3)
            if sel & 0xFFFC != 0, sel & 4 == 0, index * 8 + 7 <= UInt32(virtualGDTR.limit) {
                let lo = try m.readLinear32(virtualGDTR.base &+ index * 8), hi = try m.readLinear32(virtualGDTR.base &+ index * 8 &+ 4)
                let dpl = UInt8((hi >> 13) & 3), rpl = UInt8(sel & 3)
                let isCode = hi & (1 << 11) != 0, conforming = isCode && hi & (1 << 10) != 0
                let visible = hi & (1 << 12) != 0 && (conforming || dpl >= rpl)   // virtual CPL 0
                switch insn.mnemonic {
                case .lar: ok = visible; result = hi & 0x00FF_FF00
                case .lsl: ok = visible; result = CPUState.descriptorLimit(UInt64(hi) << 32 | UInt64(lo))
                case .verr: ok = visible && (!isCode || hi & (1 << 9) != 0)
                default: ok = visible && !isCode && hi & (1 << 9) != 0
                }
            }
            if ok, insn.mnemonic == .lar || insn.mnemonic == .lsl, case .register(let r0) = insn.operand0 {
                if r0.kind == .gpr32 { cpu[reg32: Int(r0.number)] = result }
                else { cpu[reg16: Int(r0.number)] = UInt16(truncatingIfNeeded: insn.mnemonic == .lar ? result & 0xFF00 : result) }
            }
            cpu.eflags = ok ? cpu.eflags | EFLAGS.zf : cpu.eflags & ~EFLAGS.zf
            cpu.eip = next
            callout("\(insn.mnemonic)", "answered from the guest's GDT: ZF=\(ok ? 1 : 0)", work)
            return .handled
        default:
            return nil
        }
    }

    // MARK: events

    public override func intercept(_ event: SystemEvent, machine m: SystemMachine) -> InterceptResult {
        switch event {
        case .softwareInterrupt:
            // INT n from user code (kernel code never runs one: it is rewritten): reflected into
            // the guest kernel, whose code must now come from the translation cache.
            let r = super.intercept(event, machine: m)
            m.endSlice()
            return r
        case .exception(let e):
            if let r = unshadowWrite(e) { return r }
            if e.vector == .pf, let a = e.faultAddress, (e.errorCode ?? 0) & 3 == 3, m.mmu.isTraced(a),
               let r = emulateTracedWrite(e) { return r }
            if let r = lazyFPUSwitch(e) { return r }
            let text = instructionText(e.eip)
            observeGuestMode()
            let software = e.vector == .bp || e.vector == .of
            let hasCode = [8, 10, 11, 12, 13, 14, 17].contains(e.vector.rawValue)
            return reflect(vector: e.vector.rawValue, errorCode: hasCode ? e.errorCode ?? 0 : nil, returnEIP: e.eip,
                           software: software, reason: e.vector.name, eip: e.eip, text: text)
        default:
            return super.intercept(event, machine: m)
        }
    }

    /// Under BT the VMM regains control after the instruction in STI's shadow through the
    /// callout it put after it in the translation cache (not a single-step trap).
    override func interruptWindowOpened() -> InterceptResult {
        let cpu = machine.cpu
        guard virtualIF, let v = pendingInterrupt else { return .handled }
        pendingInterrupt = nil
        record(.callout, Self.calloutInterruptWindow, cpu.eip, "",
               "the instruction in STI's shadow retired: held interrupt 0x\(Hex.plain(v)) delivered", cost.btCallout)
        return reflect(vector: v, errorCode: nil, returnEIP: cpu.eip, software: false, reason: nil, eip: cpu.eip, text: "")
    }

    /// Reason of the callout after the instruction in STI's shadow.
    public static let calloutInterruptWindow = "interrupt window"

    override func tracedWriteFaulted(at eip: UInt32) {
        let n = tracedFaults[eip, default: 0] + 1
        tracedFaults[eip] = n
        guard n >= adaptiveThreshold, !adaptive.contains(eip) else { return }
        adaptive.insert(eip)
        stats.adaptiveRetranslations &+= 1
        for f in cache.values where f.start <= eip && f.end > eip { drop(f) }
    }

    /// The guest kernel sees its selectors with RPL 0 (the VMM loaded them with RPL 1).
    override func guestVisibleSelector(_ real: UInt16) -> UInt16 {
        real & 3 == 1 ? real & 0xFFFC : real
    }
}
