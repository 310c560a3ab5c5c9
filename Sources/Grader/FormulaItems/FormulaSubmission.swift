import Foundation

/// One item answered by a formula: the formula as written and where it was found.
public struct FormulaAnswer: Sendable, Equatable {
  /// The formula, its delimiters (`$…$`) and list marker removed.
  public var source: String
  /// Where it was read, for messages: `answers.md, line 4`, `answers.json, key "dU"`.
  public var origin: String?
  /// The column (1-based) of the line at which the formula starts, for a file of lines: a
  /// column in the formula is then also named in the file.
  public var column: Int?

  public init(_ source: String, origin: String? = nil, column: Int? = nil) {
    self.source = source
    self.origin = origin
    self.column = column
  }
}

/// The formulas a submission holds, by item, and what could not be used.
public struct FormulaSubmission: Sendable, Equatable {
  /// The formula of each item; an item answered twice is listed in `conflicts` instead.
  public var answers: [String: FormulaAnswer]
  /// Items answered more than once, with the sentence saying where.
  public var conflicts: [String: String]
  /// Sentences about lines that are not `item: formula` or name no item, for the report's notes.
  public var problems: [String]
  /// The files formulas were read from.
  public var files: [String]

  public init(answers: [String: FormulaAnswer] = [:], conflicts: [String: String] = [:], problems: [String] = [], files: [String] = []) {
    self.answers = answers
    self.conflicts = conflicts
    self.problems = problems
    self.files = files
  }

  /// The items it answers, conflicts included.
  public var itemNames: [String] { Array(Set(answers.keys).union(conflicts.keys)).sorted() }

  /// Adds the formulas of another file; an item in both becomes a conflict.
  mutating func merge(_ other: FormulaSubmission) {
    for (item, answer) in other.answers {
      if let earlier = answers[item] {
        answers[item] = nil
        conflicts[item] = "'\(item)' is answered twice, in \(earlier.origin ?? "one file") and in \(answer.origin ?? "another"); keep one"
      } else if conflicts[item] == nil {
        answers[item] = answer
      }
    }
    conflicts.merge(other.conflicts) { a, _ in a }
    problems += other.problems
    files += other.files
  }
}

/// Reads formulas from a text, Markdown or LaTeX file, or a JSON object of strings.
///
/// ```
/// answers.md / answers.txt / answers.tex      one `item: formula` per line
///   # dU, the gradient of the output weights     comment lines: #, //, % (and % … to the end)
///   - dU: $\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top$     list markers -, *, +, 1., \item
///   db_2: (1/T) sum_t delta1[t]                  $…$, $$…$$, \(…\), \[…\], `…` delimiters
///   dW_h = sum_t dz[t] h[t-1]^T                  `item = formula` when item is an item id
/// answers.json                                   {"dU": "(1/T) sum_t delta1[t] h[t]^T", …}
/// ```
/// Blank lines, Markdown headings and code fences, HTML comments and LaTeX structure
/// (`\begin{…}`, `\section{…}`, …) are skipped. A line whose item is not one of the
/// assignment's, or that has no `item:`, is reported (with a suggestion) and not graded; an item
/// given twice is a conflict. Formulas stay on one line.
///
/// Reading is bounded: a file beyond `maximumBytes` is refused unread, and every formula is
/// bounded by the formula language's own limits when it is parsed.
public enum FormulaSubmissionReader {
  /// The extensions of formula files.
  public static let textExtensions: Set<String> = ["md", "markdown", "txt", "tex"]
  /// File stems that are formula files whatever they hold (in a folder).
  public static let answerStems: Set<String> = ["answers", "formulas", "solution", "solutions"]
  /// The largest formula file read.
  public static let maximumBytes = 4 << 20

  /// True when `url` names a text formula file by its extension.
  public static func isTextFile(_ url: URL) -> Bool { textExtensions.contains(url.pathExtension.lowercased()) }

  // MARK: Files and folders

