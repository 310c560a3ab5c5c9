import Foundation
import Grader

extension Commands {
  /// The report in `format` for `check` and `demo`; an HTML report also gets its pictures'
  /// context (tolerances, derivations, the model's figures) from the grader, with its policy on
  /// reference values.
  /// `width` wraps the text format (for a terminal); no other format is wrapped.
  static func rendered(_ report: GradeReport, format: ReportFormat, color: Bool, grader: Autograder, args: Arguments, width: Int? = nil) -> String {
    let showHidden = args.flag("--show-hidden")
    guard format == .html else { return report.rendered(format, color: color, showHidden: showHidden, width: format == .text ? width : nil) }
    return report.htmlReport(showHidden: showHidden, context: HTMLReportContext.make(for: grader, student: report.student))
  }
}
