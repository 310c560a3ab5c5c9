import Foundation
import Testing
import Jacobians
@testable import Grader

@Suite("The model registry")
struct ModelRegistryTests {
  static let shipped = ["backprop-basics", "rnn-bptt", "rnn-canonical", "window-lm", "ngram-lm", "lstm-lm", "gru-lm"]

  /// An assignment folder whose assignment.json is rnn-bptt's with `edit` applied to its "model".
  static func editedAssignment(_ edit: (inout [String: Any]) -> Void) throws -> URL {
    let source = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments/rnn-bptt/assignment.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
    var model = object["model"] as! [String: Any]
    edit(&model)
    object["model"] = model
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
    return dir
  }

  static func loadError(_ dir: URL) -> String? {
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try Assignment.load(from: dir)
      return nil
    } catch {
      return error.description
    }
  }

  @Test("an unknown model is rejected with the list of the known ones")
  func unknownModel() throws {
    let message = try #require(Self.loadError(try Self.editedAssignment { $0["reference"] = "mlp" }))
    #expect(message.contains("unknown reference 'mlp'"))
    #expect(message.contains("model.reference"))
    for name in ModelRegistry.names { #expect(message.contains(name), "\(name) is listed") }
    let typo = try #require(Self.loadError(try Self.editedAssignment { $0["reference"] = "rnn-lmm" }))
    #expect(typo.contains("did you mean 'rnn-lm'?"))
  }

  @Test("each model reads only its own options, and says which key it does not know")
  func modelOptions() throws {
    let regularization = try #require(Self.loadError(try Self.editedAssignment { $0["regularization"] = "half" }))
    #expect(regularization.contains("unknown key 'regularization'"))
    let row = try #require(Self.loadError(try Self.editedAssignment { $0["convention"] = "row" }))
    #expect(row.contains("'row' is not supported"))
    let truncation = try #require(Self.loadError(try Self.editedAssignment { $0["truncation"] = "window(0)" }))
    #expect(truncation.contains("unknown truncation 'window(0)'"))
    let size = try #require(Self.loadError(try Self.editedAssignment { $0["sizes"] = ["T": 6, "V": 10, "d": 4] }))
    #expect(size.contains("missing size 'H' needed by reference 'rnn-lm'"))
  }

  @Test("sizes are bounded: a size beyond the maximum, or items too large to hold, are refused with a message")
  func sizesAreBounded() throws {
    let huge = try #require(Self.loadError(try Self.editedAssignment { $0["sizes"] = ["T": 6, "V": 10, "d": 4, "H": 1e300] }))
    #expect(huge.contains("expected a whole number from 1 to"))
    let big = try #require(Self.loadError(try Self.editedAssignment { $0["sizes"] = ["T": 6, "V": 10, "d": 4, "H": 100_000] }))
    #expect(big.contains("more than"), "H = 100000 makes W_h 10¹⁰ entries: \(big)")
  }

  @Test("every model's declared shapes are those of the inputs it generates and the reference it computes", arguments: shipped)
  func declarationsMatchValues(id: String) throws {
    let (assignment, _) = try AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")).load(id)
    let model = assignment.model
    for seed in [UInt64(1), 2, 3] {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      #expect(Set(inputs.keys) == Set(model.inputs.map(\.name)))
      for q in model.inputs {
        #expect(inputs[q.name]?.shape == q.shape, "\(q.name)")
        #expect(inputs[q.name]?.dtype == q.dtype, "\(q.name)")
      }
      let reference = model.reference(inputs: inputs)
      for q in model.items { #expect(reference[q.name]?.shape == q.shape, "\(q.name)") }
    }
    #expect(ModelRegistry.model(named: model.name) != nil)
  }
}