  /// The formulas at `url`: a formula file, or the formula files of a folder; nil when there are
  /// none (an array file, a folder of arrays or code).
  public static func read(at url: URL, items: [String]) throws(SubmissionReadError) -> FormulaSubmission? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
    if !isDirectory.boolValue {
      if isTextFile(url) {
        let text = try load(url)
        return parse(text, file: url.lastPathComponent, items: items)
      }
      if url.pathExtension.lowercased() == "json", let data = try? loadData(url), let s = parseJSON(data, file: url.lastPathComponent, items: items) {
        return s
      }
      return nil
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    var found: FormulaSubmission?
    for name in names {
      let child = url.appendingPathComponent(name)
      var childIsDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: child.path, isDirectory: &childIsDirectory), !childIsDirectory.boolValue else { continue }
      var submission: FormulaSubmission?
      if isTextFile(child) {
        guard let text = try? load(child) else { continue }
        let parsed = parse(text, file: name, items: items)
        let stem = child.deletingPathExtension().lastPathComponent.lowercased()
        // A README beside arrays or code is not a formula file unless it answers an item.
        if answerStems.contains(stem) || !parsed.itemNames.isEmpty { submission = parsed }
      } else if child.pathExtension.lowercased() == "json", let data = try? loadData(child) {
        submission = parseJSON(data, file: name, items: items)
      }
      guard let submission else { continue }
      if found == nil { found = submission } else { found!.merge(submission) }
    }
    return found
  }

  static func loadData(_ url: URL) throws(SubmissionReadError) -> Data {
    var info = stat()
    guard stat(url.path, &info) == 0 else { throw .cannotOpen(file: url.lastPathComponent, reason: String(cString: strerror(errno))) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw .cannotOpen(file: url.lastPathComponent, reason: "it is not a regular file (a device, a pipe or a socket)")
    }
    guard Int(info.st_size) <= maximumBytes else {
      throw .tooLarge(file: url.lastPathComponent, bytes: Int(info.st_size), limit: maximumBytes, rationale: "the most a file of formulas may hold")
    }
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw .cannotOpen(file: url.lastPathComponent, reason: "permission denied")
    }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: maximumBytes + 1)) ?? Data()
    guard data.count <= maximumBytes else {
      throw .tooLarge(file: url.lastPathComponent, bytes: data.count, limit: maximumBytes, rationale: "the most a file of formulas may hold")
    }
    return data
  }

  static func load(_ url: URL) throws(SubmissionReadError) -> String {
    let data = try loadData(url)
    guard let text = String(data: data, encoding: .utf8) else {
      throw .cannotOpen(file: url.lastPathComponent, reason: "it is not UTF-8 text; save your formulas as UTF-8")
    }
    return text
  }

  // MARK: JSON

  /// The formulas of a JSON object whose every member is a string; nil for anything else (an
  /// object of arrays is an array submission).
  public static func parseJSON(_ data: Data, file: String, items: [String]) -> FormulaSubmission? {
    // An object whose first member is not a string is no file of formulas: an array file is not
    // read twice to learn it.
    if firstMemberIsNotAString(data) { return nil }
    guard case .object(let members)? = try? ArrayJSON.parse(data, bounds: ArrayJSON.Bounds()), !members.isEmpty else { return nil }
    var submission = FormulaSubmission(files: [file])
    for member in members {
      guard case .string(let formula) = member.value else { return nil }
      let origin = "\(file), key \(ArrayJSON.quote(member.key))"
      submission.add(item: member.key, formula: formula, origin: origin, items: items)
    }
    return submission
  }

  /// Whether `data` opens as `{ "key" : v` with `v` anything but a string (`[`, a digit…): then
  /// `parseJSON` answers nil whatever follows. False whenever it opens otherwise (the full
  /// parse decides).
  static func firstMemberIsNotAString(_ data: Data) -> Bool {
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
      var k = 0
      func space() { while k < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[k]) { k += 1 } }
      space()
      guard k < bytes.count, bytes[k] == UInt8(ascii: "{") else { return false }
      k += 1
      space()
      guard k < bytes.count, bytes[k] == UInt8(ascii: "\"") else { return false }
      k += 1
      while k < bytes.count, bytes[k] != UInt8(ascii: "\"") { k += bytes[k] == UInt8(ascii: "\\") ? 2 : 1 }
      guard k < bytes.count else { return false }
      k += 1
      space()
      guard k < bytes.count, bytes[k] == UInt8(ascii: ":") else { return false }
      k += 1
      space()
      return k < bytes.count && bytes[k] != UInt8(ascii: "\"")
    }
  }

  // MARK: Text

  /// The formulas of a text, Markdown or LaTeX file.
  public static func parse(_ text: String, file: String, items: [String]) -> FormulaSubmission {
    var submission = FormulaSubmission(files: [file])
    var inComment = false
    for (k, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let lineNumber = k + 1
      var line = String(raw)
      // HTML comments, possibly over several lines.
      if inComment {
        guard let end = line.range(of: "-->") else { continue }
        line = String(line[end.upperBound...])
        inComment = false
      }
      while let start = line.range(of: "<!--") {
        if let end = line.range(of: "-->", range: start.upperBound..<line.endIndex) {
          line.removeSubrange(start.lowerBound..<end.upperBound)
        } else {
          line = String(line[..<start.lowerBound])
          inComment = true
        }
      }
      line = stripLaTeXComment(line).trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") || line.hasPrefix("```") || line.hasPrefix("~~~") { continue }
      line = stripListMarker(line)
      if line.isEmpty || isLaTeXStructure(line) { continue }
      let origin = "\(file), line \(lineNumber)"
      guard let (label, formula) = split(line, items: items) else {
        let shown = line.count > 60 ? String(line.prefix(57)) + "…" : line
        submission.problems.append("\(origin) is not `item: formula` and was not graded: \"\(shown)\" (write e.g. `\(items.first ?? "item"): …`).")
        continue
      }
      let column = raw.range(of: formula, options: .backwards).map { raw.distance(from: raw.startIndex, to: $0.lowerBound) + 1 }
      submission.add(item: label, formula: formula, origin: origin, items: items, column: formula.isEmpty ? nil : column)
    }
    return submission
  }

  /// The line without a LaTeX comment: from an unescaped `%` to the end.
  static func stripLaTeXComment(_ line: String) -> String {
    var previous: Character = " "
    for index in line.indices {
      if line[index] == "%" && previous != "\\" { return String(line[..<index]) }
      previous = line[index]
    }
    return line
  }

  /// `- `, `* `, `+ `, `1. `, `1) `, `\item ` at the start of a line.
  static func stripListMarker(_ line: String) -> String {
    var s = Substring(line)
    if s.hasPrefix("\\item") {
      s = s.dropFirst(5)
      if s.hasPrefix("[") , let close = s.firstIndex(of: "]") { s = s[s.index(after: close)...] }
      return s.trimmingCharacters(in: .whitespaces)
    }
    for marker in ["- ", "* ", "+ "] where s.hasPrefix(marker) {
      return s.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
    }
    let digits = s.prefix(while: \.isNumber)
    if !digits.isEmpty, digits.count <= 3 {
      let rest = s.dropFirst(digits.count)
      if rest.hasPrefix(". ") || rest.hasPrefix(") ") { return rest.dropFirst(2).trimmingCharacters(in: .whitespaces) }
    }
    return String(s)
  }

  /// `\documentclass{…}`, `\begin{…}`, `\section{…}`, `\maketitle`: a line of LaTeX that holds
  /// no answer.
  static func isLaTeXStructure(_ line: String) -> Bool {
    guard line.hasPrefix("\\"), !line.hasPrefix("\\item"), !line.hasPrefix("\\texttt"), !line.hasPrefix("\\(") , !line.hasPrefix("\\[") else { return false }
    let command = line.dropFirst().prefix(while: \.isLetter)
    let structure: Set<String> = [
      "documentclass", "usepackage", "begin", "end", "section", "subsection", "subsubsection", "paragraph",
      "title", "author", "date", "maketitle", "noindent", "newline", "medskip", "bigskip", "smallskip", "vspace",
      "hspace", "newpage", "clearpage", "newcommand", "renewcommand", "DeclareMathOperator", "setlength",
    ]
    return structure.contains(String(command))
  }

  /// The item and the formula of a line: `item: formula`, or `item = formula` when the text before
  /// `=` is an item id; nil otherwise.
  static func split(_ line: String, items: [String]) -> (String, String)? {
    if let colon = line.firstIndex(of: ":") {
      let label = cleanLabel(String(line[..<colon]))
      if !label.isEmpty, label.count <= 64, !label.contains(" ") || items.contains(label) {
        return (label, cleanFormula(String(line[line.index(after: colon)...])))
      }
    }
    if let equals = line.firstIndex(of: "=") {
      let label = cleanLabel(String(line[..<equals]))
      if items.contains(label) { return (label, cleanFormula(String(line[line.index(after: equals)...]))) }
    }
    return nil
  }

  /// `**dU**`, `` `dU` ``, `\texttt{dU}`, `$dU$` → `dU`.
  static func cleanLabel(_ label: String) -> String {
    var s = label.trimmingCharacters(in: .whitespaces)
    if s.hasPrefix("\\texttt{") && s.hasSuffix("}") { s = String(s.dropFirst(8).dropLast()) }
    if s.hasPrefix("\\textbf{") && s.hasSuffix("}") { s = String(s.dropFirst(8).dropLast()) }
    for mark in ["**", "__", "`", "*", "$"] {
      while s.count >= 2 * mark.count, s.hasPrefix(mark), s.hasSuffix(mark) {
        s = String(s.dropFirst(mark.count).dropLast(mark.count)).trimmingCharacters(in: .whitespaces)
      }
    }
    return s.replacingOccurrences(of: "\\_", with: "_")
  }

  /// The formula without its delimiters: `$…$`, `$$…$$`, `\(…\)`, `\[…\]`, `` `…` ``, a trailing
  /// `\\` or `.`-free line end.
  static func cleanFormula(_ formula: String) -> String {
    var s = formula.trimmingCharacters(in: .whitespaces)
    if s.hasSuffix("\\\\") { s = String(s.dropLast(2)).trimmingCharacters(in: .whitespaces) }
    var changed = true
    while changed {
      changed = false
      for (open, close) in [("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("```", "```"), ("`", "`")] {
        if s.count >= open.count + close.count, s.hasPrefix(open), s.hasSuffix(close) {
          s = String(s.dropFirst(open.count).dropLast(close.count)).trimmingCharacters(in: .whitespaces)
          changed = true
        }
      }
    }
    return s
  }
}

