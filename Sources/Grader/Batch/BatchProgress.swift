import Foundation

/// Progress of a batch on standard error: on a terminal one bar redrawn in place, with counts
/// and the time left; otherwise (a log, CI) one plain line per student.
///
/// ```
/// terminal   [██████████░░░░░░░░░░] 31/50  · 4 below full marks · 1 not graded · 0:07 left
/// otherwise  [31/50] alice  17/19
/// ```
/// The time left is the wall time so far per student graded in this run (all jobs together),
/// times the students left; students resumed from an earlier run take no time and do not count.
final class BatchProgress: @unchecked Sendable {
  enum Style { case bar, lines, silent }

  private let lock = NSLock()
  private let style: Style
  private let total: Int
  private let start = Date()
  private var done = 0
  private var gradedNow = 0
  private var belowFull = 0
  private var notGraded = 0
  private var write: (String) -> Void

  init(total: Int, style: Style, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
    self.total = total
    self.style = style
    self.write = write
  }

  /// The style for standard error: a bar on a terminal, lines otherwise.
  static func defaultStyle() -> Style { isatty(2) == 1 ? .bar : .lines }

  func started() {
    if style == .bar { lock.lock(); draw(); lock.unlock() }
  }

  /// One student finished: `resumed` when the result came from an earlier run.
  func finished(_ report: GradeReport, resumed: Bool, ungraded: Bool) {
    lock.lock()
    defer { lock.unlock() }
    done += 1
    if !resumed { gradedNow += 1 }
    if report.score < report.maxScore { belowFull += 1 }
    if ungraded { notGraded += 1 }
    switch style {
    case .silent: break
    case .bar: draw()
    case .lines:
      var line = "[\(done)/\(total)] \(report.student)  \(ItemResult.points(report.score))/\(ItemResult.points(report.maxScore))"
      if resumed { line += "  (from an earlier run)" }
      if ungraded { line += "  (not graded: see its report)" }
      write(line + "\n")
    }
  }

  func ended() {
    if style == .bar { lock.lock(); write("\n"); lock.unlock() }
  }

  private func draw() {
    let width = 24
    let filled = total == 0 ? width : width * done / total
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    var line = "\r\u{1B}[2K[\(bar)] \(done)/\(total)"
    if belowFull > 0 { line += "  · \(belowFull) below full marks" }
    if notGraded > 0 { line += "  · \(notGraded) not graded" }
    let elapsed = Date().timeIntervalSince(start)
    if gradedNow > 0 && done < total {
      line += "  · \(Self.clock(elapsed / Double(gradedNow) * Double(total - done))) left"
    } else {
      line += "  · \(Self.clock(elapsed))"
    }
    write(line)
  }

  static func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
