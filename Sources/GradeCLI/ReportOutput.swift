import Foundation
import Grader

extension Commands {
  /// The report in `format` for `check` and `demo`; an HTML report also gets its pictures'
  /// context (tolerances, and hidden-gradient norms for RNN language models) from the assignment.
  static func rendered(_ report: GradeReport, format: ReportFormat, color: Bool, args: Arguments) -> String {
    let showHidden = args.flag("--show-hidden")
    guard format == .html else { return report.rendered(format, color: color, showHidden: showHidden) }
    let name = args.positional.first ?? report.assignment
    let context = (try? catalog(args).load(name, rubric: args.option("--rubric").map { URL(fileURLWithPath: $0) }))
      .map { HTMLReportContext.make(for: Autograder(assignment: $0.0, rubric: $0.1), student: report.student) }
    return report.htmlReport(showHidden: showHidden, context: context)
  }
}
