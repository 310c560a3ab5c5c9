import Foundation
import Testing
@testable import Grader

/// The wrong answers written by a NumPy script, and what the diagnosis must name them:
/// `Scripts/make_slip_fixtures.py` (every slip of the grammar, and pairs) and
/// `Scripts/make_real_bug_fixtures.py` (the worked solutions with real students' one-line bugs).
enum SlipFixtures {
  struct Checksum: Decodable { var sum: Double; var sum_squares: Double }

  struct Case: Decodable, CustomStringConvertible {
    var id: String
    var assignment: String
    var student: String
    var slips: [String]
    /// The items the slips change, each with the slip keys it must be named by (sorted).
    var items: [String: [String]]
    /// Real bugs: what the bug is, and words the message must (not) contain.
    var bug: String?
    var message_contains: [String]?
    var message_lacks: [String]?

    var description: String { "\(assignment)/\(student)/\(slips.joined(separator: "+"))" }
  }

  struct Manifest: Decodable {
    var generator: String
    var numpy_version: String
    var inputs: [String: [String: Checksum]]
    var cases: [Case]
  }

  static func folder(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
  }

  static func manifest(_ name: String) throws -> Manifest {
    try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: folder(name).appendingPathComponent("manifest.json")))
  }

  /// Every array of `<folder>/<assignment>.npz` by name (`c0012.dW_h`).
  static func arrays(_ name: String, _ assignment: String) throws -> [String: Tensor] {
    let data = try Data(contentsOf: folder(name).appendingPathComponent("\(assignment).npz"))
    var limits = ArrayReadLimits.default
    limits.maximumArrays = 1 << 16
    limits.maximumInflatedBytes = 1 << 30
    let collection = try NpzFormat.read(data, limits: limits)
    var out: [String: Tensor] = [:]
    for item in collection.items { if let t = item.entry.tensor { out[item.name] = t } }
    return out
  }

  /// The sums the script recorded against the grader's inputs now: a difference means the
  /// input generation changed and the script must be run again.
  static func checkInputs(_ m: Manifest, generator: String) throws {
    for (assignment, students) in m.inputs {
      let g = try grader(assignment)
      for (student, checksum) in students {
        let inputs = g.inputs(for: student)
        let entries = inputs.keys.sorted().flatMap { inputs[$0]!.scalars }
        let sum = entries.reduce(0, +), squares = entries.reduce(0) { $0 + $1 * $1 }
        #expect(abs(sum - checksum.sum) <= 1e-9 * max(1, abs(sum)) && abs(squares - checksum.sum_squares) <= 1e-9 * max(1, squares),
                "the inputs of \(assignment)/\(student) changed: run python3 \(generator)")
      }
    }
  }

  /// The key the fixtures name a slip by: its id, with the parameter of a family (`truncated-bptt(3)`).
  static func key(_ s: ExplainedSlip) -> String {
    s.declared.slip.parameters.isEmpty ? s.id : "\(s.id)(\(s.parameter ?? 0))"
  }

  /// One failing item of a case, diagnosed as the grader does: with the rest of the submission.
  struct Outcome {
    var detected: Bool
    var named: Bool
    var unique: Bool
    var evaluations: Int
    var found: [[String]]
    var diagnosis: Diagnosis?
  }

  /// The case's answers (its arrays for the items it changes, the reference elsewhere) graded
  /// item by item.
  static func outcomes(_ c: Case, arrays: [String: Tensor], g: Autograder, diagnoser: Diagnoser) -> [String: Outcome] {
    let inputs = g.inputs(for: c.student)
    let reference = g.model.reference(inputs: inputs)
    var submitted = reference
    for item in c.items.keys { submitted[item] = arrays["\(c.id).\(item)"].map { Tensor(shape: reference[item]!.shape, scalars: $0.scalars) } }
    let all = g.assignment.items.map { spec in
      SubmittedItem(spec: spec, submitted: submitted[spec.id]!, reference: reference[spec.id]!, tolerance: g.rubric.entry(spec.id).tolerance)
    }
    var out: [String: Outcome] = [:]
    for (item, expected) in c.items {
      let spec = g.assignment.item(item)!
      let mine = all.first { $0.spec.id == item }!
      let request = DiagnosisRequest(
        item: spec, submitted: mine.submitted, inputs: inputs, reference: reference,
        tolerance: mine.tolerance, others: all.filter { $0.spec.id != item })
      let detected = !mine.agrees
      let result = diagnoser.explain(request)
      let found = (result?.explanations ?? []).map { $0.slips.map(key).sorted() }
      out[item] = Outcome(
        detected: detected, named: found.contains(expected), unique: found == [expected],
        evaluations: result?.evaluations ?? 0, found: found, diagnosis: diagnoser.diagnose(request))
    }
    return out
  }
}
