import Foundation

extension GradeReport {
  /// The report as JUnit XML, the format CI systems show as a test summary: one test suite for
  /// the assignment, one test case per item.
  ///
  /// ```
  /// <testsuites name="grade" tests failures errors skipped="0" time>
  ///   <testsuite name="<assignment>" …>
  ///     <properties> student, score, max_score </properties>
  ///     <testcase name="<item id>" classname="<assignment>.<student>" time="0">
  ///       <failure message="…" type="fail|missing">message and statement</failure>   item fails or is missing
  ///       <error message="…" type="error">…</error>                                  item unreadable, or the code failed
  ///       <error message="…" type="needs-review">…</error>                           the grader could not verify it
  ///       <system-out>points, and a hint when one applies</system-out>
  ///     </testcase>
  /// ```
  /// A passing item has no failure element. The properties carry the report's `mode`
  /// (`self-check` is not a grade). Hidden items say only "hidden item" unless `showHidden`.
  public func junitReport(showHidden: Bool = false) -> String {
    let failures = items.filter { ($0.status == .fail || $0.status == .missing) }.count
    let errors = items.filter { $0.status == .error || $0.status == .review }.count
    let time = String(format: "%.3f", seconds)
    let counts = "tests=\"\(items.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"0\" time=\"\(time)\""
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out += "<testsuites name=\"grade\" \(counts)>\n"
    out += "  <testsuite name=\(XMLText.attribute(assignment)) \(counts)>\n"
    out += "    <properties>\n"
    for (name, value) in [("title", title), ("student", student), ("score", ItemResult.points(score)), ("max_score", ItemResult.points(maxScore)), ("mode", mode.rawValue)] {
      out += "      <property name=\"\(name)\" value=\(XMLText.attribute(value))/>\n"
    }
    out += "    </properties>\n"
    for item in items {
      let concealed = item.hidden && !showHidden
      let message = concealed ? "hidden item" : item.message
      out += "    <testcase name=\(XMLText.attribute(item.id)) classname=\(XMLText.attribute("\(assignment).\(student)")) time=\"0\">\n"
      var detail = concealed ? "hidden item" : "\(item.message)\n\n\(item.id): \(item.statement)"
      if !concealed, let d = item.diagnosis { detail += "\nHint: \(d.hint)" }
      switch item.status {
      case .pass: break
      case .fail, .missing:
        out += "      <failure message=\(XMLText.attribute(message)) type=\"\(item.status.rawValue)\">\(XMLText.escape(detail))</failure>\n"
      case .error, .review:
        out += "      <error message=\(XMLText.attribute(message)) type=\"\(item.status.rawValue)\">\(XMLText.escape(detail))</error>\n"
      }
      let note = "\(ItemResult.points(item.points))/\(ItemResult.points(item.maxPoints)) points"
      out += "      <system-out>\(XMLText.escape(note))</system-out>\n"
      out += "    </testcase>\n"
    }
    let lines = (mode == .graded ? [] : [mode.banner]) + notes
    if !lines.isEmpty {
      out += "    <system-out>\(XMLText.escape(lines.joined(separator: "\n")))</system-out>\n"
    }
    out += "  </testsuite>\n</testsuites>\n"
    return out
  }
}

/// Escaping for XML and HTML text and attributes.
enum XMLText {
  /// `&`, `<`, `>`, quotes escaped; characters XML 1.0 forbids (control characters other than
  /// tab, newline and carriage return) replaced by U+FFFD.
  static func escape(_ s: String) -> String {
    // Most text needs nothing escaped: then it is itself (0xEF starts U+FFFE and U+FFFF).
    let plain = !s.utf8.contains { c in
      c == UInt8(ascii: "&") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")
        || (c < 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) || c == 0xEF
    }
    if plain { return s }
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// A quoted attribute value; newlines kept as character references so they survive parsing.
  static func attribute(_ s: String) -> String {
    "\"" + escape(s).replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\r", with: "&#13;").replacingOccurrences(of: "\t", with: "&#9;") + "\""
  }
}
