/// Names branch targets for the printers, the way objdump writes `8049005 <_start+0x5>`.
public protocol Symbolizer {
    /// The symbol that names `address` (objdump: the nearest symbol at or below it, else the
    /// lowest symbol) and `offset = address - symbol` modulo 2^32, or nil. The printers recover
    /// the symbol's address as `address &- offset` and print `<sym+0x…>` when it is at or below
    /// `address`, `<sym-0x…>` when it is above (a target before the first symbol), each with the
    /// unsigned distance, as objdump does: `call c0000000 <__bss_start+0xb7fb5ff8>`,
    /// `jmp 1000 <_start-0x8048000>`.
    func symbol(for address: UInt32) -> (name: String, offset: UInt32)?
}
