#if canImport(Glibc)
import Glibc
#endif

/// Two charts in one SVG document (self-contained, no scripts), under a visible title (`<text
/// class="title">`: the program and its arguments, runs per mode, host CPU, kernel and date):
/// 1. slowdown against the baseline (native) per mode, horizontal bars on a log scale that
///    starts at a labelled 1x (a mode as fast as the baseline, or faster, has the shortest bar), one
///    `<rect class="bar">` per mode (an unavailable mode gets a zero-width bar and the word
///    "unavailable"; without a baseline every bar is zero-width and says why);
/// 2. where each mode's time goes: one stacked bar per mode (`class="stack"`), segments for guest
///    instructions, traps or exits, VMM work and start-up as shares of the run.
public enum SVGRenderer {
    static let colors = ["#4e79a7", "#e15759", "#f28e2b", "#76b7b2"]

    public static func render(_ report: ComparisonReport) -> String {
        let modes = report.modes
        let rowHeight = 24.0, left = 110.0, plotWidth = 520.0, right = 150.0
        let width = left + plotWidth + right
        let chartHeight = Double(modes.count) * rowHeight
        let top1 = 86.0, top2 = top1 + chartHeight + 90
        let height = top2 + chartHeight + 70
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        let h = report.header
        out += "<title>\(esc("vsim \(h.vsimVersion) compare: \(h.shownCommandLine)"))</title>\n"
        out += "<desc>\(esc("host: \(h.hostCPU); kernel \(h.kernel); \(h.date); \(h.runs) runs per mode"))</desc>\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<g class=\"title\">\n"
        out += text(x: 10, y: 20, "vsim compare: \(h.shownCommandLine), \(h.runs) run\(h.runs == 1 ? "" : "s") per mode", weight: "bold", size: 15)
        out += text(x: 10, y: 38, "host: \(h.hostCPU); kernel \(h.kernel); \(h.date)", size: 11)
        out += "</g>\n"

        // Chart 1: slowdown, log scale from 1x to the next power of ten above the largest.
        let base = report.baselineMode ?? "native"
        out += text(x: 10, y: top1 - 26, "Slowdown against \(base) (median wall time; modeled rows: modeled cycles, marked m; log scale from 1x)", weight: "bold", size: 14)
        let slowdowns = modes.map { $0.modeledSlowdown ?? report.slowdown(of: $0) }
        let largest = slowdowns.compactMap { $0 }.max() ?? 1
        let lo = 1.0, hi = pow(10, max(1, ceil(log10(max(largest, 1.0001)))))
        func x(_ r: Double) -> Double { left + plotWidth * (log10(max(r, lo)) - log10(lo)) / (log10(hi) - log10(lo)) }
        out += "<g class=\"axis\">\n"
        var tick = 1.0
        while tick <= hi {
            out += "<line x1=\"\(f(x(tick)))\" y1=\"\(f(top1 - 4))\" x2=\"\(f(x(tick)))\" y2=\"\(f(top1 + chartHeight))\" stroke=\"\(tick == 1 ? "#333" : "#ccc")\"/>\n"
            out += text(x: x(tick), y: top1 + chartHeight + 14, "\(Int(tick))x", anchor: "middle", size: 10)
            tick *= 10
        }
        out += "</g>\n<g class=\"slowdown\">\n"
        for (i, s) in modes.enumerated() {
            let y = top1 + Double(i) * rowHeight
            out += text(x: left - 6, y: y + 15, s.mode, anchor: "end")
            let r = slowdowns[i]
            let w = r.map { max(1, x($0) - x(lo)) } ?? 0
            out += "<rect class=\"bar\" data-mode=\"\(esc(s.mode))\" x=\"\(f(x(lo)))\" y=\"\(f(y + 4))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 8))\" fill=\"\(s.isAvailable ? colors[0] : "#bbb")\"/>\n"
            let label: String
            if !s.isAvailable { label = "unavailable" }
            else if let r {
                label = s.modeledSlowdown != nil ? Format.ratio(r) + " m (modeled)"
                    : Format.ratio(r) + (report.slowdownStandardDeviation(of: s).map { " ± " + Format.fixed($0, $0 >= 10 ? 0 : 2) } ?? "")
            } else { label = report.mismatches.isEmpty ? "no \(base) baseline" : "runs disagree" }
            out += text(x: x(lo) + w + 6, y: y + 15, label, size: 11)
        }
        out += "</g>\n"

        // Chart 2: where the time goes.
        out += text(x: 10, y: top2 - 26, "Where each strategy's time goes (share of the median run)", weight: "bold", size: 14)
        out += "<g class=\"breakdown\">\n"
        for (i, s) in modes.enumerated() {
            let y = top2 + Double(i) * rowHeight
            out += text(x: left - 6, y: y + 15, s.mode, anchor: "end")
            out += "<g class=\"stack\" data-mode=\"\(esc(s.mode))\">\n"
            if let b = s.breakdown, b.total > 0, s.isAvailable {
                var at = left
                for (j, part) in b.parts.enumerated() where part.1 > 0 {
                    let w = plotWidth * part.1 / b.total
                    out += "<rect class=\"segment\" data-part=\"\(esc(part.0))\" x=\"\(f(at))\" y=\"\(f(y + 4))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 8))\" fill=\"\(colors[j])\"><title>\(esc("\(part.0): \(Format.duration(part.1))"))</title></rect>\n"
                    at += w
                }
                out += text(x: left + plotWidth + 6, y: y + 15, "\(Format.duration(b.total)) (\(b.basis))", size: 11)
            } else {
                out += text(x: left + 4, y: y + 15, s.isAvailable ? "no breakdown" : "unavailable", size: 11)
            }
            out += "</g>\n"
        }
        out += "</g>\n<g class=\"legend\">\n"
        for (j, name) in TimeBreakdown.partNames.enumerated() {
            let lx = left + Double(j) * 130
            let ly = top2 + chartHeight + 20
            out += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"12\" height=\"12\" fill=\"\(colors[j])\"/>\n"
            out += text(x: lx + 16, y: ly + 10, name, size: 11)
        }
        out += "</g>\n</svg>\n"
        return out
    }

    static func text(x: Double, y: Double, _ s: String, anchor: String = "start", weight: String = "normal", size: Int = 12) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" font-size=\"\(size)\">\(esc(s))</text>\n"
    }

    static func f(_ v: Double) -> String { Format.fixed(v, 1) }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
