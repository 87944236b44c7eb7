import CTranslationFault
import Machine
import X86
#if canImport(Glibc)
import Glibc
#endif

/// Why ``TranslationEngine/run(maxInstructions:deadline:)`` returned.
public enum EngineStop: Sendable, Equatable {
    /// The main-loop step hook reported that the guest stopped (exit, or a fault it handled).
    case stopped
    /// Translated code raised this exception (EIP and state restored to the faulting instruction).
    case exception(CPUException)
    case instructionLimit
    case timeLimit
}

/// The `translate` engine: QEMU's `cpu_exec` loop around translated blocks.
///
/// Look up the block for (EIP, mode) — jump cache, then hash table, else translate and install
/// it — run its host code, and handle the way it left: an unchained `goto_tb` slot is chained
/// to its target (so the next time the jump goes block to block without coming back here), a
/// `lookup_and_goto` miss or `exit_tb` returns for a lookup, a helper exit restores the state of
/// the instruction it names (a fault, a store into the running block's page, the guest stopping).
/// Instructions that need the main loop (INT n, ...) and those the translator does not inline
/// run in the ``Machine/Interpreter`` through ``stepHook``; the retired-instruction counter is
/// shared with it, so RDTSC and `--max-instructions` mean the same as under `interpret`.
public final class TranslationEngine: CodeWriteObserver {
    public let cpu: CPUState
    public let memory: GuestMemory
    public let interpreter: Interpreter
    /// Executes the one instruction at EIP through the main loop (the interpreter plus the
    /// platform that serves INT n); returns true when the guest stopped. Default: the interpreter.
    public var stepHook: () -> Bool
    /// Chain blocks through their goto_tb slots (QEMU's default; false is `-d nochain`).
    public var chaining = true
    /// Instructions between two checks of the deadline while blocks run chained.
    /// (At most 2^20, so the block entries of one entry from the main loop fit the low bits of rbp.)
    public static let deadlineCheckInterval: UInt64 = 1 << 20

    let cache = BlockCache()
    var blocks: [TranslationBlock] = []
    let code: CodeBuffer
    let ctx: UnsafeMutableRawPointer
    /// Offsets of the enter trampoline and the epilogue in the code buffer.
    var enterOffset = 0
    var epilogueOffset = 0
    var prologueEnd = 0
    /// The shared helper-call thunks (emitted with the trampolines).
    var thunks = Thunks()
    /// The assembler every block is generated into (its storage reused from block to block).
    var assembler = X64Assembler()

    /// Set by helpers for the main loop.
    enum Pending { case none, fault(CPUException), stopped, retry, afterInstruction }
    var pending: Pending = .none
    /// The number of the block whose `call exec_insn` is running (-1: none); a number, not a
    /// reference, so that the helper costs no reference counting.
    var running = -1
    var runningInvalidated = false

    public internal(set) var stats = TranslationStats()

    /// The fault map of the code buffer (``hostChecked``): which load or store instruction of
    /// generated code a host fault is sent from, to which slow path.
    let faultMap: OpaquePointer?
    /// Whether guest memory carries host protections and generated code accesses it without an
    /// inline check (user-mode emulation: ``Machine/GuestMemory/hostProtection``). Under a guest
    /// kernel (``Machine/GuestMemory/mmu`` set) the page table is the MMU's software TLB, whose
    /// misses walk the guest's page tables, and the inline check stays.
    public var hostChecked: Bool { faultMap != nil }

    /// Host faults of generated code sent to a slow path so far (accesses the guest page did not
    /// allow on the host: faults, stores into pages holding code, pages without the permission).
    public var hostFaultsRedirected: UInt64 { faultMap.map { vsim_fault_map_redirects($0) } ?? 0 }

