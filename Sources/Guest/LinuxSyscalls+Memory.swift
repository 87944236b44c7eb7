import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The address-space calls, with Linux's semantics (mm/mmap.c, mm/mprotect.c):
///
/// - `brk` grows the heap page by page after the highest segment, never over another mapping;
///   a refused request returns the current break, as Linux does.
/// - `mmap2` of anonymous memory: without MAP_FIXED at the hint if that range is free, else at
///   the highest free range below ``LinuxProcess/mmapTop`` (Linux's top-down allocator);
///   MAP_FIXED replaces whatever was mapped there (the old pages are discarded). Pages come
///   zeroed. PROT_WRITE or PROT_EXEC imply PROT_READ, as on x86 page tables.
///   A file-backed MAP_PRIVATE map (or a MAP_SHARED one without PROT_WRITE) holds a copy of the
///   file's bytes from `pgoffset * 4096`, zeros past the end of the file; it does not follow
///   later changes to the file. MAP_SHARED with PROT_WRITE returns -ENOSYS (writes would not
///   reach the file). The descriptor must be open for reading (EACCES) on a regular file or
///   block device (ENODEV).
/// - `mremap` (LinuxSyscalls+Remap.swift) shrinks, grows in place or moves a mapping.
/// - `munmap` removes any page-aligned range, mapped or not, in whole or in part.
/// - `mprotect` changes the permissions of a range that is entirely mapped (-ENOMEM otherwise).
extension LinuxProcess {
    /// The highest address a mapping may end at (the top of user space with the 3G/1G split).
    static var userTop: UInt32 { stackTop }

    func brk(_ requested: UInt32) -> SyscallOutcome {
        let args = requested == 0 ? "NULL" : "0x" + String(requested, radix: 16)
        let current = programBreak
        guard requested >= initialBreak, requested < LinuxProcess.stackTop - LinuxProcess.stackLimit else {
            return SyscallOutcome(value: Int32(bitPattern: current), arguments: args)
        }
        let oldEnd = LinuxProcess.pageRoundUp(UInt64(current)), newEnd = LinuxProcess.pageRoundUp(UInt64(requested))
        if newEnd > oldEnd {
            guard isFree(oldEnd, newEnd - oldEnd) else {
                return SyscallOutcome(value: Int32(bitPattern: current), arguments: args)
            }
            do { try memory.map(address: oldEnd, size: newEnd - oldEnd, permissions: [.read, .write]) }
            catch { return SyscallOutcome(value: Int32(bitPattern: current), arguments: args) }
        } else if newEnd < oldEnd {
            memory.unmap(address: newEnd, size: oldEnd - newEnd)
        }
        programBreak = requested
        return SyscallOutcome(value: Int32(bitPattern: requested), arguments: args)
    }

    /// Page permissions for a `PROT_*` mask (x86: write and execute imply read).
    static func permissions(prot: UInt32) -> PagePermissions {
        var perms: PagePermissions = []
        if prot & 7 != 0 { perms.insert(.read) }
        if prot & 2 != 0 { perms.insert(.write) }
        if prot & 4 != 0 { perms.insert(.execute) }
        return perms
    }

    /// Whether no page of `[address, address + size)` is mapped.
    func isFree(_ address: UInt32, _ size: UInt32) -> Bool {
        var page = address
        let end = UInt64(address) + UInt64(size)
        while UInt64(page) < end {
            if memory.permissions(at: page) != nil { return false }
            page &+= GuestMemory.pageSize
        }
        return true
    }

    /// The highest free page-aligned range of `size` bytes ending at or below ``mmapTop`` and
    /// starting above the program break, or nil.
    func findFreeRange(_ size: UInt32) -> UInt32? {
        let floor = UInt64(LinuxProcess.pageRoundUp(UInt64(programBreak)))
        var end = UInt64(mmapTop)
        while end >= floor + UInt64(size) {
            // Scan down from the top of the candidate; a mapped page moves the candidate below it.
            var page = end - UInt64(GuestMemory.pageSize)
            var clash: UInt64? = nil
            while page >= end - UInt64(size) {
                if memory.permissions(at: UInt32(page)) != nil { clash = page; break }
                if page < UInt64(GuestMemory.pageSize) { break }
                page -= UInt64(GuestMemory.pageSize)
            }
            guard let c = clash else { return UInt32(end - UInt64(size)) }
            end = c
        }
        return nil
    }

