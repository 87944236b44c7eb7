import Machine

/// The registers of one moment: the CPU's word array (GPRs, EIP, the lazy condition codes
/// exactly as kept, the rest of EFLAGS, segment bases), the selectors and descriptors.
struct RegisterSnapshot: Equatable {
    static let words = 22
    var raw: [UInt32]
    var segments: [UInt16]
    var descriptors: [Int: UInt64]
    /// EFLAGS as the guest would read it (the lazy flags materialized).
    var eflags: UInt32
    var cpl: UInt8
    var cr0: UInt32, cr2: UInt32, cr3: UInt32, cr4: UInt32

    init(_ cpu: CPUState) {
        raw = Array(UnsafeBufferPointer(start: cpu.raw, count: Self.words))
        segments = cpu.segments
        descriptors = cpu.descriptors
        eflags = cpu.eflags
        cpl = cpu.cpl
        cr0 = cpu.cr0; cr2 = cpu.cr2; cr3 = cpu.cr3; cr4 = cpu.cr4
    }

    var eip: UInt32 { raw[9] }
    func gpr(_ n: Int) -> UInt32 { raw[n] }

    /// Puts these user-mode registers back (CPL and control registers never change there).
    func restore(_ cpu: CPUState) {
        for i in 0..<Self.words { cpu.raw[i] = raw[i] }
        cpu.segments = segments
        cpu.descriptors = descriptors
    }
}

/// What one step changed, to undo it: the registers before it and the old bytes of every
/// guest write, in the order the writes happened.
struct StepRecord {
    var registers: RegisterSnapshot
    var instructions: UInt64
    var writes: [(address: UInt32, old: [UInt8])]
    /// The step was a system call (`int $0x80`).
    var systemCall: Bool
}

/// Sees every guest write in user-mode emulation and keeps the old bytes, for the undo log.
///
/// How, without a hook in the interpreter's fast path: every writable guest page is marked as
/// holding code (``GuestMemory/markCodePages(address:count:)``), so each write takes the
/// interpreter's slow path, which reports the written range to the ``CodeWriteObserver``s after
/// writing (the interpreter itself is one: it drops decoded instructions the write overlaps).
/// This recorder keeps a shadow copy of every writable page, so the bytes before the write are
/// still there to compare with: the changed bytes go into the current step's record and the
/// shadow is brought up to date. Pages mapped later (`brk`, `mmap2`) are adopted when their
/// mapping is reported; unmapped ones are dropped.
final class MemoryRecorder: CodeWriteObserver {
    let memory: GuestMemory
    private var shadow: [Int: UnsafeMutablePointer<UInt8>] = [:]
    /// Writes of the step in progress.
    var writes: [(address: UInt32, old: [UInt8])] = []
    /// Set while the REPL itself restores bytes.
    var suspended = false

    init(memory: GuestMemory) {
        self.memory = memory
        for page in 0..<(1 << 20) {
            if let p = memory.permissions(at: UInt32(page) << 12), p.contains(.write) { adopt(page) }
        }
        memory.addCodeObserver(self)
    }

    deinit { for (_, p) in shadow { p.deallocate() } }

    private func adopt(_ page: Int) {
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
        memory.withHostAccess(address: UInt32(page) << 12, count: 4096) {
            copy.initialize(from: memory.hostPointer(UInt32(page) << 12).assumingMemoryBound(to: UInt8.self), count: 4096)
        }
        shadow[page] = copy
        memory.markCodePages(address: UInt32(page) << 12, count: 4096)
    }

    /// Brings the shadow up to date after a stretch with ``suspended`` set (a run at engine speed,
    /// whose writes are not recorded): pages mapped since are adopted, unmapped ones dropped.
    func resynchronize() {
        suspended = false
        for page in 0..<(1 << 20) {
            let perms = memory.permissions(at: UInt32(page) << 12)
            if let copy = shadow[page] {
                if perms == nil {
                    shadow.removeValue(forKey: page)?.deallocate()
                } else {
                    memory.withHostAccess(address: UInt32(page) << 12, count: 4096) {
                        copy.update(from: memory.hostPointer(UInt32(page) << 12).assumingMemoryBound(to: UInt8.self), count: 4096)
                    }
                }
            } else if let p = perms, p.contains(.write) {
                adopt(page)
            }
        }
        writes = []
    }

    func codeWritten(address: UInt32, count: UInt32) {
        if suspended { return }
        var a = UInt64(address)
        let end = UInt64(address) + UInt64(count)
        while a < end {
            let page = Int(a >> 12)
            let pageEnd = min(end, UInt64(page + 1) << 12)
            let perms = memory.permissions(at: UInt32(page) << 12)
            if perms == nil {
                shadow.removeValue(forKey: page)?.deallocate()
            } else if let copy = shadow[page] {
                record(copy, page: page, from: Int(a & 0xFFF), to: Int(pageEnd - (UInt64(page) << 12)))
                memory.markCodePages(address: UInt32(page) << 12, count: 4096)
            } else if perms!.contains(.write) {
                adopt(page)
            }
            a = pageEnd
        }
    }

    /// Compares `[from, to)` of the page with its shadow; records and copies the changed runs.
    private func record(_ copy: UnsafeMutablePointer<UInt8>, page: Int, from: Int, to: Int) {
        let live = memory.hostPointer(UInt32(page) << 12).assumingMemoryBound(to: UInt8.self)
        var i = from
        while i < to {
            if live[i] == copy[i] { i += 1; continue }
            let start = i
            while i < to && live[i] != copy[i] { i += 1 }
            writes.append((UInt32(page << 12 + start), Array(UnsafeBufferPointer(start: copy + start, count: i - start))))
            (copy + start).update(from: live + start, count: i - start)
        }
    }

    /// Writes `bytes` back at `address` (undo), keeping the shadow in step and letting the
    /// interpreter drop decoded instructions there. Pages unmapped since are skipped.
    func restore(_ bytes: [UInt8], at address: UInt32) -> Bool {
        suspended = true
        defer { suspended = false }
        do { try memory.load(bytes, at: address) } catch { return false }
        for (i, b) in bytes.enumerated() {
            let a = address &+ UInt32(i)
            shadow[Int(a >> 12)]?[Int(a & 0xFFF)] = b
        }
        return true
    }
}
