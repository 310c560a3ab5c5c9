import Foundation
import Testing
@testable import Grader

@Suite("The HTML feedback report")
struct HTMLReportTests {
  func page(showHidden: Bool = false) throws -> (GradeReport, String) {
    let report = try mixedReport()
    let g = try grader("rnn-bptt")
    return (report, report.htmlReport(showHidden: showHidden, context: HTMLReportContext.make(for: g, student: report.student)))
  }

  @Test("one self-contained page: no scripts, nothing loaded from elsewhere")
  func selfContained() throws {
    let (_, html) = try page()
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("src="))
    #expect(!html.contains("<link"))
    #expect(!html.contains("url(http"))
    // The only addresses are SVG's namespace name, which is not fetched.
    let addresses = html.components(separatedBy: "http").count - 1
    #expect(addresses == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
  }

  @Test("every item's statement, status and finding; diagnoses with their hints")
  func items() throws {
    let (report, html) = try page()
    for item in report.items {
      #expect(html.contains("id=\"item-\(item.id)\""))
      #expect(html.contains(XMLText.escape(item.message)))
    }
    let diagnosis = try #require(report.item("dW_h")?.diagnosis)
    #expect(html.contains(XMLText.escape(diagnosis.hint)))
    #expect(html.contains("known mistake: \(diagnosis.id)"))
  }

  @Test("items that do not pass carry their derivation at the student's inputs, as grade explain prints it")
  func derivations() throws {
    let (report, html) = try page()
    let g = try grader("rnn-bptt")
    for item in report.items {
      let explanation = try Explainer.explain(assignment: g.assignment, item: item.id, student: report.student, values: false)
      let shown = html.contains(XMLText.escape(explanation.rendered()))
      #expect(shown == (item.status != .pass), "\(item.id): \(item.status)")
    }
  }

  @Test("heatmaps of |yours − reference| for failing matrices, one per slice of a stack; one cell per entry")
  func heatmaps() throws {
    let (report, html) = try page()
    let heatmaps = html.components(separatedBy: "<svg class=\"heatmap\"").count - 1
    let T = report.item("dW_h_terms")!.expectedShape[0]
    // dW_h (1), delta2 (1, its NaN entry black), dW_h_terms (T slices); passing items have none.
    #expect(heatmaps == 2 + T)
    let cells = html.components(separatedBy: "<rect x=").count - 1
    let entries = ["dW_h", "delta2", "dW_h_terms"].map { report.item($0)!.expected!.count }.reduce(0, +)
    #expect(cells >= entries)
    #expect(html.contains("fill=\"#000000\""))
  }

  @Test("BPTT pictures: per-step terms yours against the reference, and ‖∂J^(t)/∂h^(i)‖ by distance")
  func bpttCharts() throws {
    let (report, html) = try page()
    #expect(html.contains("‖∂J^(T)/∂W_h|_(i)‖_F"))
    #expect(html.contains("How the gradient travels back through time"))
    let T = report.item("dW_h_terms")!.expectedShape[0]
    for t in 1...T { #expect(html.contains(">t = \(t)</text>")) }
  }

  @Test("hidden items show no details unless asked")
  func hidden() throws {
    var report = try mixedReport()
    report.items = report.items.map { var item = $0; item.hidden = item.id == "dW_h"; return item }
    let concealed = report.htmlReport()
    #expect(!concealed.contains(XMLText.escape(report.item("dW_h")!.message)))
    #expect(report.htmlReport(showHidden: true).contains(XMLText.escape(report.item("dW_h")!.message)))
  }

  @Test("renders in headless Chromium (skipped when none is installed)")
  func screenshot() throws {
    let script = AssignmentCatalog.packageRoot.appendingPathComponent("Scripts/screenshot_report.sh")
    let dir = temporaryDirectory()
    let html = dir.appendingPathComponent("report.html"), png = dir.appendingPathComponent("report.png")
    try Data(try page().1.utf8).write(to: html)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [script.path, html.path, png.path, "1000", "1600"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus == 2 {
      print("skipped: no Chromium installed")
      return
    }
    #expect(process.terminationStatus == 0)
    let data = try Data(contentsOf: png)
    #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    #expect(data.count > 20_000)
  }
}
