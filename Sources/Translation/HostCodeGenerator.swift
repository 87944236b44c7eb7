import Machine

/// Layout of the execution context that generated code reaches through r12 (64-bit words).
enum Ctx {
    static let counter: Int32 = 0      // rbp when generated code is entered and left (biased, below)
    static let bias: Int32 = 8         // rbp + bias = the count (encoded, below)
    /// Flags a chained jump left unwritten (32 bits): the code-buffer offset of the stub that
    /// writes them, or 0 (``HostCodeGenerator/PendingEntry``).
    static let pending: Int32 = 16
    static let jumpCache: Int32 = 24   // pointer to the jump cache
    static let memBase: Int32 = 32     // host address of guest address 0
    static let pageTable: Int32 = 40
    static let lookupHits: Int32 = 48  // lookup_and_goto hits in generated code
    static let engine: Int32 = 56      // Unmanaged<TranslationEngine>
    static let codeBase: Int32 = 64    // host address of the code buffer
    static let spill: Int32 = 72       // 32-bit spill slots
    static let spillSlots = 512
    /// 256 bytes: for each page-table byte, whether an access may take the fast path
    /// (``accessLoad``, ``accessUpdate``, ``accessStore`` bits; ``accessTable(_:)``).
    static let access: Int32 = 72 + 4 * Int32(spillSlots)
    static let size = Int(access) + 256
    static let accessLoad: UInt8 = 1, accessUpdate: UInt8 = 2, accessStore: UInt8 = 4

    /// The fast-path bits of page-table byte `e` (``Machine/GuestMemory/entryRead`` ...): a load
    /// needs R, a read-modify-write's load also W, a store W and a page without code; none of
    /// them a supervisor page (their accesses take the slow path, which checks the CPL).
    static func accessBits(_ e: UInt8) -> UInt8 {
        let r = GuestMemory.entryRead, w = GuestMemory.entryWrite, s = GuestMemory.entrySupervisor
        var bits: UInt8 = 0
        if e & (r | s) == r { bits |= accessLoad }
        if e & (w | s) == w { bits |= accessUpdate }
        if e & (w | s | GuestMemory.entryCode) == w { bits |= accessStore }
        return bits
    }

    /// The count = instructions << countShift + block entries, both counted from the main loop's
    /// entry into generated code: a block counts both with one `add`. The entries of one such
    /// run stay below 2^countShift because it retires at most
    /// ``TranslationEngine/deadlineCheckInterval`` (2^20) instructions, each entry at least one.
    static let countShift: UInt64 = 21
    static let entryMask: UInt64 = (1 << countShift) - 1
    /// rbp in generated code is the count minus the bias `(room << countShift | entryMask) + 1`
    /// for a budget of `room` instructions: negative or zero while the instructions retired stay within the budget,
    /// positive as soon as they pass it. So the `add` that counts a block also tests the budget
    /// (`add rbp, n << countShift + 1; jg <leave>`): no compare, no load of a limit.
    static func bias(room n: UInt64) -> UInt64 { (n << countShift | entryMask) + 1 }
    /// What one entry of a block of `n` instructions adds to rbp.
    static func increment(_ n: Int) -> Int32 { Int32(n) << Int32(countShift) + 1 }
    static func instructions(_ count: UInt64) -> UInt64 { count >> countShift }
}

/// Exit codes returned by generated code to the main loop (low byte: kind; bits 8-23: slot or
/// instruction index; bits 32-63: block number).
enum ExitKind: UInt64 {
    /// goto_tb slot not chained yet (eip stored).
    case chain = 1
    /// exit_tb or lookup_and_goto miss (eip stored).
    case mainLoop = 2
    /// The instruction budget ran out at a block entry (nothing executed).
    case budget = 3
    /// A helper asked to leave at instruction k (fault, stop, retry, or the block was invalidated).
    case helper = 4
}