extension FormulaSubmission {
  /// Adds one answer, or a problem when `label` is no item (with a suggestion).
  mutating func add(item label: String, formula: String, origin: String, items: [String], column: Int? = nil) {
    var item = label
    // Another case names an item only when it names one item (`de` and `dE` are two).
    let sameLetters = items.filter { $0.lowercased() == label.lowercased() }
    if !items.contains(item), sameLetters.count == 1 { item = sameLetters[0] }
    guard items.contains(item) else {
      let close = items.map { ($0, editDistance($0, label)) }.filter { $0.1 <= max(1, label.count / 3) }.min { $0.1 < $1.1 }?.0
      problems.append("\(origin) answers '\(label)', which is not an item\(close.map { " — did you mean '\($0)'?" } ?? " (items: \(items.joined(separator: ", ")))"); it was not graded.")
      return
    }
    if let earlier = answers[item] {
      answers[item] = nil
      conflicts[item] = "'\(item)' is answered twice, in \(earlier.origin ?? "one place") and in \(origin); keep one"
      return
    }
    if let conflict = conflicts[item] {
      conflicts[item] = conflict.replacingOccurrences(of: "; keep one", with: " and in \(origin); keep one")
      return
    }
    answers[item] = FormulaAnswer(formula, origin: origin, column: column)
  }
}
