import Foundation
import Formulas
import Testing
@testable import Grader

/// One self-check grader per assignment of the table, with fixed seeds.
let formulaGraders: [String: Autograder] = {
  var out: [String: Autograder] = [:]
  for id in ["backprop-basics", "rnn-bptt", "window-lm", "rnn-canonical"] {
    var g = try! grader(id)
    g.formulaSeed = 2024
    out[id] = g
  }
  return out
}()

/// The result of grading `formula` as the answer to `item` (every other item left missing).
func gradeFormula(_ assignment: String, _ item: String, _ formula: String, student: String = "alice") -> ItemResult {
  let g = formulaGraders[assignment]!
  return g.grade(student: student, answers: [item: .formula(FormulaAnswer(formula))]).item(item)!
}

/// The mistake a failing result names: the catalogue's id, or the finding that rejected the
/// formula before any number was computed; "unknown" when neither names one.
func namedMistake(_ result: ItemResult, assignment: String) -> String {
  if let d = result.diagnosis, d.id != Diagnoser.unknownID { return d.id }
  guard result.formula?.text == nil, let source = result.formula?.source else { return Diagnoser.unknownID }
  let g = formulaGraders[assignment]!
  do {
    _ = try CompiledFormulaItem(source, item: g.assignment.item(result.id)!, declarations: g.model.formulas)
    return Diagnoser.unknownID
  } catch {
    switch error {
    case .excludedQuantity: return FormulaFinding.itemItself
    case .wrongShape(.transposed): return FormulaFinding.transposed
    case .wrongShape: return FormulaFinding.wrongShape
    case .illFormed(let e), .evaluation(let e), .unreadable(let e):
      switch e.kind {
      case .productMismatch: return FormulaFinding.product
      case .additionMismatch: return FormulaFinding.sum
      case .hadamardMismatch: return FormulaFinding.hadamard
      case .indexOutOfRange, .stepOutOfRange: return FormulaFinding.stepRange
      case .classIndexOutsideOnehot, .needsClassIndex: return FormulaFinding.classIndex
      default: return error.isFinding ? Diagnoser.unknownID : FormulaFinding.unreadable
      }
    default:
      return Diagnoser.unknownID
    }
  }
}

@Suite("Formula items: correct spellings pass, wrong ones fail with the mistake named")
struct FormulaItemTableTests {
  @Test(arguments: formulaItemCases)
  func formulaIsGradedAsExpected(_ c: FormulaItemCase) {
    let r = gradeFormula(c.assignment, c.item, c.formula)
    switch c.expected {
    case .pass:
      #expect(r.status == .pass, "\(c): \(r.status) — \(r.message)")
      #expect(r.points == r.maxPoints)
      #expect(r.formula?.pointsChecked == 4, "checked at the student's inputs and 3 random points: \(r.formula?.pointsChecked ?? 0)")
    case .fails(let mistake):
      #expect(r.status == .fail || (mistake == FormulaFinding.unreadable || mistake == FormulaFinding.itemItself) && r.status == .error,
              "\(c): \(r.status) — \(r.message)")
      #expect(r.points == 0)
      #expect(namedMistake(r, assignment: c.assignment) == mistake, "\(c): named \(namedMistake(r, assignment: c.assignment)) — \(r.message)")
    }
  }

  /// Every item with a closed form has at least 5 passing and 5 named failing formulas, and
  /// the table is written (item, formula, verdict, diagnosis) for the record.
  @Test func everyClosedFormItemHasItsTable() throws {
    var rows: [String] = ["| assignment | item | formula | verdict | diagnosis |", "|---|---|---|---|---|"]
    var passes: [String: Int] = [:], named: [String: Int] = [:]
    for c in formulaItemCases {
      let r = gradeFormula(c.assignment, c.item, c.formula)
      let key = "\(c.assignment) \(c.item)"
      let verdict = r.status == .pass ? "pass" : r.status.rawValue
      var diagnosis = "—"
      if r.status == .pass {
        passes[key, default: 0] += 1
      } else {
        let mistake = namedMistake(r, assignment: c.assignment)
        if mistake != Diagnoser.unknownID { named[key, default: 0] += 1 }
        diagnosis = mistake
      }
      let cell = c.formula.replacingOccurrences(of: "|", with: "\\|")
      rows.append("| \(c.assignment) | `\(c.item)` | `\(cell)` | \(verdict) | \(diagnosis) |")
    }
    let table = rows.joined(separator: "\n") + "\n"
    let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FORMULA_TABLE"]
                  ?? FileManager.default.temporaryDirectory.appendingPathComponent("formula-item-table.md").path)
    try Data(table.utf8).write(to: url)
    print(table)
    print("written to \(url.path): \(formulaItemCases.count) formulas")

    for id in ["backprop-basics", "rnn-bptt", "window-lm"] {
      let g = formulaGraders[id]!
      let declared = g.model.formulas!.items.keys
      for item in g.assignment.items.map(\.id) where declared.contains(item) {
        let key = "\(id) \(item)"
        #expect(passes[key, default: 0] >= 5, "\(key): \(passes[key, default: 0]) correct formulas pass")
        #expect(named[key, default: 0] >= 5, "\(key): \(named[key, default: 0]) wrong formulas fail with the mistake named")
      }
    }
  }
}