/// The back end: vsim RISC ops of one block to x86-64 host code (docs/risc-target.md,
/// "Execution"). Guest EAX, ECX, EDX, EBX, EDI live in r8-r11 and rbx (``guestRegisters``)
/// across blocks; the other fixed registers stay in ``Machine/CPUState/raw`` (r15); temporaries
/// get host registers (rsi rdi) by linear scan, spilling to the context; rax, rcx, rdx are
/// scratch; rbp counts retired guest instructions and block entries (``Ctx/countShift``). Memory accesses check the guest
/// page table inline (r13) and access guest memory at r14 + address; anything else (a page
/// without the permission, a page holding code for a store, an access crossing a page) goes to
/// an out-of-line slow path of the block that calls one of the engine's shared thunks
/// (``Thunks``), which saves the live registers and calls the helper.
struct HostCodeGenerator {
    /// Offsets (from the start of the block's code) of the rel32 field of goto_tb slots 0 and 1's
    /// `jmp` to the target's entry.
    var slotFields: [Int?] = [nil, nil]
    /// The chain sites (``ChainSite``) of `goto_tb n` (slotSites) and `goto_tb n, cc_dead` (fastSites).
    var slotSites: [ChainSite?] = [nil, nil]
    var fastSites: [ChainSite?] = [nil, nil]
    /// Offset of the block's body: after the entry's count and budget check.
    var body = 0
    /// A loop to itself: the entry its back edge takes (a second copy of the accesses before the
    /// pending barrier), the slot of that back edge, the calls to its flag stub from that copy's
    /// slow paths, and each slot's flag stub (offsets in the block).
    var loopEntry: Int?
    var loopSlot: Int?
    var loopPrefix = false
    var loopStubCalls: [Int] = []
    var flagStubs: [Int: Int] = [:]
    /// Whether the block clears ``Ctx/pending`` before it writes guest state (it may be entered
    /// with its predecessor's flags pending: ``Optimizer/pendingBarrier(_:)``).
    var clearsPending = false
    /// The op being emitted, and the flag-write groups of `goto_tb n, cc_dead` left to a stub.
    var currentOp = 0
    var pendingGroups: [(slot: Int, ops: Range<Int>)] = []
    /// 32-bit fields that hold a code-buffer offset: (field, offset within the block).
    var absoluteFixups: [(field: Int, local: Int)] = []
    var asm: X64Assembler

    /// The host registers that hold guest EAX, ECX, EDX, EBX and EDI while generated code runs, across
    /// chained blocks: loaded from ``Machine/CPUState/raw`` when the main loop enters generated
    /// code, stored back when it leaves (the shared epilogue) and around `call exec_insn`.
    static let guestRegisters: [(guest: Int, host: HReg)] = [(0, .r8), (1, .r9), (2, .r10), (3, .r11), (7, .rbx)]
    /// Host registers for the block's temporaries.
    static let pool: [HReg] = [.rsi, .rdi]
    /// Caller-saved registers (SysV ABI) that hold values across a helper call.
    static let callerSaved: [HReg] = [.rsi, .rdi, .r8, .r9, .r10, .r11]

    /// The host register that holds guest register `n` (0...7), if one does.
    static func hostRegister(guest n: Int) -> HReg? { n < 8 ? hostOfGuest[n] : nil }
    static let hostOfGuest: [HReg?] = (0..<8).map { n in guestRegisters.first { $0.guest == n }?.host }

    /// Stores the guest registers held in host registers to ``Machine/CPUState/raw`` (r15).
    static func storeGuestRegisters(_ a: inout X64Assembler) {
        for (n, r) in guestRegisters { a.movMR(HMem(base: .r15, disp: Int32(4 * n)), r) }
    }

    /// Loads the guest registers held in host registers from ``Machine/CPUState/raw`` (r15).
    static func loadGuestRegisters(_ a: inout X64Assembler) {
        for (n, r) in guestRegisters { a.movRM(r, HMem(base: .r15, disp: Int32(4 * n))) }
    }

    enum Loc { case reg(HReg), mem(HMem), imm(UInt32) }

    /// Location of each temporary (by index; nil: never used).
    var alloc: [Loc?] = []
    /// Offset of each label (by number; -1: not placed yet).
    var labelOffsets: [Int] = []
    var labelFixups: [(field: Int, label: UInt32)] = []
    /// rel32 fields that point outside the block: to the epilogue or a thunk (offsets in the code buffer).
    var externalFixups: [(field: Int, target: Int)] = []

    let blockIndex: UInt32
    /// The code-buffer offset the block will be copied to (for ``alignLoopHead()``).
    var start = 0
    /// Whether accesses are checked by the host MMU instead of inline (see ``init``).
    let hostChecked: Bool
    /// For each access checked by the host: (offset of its load or store instruction, offset of
    /// its slow path), both in the block; the engine records them in its fault map.
    var faultSites: [(access: Int, slowPath: Int)] = []
    /// The block's guest address.
    let pc: UInt32
    let insnCount: Int
    let mode: UInt32
    let thunks: Thunks

    /// - Parameter asm: the assembler to emit into (emptied first; its storage is reused).
    /// - Parameter hostChecked: guest memory has host protections (``Machine/GuestMemory/hostProtection``):
    ///   loads and stores go straight to `[r14 + address]`, and a host fault there is sent to
    ///   their slow path (``faultSites``); a read-modify-write's load keeps the inline check.
    init(blockIndex: UInt32, pc: UInt32, insnCount: Int, mode: UInt32, thunks: Thunks, hostChecked: Bool = false,
         asm: X64Assembler = X64Assembler()) {
        self.hostChecked = hostChecked
        self.blockIndex = blockIndex
        self.pc = pc
        self.insnCount = insnCount
        self.mode = mode
        self.thunks = thunks
        self.asm = asm
        self.asm.reset()
    }

    // MARK: - register allocation

