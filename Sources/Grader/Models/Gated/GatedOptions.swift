import BPTTReference
import Jacobians

/// The options the gated language models (`lstm-lm`, `gru-lm`) share with the RNN-LM, read from
/// the `model` object of `assignment.json`:
///
/// ```
/// reduction    mean (J = (1/T) Σ_t J^(t), default) | sum
/// truncation   full (default) | window(k) | chunks(k), k ≥ 1
/// convention   column (the only form graded)
/// ```
/// Each model adds its own keys (`gate_order`; `reset`, `update`) and `initial_state` (`given`:
/// h0, and the LSTM's c0, are inputs; `zero`: the recurrence starts from zero, read by
/// `InitialState.decode` as the RNNs read it).
enum GatedOptions {
  static let sharedKeys = ["reduction", "truncation", "convention"]

  /// `reduction`, default mean.
  static func reduction(_ object: StrictObject) throws(DataFileError) -> LossReduction {
    guard let name = try object.optionalString("reduction") else { return .mean }
    guard let r = LossReduction(rawValue: name) else {
      throw DataFileError(file: object.file, path: object.child("reduction"), problem: "unknown reduction '\(name)'; expected 'mean' or 'sum'")
    }
    return r
  }

  /// `truncation`, default full.
  static func truncation(_ object: StrictObject) throws(DataFileError) -> Truncation {
    guard let name = try object.optionalString("truncation") else { return .full }
    guard let t = Truncation(assignmentName: name) else {
      throw DataFileError(file: object.file, path: object.child("truncation"), problem: "unknown truncation '\(name)'; expected 'full', 'window(k)' or 'chunks(k)'")
    }
    return t
  }

  /// A string option whose values are the raw values of `E` (default `fallback`).
  static func choice<E: RawRepresentable & CaseIterable>(_ object: StrictObject, _ key: String, default fallback: E) throws(DataFileError) -> E where E.RawValue == String {
    guard let name = try object.optionalString(key) else { return fallback }
    guard let value = E(rawValue: name) else {
      let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
      throw DataFileError(file: object.file, path: object.child(key), problem: "unknown \(key.replacingOccurrences(of: "_", with: " ")) '\(name)'; expected \(allowed)")
    }
    return value
  }
}

/// The item groups both gated models declare the same way.
enum GatedItems {
  /// The 2-D items that are not square (where a reshape is not a transpose).
  static func nonSquare(_ items: [ModelQuantity]) -> Set<String> {
    Set(items.filter { $0.shape.count == 2 && $0.shape[0] != $0.shape[1] && $0.shape[0] > 1 && $0.shape[1] > 1 }.map(\.name))
  }
}

extension Truncation {
  /// The last loss term s ≥ t whose truncated backward pass still reaches step t: the loss terms
  /// J^(t) … J^(m) are those with firstKeptStep(s) ≤ t ≤ s (a contiguous range, since
  /// firstKeptStep grows with s). `full`: T; `window(k)`: min(T, t + k − 1); `chunks(k)`: the end
  /// of t's chunk.
  func lastLossReaching(step t: Int, steps T: Int) -> Int {
    var m = t
    while m < T && firstKeptStep(for: m + 1) <= t { m += 1 }
    return m
  }
}
