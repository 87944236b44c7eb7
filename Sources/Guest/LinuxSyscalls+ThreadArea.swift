import Machine
import X86

/// Thread-local storage: `set_thread_area` / `get_thread_area` (arch/x86/kernel/tls.c) with the
/// i386 `struct user_desc`:
///
/// ```
/// 0  entry_number   4  base_addr   8  limit
/// 12 seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1 useable:1
/// ```
///
/// The three TLS slots are GDT entries 12–14 (selectors 0x63, 0x6B, 0x73), as for a 32-bit
/// process on an x86-64 kernel (the host that `native` runs on). `entry_number` -1 picks the
/// first free slot and is written back. The descriptor goes into ``CPUState/descriptors``; a
/// segment register that already holds the slot's selector picks up the new base at once (Linux
/// reloads it), and a later `mov %ax,%gs` loads it through the interpreter's descriptor checks,
/// so `%gs:` accesses in both engines add the base.
extension LinuxProcess {
    static let tlsFirstEntry = 12, tlsEntryCount = 3

    func setThreadArea(_ pointer: UInt32) -> SyscallOutcome {
        let shown = "0x" + String(pointer, radix: 16)
        guard let raw = readGuest(pointer, 16) else { return .error(.EFAULT, shown) }
        func word(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(raw[i * 4 + $1]) << (8 * UInt32($1)) } }
        let requested = Int32(bitPattern: word(0)), base = word(1), limit = word(2), bits = word(3)
        var args = "{entry_number=\(requested), base_addr=0x\(String(base, radix: 16)), limit=0x\(String(limit, radix: 16)), "
            + "seg_32bit=\(bits & 1), contents=\((bits >> 1) & 3), read_exec_only=\((bits >> 3) & 1), "
            + "limit_in_pages=\((bits >> 4) & 1), seg_not_present=\((bits >> 5) & 1), useable=\((bits >> 6) & 1)}"
        let first = LinuxProcess.tlsFirstEntry, last = first + LinuxProcess.tlsEntryCount - 1
        var index: Int
        if requested == -1 {
            guard let free = (first...last).first(where: { (cpu.descriptors[$0] ?? 0) == 0 }) else {
                return .error(.ESRCH, args)
            }
            index = free
            args = args.split(separator: ",", maxSplits: 1).map(String.init).dropFirst().reduce("{entry_number=-1 -> \(index),") { $0 + $1 }
            guard writeWords([UInt32(index)], at: pointer) else { return .error(.EFAULT, args) }
        } else {
            guard (first...last).contains(Int(requested)) else { return .error(.EINVAL, args) }
            index = Int(requested)
        }
        let descriptor = LinuxProcess.descriptor(base: base, limit: limit, bits: bits)
        if descriptor == 0 { cpu.descriptors[index] = nil } else { cpu.descriptors[index] = descriptor }
        // Linux refreshes a segment register that holds the modified selector.
        let selector = UInt16(index << 3 | 3)
        for seg in [SegmentRegister.ds, .es, .fs, .gs] where cpu.selector(seg) == selector {
            cpu.setSegmentBase(seg, descriptor == 0 ? 0 : CPUState.descriptorBase(descriptor))
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    func getThreadArea(_ pointer: UInt32) -> SyscallOutcome {
        let shown = "0x" + String(pointer, radix: 16)
        guard let raw = readGuest(pointer, 4) else { return .error(.EFAULT, shown) }
        let index = Int(Int32(bitPattern: (0..<4).reduce(0) { $0 | UInt32(raw[$1]) << (8 * UInt32($1)) }))
        let first = LinuxProcess.tlsFirstEntry
        guard (first..<first + LinuxProcess.tlsEntryCount).contains(index) else { return .error(.EINVAL, shown) }
        let d = cpu.descriptors[index] ?? 0
        let hi = UInt32(truncatingIfNeeded: d >> 32)
        let type = (hi >> 8) & 0xF
        var bits: UInt32 = (hi >> 22) & 1                      // seg_32bit (D/B)
        bits |= ((type >> 2) & 3) << 1                          // contents
        bits |= (((type >> 1) & 1) ^ 1) << 3                    // read_exec_only
        bits |= ((hi >> 23) & 1) << 4                           // limit_in_pages (G)
        bits |= (((hi >> 15) & 1) ^ 1) << 5                     // seg_not_present
        bits |= ((hi >> 20) & 1) << 6                           // useable (AVL)
        if d == 0 { bits = 1 << 3 | 1 << 5 }                     // an empty slot reads as LDT_empty
        let rawLimit = UInt32(truncatingIfNeeded: d & 0xFFFF) | ((hi >> 16) & 0xF) << 16
        let words = [UInt32(index), CPUState.descriptorBase(d), rawLimit, bits]
        guard writeWords(words, at: pointer) else { return .error(.EFAULT, shown) }
        return SyscallOutcome(value: 0, arguments: "{entry_number=\(index)}")
    }

    /// The GDT descriptor Linux builds from a `user_desc` (arch/x86/include/asm/desc.h
    /// `fill_ldt`), or 0 for an "empty" request (LDT_empty: clears the slot).
    static func descriptor(base: UInt32, limit: UInt32, bits: UInt32) -> UInt64 {
        let seg32 = bits & 1, contents = (bits >> 1) & 3, readExecOnly = (bits >> 3) & 1
        let pages = (bits >> 4) & 1, notPresent = (bits >> 5) & 1, useable = (bits >> 6) & 1
        if base == 0 && limit == 0 && contents == 0 && readExecOnly == 1 && seg32 == 0 && pages == 0
            && notPresent == 1 && useable == 0 {
            return 0
        }
        let type = UInt64((readExecOnly ^ 1) << 1 | contents << 2 | 1)
        var d = UInt64(limit & 0xFFFF) | UInt64(base & 0xFFFF) << 16 | UInt64((base >> 16) & 0xFF) << 32
        d |= type << 40 | 1 << 44 | 3 << 45 | UInt64(notPresent ^ 1) << 47
        d |= UInt64((limit >> 16) & 0xF) << 48 | UInt64(useable) << 52 | UInt64(seg32) << 54 | UInt64(pages) << 55
        d |= UInt64(base >> 24) << 56
        return d
    }
}
