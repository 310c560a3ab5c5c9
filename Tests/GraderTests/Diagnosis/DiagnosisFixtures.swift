import Foundation
@testable import Grader

/// One wrong answer of the catalogue: a mutant's variant for one item of one student.
struct MutantCase: CustomStringConvertible {
  var assignment: String
  var mutant: String
  var item: String
  var student: String
  var parameter: Double?
  var value: Tensor

  var description: String {
    "\(assignment)/\(item)/\(mutant)\(parameter.map { " (\(Autograder.number($0)))" } ?? "")/\(student)"
  }
}

enum DiagnosisFixtures {
  /// Several students per case.
  static let students = ["ada", "ben", "cy", "dee"]

  static func context(_ g: Autograder, item: ItemSpec, student: String) -> MutantContext {
    let inputs = g.inputs(for: student)
    return MutantContext(item: item, inputs: inputs, reference: g.model.reference(inputs: inputs)[item.id]!, notation: g.model.notation)
  }

  /// Every variant of every mutant on every item of `g`'s assignment it applies to, for `students`.
  static func cases(_ g: Autograder, students: [String] = students, catalogue: MistakeCatalogue? = nil) -> [MutantCase] {
    let catalogue = catalogue ?? g.model.mistakes
    var out: [MutantCase] = []
    for student in students {
      let inputs = g.inputs(for: student)
      let reference = g.model.reference(inputs: inputs)
      for item in g.assignment.items {
        let c = MutantContext(item: item, inputs: inputs, reference: reference[item.id]!, notation: g.model.notation)
        for mutant in catalogue.mutants(for: item.id) {
          for v in mutant.variants(c) {
            out.append(MutantCase(assignment: g.assignment.id, mutant: mutant.id, item: item.id, student: student, parameter: v.parameter, value: v.value))
          }
        }
      }
    }
    return out
  }

  /// Grades only `item` (the reduced item set keeps the run fast), with the correct answer
  /// replaced by `value`.
  static func gradeItem(_ g: Autograder, item: String, student: String, value: Tensor) -> ItemResult {
    var reduced = g
    reduced.assignment.items = g.assignment.items.filter { $0.id == item }
    return reduced.grade(student: student, answers: [item: .value(value)]).items[0]
  }
}
