import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

/// The `initial_state` option of the recurrent models: h^(0) given as the input h0 (the notes,
/// min-char-rnn's hprev) or zero (as many tutorials do).
@Suite("Recurrent models: the initial state option")
struct InitialStateTests {
  /// The shipped assignment `id` with `edit` applied to its assignment.json, loaded.
  static func edited(_ id: String, _ edit: (inout [String: Any]) -> Void) throws -> Result<Assignment, DataFileError> {
    let source = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments/\(id)/assignment.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
    edit(&object)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("initial-state-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
    return Result { () throws(DataFileError) in try Assignment.load(from: dir) }
  }

  /// The assignment with `"initial_state": "zero"` and without the input h0.
  static func zeroState(_ id: String) throws -> Assignment {
    try edited(id) { object in
      var model = object["model"] as! [String: Any]
      model["initial_state"] = "zero"
      object["model"] = model
      object["inputs"] = (object["inputs"] as! [[String: Any]]).filter { $0["name"] as? String != "h0" }
    }.get()
  }

  @Test("initial_state zero: h0 is not an input, the reference starts from h^(0) = 0, and the worked answers pass every check", arguments: ["rnn-bptt", "rnn-canonical"])
  func zero(id: String) throws {
    let assignment = try Self.zeroState(id)
    #expect(assignment.model.input("h0") == nil)
    let (_, rubric) = try shipped(id)
    var g = Autograder(assignment: assignment, rubric: rubric)
    g.numericSeed = 7
    for student in ["z-1", "z-2"] {
      let inputs = g.inputs(for: student)
      #expect(inputs["h0"] == nil)
      let reference = g.model.reference(inputs: inputs)
      // Against BPTT at h0 = 0 (the language model; min-char-rnn is checked by the numeric probes).
      if let lm = g.model as? RNNLanguageModel {
        var p = lm.columnForm(inputs)
        #expect(p.h0.scalars.allSatisfy { $0 == 0 })
        p.h0 = Matrix(rows: p.hiddenSize, cols: 1)
        let grads = BPTT.gradients(p, tokens: inputs["tokens"]!.ints, options: lm.options)
        #expect(reference["dh0"]!.scalars == grads.dh0.scalars)
      }
      let report = g.grade(student: student, answers: reference.mapValues { .value($0) })
      #expect(report.allPassed, "\(report.items.filter { $0.status != .pass }.map(\.message))")
      // The slip "h^(0) taken as zero" is not one the search tries: it is the assignment itself.
      #expect(!(g.model.derivation!.steps.contains { $0.id == "h0" }))
    }
  }

  @Test("initial_state given is the default, and the inputs are those of today")
  func givenIsTheDefault() throws {
    let given = try Self.edited("rnn-bptt") { object in
      var model = object["model"] as! [String: Any]
      model["initial_state"] = "given"
      object["model"] = model
    }.get()
    let g = try grader("rnn-bptt")
    var a = StudentVariant.generator(assignment: "rnn-bptt", student: "same"), b = a
    #expect(given.model.generateInputs(using: &a) == g.model.generateInputs(using: &b))
  }

  @Test("an unknown initial_state is refused with a sentence naming the key and what is expected; zero with an input h0 is refused too")
  func refused() throws {
    let bad = try Self.edited("rnn-canonical") { object in
      var model = object["model"] as! [String: Any]
      model["initial_state"] = "random"
      object["model"] = model
    }
    guard case .failure(let error) = bad else { Issue.record("accepted"); return }
    #expect(error.description.contains("initial_state"))
    #expect(error.description.contains("unknown initial_state 'random'; expected 'given' (h0 is an input) or 'zero' (h^(0) = 0)"))
    let stray = try Self.edited("rnn-canonical") { object in
      var model = object["model"] as! [String: Any]
      model["initial_state"] = "zero"
      object["model"] = model
    }
    guard case .failure(let strayError) = stray else { Issue.record("accepted"); return }
    #expect(strayError.description.contains("unknown input 'h0'"), "\(strayError.description)")
  }
}
