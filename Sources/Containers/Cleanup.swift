/// Undo actions in the order they must run: the reverse of setup. Each setup step registers
/// its undo right after it succeeds, so a failure at any later step, a normal exit and an
/// interrupted run all go through the same teardown.
final class Cleanup {
    private var actions: [(String, () -> [String])] = []

    func add(_ what: String, _ undo: @escaping () -> [String]) { actions.append((what, undo)) }

    /// Runs every action, last first; returns their problems.
    func runAll() -> [String] {
        var problems: [String] = []
        while let (_, undo) = actions.popLast() { problems += undo() }
        return problems
    }
}

/// strdup'ed C strings that live as long as the pool.
final class CStringPool {
    private var owned: [UnsafeMutablePointer<CChar>] = []

    func add(_ s: String?) -> UnsafeMutablePointer<CChar>? {
        guard let s else { return nil }
        let p = strdup(s)!
        owned.append(p)
        return p
    }

    /// A NULL-terminated array for argv/envp.
    func array(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] { strings.map { add($0) } + [nil] }

    deinit { owned.forEach { free($0) } }
}

#if canImport(Glibc)
import Glibc
#endif
