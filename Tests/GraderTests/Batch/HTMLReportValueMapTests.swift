import Foundation
import Testing
@testable import Grader

/// The tables a model flags (`ModelReference.valueHeatMaps`) are drawn as the student's heat map
/// beside the reference's, labelled with the model's names; `revealReference` withholds the
/// reference's map.
@Suite("The HTML report's value heat maps")
struct HTMLReportValueMapTests {
  /// An ngram-lm report with p_laplace wrong (|V| = V + 2) and every other item right, under a
  /// rubric that shows the reference (`"feedback": "full"`).
  static func report() throws -> (Autograder, GradeReport) {
    var g = try grader("ngram-lm")
    g.rubric.feedback = .full
    var answers = correctAnswers(g, student: "maps")
    let wrong = try #require(DiagnosisFixtures.cases(g, students: ["maps"]).first { $0.item == "p_laplace" && $0.mutant == "start-in-vocabulary" })
    answers["p_laplace"] = .value(wrong.value)
    return (g, g.grade(student: "maps", answers: answers))
  }

  /// The HTML of one item's section.
  static func section(_ html: String, _ id: String) -> String {
    guard let start = html.range(of: "id=\"item-\(id)\"") else { return "" }
    let rest = html[start.upperBound...]
    return String(rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)])
  }

  @Test("flagged tables: yours beside the reference, one cell per entry each, the words as labels, passing or failing")
  func sideBySide() throws {
    let (g, report) = try Self.report()
    let html = report.htmlReport(context: HTMLReportContext.make(for: g, student: "maps"))
    for id in ["unigram_counts", "bigram_counts", "p_mle", "p_laplace"] {
      let s = Self.section(html, id)
      #expect(s.components(separatedBy: "<figure class=\"values\">").count - 1 == 1, "\(id)")
      let entries = report.item(id)!.expected!.count
      let values = s[s.range(of: "<figure class=\"values\">")!.lowerBound...]
      let maps = String(values[..<values.range(of: "</figure>")!.lowerBound])
      #expect(maps.components(separatedBy: "</rect>").count - 1 == 2 * entries, "\(id): a cell per entry in each map")
      #expect(maps.contains(">yours</text>") && maps.contains(">reference</text>"))
      #expect(maps.contains(">&lt;/s&gt;</text>") && maps.contains(">park</text>"), "\(id): the words label the axes")
    }
    for id in ["p_backoff_test", "perplexity_test"] {
      #expect(!Self.section(html, id).contains("<figure class=\"values\">"), "\(id) is not flagged")
    }
    let laplace = Self.section(html, "p_laplace")
    #expect(laplace.contains("Rows: previous token w_(n−1); columns: next token w_n"))
    #expect(laplace.contains("<figure class=\"diff\">"), "the failing table keeps its map of |yours − reference|")
  }

  @Test("revealReference = false: only your map, no reference value in it, the scale from your values")
  func withheld() throws {
    let (g, report) = try Self.report()
    var context = HTMLReportContext.make(for: g, student: "maps")
    context.revealReference = false
    let html = report.htmlReport(context: context)
    let s = Self.section(html, "p_laplace")
    let values = s[s.range(of: "<figure class=\"values\">")!.lowerBound...]
    let maps = String(values[..<values.range(of: "</figure>")!.lowerBound])
    #expect(maps.contains(">yours</text>") && !maps.contains(">reference</text>"))
    #expect(!maps.contains("reference "), "no tooltip names a reference value")
    #expect(maps.components(separatedBy: "</rect>").count - 1 == 144)
    #expect(maps.contains("the reference's values are not shown"))
    let yours = report.item("p_laplace")!.submitted!.map(abs).max()!
    #expect(maps.contains(">\(XMLText.escape(Autograder.number(yours)))</text>"), "the colour bar ends at your largest entry")
    #expect(!HTMLReportContext().revealReference, "withheld unless told")
  }

  @Test("the rubric's default feedback withholds the reference's map in the context make builds")
  func policy() throws {
    let g = try grader("ngram-lm")
    #expect(!HTMLReportContext.make(for: g, student: "maps").revealReference)
    var full = g
    full.rubric.feedback = .full
    #expect(HTMLReportContext.make(for: full, student: "maps").revealReference)
  }

  @Test("a model that flags nothing gets no value maps")
  func otherModels() throws {
    let g = try grader("rnn-bptt")
    let report = g.grade(student: "plain", answers: correctAnswers(g, student: "plain"))
    let html = report.htmlReport(context: HTMLReportContext.make(for: g, student: "plain"))
    #expect(!html.contains("<figure class=\"values\">"))
  }
}
