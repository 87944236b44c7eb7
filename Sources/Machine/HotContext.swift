/// The interpreter's raw state as one value: the register file (``CPUState/raw``), guest memory
/// and its page table (``GuestMemory``, the page table at a fixed distance below the memory), and
/// the interpreter for the slow paths. The block loop
/// (``Interpreter/runFast(_:)``) makes one before it starts and runs the hot forms on it
/// (Interpreter+Hot.swift, Interpreter+Access.swift), so that the pointers stay in host
/// registers: read from the interpreter object instead, each would be loaded again after every
/// store through the register file, since LLVM cannot tell that such a store leaves the object's
/// fields alone. Holds the interpreter unretained (``Unmanaged``): a value made by the
/// interpreter for its own run, never kept beyond it, with no reference counting in the loop.
struct HotContext {
    /// ``CPUState/raw``: the general registers (word indices 0-7), EIP, the lazy flags, the
    /// segment bases (``CPUState`` names the indices).
    let s: UnsafeMutablePointer<UInt32>
    /// Host address of guest address 0 (``GuestMemory/base``).
    let mem: UnsafeMutableRawPointer
    /// One permission byte per guest page (``GuestMemory/pageTable``), which lies at a fixed
    /// distance below ``mem``: worked out from it, so that both take one host register.
    @inline(__always) var pt: UnsafeMutablePointer<UInt8> {
        (mem - GuestMemory.pageTableBytes).assumingMemoryBound(to: UInt8.self)
    }
    /// The interpreter, for the slow paths of guest memory (page faults, code writes).
    let ip: Unmanaged<Interpreter>

    /// ``s`` as bytes (registers at the byte offsets of ``DecodedOp``).
    @inline(__always) var sb: UnsafeMutableRawPointer { UnsafeMutableRawPointer(s) }

    /// ``Interpreter/rdSlow(_:_:write:)`` without retaining the interpreter.
    @inline(never)
    func rdSlow(_ a: UInt32, _ size: UInt8, write: Bool) throws(CPUException) -> UInt32 {
        try ip._withUnsafeGuaranteedRef { i -> Result<UInt32, CPUException> in
            do throws(CPUException) { return .success(try i.rdSlow(a, size, write: write)) } catch { return .failure(error) }
        }.get()
    }

    /// ``Interpreter/wrSlow(_:_:_:)`` without retaining the interpreter.
    @inline(never)
    func wrSlow(_ a: UInt32, _ size: UInt8, _ v: UInt32) throws(CPUException) {
        try ip._withUnsafeGuaranteedRef { i -> Result<Void, CPUException> in
            do throws(CPUException) { return .success(try i.wrSlow(a, size, v)) } catch { return .failure(error) }
        }.get()
    }
}
