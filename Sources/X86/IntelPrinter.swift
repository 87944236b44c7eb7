/// Prints instructions in Intel syntax, exactly as GNU objdump 2.40 `objdump -d -M intel` prints
/// the text after the bytes column.
public enum IntelPrinter {
    /// The text of `insn`, e.g. `mov    DWORD PTR [eax+0x4],0x1`.
    public static func format(_ insn: Instruction, symbols: Symbolizer?) -> String {
        var f = InstructionFormatter(insn, intel: true, symbols: symbols)
        return f.format()
    }
}