    func mmap2(_ a: [UInt32]) -> SyscallOutcome {
        let (address, length, prot, flags, fd) = (a[0], a[1], a[2], a[3], Int32(bitPattern: a[4]))
        let args = "0x\(String(address, radix: 16)), \(length), 0x\(String(prot, radix: 16)), 0x\(String(flags, radix: 16)), \(fd), \(a[5])"
        let MAP_SHARED: UInt32 = 1, MAP_PRIVATE: UInt32 = 2, MAP_FIXED: UInt32 = 0x10, MAP_ANONYMOUS: UInt32 = 0x20
        let MAP_FIXED_NOREPLACE: UInt32 = 0x100000
        let kind = flags & 3
        guard kind == MAP_SHARED || kind == MAP_PRIVATE || kind == 3 else { return .error(.EINVAL, args) }
        guard length > 0 else { return .error(.EINVAL, args) }
        var fileHost: Int32? = nil
        if flags & MAP_ANONYMOUS == 0 {
            guard let host = hostDescriptor(fd) else { return .error(.EBADF, args) }
            var st = stat()
            guard fstat(host, &st) == 0 else { return SyscallOutcome(value: -errno, arguments: args) }
            let type = st.st_mode & S_IFMT
            guard type == S_IFREG || type == S_IFBLK else { return SyscallOutcome(value: -ENODEV, arguments: args) }
            guard Glibc.fcntl(host, F_GETFL) & O_ACCMODE != O_WRONLY else { return .error(.EACCES, args) }
            if kind == MAP_SHARED && prot & 2 != 0 {
                return .error(.ENOSYS, args, note: "vsim maps files privately (a copy of their bytes): a writable MAP_SHARED file mapping would not write to the file")
            }
            fileHost = host
        }
        let size = LinuxProcess.pageRoundUp(UInt64(length))
        guard size > 0, UInt64(length) <= UInt64(LinuxProcess.userTop) else { return .error(.ENOMEM, args) }
        let perms = LinuxProcess.permissions(prot: prot)
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0
        var start: UInt32
        if fixed {
            guard address & (GuestMemory.pageSize - 1) == 0 else { return .error(.EINVAL, args) }
            guard UInt64(address) + UInt64(size) <= UInt64(LinuxProcess.userTop) else { return .error(.ENOMEM, args) }
            if flags & MAP_FIXED == 0 && !isFree(address, size) { return .error(.EEXIST, args) }
            start = address
            memory.unmap(address: start, size: size)     // MAP_FIXED replaces what was there
        } else if address != 0, address & (GuestMemory.pageSize - 1) == 0,
                  UInt64(address) + UInt64(size) <= UInt64(mmapTop), address >= LinuxProcess.pageRoundUp(UInt64(programBreak)),
                  isFree(address, size) {
            start = address                              // the hint is free: Linux takes it
        } else {
            guard let found = findFreeRange(size) else { return .error(.ENOMEM, args) }
            start = found
        }
        do { try memory.map(address: start, size: size, permissions: perms) } catch { return .error(.ENOMEM, args) }
        if let host = fileHost {
            // The file's bytes from pgoffset pages in; a short read leaves zeros (past EOF).
            var bytes = [UInt8](repeating: 0, count: Int(size))
            let offset = off_t(a[5]) * off_t(GuestMemory.pageSize)
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { Glibc.pread(host, $0.baseAddress! + done, $0.count - done, offset + off_t(done)) }
                if n <= 0 { break }
                done += n
            }
            let filled = Array(bytes[0..<done])
            if !filled.isEmpty {
                try? memory.load(filled, at: start)
                recordedWrites?.append((start, filled))
            }
        }
        return SyscallOutcome(value: Int32(bitPattern: start), arguments: args)
    }

    /// A lockstep reference run's `mmap2` of a file (its descriptor table is never used):
    /// the mapping the recorded run made, with the file bytes it loaded (`record.writes`).
    func replayFileMapping(_ a: [UInt32], _ record: SyscallRecord) {
        let start = UInt32(bitPattern: record.value)
        guard record.value < 0 ? record.value < -4095 : true, a[3] & 0x20 == 0 else { return }
        let size = LinuxProcess.pageRoundUp(UInt64(a[1]))
        memory.unmap(address: start, size: size)
        try? memory.map(address: start, size: size, permissions: LinuxProcess.permissions(prot: a[2]))
        for w in record.writes { try? memory.load(w.bytes, at: w.address) }
    }

    func munmap(_ address: UInt32, _ length: UInt32) -> SyscallOutcome {
        let args = "0x\(String(address, radix: 16)), \(length)"
        guard address & (GuestMemory.pageSize - 1) == 0, length > 0 else { return .error(.EINVAL, args) }
        let size = UInt64(LinuxProcess.pageRoundUp(UInt64(length)))
        guard UInt64(address) + size <= UInt64(LinuxProcess.userTop) else { return .error(.EINVAL, args) }
        memory.unmap(address: address, size: UInt32(size))
        return SyscallOutcome(value: 0, arguments: args)
    }

    func mprotect(_ address: UInt32, _ length: UInt32, _ prot: UInt32) -> SyscallOutcome {
        let args = "0x\(String(address, radix: 16)), \(length), 0x\(String(prot, radix: 16))"
        guard address & (GuestMemory.pageSize - 1) == 0 else { return .error(.EINVAL, args) }
        guard prot & ~UInt32(0x0300_0007) == 0 else { return .error(.EINVAL, args) }   // PROT_GROWSDOWN/UP allowed
        if length == 0 { return SyscallOutcome(value: 0, arguments: args) }
        let size = UInt64(LinuxProcess.pageRoundUp(UInt64(length)))
        guard UInt64(address) + size <= UInt64(LinuxProcess.userTop) else { return .error(.ENOMEM, args) }
        do {
            try memory.protect(address: address, size: UInt32(size), permissions: LinuxProcess.permissions(prot: prot))
        } catch {
            return .error(.ENOMEM, args)
        }
        return SyscallOutcome(value: 0, arguments: args)
    }

    /// `madvise`: MADV_DONTNEED (4) and MADV_FREE (8) drop the pages' contents (private anonymous
    /// memory reads back as zeros, as on Linux); the other advice values only hint and succeed.
    func madvise(_ address: UInt32, _ length: UInt32, _ advice: UInt32) -> SyscallOutcome {
        let args = "0x\(String(address, radix: 16)), \(length), \(advice)"
        guard address & (GuestMemory.pageSize - 1) == 0 else { return .error(.EINVAL, args) }
        let known: Set<UInt32> = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 100, 101]
        guard known.contains(advice) else { return .error(.EINVAL, args) }
        let size = UInt64(LinuxProcess.pageRoundUp(UInt64(length)))
        guard UInt64(address) + size <= UInt64(LinuxProcess.userTop) else { return .error(.ENOMEM, args) }
        var page = UInt64(address)
        var unmapped = false
        while page < UInt64(address) + size {
            if memory.permissions(at: UInt32(page)) == nil { unmapped = true }
            else if advice == 4 || advice == 8 {
                memory.withHostAccess(address: UInt32(page), count: Int(GuestMemory.pageSize)) {
                    _ = memory.hostPointer(UInt32(page)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(GuestMemory.pageSize))
                }
            }
            page += UInt64(GuestMemory.pageSize)
        }
        if advice == 4 || advice == 8 { memory.discarded(address: address, size: UInt32(size)) }
        return unmapped ? .error(.ENOMEM, args) : SyscallOutcome(value: 0, arguments: args)
    }
}
