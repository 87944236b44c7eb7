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

    /// ``Interpreter/rdSlow(_:_:write:)`` without retaining the interpreter. Returns the
    /// exception instead of throwing it (the inlined caller throws it: ``rd(_:_:)``), so that
    /// the block loop makes no throwing call and the host's error register (r12 on x86-64) is
    /// free to hold one of its values.
    @inline(never)
    func rdSlow(_ a: UInt32, _ size: UInt8, write: Bool) -> Result<UInt32, CPUException> {
        ip._withUnsafeGuaranteedRef { i -> Result<UInt32, CPUException> in
            do throws(CPUException) { return .success(try i.rdSlow(a, size, write: write)) } catch { return .failure(error) }
        }
    }

    /// ``Interpreter/wrSlow(_:_:_:)`` without retaining the interpreter; returns the exception
    /// as ``rdSlow(_:_:write:)`` does.
    @inline(never)
    func wrSlow(_ a: UInt32, _ size: UInt8, _ v: UInt32) -> Result<Void, CPUException> {
        ip._withUnsafeGuaranteedRef { i -> Result<Void, CPUException> in
            do throws(CPUException) { return .success(try i.wrSlow(a, size, v)) } catch { return .failure(error) }
        }
    }
}

extension Result where Failure == CPUException {
    /// ``get()``, inlined: the block loop's out-of-line calls return their exception
    /// (``HotContext/rdSlow(_:_:write:)``), and the loop throws it to its own `catch` without
    /// a throwing call (``get()`` itself may stay a call).
    @_transparent func unwrapped() throws(CPUException) -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw e
        }
    }
}
