import Machine

/// `mremap(old_address, old_size, new_size, flags, new_address)` (163), as mm/mremap.c does it
/// for a private mapping:
///
/// - sizes are rounded up to pages; `old_address` must be page-aligned, `new_size` non-zero,
///   `flags` only MREMAP_MAYMOVE (1), MREMAP_FIXED (2, needs MAYMOVE) and MREMAP_DONTUNMAP (4,
///   needs MAYMOVE and equal sizes): EINVAL otherwise; `old_size` 0 (duplicating a shared
///   mapping) is EINVAL for the private maps vsim makes;
/// - the old range must be mapped throughout with one set of permissions (one VMA): EFAULT;
/// - shrinking unmaps the tail and returns `old_address`;
/// - growing extends in place when the pages after the mapping are free, else moves it (with
///   MAYMOVE) to a free range found as `mmap2` finds one, contents copied, the old range
///   unmapped (kept, zero-filled, with DONTUNMAP); without MAYMOVE: ENOMEM;
/// - MREMAP_FIXED moves to `new_address` (page-aligned, not overlapping the old range:
///   EINVAL), replacing whatever was mapped there.
extension LinuxProcess {
    func mremap(_ a: [UInt32]) -> SyscallOutcome {
        let (old, oldLength, newLength, flags, target) = (a[0], a[1], a[2], a[3], a[4])
        let args = "0x\(String(old, radix: 16)), \(oldLength), \(newLength), 0x\(String(flags, radix: 16)), 0x\(String(target, radix: 16))"
        let MAYMOVE: UInt32 = 1, FIXED: UInt32 = 2, DONTUNMAP: UInt32 = 4
        let page = GuestMemory.pageSize
        guard old & (page - 1) == 0, flags & ~(MAYMOVE | FIXED | DONTUNMAP) == 0 else { return .error(.EINVAL, args) }
        if flags & (FIXED | DONTUNMAP) != 0 && flags & MAYMOVE == 0 { return .error(.EINVAL, args) }
        let oldSize = UInt64(LinuxProcess.pageRoundUp(UInt64(oldLength))), newSize = UInt64(LinuxProcess.pageRoundUp(UInt64(newLength)))
        guard newLength > 0, oldLength > 0, newSize > 0 else { return .error(.EINVAL, args) }
        if flags & DONTUNMAP != 0 && oldSize != newSize { return .error(.EINVAL, args) }
        guard UInt64(old) + oldSize <= UInt64(LinuxProcess.userTop) else { return .error(.EFAULT, args) }
        if flags & FIXED != 0 {
            guard target & (page - 1) == 0 else { return .error(.EINVAL, args) }
            guard UInt64(target) + newSize <= UInt64(LinuxProcess.userTop) else { return .error(.EINVAL, args) }
            let overlap = UInt64(target) < UInt64(old) + oldSize && UInt64(old) < UInt64(target) + newSize
            if overlap { return .error(.EINVAL, args) }
        }
        // One VMA: every page of the old range mapped, with the permissions of the first.
        guard let perms = memory.permissions(at: old) else { return .error(.EFAULT, args) }
        var p = UInt64(old)
        while p < UInt64(old) + oldSize {
            guard memory.permissions(at: UInt32(p)) == perms else { return .error(.EFAULT, args) }
            p += UInt64(page)
        }
        let moving = flags & (FIXED | DONTUNMAP) != 0
        if !moving && newSize <= oldSize {
            if newSize < oldSize { memory.unmap(address: old + UInt32(newSize), size: UInt32(oldSize - newSize)) }
            return SyscallOutcome(value: Int32(bitPattern: old), arguments: args)
        }
        if !moving && UInt64(old) + newSize <= UInt64(LinuxProcess.userTop) && isFree(old + UInt32(oldSize), UInt32(newSize - oldSize)) {
            do { try memory.map(address: old + UInt32(oldSize), size: UInt32(newSize - oldSize), permissions: perms) }
            catch { return .error(.ENOMEM, args) }
            return SyscallOutcome(value: Int32(bitPattern: old), arguments: args)
        }
        guard flags & MAYMOVE != 0 else { return .error(.ENOMEM, args) }
        let destination: UInt32
        if flags & FIXED != 0 {
            memory.unmap(address: target, size: UInt32(newSize))
            destination = target
        } else {
            guard let found = findFreeRange(UInt32(newSize)) else { return .error(.ENOMEM, args) }
            destination = found
        }
        let kept = Int(min(oldSize, newSize))
        let contents = memory.withHostAccess(address: old, count: kept) {
            UnsafeRawBufferPointer(start: memory.hostPointer(old), count: kept).map { $0 }
        }
        do {
            try memory.map(address: destination, size: UInt32(newSize), permissions: perms)
            try memory.load(contents, at: destination)
        } catch { return .error(.ENOMEM, args) }
        memory.unmap(address: old, size: UInt32(oldSize))
        if flags & DONTUNMAP != 0 { try? memory.map(address: old, size: UInt32(oldSize), permissions: perms) }
        return SyscallOutcome(value: Int32(bitPattern: destination), arguments: args)
    }
}
