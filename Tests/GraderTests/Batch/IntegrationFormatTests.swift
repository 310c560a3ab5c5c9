import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Grader

@Suite("JUnit, Gradescope and PrairieLearn reports")
struct IntegrationFormatTests {
  /// Counts the elements of an XML document, failing on a parse error.
  final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var attributes: [String: [[String: String]]] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
      counts[name, default: 0] += 1
      self.attributes[name, default: []].append(attributes)
    }
  }

  @Test("JUnit XML parses: one testcase per item, failure and error elements with the message")
  func junit() throws {
    var report = try mixedReport()
    report.items[0].message = "a <tricky> & \"quoted\" message\u{1}"
    let xml = report.rendered(.junit)
    let counter = ElementCounter()
    let parser = XMLParser(data: Data(xml.utf8))
    parser.delegate = counter
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    #expect(counter.counts["testcase"] == report.items.count)
    let failing = report.items.filter { $0.status == .fail || $0.status == .missing }.count
    let errors = report.items.filter { $0.status == .error && !$0.internalError }.count
    #expect(counter.counts["failure", default: 0] == failing)
    #expect(counter.counts["error", default: 0] == errors)
    #expect(counter.attributes["testsuite"]?.first?["tests"] == String(report.items.count))
    #expect(counter.attributes["testsuite"]?.first?["failures"] == String(failing))
    let messages = counter.attributes["failure", default: []].compactMap { $0["message"] }
    #expect(messages.contains(report.item("dW_h")!.message))
  }

  @Test("results.json carries Gradescope's fields; hidden items are shown after publication")
  func gradescope() throws {
    var report = try mixedReport()
    report.items[1].hidden = true
    let object = try #require(try JSONSerialization.jsonObject(with: Data(report.rendered(.gradescope).utf8)) as? [String: Any])
    #expect((object["score"] as? Double) == report.score)
    #expect(object["execution_time"] is Double || object["execution_time"] is Int)
    #expect(object["output"] is String)
    let tests = try #require(object["tests"] as? [[String: Any]])
    #expect(tests.count == report.items.count)
    for (test, item) in zip(tests, report.items) {
      for key in ["name", "number", "score", "max_score", "status", "output", "visibility"] { #expect(test[key] != nil, "\(key)") }
      #expect(test["status"] as? String == (item.status == .pass ? "passed" : "failed"))
      #expect(test["score"] as? Double == item.points)
      #expect(test["visibility"] as? String == (item.hidden ? "after_published" : "visible"))
    }
    let scoreSum = tests.compactMap { $0["score"] as? Double }.reduce(0, +)
    #expect(scoreSum == report.score)
  }

  @Test("PrairieLearn results: score in [0, 1], gradable, format errors for unreadable items")
  func prairieLearn() throws {
    let report = try mixedReport()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(report.rendered(.prairielearn).utf8)) as? [String: Any])
    let score = try #require(object["score"] as? Double)
    #expect(abs(score - report.score / report.maxScore) < 1e-12 && score >= 0 && score <= 1)
    #expect(object["gradable"] as? Bool == true)
    let formatErrors = try #require(object["format_errors"] as? [String])
    #expect(formatErrors == [report.item("dE")!.message])
    let tests = try #require(object["tests"] as? [[String: Any]])
    #expect(tests.map { $0["name"] as? String } == report.items.map(\.id))
    for test in tests { for key in ["name", "points", "max_points", "message"] { #expect(test[key] != nil, "\(key)") } }

    let g = try grader("rnn-bptt")
    let unreadable = g.grade(student: "u", answers: Dictionary(uniqueKeysWithValues: g.assignment.items.map { ($0.id, SubmittedAnswer.unreadable("not an array file")) }))
    let bad = try #require(try JSONSerialization.jsonObject(with: Data(unreadable.rendered(.prairielearn).utf8)) as? [String: Any])
    #expect(bad["gradable"] as? Bool == false)
  }

  /// XML text escaped one scalar at a time: the escape of `XMLText.escape`, without its shortcut
  /// for text that needs none.
  static func escapedScalarByScalar(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default: out += scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) ? "\u{FFFD}" : String(scalar)
      }
    }
    return out
  }

  @Test("XML text: plain text as it is, every character that needs it escaped or replaced", arguments: [
    "", "plain text", "δ1^(t) ≈ ∂J/∂h — é 😀", "tab\tnew line\ncarriage\r", "a < b && c > d", "\"quoted\" and 'single'",
    "bell\u{7}", "\u{FFFE}\u{FFFF}", "\u{FEFF} and \u{FFFD} and \u{EFFF}", "\u{1F}\u{0}x",
  ])
  func xmlText(text: String) {
    #expect(XMLText.escape(text) == Self.escapedScalarByScalar(text))
  }
}
