import Machine
#if canImport(Glibc)
import Glibc
#endif

/// `call rep_movs` and `call rep_stos` (docs/risc-target.md, "Helpers"): REP MOVS and REP STOS
/// (Intel SDM Vol. 2B, "MOVS/MOVSB/MOVSW/MOVSD", "STOS/STOSB/STOSW/STOSD", "REP/REPE/REPZ/
/// REPNE/REPNZ") done by one host copy or fill instead of the interpreter's element loop, as
/// QEMU's translator calls a `helper_*`. The translator emits them only for 32-bit addresses in
/// a flat mode (ES and DS base 0, no segment override).
///
/// The fast case: ECX = 0 (nothing happens), or DF = 0 and every page the instruction touches
/// allows it on the interpreter's own fast path (``GuestMemory`` page-table entry: R for the
/// source, R and W for the destination, neither supervisor nor holding decoded code), with no
/// wrap past 4 GiB. The result is then the interpreter's: the bytes of ECX elements copied or
/// stored in order (an overlapping forward MOVS, destination above source, copies element by
/// element and repeats the pattern, as the CPU does), ESI and EDI advanced by ECX × size,
/// ECX = 0, no flag changed. Every other case (DF = 1, a page missing or read-only, a store into
/// code, a fault in the middle: ECX, ESI and EDI must stop exactly where the CPU stops) runs the
/// instruction in the interpreter through ``execInsn(block:index:count:counter:)``. Either way
/// the instruction retires as one guest instruction, as the interpreter counts a REP string
/// instruction (`Interpreter+Strings.swift` runs every iteration in one step).
extension TranslationEngine {
    /// Whether every page of `[a, a + len)` (len > 0, no wrap) has an entry with all the bits of
    /// `need` and none of `deny`.
    @inline(__always) func pagesAllow(_ a: UInt32, _ len: UInt64, need: UInt8, deny: UInt8) -> Bool {
        let pt = memory.pageTableBase
        var p = Int(a >> 12)
        let last = Int((UInt64(a) + len - 1) >> 12)
        while p <= last {
            if pt[p] & (need | deny) != need { return false }
            p += 1
        }
        return true
    }

    /// `rep_movs` (`movs` true) or `rep_stos` of `size`-byte elements (1, 2, 4): instruction
    /// `index` of block `block` (`count` instructions; `raw`: the generated code's counter, as
    /// for ``execInsn(block:index:count:counter:)``). Returns 0, or the exit code with
    /// ``Thunks/leave`` from the interpreter's run.
    func repString(movs: Bool, size: UInt32, block: UInt32, index: UInt32, count n: UInt64, counter raw: UInt64) -> UInt64 {
        let r = cpu.raw
        let ecx = r[1]
        if ecx == 0 {
            stats.stringHelperInstructions += 1
            return 0
        }
        let len = UInt64(ecx) * UInt64(size)
        let edi = r[7]
        let readable = GuestMemory.entryRead, writable = GuestMemory.entryRead | GuestMemory.entryWrite
        let denied = GuestMemory.entrySupervisor | GuestMemory.entryCode
        guard r[15] & EFLAGS.df == 0, UInt64(edi) + len <= 1 << 32,
              pagesAllow(edi, len, need: writable, deny: denied) else {
            return execInsn(block: block, index: index, count: n, counter: raw)
        }
        let base = memory.base
        let d = base + Int(edi)
        if movs {
            let esi = r[6]
            guard UInt64(esi) + len <= 1 << 32, pagesAllow(esi, len, need: readable, deny: GuestMemory.entrySupervisor) else {
                return execInsn(block: block, index: index, count: n, counter: raw)
            }
            let s = base + Int(esi)
            if edi <= esi || UInt64(edi) >= UInt64(esi) + len {
                // No element reads a byte an earlier element wrote: a plain copy.
                memmove(d, s, Int(len))
            } else {
                // The destination overlaps the source from above: element by element, forwards.
                var k = 0
                let step = Int(size)
                while k < Int(len) {
                    switch size {
                    case 4: (d + k).storeBytes(of: (s + k).loadUnaligned(as: UInt32.self), as: UInt32.self)
                    case 2: (d + k).storeBytes(of: (s + k).loadUnaligned(as: UInt16.self), as: UInt16.self)
                    default: (d + k).storeBytes(of: (s + k).load(as: UInt8.self), as: UInt8.self)
                    }
                    k += step
                }
            }
            r[6] = esi &+ UInt32(truncatingIfNeeded: len)
        } else {
            let v = r[0]
            let byte = UInt8(truncatingIfNeeded: v)
            let uniform = size == 1 || (size == 2 ? v & 0xFFFF == UInt32(byte) * 0x0101 : v == UInt32(byte) * 0x0101_0101)
            if uniform {
                memset(d, Int32(byte), Int(len))
            } else if size == 2 {
                let h = UInt16(truncatingIfNeeded: v)
                for k in 0..<Int(ecx) { (d + 2 * k).storeBytes(of: h, as: UInt16.self) }
            } else {
                for k in 0..<Int(ecx) { (d + 4 * k).storeBytes(of: v, as: UInt32.self) }
            }
        }
        r[7] = edi &+ UInt32(truncatingIfNeeded: len)
        r[1] = 0
        stats.stringHelperInstructions += 1
        return 0
    }
}

/// `packed` as for `exec_insn`; `size`: the element size (1, 2, 4).
let helperRepMovs: @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64, UInt32) -> UInt64 = { ctx, packed, counter, size in
    TranslationEngine.with(ctx) {
        $0.repString(movs: true, size: size, block: UInt32(packed >> 32), index: UInt32(packed & 0xFFFF),
                     count: (packed >> 16) & 0xFFFF, counter: counter)
    }
}
let helperRepStos: @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64, UInt32) -> UInt64 = { ctx, packed, counter, size in
    TranslationEngine.with(ctx) {
        $0.repString(movs: false, size: size, block: UInt32(packed >> 32), index: UInt32(packed & 0xFFFF),
                     count: (packed >> 16) & 0xFFFF, counter: counter)
    }
}
