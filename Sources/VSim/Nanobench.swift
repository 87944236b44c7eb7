import Hypervisor
import Descriptions

/// `vsim nanobench`: Adams & Agesen's seven nanobenchmarks (ASPLOS 2006; programs/nanobench/)
/// under native-equivalent, bt, hvm without EPT, hvm with EPT, trap and pv, in modeled cycles per
/// iteration on one cost preset, beside the paper's cycles. Each cell is the difference between
/// a run of 2N and one of N iterations, divided by N (timer off), so boot, exit and one-time
/// costs (translation, adaptive retranslation) cancel; the events per iteration come the same way.
/// Then the paper's forkwait macrobenchmark (programs/nanobench/forkwait.s: a process with a
/// static glibc program's measured footprint forks, the child touches what a glibc child touches
/// and exits, the parent waits; under shadow paging the child's address space is built one hidden
/// page fault at a time), per process, beside the paper's seconds for 40,000 processes and
/// the same program run natively on this host.
public enum Nanobench {
    public static let benchmarks = ["syscall", "in", "cr8", "callret", "pgfault", "divzero", "ptemod"]

    /// The macrobenchmark: one iteration is one process (fork, exit, wait4).
    public static let forkwait = "forkwait"
    /// The paper's forkwait: seconds for 40,000 processes on their Pentium 4 (native, software
    /// VMM, hardware VMM without nested paging; ../shared/references/virtualization.md §2).
    public static let forkwaitPaper = (processes: 40_000.0, native: 6.0, bt: 36.9, hw: 106.4)

