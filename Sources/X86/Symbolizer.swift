/// Names branch targets for the printers, the way objdump writes `8049005 <_start+0x5>`.
public protocol Symbolizer {
    /// The symbol covering `address` (objdump: the nearest symbol at or before it) and the offset
    /// of `address` from it, or nil. An offset of 2^31 or more is read as negative (`address`
    /// before the symbol, printed `<_start-0x10>` as objdump does for targets before the first
    /// symbol).
    func symbol(for address: UInt32) -> (name: String, offset: UInt32)?
}