    /// Linear scan over the temporaries' live ranges (first to last mention) in order of start.
    mutating func allocate(_ ops: [ROp]) {
        let n = max(ops.registerCount - 32, 0)
        let first = Optimizer.table(n, -1), last = Optimizer.table(n, -1)
        defer { first.deallocate(); last.deallocate() }
        var order: [Int] = []      // temporaries by first mention
        order.reserveCapacity(n)
        func mention(_ r: RReg?, _ i: Int) {
            guard let r, r.isTemp else { return }
            let t = r.tempIndex
            if first[t] < 0 { first[t] = i; order.append(t) }
            last[t] = i
        }
        for (i, op) in ops.enumerated() {
            mention(op.readA, i)
            mention(op.readB, i)
            mention(op.writes, i)
        }
        alloc = [Loc?](repeating: nil, count: n)
        var free = HostCodeGenerator.pool
        var active: [(t: Int, end: Int, reg: HReg)] = []
        var spill: Int32 = 0
        for t in order {
            let start = first[t]
            active.removeAll { a in
                if a.end < start { free.append(a.reg); return true }
                return false
            }
            if let r = free.first {
                free.removeFirst()
                alloc[t] = .reg(r)
                active.append((t, last[t], r))
            } else {
                alloc[t] = .mem(HMem(base: .r12, disp: Ctx.spill + 4 * spill))
                spill = (spill + 1) % Int32(Ctx.spillSlots)
            }
        }
    }

    func loc(_ r: RReg) -> Loc {
        if r.isTemp { return (r.tempIndex < alloc.count ? alloc[r.tempIndex] : nil) ?? .mem(HMem(base: .r12, disp: Ctx.spill)) }
        if let h = HostCodeGenerator.hostRegister(guest: Int(r.n)) { return .reg(h) }
        return .mem(HMem(base: .r15, disp: Int32(r.n) * 4))
    }

    func loc(_ a: RArg) -> Loc {
        switch a {
        case .r(let r): return loc(r)
        case .i(let v): return .imm(v)
        }
    }

    // MARK: - moves between locations and scratch registers

    mutating func load(_ d: HReg, _ l: Loc) {
        switch l {
        case .reg(let r): asm.movRR(d, r)
        case .mem(let m): asm.movRM(d, m)
        case .imm(let v): asm.movRI(d, v)
        }
    }

    mutating func store(_ l: Loc, _ s: HReg) {
        switch l {
        case .reg(let r): asm.movRR(r, s)
        case .mem(let m): asm.movMR(m, s)
        case .imm: break
        }
    }

    /// `d OP= l` for ALU group `ext`.
    mutating func alu(_ ext: UInt8, _ d: HReg, _ l: Loc) {
        switch l {
        case .reg(let r): asm.aluRR(ext, d, r)
        case .mem(let m): asm.aluRM(ext, d, m)
        case .imm(let v): asm.aluRI(ext, d, v)
        }
    }

    func same(_ a: Loc, _ b: Loc) -> Bool {
        switch (a, b) {
        case (.reg(let x), .reg(let y)): return x == y
        case (.mem(let x), .mem(let y)): return x.base == y.base && x.disp == y.disp && x.index == nil && y.index == nil
        default: return false
        }
    }

    // MARK: - block

    /// The /digit of the 81/83 group for an ALU op (0 add, 1 or, 4 and, 5 sub, 6 xor).
    static func aluExt(_ c: ROp.Code) -> UInt8 {
        switch c {
        case .add: return 0
        case .or: return 1
        case .and: return 4
        case .sub: return 5
        default: return 6
        }
    }
    /// The /digit of the C1/D3 group for a shift (4 shl, 5 shr, 7 sar).
    static func shiftExt(_ c: ROp.Code) -> UInt8 { c == .shl ? 4 : c == .shr ? 5 : 7 }

