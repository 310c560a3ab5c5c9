import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

/// The `initial_state` option of the gated models read from an assignment folder: `zero` starts
/// the recurrence from h^(0) = 0 (and c^(0) = 0 for the LSTM), which are then no inputs.
@Suite("Gated models: the initial state option read from assignment.json")
struct GatedInitialStateTests {
  /// The state inputs of each gated model.
  static let states: [String: [String]] = ["lstm-lm": ["h0", "c0"], "gru-lm": ["h0"]]

  /// The shipped assignment `id` with `initial_state` set to `value`, its state inputs removed
  /// when `dropStates`, written to a temporary folder and loaded.
  static func load(_ id: String, initialState value: Any, dropStates: Bool = true) throws -> Result<Assignment, DataFileError> {
    try InitialStateTests.edited(id) { object in
      var model = object["model"] as! [String: Any]
      model["initial_state"] = value
      object["model"] = model
      if dropStates {
        object["inputs"] = (object["inputs"] as! [[String: Any]]).filter { !(states[id]!.contains($0["name"] as? String ?? "")) }
      }
    }
  }

  /// h^(0) (and c^(0)) of the model's parameters at `inputs`.
  static func initialStates(_ model: any ModelReference, _ inputs: [String: Tensor]) -> [Matrix]? {
    if let lstm = model as? LSTMLanguageModel { let p = lstm.parameters(inputs); return [p.h0, p.c0] }
    if let gru = model as? GRULanguageModel { return [gru.parameters(inputs).h0] }
    return nil
  }

  @Test("initial_state zero: the states are no inputs, the reference takes them as zero, and it is the given model's reference at zero states", arguments: ["lstm-lm", "gru-lm"])
  func zero(id: String) throws {
    let assignment = try Self.load(id, initialState: "zero").get()
    for name in Self.states[id]! { #expect(assignment.model.input(name) == nil, "\(id) still declares \(name)") }
    let given = try Self.load(id, initialState: "given", dropStates: false).get()
    let (_, rubric) = try shipped(id)
    var g = Autograder(assignment: assignment, rubric: rubric)
    g.numericSeed = 7
    for student in ["z-1", "z-2"] {
      let inputs = g.inputs(for: student)
      for name in Self.states[id]! { #expect(inputs[name] == nil, "\(id): \(name) generated") }
      let states = try #require(Self.initialStates(assignment.model, inputs))
      #expect(states.count == Self.states[id]!.count)
      for s in states {
        #expect(s.rows == assignment.model.sizes["H"]! && s.cols == 1)
        #expect(s.scalars.allSatisfy { $0 == 0 })
      }
      // The model that reads the states as inputs, given zero states: the same reference.
      var withStates = inputs
      for name in Self.states[id]! { withStates[name] = Tensor(shape: [assignment.model.sizes["H"]!], scalars: Array(repeating: 0, count: assignment.model.sizes["H"]!)) }
      let reference = assignment.model.reference(inputs: inputs)
      let expected = given.model.reference(inputs: withStates)
      #expect(Set(reference.keys) == Set(expected.keys))
      for (item, value) in expected { #expect(reference[item] == value, "\(id) \(item)") }
      // With states that are not zero the given model differs (the option is not ignored).
      var random = StudentVariant.generator(assignment: id, student: student)
      let nonzero = given.model.generateInputs(using: &random).filter { Self.states[id]!.contains($0.key) }
      #expect(given.model.reference(inputs: withStates.merging(nonzero) { $1 })["dU"] != reference["dU"])
      let report = g.grade(student: student, answers: reference.mapValues { .value($0) })
      #expect(report.allPassed, "\(report.items.filter { $0.status != .pass }.map(\.message))")
    }
  }

  @Test("an unknown initial_state is refused with a sentence naming the key and the values expected; zero with a state input is refused too", arguments: ["lstm-lm", "gru-lm"])
  func refused(id: String) throws {
    guard case .failure(let error) = try Self.load(id, initialState: "random", dropStates: false) else { Issue.record("\(id) accepted initial_state 'random'"); return }
    #expect(error.description.contains("unknown initial_state 'random'; expected 'given' (h0 is an input) or 'zero' (h^(0) = 0)"), "\(error.description)")
    guard case .failure(let typed) = try Self.load(id, initialState: 0, dropStates: false) else { Issue.record("\(id) accepted initial_state 0"); return }
    #expect(typed.description.contains("initial_state"), "\(typed.description)")
    guard case .failure(let stray) = try Self.load(id, initialState: "zero", dropStates: false) else { Issue.record("\(id) accepted zero with h0 as an input"); return }
    #expect(stray.description.contains("unknown input 'h0'"), "\(stray.description)")
  }
}