    /// A strategy column.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var mode: Mode
        public var ept: Bool?
    }
    public static let columns: [Column] = [
        Column(name: "native", mode: .interpret, ept: nil),
        Column(name: "bt", mode: .bt, ept: nil),
        Column(name: "hvm-shadow", mode: .hvm, ept: false),
        Column(name: "hvm-ept", mode: .hvm, ept: true),
        Column(name: "trap", mode: .trap, ept: nil),
        Column(name: "pv", mode: .pv, ept: nil),
    ]

    /// The paper's cycles (native, software VMM, hardware VMM), from
    /// ../shared/references/virtualization.md §2 ("~" where the reference only implies them).
    public static let paper: [String: (native: String, bt: String, hw: String)] = [
        "syscall": ("-", "native+2,000", "~native"),
        "in": ("3,209", "~214", "15,826"),
        "cr8": ("~140", "35", "~native"),
        "callret": ("11", "51", "11"),
        "pgfault": ("1,093", "3,927", "11,242"),
        "divzero": ("889", "3,223", "1,014"),
        "ptemod": ("1", "391", "12,733"),
    ]

    /// The cost presets a nanobenchmark may run on (`--cpu`; docs/cost-model.md).
    public static var cpuPresets: [String] { CostModel.presets.keys.sorted() }

    /// The column named `name` ("bt", "hvm-shadow", ...), if there is one.
    public static func column(named name: String) -> Column? { columns.first { $0.name == name } }

    /// Why a PV kernel has no row for a benchmark: it never executes that instruction.
    public static func notApplicable(_ bench: String, _ column: Column) -> String? {
        guard column.mode == .pv else { return nil }
        switch bench {
        case "syscall", "callret", forkwait: return nil
        case "ptemod": return "a PV kernel's page tables are read-only to it: it calls mmu_update"
        case "pgfault", "divzero": return "a PV kernel registers handlers with set_trap_table, it has no IDT to patch"
        default: return "a PV kernel at ring 1 does not run privileged instructions: it makes hypercalls"
        }
    }

    /// One cell: modeled cycles and events per iteration.
    public struct Cell: Sendable {
        public var cycles: Double
        public var events: [String: Double]
    }

    /// Runs `bench` under `column` with `iterations` and twice as many; nil when not applicable.
    /// - Parameter directory: where `BENCH.s` is; nil for the built-in copy of programs/nanobench.
    /// - Throws: ``VSimError`` when the program cannot be built or a run does not exit with 0.
    public static func measure(_ bench: String, _ column: Column, cpu: String, iterations: Int,
                               directory: String? = nil) throws(VSimError) -> Cell? {
        if notApplicable(bench, column) != nil { return nil }
        let resolved = try VSim.resolve(directory.map { .path($0 + "/\(bench).s") } ?? .embedded("nanobench/\(bench)"))
        func once(_ n: Int) throws(VSimError) -> RunResult {
            var options = RunOptions()
            options.io = .capture
            options.timerPeriod = 0
            options.cpu = cpu
            options.ept = column.ept
            if column.mode == .interpret { options.system = true; options.bareMetalCycles = true }
            // forkwait: every CR3 load empties the translator's cache, so the interpreter runs
            // it faster; the counts are the same on both engines.
            if bench == forkwait { options.engine = .interpret }
            let r = try column.mode.backend.run(resolved, arguments: [String(n)], options: options)
            if r.exitStatus == 152 {
                // Not a bug (70): the run needed more than vsim's time or instruction limit.
                throw .host("nanobench \(bench) under \(column.name) with \(n) iterations ran past vsim's limits (\(r.diagnostic ?? "SIGXCPU")); give fewer --iterations", status: 152)
            }
            guard r.exitStatus == 0, let _ = r.modeledCycles else {
                throw .host("nanobench \(bench) under \(column.name) failed: status \(r.exitStatus) \(r.diagnostic ?? "")")
            }
            return r
        }
        let a = try once(iterations), b = try once(2 * iterations)
        let n = Double(iterations)
        var events: [String: Double] = [:]
        for (kind, ka, kb) in [("trap", a.traps, b.traps), ("exit", a.exits, b.exits), ("hypercall", a.hypercalls, b.hypercalls),
                               ("callout", a.callouts, b.callouts)] {
            for (reason, count) in kb {
                let d = Double(count) - Double(ka[reason] ?? 0)
                if d != 0 { events["\(kind): \(reason)"] = d / n }
            }
        }
        return Cell(cycles: (Double(b.modeledCycles!) - Double(a.modeledCycles!)) / n, events: events)
    }

    /// forkwait run natively on this host: wall-clock microseconds per process, from a run of
    /// `2 * processes` minus one of `processes` (start-up cancels). A measurement, not a model.
    /// - Throws: ``VSimError`` when the program cannot be built or does not exit with 0.
    public static func forkwaitNative(processes: Int, directory: String? = nil) throws(VSimError) -> Double {
        let resolved = try VSim.resolve(directory.map { .path($0 + "/\(forkwait).s") } ?? .embedded("nanobench/\(forkwait)"))
        func once(_ n: Int) throws(VSimError) -> RunResult {
            var options = RunOptions()
            options.io = .capture
            let r = try Mode.native.backend.run(resolved, arguments: [String(n)], options: options)
            guard r.exitStatus == 0 else { throw .host("forkwait natively failed: status \(r.exitStatus) \(r.diagnostic ?? "")") }
            return r
        }
        let a = try once(processes), b = try once(2 * processes)
        return (Double(b.wallTimeNanoseconds) - Double(a.wallTimeNanoseconds)) / 1e3 / Double(processes)
    }

    /// The forkwait section of the report: modeled cycles and microseconds (at the preset's
    /// clock) per process for every column, the events per process, the paper's per-process
    /// microseconds and ratios beside, and the host's measured row.
    public static func forkwaitReport(cpu: String, processes: Int, nativeProcesses: Int, directory: String?) throws(VSimError) -> String {
        let clock = (try? CostModel.preset(cpu))?.clockGHz ?? CostModel.default.clockGHz
        var cells: [String: Cell] = [:]
        for column in columns {
            cells[column.name] = try measure(forkwait, column, cpu: cpu, iterations: processes, directory: directory)
        }
        let p = forkwaitPaper
        let paperUS: [String: Double] = ["native": p.native / p.processes * 1e6, "bt": p.bt / p.processes * 1e6,
                                         "hvm-shadow": p.hw / p.processes * 1e6]
        let native = cells["native"]!.cycles
        var out = "forkwait: fork + exit + wait4 per process, modeled, --cpu \(cpu) at \(NumberText.fixed(clock, 2)) GHz "
            + "(runs of \(2 * processes) minus \(processes) processes, timer off); paper: \(Int(p.processes)) processes, Pentium 4\n"
        let header = ["strategy", "cycles", "us/process", "vs native", "paper us/process", "paper vs native"]
        var rows: [[String]] = []
        for column in columns {
            let c = cells[column.name]!.cycles
            let paper = paperUS[column.name]
            rows.append([column.name, NumberText.grouped(UInt64(max(0, c.rounded()))), NumberText.fixed(c / clock / 1e3, 1),
                         NumberText.fixed(c / native, 2) + "x",
                         paper.map { NumberText.fixed($0, 0) } ?? "-",
                         paper.map { NumberText.fixed($0 / paperUS["native"]!, 2) + "x" } ?? "-"])
        }
        let host = try forkwaitNative(processes: nativeProcesses, directory: directory)
        rows.append(["host (measured)", "-", NumberText.fixed(host, 1), "-", NumberText.fixed(paperUS["native"]!, 0), "1.00x"])
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max()! }
        func line(_ r: [String]) -> String {
            r.indices.map { i in i == 0 ? r[i] + String(repeating: " ", count: widths[i] - r[i].count)
                : String(repeating: " ", count: widths[i] - r[i].count) + r[i] }.joined(separator: "  ")
        }
        out += line(header) + "\n" + line(header.map { String(repeating: "-", count: $0.count) }) + "\n"
        for r in rows { out += line(r) + "\n" }
        out += "events per process:\n"
        for column in columns where column.mode != .interpret {
            let list = cells[column.name]!.events.sorted { $0.key < $1.key }.map { "\($0.key) \(NumberText.fixed($0.value, 2))" }
            out += "  \(column.name): " + (list.isEmpty ? "none" : list.joined(separator: ", ")) + "\n"
        }
        out += "  unikernel: n/a (one address space: fork is -ENOSYS, as under Unikraft and HermiTux)\n"
        out += "host (measured): this machine's kernel, \(2 * nativeProcesses) minus \(nativeProcesses) processes, wall clock\n"
        return out
    }

    /// The whole table as text.
    public static func report(cpu: String, iterations: Int, directory: String?) throws(VSimError) -> String {
        var cells: [String: [String: Cell?]] = [:]
        for bench in benchmarks {
            for column in columns {
                cells[bench, default: [:]][column.name] = try measure(bench, column, cpu: cpu, iterations: iterations, directory: directory)
            }
        }
        func num(_ v: Double) -> String {
            let r = Int(v.rounded())
            var s = String(abs(r)), out = ""
            while s.count > 3 { out = "," + s.suffix(3) + out; s = String(s.dropLast(3)) }
            return (r < 0 ? "-" : "") + s + out
        }
        let header = ["benchmark"] + columns.map(\.name) + ["paper: native", "BT", "VT-x"]
        var rows: [[String]] = []
        for bench in benchmarks {
            let p = paper[bench]!
            rows.append([bench] + columns.map { c in cells[bench]![c.name]!.flatMap { $0 }.map { num($0.cycles) } ?? "n/a" }
                        + [p.native, p.bt, p.hw])
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max()! }
        func line(_ r: [String]) -> String {
            r.indices.map { i in i == 0 ? r[i] + String(repeating: " ", count: widths[i] - r[i].count)
                : String(repeating: " ", count: widths[i] - r[i].count) + r[i] }.joined(separator: "  ")
        }
        var out = "Adams & Agesen's nanobenchmarks: modeled cycles per iteration, --cpu \(cpu) "
            + "(runs of \(2 * iterations) minus \(iterations) iterations, timer off); paper: Pentium 4, ASPLOS 2006\n"
        out += line(header) + "\n" + line(header.map { String(repeating: "-", count: $0.count) }) + "\n"
        for r in rows { out += line(r) + "\n" }
        out += "events per iteration:\n"
        for bench in benchmarks {
            for column in columns where column.mode != .interpret {
                guard let cell = cells[bench]![column.name]!, !cell.events.isEmpty else { continue }
                let list = cell.events.sorted { $0.key < $1.key }.map { "\($0.key) \(NumberText.fixed($0.value, 2))" }
                out += "  \(bench) \(column.name): " + list.joined(separator: ", ") + "\n"
            }
        }
        for column in columns where column.mode == .pv {
            for bench in benchmarks { if let why = notApplicable(bench, column) { out += "  \(bench) pv: n/a (\(why))\n" } }
        }
        let cycles = { (b: String, c: String) -> Double in cells[b]![c]!.flatMap { $0 }?.cycles ?? .nan }
        let btWins = benchmarks.filter { cycles($0, "bt") < cycles($0, "hvm-shadow") }
        let hvmWins = benchmarks.filter { cycles($0, "hvm-shadow") < cycles($0, "bt") }
        out += "bt beats hvm without EPT on: \(btWins.joined(separator: ", ")); hvm without EPT beats bt on: \(hvmWins.joined(separator: ", "))\n"
        let eptWins = benchmarks.filter { cycles($0, "hvm-ept") < cycles($0, "bt") }
        out += "hvm with EPT beats bt on: \(eptWins.joined(separator: ", "))\n\n"
        out += try forkwaitReport(cpu: cpu, processes: max(1, iterations / 10), nativeProcesses: max(100, iterations * 5), directory: directory)
        return out
    }
}
