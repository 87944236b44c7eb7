import Foundation
import XCTest
import Hypervisor
import Reports
@testable import VSim

/// `vsim compare`'s modeled rows (trap, hvm, pv, bt): their cost column is the modeled time
/// (modeled cycles at the preset CPU's clock) and its ratio to the program's own instructions at
/// the model's cycles per instruction; vsim's own wall time is shown apart, labelled.
final class ModeledReportTests: XCTestCase {
    func testModeledRowsShowModeledTime() throws {
        let repository: String = {
            var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
            parts.removeLast(3)
            return parts.joined(separator: "/")
        }()
        let report = try VSim.compare(program: .path(repository + "/programs/sumsq.s"), modes: [.interpret, .bt, .hvm],
                                      runs: 1, arguments: ["20000"])
        let user = try XCTUnwrap(report.modes.first { $0.mode == "interpret" }?.instructions)
        for mode in ["bt", "hvm"] {
            let s = try XCTUnwrap(report.modes.first { $0.mode == mode })
            let cycles = Double(try XCTUnwrap(s.modeledCycles))
            XCTAssertEqual(try XCTUnwrap(s.modeledSeconds), cycles / 3.4e9, accuracy: 1e-15, "haswell: 3.4 GHz")
            XCTAssertEqual(try XCTUnwrap(s.modeledSlowdown), cycles / Double(user), accuracy: 1e-12)
        }
        XCTAssertNil(report.modes.first { $0.mode == "interpret" }?.modeledSeconds, "measured rows stay measured")
        let table = TableRenderer.render(report)
        XCTAssertTrue(table.contains("simulator wall time of the modeled rows"), table)
        XCTAssertTrue(table.split(separator: "\n").contains { $0.hasPrefix("bt ") && $0.contains(" m ") }, table)
        let json = JSONRenderer.render(report)
        XCTAssertTrue(json.contains("\"modeled_seconds\""))
    }
}