    /// Generates the block. Entry at offset 0. `entryFlagsLive`: whether the flags at the block's
    /// entry may be read (``Optimizer/ccLiveAtEntry(_:)`` not empty; computed when nil).
    mutating func generate(_ ops: [ROp], entryFlagsLive: Bool? = nil) {
        allocate(ops)
        labelOffsets = [Int](repeating: -1, count: ops.labelCount)
        // Entry: count the block and its instructions, and leave (uncounting them) if that
        // passed the budget (rbp > 0, ``Ctx/bias(room:)``). A chained jump counts the block and
        // checks the budget itself and enters at ``body``.
        asm.aluRI64(0, .rbp, Ctx.increment(insnCount))
        let budget = asm.jcc(.g)
        let layout = backEdgeLayout(ops)
        let selfLoop = layout.flatMap { selfLoopSite(ops, taken: $0.taken) } != nil
        let barrier = (entryFlagsLive ?? (Optimizer.ccLiveMask(ops) != 0)) ? Optimizer.pendingBarrier(ops) : nil
        let pendingCopy = selfLoop && barrier != nil
            && layout.flatMap { selfLoopSite(ops, taken: $0.taken) }.flatMap { pendingGroup(ops, at: $0) } != nil
        // A loop to itself starts on a 64-byte line (its back edge enters the body, or the copy
        // below): how its code falls on cache lines is then the same wherever the block lands.
        if selfLoop && !pendingCopy { alignLoopHead() }
        body = asm.offset

        clearsPending = barrier != nil
        let clear = HMem(base: .r12, disp: Ctx.pending)
        func emitRange(_ range: Range<Int>, clearing: Bool = true) {
            for i in range {
                if i == barrier && clearing { asm.movMI(clear, 0) }
                currentOp = i
                emit(ops[i], ops)
            }
        }
        if let (branch, taken) = layout {
            // A loop's back edge: the taken exit right after the (inverted) branch, so the loop
            // jumps once per iteration (through its chained goto_tb), not twice.
            if let barrier, let k = selfLoopSite(ops, taken: taken), pendingGroup(ops, at: k) != nil {
                // A loop to itself whose entry flags can stay pending: the back edge enters a
                // second copy of the accesses before the barrier, whose slow paths call the
                // back edge's own flag stub first (no pending word to set, none to clear).
                emitRange(0..<barrier)
                asm.movMI(clear, 0)
                let over = asm.jmp()
                alignLoopHead()
                loopEntry = asm.offset
                loopPrefix = true
                emitRange(0..<barrier)
                loopPrefix = false
                asm.patch(over, to: asm.offset)
                emitRange(barrier..<branch, clearing: false)
                loopSlot = Int(ops[k].c)
            } else {
                emitRange(0..<branch)
                if branch == barrier { asm.movMI(clear, 0) }
            }
            let b = ops[branch]
            compare(loc(b.a), loc(b.b))
            labelFixups.append((asm.jcc(HCond(RCond(rawValue: UInt8(b.c))!.inverted)), ops[branch + 1].x))
            emitRange(taken..<ops.count)
            emitRange((branch + 1)..<taken)
        } else {
            emitRange(0..<ops.count)
        }

        // Out-of-line: the budget exit.
        asm.patch(budget, to: asm.offset)
        asm.aluRI64(5, .rbp, Ctx.increment(insnCount))
        exit(.budget, 0)
        emitPendingStubs()
        emitPendingEntries(ops)
        for f in labelFixups { asm.patch(f.field, to: labelOffsets[Int(f.label)]) }
        if let slot = loopSlot, let stub = flagStubs[slot] {
            for f in loopStubCalls { asm.patch(f, to: stub) }
            fastSites[slot]?.loop = loopEntry
        }
    }

    /// Pads with NOPs up to the next 64-byte boundary of the code buffer (the block is placed at
    /// ``start``, known before it is generated).
    mutating func alignLoopHead() {
        while (start + asm.offset) & 63 != 0 { asm.b(0x90) }
    }

    /// The index of the back edge's `goto_tb n, cc_dead` (in the taken exit at `taken`) when it
    /// goes to the block itself.
    func selfLoopSite(_ ops: [ROp], taken: Int) -> Int? {
        guard let k = ops[taken...].firstIndex(where: { $0.code == .gotoTB && $0.x & 1 != 0 }),
              ops[taken...].first(where: { $0.code == .mov && $0.d == .eip })?.a.imm == pc else { return nil }
        return k
    }

    /// Points the block's jumps and calls to the epilogue and the thunks, once its code is to be
    /// copied to code-buffer offset `start`.
    mutating func link(at start: Int) {
        for f in externalFixups { asm.patch(f.field, to: f.target - start) }
        for f in absoluteFixups { asm.patchImm32(f.field, UInt32(start + f.local)) }
    }

    /// For each `goto_tb n, cc_dead` whose flag writes a stub can do: the way in
    /// (``PendingEntry``) and the stub, which saves what the writes use (rax, rcx, rdx and the
    /// temporaries' registers) and returns.
    mutating func emitPendingEntries(_ ops: [ROp]) {
        for (slot, group) in pendingGroups {
            let start = asm.offset
            asm.movMI(HMem(base: .r12, disp: Ctx.pending), 0)
            let stubField = asm.offset - 4
            let jump = asm.jmp()
            asm.patch(jump, to: jump + 4)
            fastSites[slot]?.pending = PendingEntry(start: start, jump: jump)
            absoluteFixups.append((stubField, asm.offset))
            flagStubs[slot] = asm.offset
            let saved: [HReg] = [.rax, .rcx, .rdx] + HostCodeGenerator.pool
            for r in saved { asm.push(r) }
            for i in group { emit(ops[i], ops) }
            for r in saved.reversed() { asm.pop(r) }
            asm.ret()
        }
        pendingGroups.removeAll()
    }

