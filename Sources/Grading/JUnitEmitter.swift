import Descriptions
/// JUnit XML in the subset CI tools read: `<testsuites>` with one `<testsuite>` (the lab), a
/// `<properties>` block (lab, seed, student, score, max_score, vsim), and one `<testcase>` per
/// test (`classname` = `vsim.<lab>`, `name` = the test id and name) holding `<failure>` or
/// `<error>` (message = the first problem, text = the test's output) and `<system-out>`.
/// `time` attributes (seconds) are written only with timings.
public struct JUnitEmitter {
    public var timings: Bool
    public init(timings: Bool = true) { self.timings = timings }

    public func render(_ r: GradingResult) -> String {
        let e = XMLText.attribute
        let time = { (s: Double) in self.timings ? " time=\"\(NumberText.fixed(s, 3))\"" : "" }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let counts = "tests=\"\(r.tests.count)\" failures=\"\(r.failedCount)\" errors=\"\(r.errorCount)\""
        x += "<testsuites name=\"vsim lab \(e(r.labID))\" \(counts)\(time(r.seconds))>\n"
        x += "  <testsuite name=\"\(e(r.labID))\" \(counts) skipped=\"0\"\(time(r.seconds))>\n"
        x += "    <properties>\n"
        var properties = [("lab", r.labID), ("title", r.labTitle), ("seed", String(r.variant.seed))]
        if let s = r.variant.student { properties.append(("student", s)) }
        for (name, value) in r.variant.values { properties.append(("variant." + name, value)) }
        properties += [("score", GradingResult.points(r.score)), ("max_score", GradingResult.points(r.maxScore)),
                       ("vsim", r.vsimVersion)]
        for (name, value) in properties { x += "      <property name=\"\(e(name))\" value=\"\(e(value))\"/>\n" }
        x += "    </properties>\n"
        for t in r.tests {
            x += "    <testcase name=\"\(e(t.id + ": " + t.name))\" classname=\"vsim.\(e(r.labID))\"\(time(t.seconds))>\n"
            let first = t.output.split(separator: "\n").first.map(String.init) ?? ""
            switch t.status {
            case .passed: break
            case .failed:
                x += "      <failure message=\"\(e(first))\" type=\"failed\">\(XMLText.escape(t.output))</failure>\n"
            case .error:
                x += "      <error message=\"\(e(first))\" type=\"error\">\(XMLText.escape(t.output))</error>\n"
            }
            x += "      <system-out>\(XMLText.escape("points: \(GradingResult.points(t.score))/\(GradingResult.points(t.maxScore))\n" + t.output))</system-out>\n"
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}