    /// - Parameter hostChecks: give guest memory host protections and leave the permission check
    ///   of loads and stores to the host MMU (nil: whenever the memory has no system-level MMU).
    public init(cpu: CPUState, memory: GuestMemory, interpreter: Interpreter, codeBufferSize: Int = 256 << 20,
                hostChecks: Bool? = nil) throws {
        self.cpu = cpu
        self.memory = memory
        self.interpreter = interpreter
        let interp = interpreter
        stepHook = { interp.step() != nil }
        code = try CodeBuffer(capacity: codeBufferSize)
        if hostChecks ?? (memory.mmu == nil), let map = vsim_fault_map_create(code.base, code.capacity) {
            do {
                try memory.setHostProtection(true)
                faultMap = map
            } catch {
                vsim_fault_map_destroy(map)
                faultMap = nil
            }
        } else {
            faultMap = nil
        }
        ctx = .allocate(byteCount: Ctx.size, alignment: 16)
        ctx.initializeMemory(as: UInt8.self, repeating: 0, count: Ctx.size)
        ctx.storeBytes(of: UInt64(UInt(bitPattern: cache.jumpCache)), toByteOffset: Int(Ctx.jumpCache), as: UInt64.self)
        ctx.storeBytes(of: UInt64(UInt(bitPattern: memory.base)), toByteOffset: Int(Ctx.memBase), as: UInt64.self)
        ctx.storeBytes(of: UInt64(UInt(bitPattern: memory.pageTableBase)), toByteOffset: Int(Ctx.pageTable), as: UInt64.self)
        ctx.storeBytes(of: UInt64(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())), toByteOffset: Int(Ctx.engine), as: UInt64.self)
        let codeBase = UInt(bitPattern: code.base)
        ctx.storeBytes(of: UInt64(codeBase), toByteOffset: Int(Ctx.codeBase), as: UInt64.self)
        for e in 0..<256 { ctx.storeBytes(of: Ctx.accessBits(UInt8(e)), toByteOffset: Int(Ctx.access) + e, as: UInt8.self) }
        cache.hostAddress = { b in UInt64(codeBase) + UInt64(b.entry) }
        emitTrampolines()
        memory.addCodeObserver(self)
    }

    /// The memory keeps its host protections (another engine may share it; the interpreter
    /// runs the same either way).
    deinit {
        ctx.deallocate()
        if let faultMap { vsim_fault_map_destroy(faultMap) }
    }

    /// Guest instructions retired (translated, helper-run and stepped together).
    var counter: UInt64 = 0
    /// Chained blocks run while the counter stays at or below this (a chained jump enters its
    /// target only when all of the target's instructions fit).
    var limit: UInt64 = 0
    /// Block entries counted by generated code.
    var entries: UInt64 = 0
    /// ``counter`` when the main loop last entered generated code (rbp counts from there).
    var enterBase: UInt64 = 0
    var inlineHits: UInt64 { ctx.load(fromByteOffset: Int(Ctx.lookupHits), as: UInt64.self) }

    /// The blocks in the translation cache, in the order they were translated (since the last flush).
    public var translatedBlocks: [TranslationBlock] { blocks }

    /// Guest instructions retired so far (translated, helper-run and stepped together).
    public var instructionsExecuted: UInt64 { counter }

    /// Sets the retired-instruction counter (e.g. to continue an interpreter's count).
    public func setInstructionsExecuted(_ n: UInt64) { counter = n }

    /// The static CPU state a block depends on: bit 0 = ES, CS, SS and DS all have base 0
    /// (addresses need no segment base); bit 1 = CPL 0-2 (a supervisor block: its instructions
    /// were fetched with supervisor rights, so user code never finds it, as QEMU keeps the CPL in
    /// a TB's flags; the blocks then survive every return to user mode). Bit 4 is always set, so
    /// a mode never equals the empty jump-cache tag.
    public static func mode(of cpu: CPUState) -> UInt32 {
        let flat = cpu.segmentBase(.es) | cpu.segmentBase(.cs) | cpu.segmentBase(.ss) | cpu.segmentBase(.ds) == 0
        return 0x10 | (flat ? 1 : 0) | (cpu.cpl == 3 ? 0 : 2)
    }

    // MARK: - trampolines

    func emitTrampolines() {
        var a = X64Assembler()
        // enter(ctx: rdi, env: rsi, entry: rdx) -> exit code in rax
        for r: HReg in [.rbx, .rbp, .r12, .r13, .r14, .r15] { a.push(r) }
        a.aluRI64(5, .rsp, 8)
        a.movRR64(.r12, .rdi)
        a.movRR64(.r15, .rsi)
        a.movRM64(.r14, HMem(base: .r12, disp: Ctx.memBase))
        a.movRM64(.r13, HMem(base: .r12, disp: Ctx.pageTable))
        a.movRM64(.rbp, HMem(base: .r12, disp: Ctx.counter))
        HostCodeGenerator.loadGuestRegisters(&a)
        a.jmpR(.rdx)
        let epilogue = a.offset
        HostCodeGenerator.storeGuestRegisters(&a)
        a.movMR64(HMem(base: .r12, disp: Ctx.counter), .rbp)
        a.aluRI64(0, .rsp, 8)
        for r: HReg in [.r15, .r14, .r13, .r12, .rbp, .rbx] { a.pop(r) }
        a.ret()
        let base = code.nextStart
        thunks = Thunks.emit(&a, base: base, epilogue: base + epilogue, helpers: Thunks.Helpers(
            load: helperAddress(helperLoad), store: helperAddress(helperStore), execInsn: helperAddress(helperExecInsn),
            repMovs: helperAddress(helperRepMovs), repStos: helperAddress(helperRepStos),
            ccComputeAll: helperAddress(helperCCComputeAll), ccCond: helperAddress(helperCCCond), ccCarry: helperAddress(helperCCCarry)))
        enterOffset = code.append(a.bytes)!
        epilogueOffset = enterOffset + epilogue
        prologueEnd = code.used
    }

    typealias EnterFunction = @convention(c) (UnsafeMutableRawPointer, UnsafeMutablePointer<UInt32>, UnsafeRawPointer) -> UInt64

    /// Runs generated code from `b`'s entry until it leaves. In generated code rbp holds
    /// (instructions retired since this entry) << ``Ctx/countShift`` + (block entries since it),
    /// so one `add` counts both, less the bias of the budget (``Ctx/bias(room:)``), so that the
    /// same `add` says whether the budget passed.
    func enter(_ b: TranslationBlock) -> UInt64 {
        let f = unsafeBitCast(code.base + enterOffset, to: EnterFunction.self)
        enterBase = counter
        let room = limit >= counter ? limit - counter : 0
        let bias = Ctx.bias(room: room)
        ctx.storeBytes(of: bias, toByteOffset: Int(Ctx.bias), as: UInt64.self)
        ctx.storeBytes(of: 0 &- bias, toByteOffset: Int(Ctx.counter), as: UInt64.self)
        let exitCode = f(ctx, cpu.raw, UnsafeRawPointer(code.base + b.entry))
        let raw = ctx.load(fromByteOffset: Int(Ctx.counter), as: UInt64.self) &+ bias
        counter = enterBase + Ctx.instructions(raw)
        entries += raw & Ctx.entryMask
        return exitCode
    }

    // MARK: - translation and installation

    /// Translates and installs the block at `pc`; nil when its first instruction cannot be decoded.
    func translate(_ pc: UInt32, _ mode: UInt32) -> TranslationBlock? {
        guard let b = Translator.translate(memory, pc: pc, mode: mode, stopBefore: breakpoints) else { return nil }
        b.index = UInt32(blocks.count)
        var g = HostCodeGenerator(blockIndex: b.index, pc: pc, insnCount: b.instructions.count, mode: mode, thunks: thunks,
                                  hostChecked: hostChecked, asm: assembler)
        assembler = X64Assembler()
        g.start = code.nextStart
        g.generate(b.optimizedOps, entryFlagsLive: !b.ccDeadAtEntry)
        g.link(at: code.nextStart)
        let appended = code.append(g.asm.bytes)
        let size = g.asm.bytes.count
        assembler = g.asm
        guard let at = appended else {
            flush()
            return translate(pc, mode)
        }
        b.entry = at
        if let faultMap {
            for f in g.faultSites where vsim_fault_map_add(faultMap, UInt32(at + f.access), UInt32(at + f.slowPath)) != 0 {
                fatalError("out of memory for the translator's fault map")
            }
        }
        b.slotFields = g.slotFields.map { $0.map { at + $0 } }
        b.slotSites = g.slotSites.map { $0?.moved(by: at) }
        b.fastSites = g.fastSites.map { $0?.moved(by: at) }
        b.body = at + g.body
        b.takesPendingFlags = g.clearsPending
        // The pages were fetched by the translator (the block is about to run): each has its TLB
        // entry, whose frame keys the block.
        b.frames = b.pages.map { memory.fetchedFrame(ofPage: $0) ?? UInt32.max }
        blocks.append(b)
        cache.insert(b)
        memory.markTranslatedCode(address: pc, count: max(b.size, 1))
        stats.blocksTranslated += 1
        stats.instructionsTranslated += UInt64(b.instructions.count)
        stats.opsBeforeOptimization += UInt64(b.ops.realOpCount)
        stats.opsAfterOptimization += UInt64(b.optimizedOps.realOpCount)
        stats.hostCodeBytes += UInt64(size)
        return b
    }

    /// Drops every block (the code buffer is full).
    func flush() {
        for b in blocks { b.valid = false }
        blocks.removeAll()
        for f in cache.pages.keys { memory.releaseTranslatedFrame(f) }
        cache.removeAll()
        crossPageChains.removeAll()
        pendingChain = nil
        code.reset(keeping: prologueEnd)
        if let faultMap { vsim_fault_map_clear(faultMap) }
        stats.flushes += 1
    }

    /// The block for (pc, mode) as the guest's CPU would fetch it now: from the jump cache (whose
    /// entries stand only while their pages' TLB entries do), else, once the guest has fetched
    /// the page of `pc` (a TLB fill where the page has no entry, as the interpreter fetches it
    /// before running the instruction there), from the hash table by the frame the page maps,
    /// else translated. A block whose first instruction runs into the next page is found only
    /// if that page, fetched too, maps the frame it was translated from. Nil when the fetch
    /// faults or the instruction cannot be decoded (the interpreter then raises the exception).
    func lookupOrTranslate(_ pc: UInt32, _ mode: UInt32) -> TranslationBlock? {
        if let b = cache.lookupJump(pc, mode) { return b }
        guard let frame = fetch(pc) else { return nil }
        if let b = cache.lookupTable(pc, mode, frame) {
            if b.pages.count == 1 || fetch(b.pages[1] << 12) == b.frames[1] {
                cache.setSlot(BlockCache.slot(pc), b)
                return b
            }
            // Its second page maps another frame now: this block is not the code there.
            invalidate(b, counted: false)
        }
        return translate(pc, mode)
    }

    /// The guest's fetch of the page of `a` (the MMU fills its TLB entry if missing): the frame
    /// it maps, nil when the fetch faults.
    func fetch(_ a: UInt32) -> UInt32? {
        do throws(CPUException) { try memory.guestCheckFetch(a) } catch { return nil }
        return memory.fetchedFrame(ofPage: a >> 12)
    }

    // MARK: - chaining

    func chain(_ from: TranslationBlock, slot: Int, to target: TranslationBlock) {
        guard let field = from.slotFields[slot], from.chained[slot] == nil, from.valid, target.valid else { return }
        code.patchRel32(at: field, to: target.entry)
        if let site = from.slotSites[slot] { patch(site, to: target) }
        // Past the flag writes when the target overwrites the flags, or when it can have them
        // written by this block's stub should one of its first accesses take its slow path.
        if let site = from.fastSites[slot] {
            if target.ccDeadAtEntry {
                patch(site, to: target)
            } else if target === from, let loop = site.loop {
                patch(site, to: target, at: loop)
            } else if target.takesPendingFlags, let via = site.pending {
                patch(site, to: target, via: via)
            }
        }
        from.chained[slot] = target
        target.incoming.append((from, slot))
        stats.chainsMade += 1
        // Under a guest kernel a direct jump into another page stands only while that page maps
        // the same frame: it is cut when the page's TLB entry leaves (``codeMappingLeft(address:)``).
        // A jump within the pages of the block that jumps needs nothing: that block runs only
        // while they map its frames.
        if memory.mmu != nil {
            for page in target.pages where !from.pages.contains(page) {
                crossPageChains[page, default: []].append(ChainEdge(from: from, slot: slot, to: target))
            }
        }
    }

    /// A direct jump from `from`'s slot `slot` into `to`, a block on another page.
    struct ChainEdge {
        unowned let from: TranslationBlock
        let slot: Int
        unowned let to: TranslationBlock
    }

    /// Linear page -> the direct jumps from other pages into blocks on it (under a guest kernel).
    var crossPageChains: [UInt32: [ChainEdge]] = [:]

    /// Unchains the jumps of `edges` that still go where they went when chained.
    func cut(_ edges: [ChainEdge]) {
        for e in edges where e.from.chained[e.slot] === e.to {
            e.to.incoming.removeAll { $0.block === e.from && $0.slot == e.slot }
            unchain(e.from, slot: e.slot)
            stats.chainsCut += 1
        }
    }

    func unchain(_ from: TranslationBlock, slot: Int) {
        guard let field = from.slotFields[slot], from.chained[slot] != nil else { return }
        code.patchRel32(at: field, to: field + 4)
        if let site = from.slotSites[slot] { patch(site, to: nil) }
        if let site = from.fastSites[slot] { code.patchJump(at: site.start, to: site.end) }
        from.chained[slot] = nil
    }

    /// Points a chain site (``HostCodeGenerator/ChainSite``) at `target`'s body (through `via`,
    /// the site's out-of-line `mov [pending], stub; jmp`, when given; at `entry`, a code-buffer
    /// offset, when given: a loop's own back edge), counting its instructions, or back to a
    /// no-op (nil).
    func patch(_ site: HostCodeGenerator.ChainSite, to target: TranslationBlock?, via: HostCodeGenerator.PendingEntry? = nil,
               at entry: Int? = nil) {
        let n = target.map { Ctx.increment($0.instructions.count) } ?? 0
        if let via, let target { code.patchRel32(at: via.jump, to: target.body) }
        code.patchRel32(at: site.jump, to: entry ?? via?.start ?? target?.body ?? site.jump + 4)
        code.patchAddRBP(at: site.start, n)
        code.patchImm32(at: site.sub, to: n)
    }

    /// Invalidates a block: out of the cache, every jump into it unchained, its own links dropped.
    /// - Parameter counted: whether it counts as an invalidation in ``stats`` (self-modifying code;
    ///   not a debugger's breakpoint change).
    func invalidate(_ b: TranslationBlock, counted: Bool = true) {
        guard b.valid else { return }
        b.valid = false
        for f in cache.remove(b) { memory.releaseTranslatedFrame(f) }
        for (from, slot) in b.incoming where from.chained[slot] === b { unchain(from, slot: slot) }
        b.incoming.removeAll()
        for slot in 0..<2 {
            if let t = b.chained[slot] {
                t.incoming.removeAll { $0.block === b && $0.slot == slot }
                unchain(b, slot: slot)
            }
        }
        if Int(b.index) == running { runningInvalidated = true }
        if counted { stats.invalidations += 1 }
    }

    /// ``Machine/CodeWriteObserver``: a write invalidates the blocks whose bytes it overlaps (found
    /// through the lists of the frames it touches; QEMU's `tb_invalidate_phys_page_range`), so data
    /// written beside code on the same page leaves the code's blocks alone. Under a guest kernel
    /// each linear page written is taken to the frame its TLB entry maps (or, without one, the
    /// frame the guest's page tables give), so a write through any alias of the code's frame
    /// finds the blocks, whatever linear address they were translated at.
    public func codeWritten(address: UInt32, count: UInt32) {
        guard !cache.pages.isEmpty, count > 0 else { return }
        let end = UInt64(address) + UInt64(count)
        var victims: [TranslationBlock] = []
        if memory.mmu == nil {
            // User-mode emulation: the frame of a page is the page.
            let first = address >> 12
            let last = UInt32(min((end - 1) >> 12, 0xFFFFF))
            if last - first < 64 {
                victims = (first...last).flatMap { cache.pages[$0] ?? [] }
            } else {
                victims = cache.pages.filter { $0.key >= first && $0.key <= last }.flatMap { $0.value }
            }
            victims.removeAll { UInt64($0.pc) >= end || UInt64($0.pc) + UInt64(max($0.size, 1)) <= UInt64(address) }
        } else {
            var a = UInt64(address)
            while a < end {
                let page = UInt32(a >> 12)
                let pageEnd = min(end, UInt64(page + 1) << 12)
                if let frame = memory.writtenFrame(ofPage: page), let list = cache.pages[frame] {
                    let lo = UInt32(a & 0xFFF), hi = UInt32(pageEnd - (UInt64(page) << 12))
                    victims += list.filter { $0.overlaps(frame: frame, lo, hi) }
                }
                a = pageEnd
            }
        }
        if !victims.isEmpty { stats.invalidatingWrites += 1 }
        for b in victims { invalidate(b) }
    }

    /// ``Machine/CodeWriteObserver``: the TLB entry of linear page `address` left or maps another
    /// frame. The blocks stay (they are keyed by frame and found again when the page maps it);
    /// what stood for "this linear page maps that frame" goes: the jump-cache entries of blocks
    /// on the page and the direct jumps into it from other pages (QEMU keeps TBs across
    /// `tlb_flush_page` and empties the jump cache's entries for the page).
    public func codeMappingLeft(address: UInt32) {
        let page = address >> 12
        cache.dropJumpEntries(onPage: page)
        if let edges = crossPageChains.removeValue(forKey: page) { cut(edges) }
        pendingChain = nil
        stats.mappingsLeft += 1
    }

    /// ``Machine/CodeWriteObserver``: the whole TLB was emptied (MOV to CR3 at a context switch,
    /// CR0.PG/WP, CR4): the jump cache and every direct jump between pages go; the blocks stay.
    public func codeMappingsFlushed(addresses: [UInt32]) {
        cache.dropAllJumpEntries()
        for edges in crossPageChains.values { cut(edges) }
        crossPageChains.removeAll(keepingCapacity: true)
        pendingChain = nil
        stats.mappingsLeft += UInt64(addresses.count)
    }

    /// ``Machine/CodeWriteObserver``: on entry to CPL 3 the blocks on supervisor pages stay,
    /// since their mode has the supervisor bit (``mode(of:)``) and no CPL 3 lookup finds them.
    public func supervisorCodeLeft(address: UInt32, count: UInt32) {}

    // MARK: - debugger breakpoints

    /// A debugger's instruction breakpoints (the REPL's `break`): before the instruction at one of
    /// these runs, ``run(maxInstructions:deadline:)`` returns `.exception` with the debugger's `#DB`
    /// (``Machine/CPUException/isDebuggerBreakpoint``), EIP at it, nothing done. As in QEMU, a block
    /// never holds a breakpoint but as its first instruction and is never chained into, so the
    /// check costs one set lookup per main-loop entry and nothing in translated code. Changing
    /// the set invalidates the blocks on the pages of the addresses added or removed. (The
    /// debugger steps off a breakpoint with the set empty, as with ``Machine/Interpreter/breakpoints``.)
    public var breakpoints: Set<UInt32> = [] {
        didSet {
            let changed = oldValue.symmetricDifference(breakpoints)
            guard !changed.isEmpty else { return }
            let pages = Set(changed.map { $0 >> 12 })
            for b in blocks where b.valid && b.pages.contains(where: { pages.contains($0) }) { invalidate(b, counted: false) }
        }
    }

    // MARK: - main loop

    /// Runs until the guest stops, faults in translated code, or a limit is reached.
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> EngineStop {
        let end = counter &+ maxInstructions < counter ? UInt64.max : counter + maxInstructions
        if hostChecked { vsim_fault_prepare_thread() }
        while true {
            if counter >= end { return .instructionLimit }
            if let stop = iteration(end: end, single: false) { return stop }
            if let d = deadline, stats.mainLoopLookups & 0xFFF == 0 || stats.budgetExits != lastBudgetExits,
               ContinuousClock.now >= d { return .timeLimit }
            lastBudgetExits = stats.budgetExits
        }
    }

    var lastBudgetExits: UInt64 = 0

    /// The last block's exit through an unchained `goto_tb` slot: chained to the block found at
    /// the next lookup if that is at `pc` in `mode` (nothing else ran in between).
    var pendingChain: (from: TranslationBlock, slot: Int, pc: UInt32, mode: UInt32)?

    /// Runs exactly one block from EIP (or steps one instruction that cannot be translated) and
    /// returns at the next block boundary; nil while the guest goes on (`--check` uses it).
    public func runOneBlock() -> EngineStop? {
        iteration(end: UInt64.max, single: true)
    }

    /// One turn of the main loop: look up (or translate) the block at EIP, run it, handle its exit.
    func iteration(end: UInt64, single: Bool) -> EngineStop? {
        let previous = pendingChain
        pendingChain = nil
        // EFLAGS.TF: single-step through the interpreter, which raises the #DB traps.
        if cpu.trapFlag { return stepMainLoop() ? .stopped : nil }
        let pc = cpu.eip
        if !breakpoints.isEmpty && breakpoints.contains(pc) { return .exception(.debuggerBreakpoint(at: pc)) }
        let mode = TranslationEngine.mode(of: cpu)
        stats.mainLoopLookups += 1
        guard let b = lookupOrTranslate(pc, mode) else {
            // Not translatable (the first instruction cannot be fetched or decoded): the
            // interpreter raises the exception.
            return stepMainLoop() ? .stopped : nil
        }
        if let p = previous, p.pc == pc, p.mode == mode { chain(p.from, slot: p.slot, to: b) }
        // The budget: chained blocks run until the counter would pass `limit`; in single mode
        // exactly this block fits, so the next block entry comes back here.
        limit = single ? counter + UInt64(b.instructions.count) : min(end, counter + TranslationEngine.deadlineCheckInterval)
        if counter + UInt64(b.instructions.count) > end {
            // The block does not fit in what is left of the budget: step one instruction.
            return stepMainLoop() ? .stopped : nil
        }
        let exitCode = enter(b)
        stats.enteredFromMainLoop += 1
        let kind = ExitKind(rawValue: exitCode & 0xFF)
        let info = Int((exitCode >> 8) & 0xFFFF)
        let blockIndex = Int(exitCode >> 32)
        let from = blockIndex < blocks.count ? blocks[blockIndex] : nil
        switch kind {
        case .chain:
            stats.unchainedExits += 1
            // Chained at the next lookup, when the target is about to run (QEMU's last_tb):
            // translating it now could fetch code that never runs (an interrupt may come first),
            // and under a guest kernel every fetch fills the modeled TLB.
            // Never into a block at a breakpoint: the main loop must see EIP there first.
            if chaining, let from, from.valid, breakpoints.isEmpty || !breakpoints.contains(cpu.eip) {
                pendingChain = (from, info, cpu.eip, TranslationEngine.mode(of: cpu))
            }
        case .mainLoop:
            stats.mainLoopExits += 1
        case .budget:
            stats.budgetExits += 1
            if let from { cpu.eip = from.pc }
        case .helper:
            stats.helperExits += 1
            guard let from else { return nil }
            let n = UInt64(from.instructions.count)
            let p = pending
            pending = .none
            switch p {
            case .fault(var e):
                counter = counter - n + UInt64(info)
                cpu.eip = from.instructions[info].address
                e.eip = cpu.eip
                if e.vector == .pf, let a = e.faultAddress { cpu.cr2 = a }
                return .exception(e)
            case .stopped:
                counter = interpreter.instructionsExecuted
                return .stopped
            case .retry:
                counter = counter - n + UInt64(info)
                cpu.eip = from.instructions[info].address
                stats.smcRetries += 1
                return stepMainLoop() ? .stopped : nil
            case .afterInstruction:
                counter = counter - n + UInt64(info) + 1
            case .none:
                break
            }
        case nil:
            fatalError("translated code returned an unknown exit code \(exitCode)")
        }
        return nil
    }

    /// Runs the instruction at EIP through the step hook with the shared counter.
    func stepMainLoop() -> Bool {
        interpreter.setInstructionsExecuted(counter)
        let stop = stepHook()
        let after = interpreter.instructionsExecuted
        stats.instructionsStepped += after - counter
        counter = after
        return stop
    }

    /// Statistics with the counters kept by generated code folded in.
    public var statistics: TranslationStats {
        var s = stats
        s.lookupHitsInline = inlineHits
        s.blockEntries = entries
        s.jumpCacheLookups = cache.jumpLookups
        s.jumpCacheHits = cache.jumpHits
        s.hashTableLookups = cache.tableLookups
        s.hashTableHits = cache.tableHits
        s.instructionsExecuted = counter
        return s
    }

    // MARK: - helpers called from generated code

    /// Calls `body` with the engine of `ctx` without retaining it (a helper runs while the
    /// engine's `run` holds it).
    @inline(__always) static func with<R>(_ ctx: UnsafeMutableRawPointer, _ body: (TranslationEngine) -> R) -> R {
        let p = ctx.load(fromByteOffset: Int(Ctx.engine), as: UInt64.self)
        return Unmanaged<TranslationEngine>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(p))!)._withUnsafeGuaranteedRef(body)
    }

    /// The exit code (with ``Thunks/leave``) a helper returns to leave generated code at
    /// instruction `insn` of block `block`.
    static func leaving(block: UInt32, insn: UInt32) -> UInt64 {
        Thunks.leave | ExitKind.helper.rawValue | UInt64(insn & 0xFFFF) << 8 | UInt64(block) << 32
    }

    /// A load's slow path; `packed` as ``Thunks/packAccess(size:flags:insn:block:)``.
    func slowLoad(_ a: UInt32, packed: UInt64) -> UInt64 {
        stats.slowAccesses += 1
        let size = UInt32(packed & 0xFF), flags = UInt32((packed >> 8) & 0xFF)
        do throws(CPUException) {
            var v = try memory.guestLoad(a, size: Int(size), forUpdate: flags & 2 != 0)
            if flags & 1 != 0 {
                v = size == 1 ? UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: v))) : UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: v)))
            }
            return UInt64(v)
        } catch {
            pending = .fault(error)
            return TranslationEngine.leaving(block: UInt32(packed >> 32), insn: UInt32((packed >> 16) & 0xFFFF))
        }
    }

    /// A store's slow path; `packed` as ``Thunks/packAccess(size:flags:insn:block:)``.
    func slowStore(_ a: UInt32, value: UInt32, packed: UInt64) -> UInt64 {
        stats.slowAccesses += 1
        let size = UInt32(packed & 0xFF), block = UInt32(packed >> 32)
        let leave = TranslationEngine.leaving(block: block, insn: UInt32((packed >> 16) & 0xFFFF))
        do throws(CPUException) {
            try memory.guestCheckStore(a, size: Int(size))
            if Int(block) < blocks.count {
                let b = blocks[Int(block)]
                let end = UInt64(b.pc) + UInt64(max(b.size, 1))
                if UInt64(a) < end && UInt64(a) + UInt64(size) > UInt64(b.pc) || storeReaches(b, a, size) {
                    // A store into the running block's own bytes: leave before writing, and let the
                    // main loop run the instruction (its write then invalidates the block).
                    pending = .retry
                    return leave
                }
            }
            try memory.guestStore(a, size: Int(size), value: value)
            return 0
        } catch {
            pending = .fault(error)
            return leave
        }
    }

    /// Whether a store of `size` bytes at `a` (its pages' TLB entries just checked) reaches the
    /// bytes of `b` through another linear alias of their frames (under a guest kernel).
    func storeReaches(_ b: TranslationBlock, _ a: UInt32, _ size: UInt32) -> Bool {
        guard memory.mmu != nil else { return false }
        let last = a &+ size &- 1
        let firstEnd: UInt32 = a >> 12 == last >> 12 ? (last & 0xFFF) + 1 : 0x1000
        if let frame = memory.fetchedFrame(ofPage: a >> 12), b.overlaps(frame: frame, a & 0xFFF, firstEnd) { return true }
        guard a >> 12 != last >> 12 else { return false }
        if let frame = memory.fetchedFrame(ofPage: last >> 12), b.overlaps(frame: frame, 0, (last & 0xFFF) + 1) { return true }
        return false
    }

    /// `call exec_insn`: runs instruction `index` of block `block` in the main loop's step hook.
    /// `count`: the block's instructions.
    func execInsn(block: UInt32, index: UInt32, count n: UInt64, counter raw: UInt64) -> UInt64 {
        let c = enterBase + Ctx.instructions(raw &+ ctx.load(fromByteOffset: Int(Ctx.bias), as: UInt64.self))
        stats.helperInstructions += 1
        interpreter.setInstructionsExecuted(c - n + UInt64(index))
        running = Int(block)
        runningInvalidated = false
        let stop = stepHook()
        running = -1
        if stop {
            pending = .stopped
            return TranslationEngine.leaving(block: block, insn: index)
        }
        if runningInvalidated {
            pending = .afterInstruction
            return TranslationEngine.leaving(block: block, insn: index)
        }
        return 0
    }
}