    /// The block's tail `brcond a, b, cond, Lt; Ln: <exit 0>; Lt: <exit 1>` when exit 1 goes
    /// back to the block's own address or before it (a loop): the brcond's index and Lt's.
    func backEdgeLayout(_ ops: [ROp]) -> (branch: Int, taken: Int)? {
        guard let branch = ops.lastIndex(where: { $0.code == .brcond }), branch + 1 < ops.count,
              ops[branch + 1].code == .label, ops[branch + 1].x != ops[branch].x,
              let taken = ops.indices.first(where: { $0 > branch + 1 && ops[$0].code == .label && ops[$0].x == ops[branch].x })
        else { return nil }
        func control(_ op: ROp) -> Bool { op.code == .label || op.code == .brcond || op.code == .br }
        guard !ops[(branch + 2)..<taken].contains(where: control),
              !ops[(taken + 1)...].contains(where: control),
              let target = ops[(taken + 1)...].first(where: { $0.code == .mov && $0.d == .eip })?.a.imm,
              target <= pc else { return nil }
        return (branch, taken)
    }

    /// `mov rax, code; jmp epilogue` (the jump patched when the block is installed).
    mutating func exit(_ kind: ExitKind, _ info: UInt64) {
        asm.movRI64(.rax, kind.rawValue | (info & 0xFFFF) << 8 | UInt64(blockIndex) << 32)
        externalFixups.append((asm.jmp(), thunks.epilogue))
    }

    /// `call rel32` to the thunk at code-buffer offset `target`.
    mutating func callThunk(_ target: Int) {
        externalFixups.append((asm.call(), target))
    }

    var pendingSlow: [SlowPath] = []

    struct SlowPath {
        /// The rel32 fields of the jumps to the stub (the page check's, and the page-crossing check's),
        /// or the access instruction whose host fault leads there (``faultSites``).
        var jumpFields: (Int?, Int?)
        var faultSite: Int? = nil
        var resume: Int
        var store: Bool
        var size: UInt32
        var flags: UInt32
        var insn: Int
        /// Where the guest address is (the thunk gets it in ecx).
        var address: HReg
        /// A store's value (the thunk gets it in eax).
        var value: HReg
        /// A load's destination register, written by the stub before it jumps back (nil: rax,
        /// which the code at `resume` stores).
        var destination: HReg?
        /// In a self loop's second copy of its first accesses: the back edge's flag stub runs first.
        var writesLoopFlags = false
    }

    /// The slow paths, after the block's code: ecx = address, eax = value (stores), rdx = what
    /// the helper needs to know (``Thunks/packAccess(size:flags:insn:block:)``), then the load or
    /// store thunk, which returns the loaded value in eax or leaves generated code itself.
    mutating func emitPendingStubs() {
        for s in pendingSlow {
            if let j = s.jumpFields.0 { asm.patch(j, to: asm.offset) }
            if let j = s.jumpFields.1 { asm.patch(j, to: asm.offset) }
            if let f = s.faultSite { faultSites.append((f, asm.offset)) }
            if s.writesLoopFlags { loopStubCalls.append(asm.call()) }
            asm.movRR(.rcx, s.address)
            if s.store { asm.movRR(.rax, s.value) }
            asm.movRI64(.rdx, Thunks.packAccess(size: s.size, flags: s.flags, insn: s.insn, block: blockIndex))
            callThunk(s.store ? thunks.store : thunks.load)
            if let d = s.destination { asm.movRR(d, .rax) }
            let back = asm.jmp()
            asm.patch(back, to: s.resume)
        }
        pendingSlow.removeAll(keepingCapacity: true)
    }

    var currentInsn = 0

