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
/// The fast case: ECX = 0 (nothing happens), or every page the instruction touches (upwards
/// from ESI/EDI when DF = 0, downwards when DF = 1) allows it on the interpreter's own fast path
/// (``GuestMemory`` page-table entry: R for the source, R and W for the destination, neither
/// supervisor nor holding decoded code), with no wrap past 0 or 4 GiB. The result is then the
/// interpreter's: the bytes of ECX elements copied or stored in the CPU's order (a MOVS whose
/// destination lies ahead of its source in that order and overlaps it copies element by element
/// and repeats the pattern, as the CPU does; otherwise one `memmove`), ESI and EDI advanced by
/// ECX × size in DF's direction, ECX = 0, no flag changed. Every other case (a page missing or
/// read-only, a store into code, a fault in the middle: ECX, ESI and EDI must stop exactly where
/// the CPU stops) runs the instruction in the interpreter through
/// ``execInsn(block:index:count:counter:)``. Either way
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
        // The bytes touched: [edi - (ECX - 1) * size, edi + size) when DF = 1, else [edi, edi + len).
        let len = UInt64(ecx) * UInt64(size)
        let down = r[15] & EFLAGS.df != 0
        let back = len - UInt64(size)
        let edi = r[7], esi = r[6]
        let readable = GuestMemory.entryRead, writable = GuestMemory.entryRead | GuestMemory.entryWrite
        let denied = GuestMemory.entrySupervisor | GuestMemory.entryCode
        func range(_ a: UInt32) -> UInt32? {
            if down { return UInt64(a) >= back && UInt64(a) + UInt64(size) <= 1 << 32 ? a &- UInt32(back) : nil }
            return UInt64(a) + len <= 1 << 32 ? a : nil
        }
        guard let dlo = range(edi), pagesAllow(dlo, len, need: writable, deny: denied) else {
            return execInsn(block: block, index: index, count: n, counter: raw)
        }
        let base = memory.base
        let d = base + Int(dlo)
        if movs {
            guard let slo = range(esi), pagesAllow(slo, len, need: readable, deny: GuestMemory.entrySupervisor) else {
                return execInsn(block: block, index: index, count: n, counter: raw)
            }
            let s = base + Int(slo)
            // Element by element in the CPU's order reads a byte an earlier element wrote only
            // when the destination lies ahead of the source in that order and overlaps it.
            let ahead = down ? dlo < slo : dlo > slo
            if !ahead || UInt64(max(dlo, slo) - min(dlo, slo)) >= len {
                memmove(d, s, Int(len))
            } else {
                let step = Int(size)
                var k = down ? Int(len) - step : 0
                for _ in 0..<Int(ecx) {
                    switch size {
                    case 4: (d + k).storeBytes(of: (s + k).loadUnaligned(as: UInt32.self), as: UInt32.self)
                    case 2: (d + k).storeBytes(of: (s + k).loadUnaligned(as: UInt16.self), as: UInt16.self)
                    default: (d + k).storeBytes(of: (s + k).load(as: UInt8.self), as: UInt8.self)
                    }
                    k += down ? -step : step
                }
            }
            r[6] = down ? esi &- UInt32(truncatingIfNeeded: len) : esi &+ UInt32(truncatingIfNeeded: len)
        } else {
            // Every element holds the same value: the order does not matter.
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
        r[7] = down ? edi &- UInt32(truncatingIfNeeded: len) : edi &+ UInt32(truncatingIfNeeded: len)
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
