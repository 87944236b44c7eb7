import Descriptions
import Machine

/// The guest RAM of the guest kernel's machine (`--memory SIZE`): how a size is written and
/// which sizes the kernel can use.
///
/// A size is written as for `container run --memory` (``ByteSize``: Docker's spelling, a number
/// with an optional binary unit, e.g. `64M`, `1G`, `1.5G`, `67108864`). The
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
        let outOfRange = VSimError.usage("--memory \(text): give from \(minimum >> 20)M to \(maximum >> 30)G (the kernel needs \(minimum >> 20) MiB; user space lies above RAM and below 0xc0000000)")
        let bytes: UInt64
        switch ByteSize.read(text) {
        case .bytes(let b): bytes = b
        case .notASize:
            throw .usage("--memory \(text): not a size; give bytes or a number with K, M or G (e.g. 64M, 1G)")
        case .tooLarge: throw outOfRange
        }
        guard bytes <= UInt64(maximum) else { throw outOfRange }
        guard bytes % UInt64(granule) == 0 else {
            throw .usage("--memory \(text): the guest kernel maps RAM in 4 MiB page tables; give a multiple of 4M (e.g. \(roundUp(bytes) >> 20)M)")
        }
        guard bytes >= UInt64(minimum) else { throw outOfRange }
        return UInt32(bytes)
    }

    /// `bytes` rounded up to a size `--memory` accepts (a multiple of 4 MiB, at least the minimum).
    public static func roundUp(_ bytes: UInt64) -> UInt64 {
        max(UInt64(minimum), (bytes + UInt64(granule) - 1) / UInt64(granule) * UInt64(granule))
    }
}
