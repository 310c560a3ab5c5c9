import Foundation

/// Text wrapped for a terminal of `width` columns: words are kept whole and moved to the next
/// line, which starts with `indent` spaces (a hanging indent under the first line's text).
///
/// ```
/// "  ✗ fail   dU   0/2   differs from the reference at 50 of 50 entries…"   width 40, indent 6
/// → "  ✗ fail   dU   0/2   differs from the"
///   "      reference at 50 of 50 entries…"
/// ```
/// Width is counted in characters as the terminal shows them: ANSI colour sequences take no
/// column. A word longer than a line (a path, a long number list) stays whole on its own line:
/// it is the only line allowed past the width. Existing line breaks are kept.
public enum TerminalWrapping {
  /// The width for terminal output: `COLUMNS` when it is a number of at least 20, else 80.
  public static func width(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    if let text = environment["COLUMNS"], let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 20 { return n }
    return 80
  }

  /// The width to wrap standard output to: `COLUMNS` when set, else 80 on a terminal; nil (no
  /// wrapping) when the output goes to a file or a pipe and `COLUMNS` is not set, so that `grep`
  /// and scripts see one finding per line.
  public static func outputWidth(environment: [String: String] = ProcessInfo.processInfo.environment, isTerminal: Bool = isatty(1) == 1) -> Int? {
    if let text = environment["COLUMNS"], let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 20 { return n }
    return isTerminal ? 80 : nil
  }

  /// `text` with every line longer than `width` wrapped, continuation lines indented by `indent`
  /// (kept below `width` / 2 so that a narrow terminal still has room for words).
  public static func wrap(_ text: String, width: Int, indent: Int = 0) -> String {
    let hanging = String(repeating: " ", count: max(0, min(indent, width / 2)))
    var out: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      out += wrapLine(String(line), width: width, hanging: hanging)
    }
    return out.joined(separator: "\n")
  }

  /// The columns `text` takes on a terminal (ANSI escape sequences excluded).
  public static func visibleWidth(_ text: some StringProtocol) -> Int {
    var n = 0
    var inEscape = false
    for scalar in text.unicodeScalars {
      if inEscape {
        if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
        continue
      }
      if scalar == "\u{1B}" { inEscape = true; continue }
      // Combining marks take no column of their own.
      if scalar.properties.generalCategory == .nonspacingMark { continue }
      n += 1
    }
    return n
  }

  private static func wrapLine(_ line: String, width: Int, hanging: String) -> [String] {
    guard visibleWidth(line) > width else { return [line] }
    // The line's own leading spaces stay; words are runs of non-spaces, each with the spaces before it.
    let lead = line.prefix { $0 == " " }
    var words: [(gap: String, word: String)] = []
    var gap = "", word = ""
    for ch in line.dropFirst(lead.count) {
      if ch == " " {
        if !word.isEmpty { words.append((gap, word)); gap = ""; word = "" }
        gap.append(ch)
      } else {
        word.append(ch)
      }
    }
    if !word.isEmpty { words.append((gap, word)) }
    var lines: [String] = []
    var current = String(lead)
    var currentWidth = lead.count
    var startOfLine = true
    for (gap, word) in words {
      let w = visibleWidth(word)
      if startOfLine {
        current += (lines.isEmpty ? gap : "") + word
        currentWidth += (lines.isEmpty ? gap.count : 0) + w
        startOfLine = false
      } else if currentWidth + gap.count + w <= width {
        current += gap + word
        currentWidth += gap.count + w
      } else {
        lines.append(current)
        current = hanging + word
        currentWidth = hanging.count + w
      }
    }
    lines.append(current)
    return lines
  }
}