    mutating func emit(_ op: ROp, _ ops: [ROp]) {
        switch op.code {
        case .insnStart:
            currentInsn = Int(op.x)
        case .label:
            labelOffsets[Int(op.x)] = asm.offset
        case .mov:
            let d = loc(op.d), a = loc(op.a)
            switch (d, a) {
            case (.reg(let r), _): load(r, a)
            case (.mem(let m), .imm(let v)): asm.movMI(m, v)
            case (.mem(let m), .reg(let r)): asm.movMR(m, r)
            default: load(.rax, a); store(d, .rax)
            }
        case .add, .or, .and, .sub, .xor:
            let ext = HostCodeGenerator.aluExt(op.code)
            let d = loc(op.d), a = loc(op.a), b = loc(op.b)
            if case .mem(let m) = d, same(d, a) {
                switch b {
                case .imm(let v): asm.aluMI(ext, m, v); return
                case .reg(let r): asm.aluMR(ext, m, r); return
                default: break
                }
            }
            if op.code == .add, case .reg(let r) = d, case .reg(let x) = a, !same(d, a) {
                // Into a third register (an address: base + index, base + displacement): one `lea`.
                switch b {
                case .reg(let y): asm.lea32(r, HMem(base: x, index: y)); return
                case .imm(let v): asm.lea32(r, HMem(base: x, disp: Int32(bitPattern: v))); return
                default: break
                }
            }
            if case .reg(let r) = d, !same(d, b) {
                load(r, a); alu(ext, r, b)
            } else {
                load(.rax, a); alu(ext, .rax, b); store(d, .rax)
            }
        case .shl, .shr, .sar:
            let ext = HostCodeGenerator.shiftExt(op.code)
            let d = loc(op.d)
            if case .imm(let n) = loc(op.b) {
                if case .reg(let r) = d { load(r, loc(op.a)); asm.shiftRI(ext, r, UInt8(n & 31)); return }
                load(.rax, loc(op.a)); asm.shiftRI(ext, .rax, UInt8(n & 31))
            } else {
                load(.rcx, loc(op.b)); load(.rax, loc(op.a)); asm.shiftRCL(ext, .rax)
            }
            store(d, .rax)
        case .mul:
            if case .reg(let r) = loc(op.d), !same(loc(op.d), loc(op.b)) {
                load(r, loc(op.a))
                switch loc(op.b) {
                case .reg(let s): asm.imulRR(r, s)
                case .mem(let m): asm.imulRM(r, m)
                case .imm(let v): asm.imulRRI(r, r, v)
                }
                return
            }
            load(.rax, loc(op.a))
            switch loc(op.b) {
            case .reg(let r): asm.imulRR(.rax, r)
            case .mem(let m): asm.imulRM(.rax, m)
            case .imm(let v): asm.imulRRI(.rax, .rax, v)
            }
            store(loc(op.d), .rax)
        case .divu, .remu:
            // rdx:rax = a:eax, then one host DIV (the lowering has checked b != 0 and a < b).
            load(.rdx, loc(op.a))
            load(.rax, loc(RReg.guest(0)))
            switch loc(op.b) {
            case .reg(let r): asm.divR(r)
            case .mem(let m): asm.divM(m)
            case .imm(let v): asm.movRI(.rcx, v); asm.divR(.rcx)
            }
            store(loc(op.d), op.code == .divu ? .rax : .rdx)
        case .muluh, .mulsh:
            load(.rcx, loc(op.b)); load(.rax, loc(op.a))
            asm.mulWide(.rcx, signed: op.code == .mulsh)
            store(loc(op.d), .rdx)
        case .ext8u, .ext8s, .ext16u, .ext16s:
            let size: UInt32 = op.code == .ext8u || op.code == .ext8s ? 1 : 2
            let signed = op.code == .ext8s || op.code == .ext16s
            let d = loc(op.d)
            let dst: HReg
            if case .reg(let r) = d { dst = r } else { dst = .rax }
            switch loc(op.a) {
            case .mem(let m): asm.movxRM(dst, m, size: size, signed: signed)
            case .reg(let r): asm.movxRR(dst, r, size: size, signed: signed)
            case .imm(let v):
                let x = size == 1 ? (signed ? UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: v))) : v & 0xFF)
                    : (signed ? UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: v))) : v & 0xFFFF)
                asm.movRI(dst, x)
            }
            if dst == .rax { store(d, .rax) }
        case .deposit:
            let d = loc(op.d), a = loc(op.a)
            load(.rcx, loc(op.b))
            if case .mem(let m) = d, same(d, a), op.x == 8 || (op.x == 16 && op.c == 0), op.c == 0 || op.c == 8 {
                var mm = m
                mm.disp += Int32(op.c / 8)
                if op.x == 8 { asm.movMR8(mm, .rcx) } else { asm.movMR16(.rcx, .rcx, mm) }
                return
            }
            let mask: UInt32 = (op.x >= 32 ? UInt32.max : (1 << op.x) - 1)
            load(.rax, a)
            asm.aluRI(4, .rcx, mask)
            if op.c > 0 { asm.shiftRI(4, .rcx, UInt8(op.c)) }
            asm.aluRI(4, .rax, ~(mask << op.c))
            asm.aluRR(1, .rax, .rcx)
            store(d, .rax)
        case .setcond:
            compare(loc(op.a), loc(op.b))
            asm.setcc(HCond(RCond(rawValue: UInt8(op.c))!), .rax)
            asm.movxRR(.rax, .rax, size: 1, signed: false)
            store(loc(op.d), .rax)
        case .brcond:
            compare(loc(op.a), loc(op.b))
            labelFixups.append((asm.jcc(HCond(RCond(rawValue: UInt8(op.c))!)), op.x))
        case .br:
            labelFixups.append((asm.jmp(), op.x))
        case .ld:
            let a = inRegister(loc(op.a), or: .rcx)
            let size = op.c
            let forUpdate = op.x & 2 != 0
            // A read-modify-write's load needs W too, which a host read does not test: it keeps the check.
            let inline = !hostChecked || forUpdate
            var slow1: Int? = nil, slow2: Int? = nil
            if inline {
                pageCheck(a, forUpdate ? Ctx.accessUpdate : Ctx.accessLoad)
                slow1 = asm.jcc(.e)
                if size > 1 { slow2 = crossingCheck(a, size) }
            }
            let m = HMem(base: .r14, index: a)
            var dst: HReg = .rax
            if case .reg(let r) = loc(op.d) { dst = r }
            let site = asm.offset
            if size == 4 { asm.movRM(dst, m) } else { asm.movxRM(dst, m, size: size, signed: op.x & 1 != 0) }
            let resume = asm.offset
            if dst == .rax { store(loc(op.d), .rax) }
            addSlow(slow1, slow2, resume: dst == .rax ? resume : asm.offset, store: false, size: size, flags: op.x,
                    address: a, value: .rax, destination: dst == .rax ? nil : dst, faultSite: inline ? nil : site)
        case .st:
            let a = inRegister(loc(op.b), or: .rcx)
            let v = inRegister(loc(op.a), or: .rax)
            var slow1: Int? = nil, slow2: Int? = nil
            if !hostChecked {
                pageCheck(a, Ctx.accessStore)
                slow1 = asm.jcc(.e)
                if op.c > 1 { slow2 = crossingCheck(a, op.c) }
            }
            let m = HMem(base: .r14, index: a)
            let site = asm.offset
            switch op.c {
            case 1: asm.movMR8(m, v)
            case 2: asm.movMR16(v, v, m)
            default: asm.movMR(m, v)
            }
            addSlow(slow1, slow2, resume: asm.offset, store: true, size: op.c, flags: 0, address: a, value: v, destination: nil,
                    faultSite: hostChecked ? site : nil)
        case .gotoTB:
            // `add rbp, <target's increment>; jle <target's body>; sub rbp, <the same>`: the
            // target counted, and entered past its own check when it fits in the budget (so a
            // cc_dead target, entered with the flags unwritten, never leaves through that
            // check). Both immediates and the jle are patched when the slot is chained; until
            // then they are 0 and the jle falls through.
            let site = chainSite()
            if op.x & 1 != 0 {
                // Jumps over the site (to the flag writes) until chained to a target that does
                // not need them written now: the engine then writes the site's `add` back.
                asm.overwriteJump(at: site.start, to: site.end)
                fastSites[Int(op.c)] = site
                if let group = pendingGroup(ops, at: currentOp) { pendingGroups.append((Int(op.c), group)) }
            } else {
                slotSites[Int(op.c)] = site
                // The budget would pass: the target's entry leaves through its budget exit.
                slotFields[Int(op.c)] = asm.jmp()   // rel32 0: falls through until chained
            }
        case .exitTB:
            if op.c == 3 { exit(.mainLoop, 0) } else { exit(.chain, UInt64(op.c)) }
        case .lookupAndGoto:
            lookupAndGoto()
        case .call:
            call(op)
        }
    }

    /// A chain site (offsets from the start of the block's code): `add rbp, imm32` at `start`
    /// (its immediate at `add`), `jle rel32` (field `jump`), `sub rbp, imm32` (`sub`), ending at `end`.
    struct ChainSite {
        var start: Int, add: Int, jump: Int, sub: Int, end: Int
        /// A `goto_tb n, cc_dead` site's way into a target whose entry flags can stay pending.
        var pending: PendingEntry?
        /// The back edge of a loop to itself: the block's loop entry (its flags never pending).
        var loop: Int?
        func moved(by n: Int) -> ChainSite {
            ChainSite(start: start + n, add: add + n, jump: jump + n, sub: sub + n, end: end + n,
                      pending: pending?.moved(by: n), loop: loop.map { $0 + n })
        }
    }

    /// Out of line, for a `goto_tb n, cc_dead` whose flag writes can run later: `mov dword
    /// [r12 + pending], <stub>; jmp rel32` (field `jump`, patched to the target's body). The stub
    /// is the flag writes as a subroutine that keeps every register; the load and store thunks
    /// call it (``Thunks``) before the target's first accesses can fault, and the target clears
    /// `pending` before it writes any guest state (``Optimizer/pendingBarrier(_:)``).
    struct PendingEntry {
        var start: Int, jump: Int
        func moved(by n: Int) -> PendingEntry { PendingEntry(start: start + n, jump: jump + n) }
    }

    /// `add rbp, imm32; jle rel32; sub rbp, imm32`, all three fields 0 (a no-op until chained).
    mutating func chainSite() -> ChainSite {
        let start = asm.offset
        let add = asm.aluRI64Field(0, .rbp, 0)
        let jump = asm.jcc(.le)
        let sub = asm.aluRI64Field(5, .rbp, 0)
        return ChainSite(start: start, add: add, jump: jump, sub: sub, end: asm.offset)
    }

    /// The flag writes of the `goto_tb n, cc_dead` at `i` (up to the next `goto_tb`), when a stub
    /// can run them later: each reads only fixed registers, constants and temporaries computed
    /// before it in the group, which live in host registers.
    func pendingGroup(_ ops: [ROp], at i: Int) -> Range<Int>? {
        guard let j = ops[(i + 1)...].firstIndex(where: { $0.code == .gotoTB }), j > i + 1 else { return nil }
        var defined: [Int] = []
        for op in ops[(i + 1)..<j] {
            guard !op.hasSideEffects, let d = op.writes else { return nil }
            for r in [op.readA, op.readB, op.readC] {
                if let r, r.isTemp, !defined.contains(r.tempIndex) { return nil }
            }
            if d.isTemp {
                guard case .reg = loc(d) else { return nil }
                defined.append(d.tempIndex)
            } else if !d.isFlags {
                return nil
            }
        }
        return (i + 1)..<j
    }

    /// Host flags = `cmp a, b` (a straight from its register when it has one).
    mutating func compare(_ a: Loc, _ b: Loc) {
        if case .reg(let r) = a {
            alu(7, r, b)
        } else {
            load(.rax, a)
            alu(7, .rax, b)
        }
    }

    /// The register holding `l` (a host register already, else `scratch` loaded with it).
    mutating func inRegister(_ l: Loc, or scratch: HReg) -> HReg {
        if case .reg(let r) = l { return r }
        load(scratch, l)
        return scratch
    }

    /// edx = page-table entry of the page of the guest address in `a`; ZF = the access (`bit`,
    /// ``Ctx/accessBits(_:)``) must take the slow path: one `test` of the context's table
    /// instead of masking and comparing the entry.
    mutating func pageCheck(_ a: HReg, _ bit: UInt8) {
        asm.movRR(.rdx, a)
        asm.shiftRI(5, .rdx, 12)
        asm.movxRM(.rdx, HMem(base: .r13, index: .rdx), size: 1, signed: false)
        asm.testMI8(HMem(base: .r12, index: .rdx, disp: Ctx.access), bit)
    }

    /// Jumps (returned field) to the slow path when the access crosses a page.
    mutating func crossingCheck(_ a: HReg, _ size: UInt32) -> Int {
        asm.movRR(.rdx, a)
        asm.aluRI(4, .rdx, 0xFFF)
        asm.aluRI(7, .rdx, 0x1000 - size)
        return asm.jcc(.a)
    }

    mutating func addSlow(_ j1: Int?, _ j2: Int?, resume: Int, store: Bool, size: UInt32, flags: UInt32,
                          address: HReg, value: HReg, destination: HReg?, faultSite: Int? = nil) {
        pendingSlow.append(SlowPath(jumpFields: (j1, j2), faultSite: faultSite, resume: resume, store: store, size: size, flags: flags,
                                    insn: currentInsn, address: address, value: value, destination: destination,
                                    writesLoopFlags: loopPrefix))
    }

    mutating func lookupAndGoto() {
        asm.movRM(.rax, HMem(base: .r15, disp: 9 * 4))
        asm.movRR(.rdx, .rax)
        asm.shiftRI(5, .rdx, 12)
        asm.aluRR(6, .rdx, .rax)
        asm.aluRI(4, .rdx, UInt32(BlockCache.jumpCacheSize - 1))
        asm.shiftRI(4, .rdx, 4)
        asm.addRM64(.rdx, HMem(base: .r12, disp: Ctx.jumpCache))
        asm.aluRM(7, .rax, HMem(base: .rdx))
        let miss1 = asm.jcc(.ne)
        asm.movRI(.rax, mode)
        asm.aluRM(7, .rax, HMem(base: .rdx, disp: 4))
        let miss2 = asm.jcc(.ne)
        asm.incM64(HMem(base: .r12, disp: Ctx.lookupHits))
        asm.jmpM(HMem(base: .rdx, disp: 8))
        asm.patch(miss1, to: asm.offset)
        asm.patch(miss2, to: asm.offset)
        exit(.mainLoop, 0)
    }

    /// A helper call through its thunk (``Thunks``), which keeps every live register.
    mutating func call(_ op: ROp) {
        let h = RHelper(rawValue: UInt8(op.c))!
        switch h {
        case .execInsn, .repMovs, .repStos:
            // The thunk writes the guest registers back and reloads them, and leaves generated
            // code itself when the helper says so.
            asm.movRI64(.rdx, UInt64(blockIndex) << 32 | UInt64(insnCount & 0xFFFF) << 16 | UInt64(op.x & 0xFFFF))
            if h == .execInsn {
                callThunk(thunks.execInsn)
            } else {
                asm.movRI(.rcx, op.b.imm ?? 4)
                callThunk(h == .repMovs ? thunks.repMovs : thunks.repStos)
            }
            return
        case .ccComputeAll: callThunk(thunks.ccComputeAll)
        case .ccCond:
            load(.rcx, loc(op.a))
            callThunk(thunks.ccCond)
        case .ccCarry: callThunk(thunks.ccCarry)
        }
        if op.writes != nil { store(loc(op.d), .rax) }
    }
}
