import Machine

/// The guest RAM of the guest kernel's machine (`--memory SIZE`): how a size is written and
/// which sizes the kernel can use.
///
/// A size is a whole number of bytes with an optional binary suffix, `K`, `M` or `G` (KiB,
/// MiB, GiB; `KiB`, `MiB`, `GiB` and a trailing `B` accepted), e.g. `64M`, `1G`, `67108864`. The
/// guest kernel maps RAM for itself in whole 4 MiB page tables (one directory entry each, shared
/// by every process: docs/boot-protocol.md), so a size must be a multiple of 4 MiB, at least
/// ``minimum`` (the kernel and its boot allocations) and at most ``maximum`` (3 GiB: user space
/// lies above RAM and below 0xc0000000). The kernel's identity map of RAM lies below user space:
/// a program linked at i386's usual 0x08048000 fits under at most 128 MiB.
public enum GuestMemorySize {
    /// What vsim gives without `--memory`: 32 MiB.
    public static let `default`: UInt32 = MMU.defaultRAMSize
    public static let minimum: UInt32 = 8 << 20
    public static let maximum: UInt32 = 3 << 30
    /// The granularity: one page table of the kernel's identity map.
    public static let granule: UInt32 = 4 << 20

    /// Bytes for `text`.
    /// - Throws: ``VSimError/usage(_:)`` naming the value, what is wrong and what to give.
    public static func parse(_ text: String) throws(VSimError) -> UInt32 {
        var digits = Substring(text)
        var unit: UInt64 = 1
        let upper = text.uppercased()
        for (suffix, value) in [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20),
                                ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)] as [(String, UInt64)]
            where upper.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            unit = value
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt64(digits),
              n <= UInt64.max / unit else {
            throw .usage("--memory \(text): not a size; give bytes or a number with K, M or G (e.g. 64M, 1G)")
        }
        let bytes = n * unit
        guard bytes % UInt64(granule) == 0 else {
            throw .usage("--memory \(text): the guest kernel maps RAM in 4 MiB page tables; give a multiple of 4M (e.g. \(roundUp(bytes) >> 20)M)")
        }
        guard bytes >= UInt64(minimum), bytes <= UInt64(maximum) else {
            throw .usage("--memory \(text): give from \(minimum >> 20)M to \(maximum >> 30)G (the kernel needs \(minimum >> 20) MiB; user space lies above RAM and below 0xc0000000)")
        }
        return UInt32(bytes)
    }

    /// `bytes` rounded up to a size `--memory` accepts (a multiple of 4 MiB, at least the minimum).
    public static func roundUp(_ bytes: UInt64) -> UInt64 {
        max(UInt64(minimum), (bytes + UInt64(granule) - 1) / UInt64(granule) * UInt64(granule))
    }
}
