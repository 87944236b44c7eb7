/// Prints instructions in AT&T syntax, exactly as GNU objdump 2.40 `objdump -d` prints the text
/// after the bytes column (mnemonic padded to 6 characters and a space, then the operands).
public enum ATTPrinter {
    /// The text of `insn`, e.g. `movl   $0x1,(%eax)` or `call   8049005 <_start+0x5>`.
    /// Branch targets are named through `symbols` when given (`0x8049005` without).
    public static func format(_ insn: Instruction, symbols: Symbolizer?) -> String {
        var f = InstructionFormatter(insn, intel: false, symbols: symbols)
        return f.format()
    }
}
