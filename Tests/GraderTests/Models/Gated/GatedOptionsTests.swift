import Foundation
import Testing
@testable import Grader
import BPTTReference

@Suite("Options of the gated models")
struct GatedOptionsTests {
  static let truncations: [Truncation] = [.full] + (1...7).flatMap { [Truncation.window($0), .chunks($0)] }

  @Test("the last loss term reaching step t is the largest s with firstKeptStep(s) ≤ t ≤ s", arguments: truncations)
  func lastLossReaching(truncation: Truncation) {
    let T = 6
    for t in 1...T {
      let m = truncation.lastLossReaching(step: t, steps: T)
      let reaching = (1...T).filter { s in truncation.firstKeptStep(for: s) <= t && t <= s }
      #expect(reaching == Array(t...m), "\(truncation) t = \(t): \(reaching) vs \(t)…\(m)")
    }
  }

  /// The `model` object of an assignment, with `keys` added to the reference and sizes.
  static func object(_ reference: String, _ keys: [String: Any]) throws -> StrictObject {
    var model: [String: Any] = ["reference": reference, "sizes": ["T": 6, "V": 10, "d": 4, "H": 3]]
    for (k, v) in keys { model[k] = v }
    let root = try StrictObject.parse(try JSONSerialization.data(withJSONObject: ["model": model]), file: "assignment.json")
    return try root.object("model")
  }

  static func decode(_ reference: String, _ keys: [String: Any]) -> Result<any ModelReference, DataFileError> {
    do {
      return .success(try ModelRegistry.decode(try object(reference, keys)))
    } catch let error as DataFileError {
      return .failure(error)
    } catch {
      return .failure(DataFileError(file: "", path: "", problem: "\(error)"))
    }
  }

  @Test("lstm-lm reads gate_order, reduction, truncation and convention, with CS231n's defaults")
  func lstmOptions() throws {
    let plain = try #require(try Self.decode("lstm-lm", [:]).get() as? LSTMLanguageModel)
    #expect(plain.options == LSTMOptions())
    let set = try #require(try Self.decode("lstm-lm", ["gate_order": "ifgo", "reduction": "sum", "truncation": "chunks(2)", "convention": "column"]).get() as? LSTMLanguageModel)
    #expect(set.options == LSTMOptions(gateOrder: .ifgo, reduction: .sum, truncation: .chunks(2)))
  }

  @Test("gru-lm reads reset, update, reduction, truncation and convention, with PyTorch's defaults")
  func gruOptions() throws {
    let plain = try #require(try Self.decode("gru-lm", [:]).get() as? GRULanguageModel)
    #expect(plain.options == GRUOptions())
    let set = try #require(try Self.decode("gru-lm", ["reset": "before", "update": "new", "reduction": "sum", "truncation": "window(3)"]).get() as? GRULanguageModel)
    #expect(set.options == GRUOptions(reset: .before, update: .new, reduction: .sum, truncation: .window(3)))
  }

  @Test("an option a gated model cannot grade is refused, naming the key and the values it accepts", arguments: [
    ("lstm-lm", "gate_order", "fiog" as Any, "unknown gate order 'fiog'; expected 'ifog' or 'ifgo'"),
    ("lstm-lm", "reduction", "max", "unknown reduction 'max'; expected 'mean' or 'sum'"),
    ("lstm-lm", "truncation", "window(0)", "unknown truncation 'window(0)'"),
    ("lstm-lm", "convention", "row", "'row' is not supported"),
    ("lstm-lm", "reset", "after", "unknown key 'reset'"),
    ("gru-lm", "reset", "inside", "unknown reset 'inside'; expected 'after' or 'before'"),
    ("gru-lm", "update", "old", "unknown update 'old'; expected 'keep' or 'new'"),
    ("gru-lm", "truncation", "chunks(x)", "unknown truncation 'chunks(x)'"),
    ("gru-lm", "gate_order", "ifog", "unknown key 'gate_order'"),
    ("gru-lm", "update", 1, "expected a string"),
  ] as [(String, String, Any, String)])
  func refused(reference: String, key: String, value: Any, message: String) {
    guard case .failure(let error) = Self.decode(reference, [key: value]) else {
      Issue.record("\(reference) accepted \(key) = \(value)")
      return
    }
    #expect(error.description.contains(message), "\(error.description)")
  }
}