// The helper entry points (C calling convention, so generated code can call them).

let helperLoad: @convention(c) (UnsafeMutableRawPointer, UInt32, UInt32, UInt64) -> UInt64 = { ctx, a, _, packed in
    TranslationEngine.with(ctx) { $0.slowLoad(a, packed: packed) }
}
let helperStore: @convention(c) (UnsafeMutableRawPointer, UInt32, UInt32, UInt64) -> UInt64 = { ctx, a, v, packed in
    TranslationEngine.with(ctx) { $0.slowStore(a, value: v, packed: packed) }
}
/// `packed`: block << 32 | instructions in the block << 16 | the instruction's index.
let helperExecInsn: @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64) -> UInt64 = { ctx, packed, counter in
    TranslationEngine.with(ctx) {
        $0.execInsn(block: UInt32(packed >> 32), index: UInt32(packed & 0xFFFF), count: (packed >> 16) & 0xFFFF, counter: counter)
    }
}
let helperCCComputeAll: @convention(c) (UnsafeMutableRawPointer, UInt32) -> UInt64 = { ctx, _ in
    TranslationEngine.with(ctx) { UInt64(LazyFlags.materialize($0.cpu.raw)) }
}
let helperCCCond: @convention(c) (UnsafeMutableRawPointer, UInt32) -> UInt64 = { ctx, cc in
    TranslationEngine.with(ctx) { LazyFlags.test(UInt8(cc), flags: LazyFlags.materialize($0.cpu.raw)) ? 1 : 0 }
}
let helperCCCarry: @convention(c) (UnsafeMutableRawPointer, UInt32) -> UInt64 = { ctx, _ in
    TranslationEngine.with(ctx) { UInt64(LazyFlags.materialize($0.cpu.raw) & EFLAGS.cf) }
}

func helperAddress<F>(_ f: F) -> UInt64 { UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self))) }
