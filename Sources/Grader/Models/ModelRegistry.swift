import Jacobians

/// The models an assignment can name in `model.reference`.
///
/// ```
/// rnn-lm            RNNLanguageModel      notes 000/002/003: the RNN language model, BPTT
/// rnn-canonical     CanonicalRNNModel     note 001: min-char-rnn
/// backprop-basics   BackpropBasics        note 003: Jacobians, δ, classifiers, graphs
/// window-lm         FixedWindowLanguageModel  note 002: the fixed-window neural language model
/// ngram-lm          NGramLanguageModel        note 004: n-gram counts, smoothing, back-off, perplexity
/// lstm-lm           LSTMLanguageModel         note 001's gates: the LSTM language model
/// gru-lm            GRULanguageModel          note 001's gates: the GRU language model
/// ```
/// Adding a model is adding its folder under `Models/` and one line here (Guides/Models.md).
public enum ModelRegistry {
  /// Every model, in the order listings show them.
  public static let models: [any ModelReference.Type] = [
    RNNLanguageModel.self,
    CanonicalRNNModel.self,
    BackpropBasics.self,
    FixedWindowLanguageModel.self,
    NGramLanguageModel.self,
    LSTMLanguageModel.self,
    GRULanguageModel.self,
  ]

  /// The model named `name`, if there is one.
  public static func model(named name: String) -> (any ModelReference.Type)? {
    models.first { $0.name == name }
  }

  /// Every model's name, in registry order.
  public static var names: [String] { models.map { $0.name } }

  /// Largest accepted size: an assignment is homework, and every size multiplies memory.
  public static let maximumSize = 1_000_000

  /// The model of an assignment's `model` object: `reference` names it, `sizes` holds a whole
  /// number ≥ 1 for each of its size names, and the rest are the model's own options.
  static func decode(_ object: StrictObject) throws(DataFileError) -> any ModelReference {
    let name = try object.string("reference")
    guard let type = model(named: name) else {
      var problem = "unknown reference '\(name)'; expected one of \(names.joined(separator: ", "))"
      if let close = names.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 3 {
        problem += " (did you mean '\(close)'?)"
      }
      throw DataFileError(file: object.file, path: object.child("reference"), problem: problem)
    }
    try object.allowOnly(["reference", "sizes"] + type.optionKeys)
    let sizesObject = try object.object("sizes")
    var sizes: [String: Int] = [:]
    for key in sizesObject.values.keys {
      let v = try sizesObject.number(key)
      guard v >= 1, v == v.rounded(), v <= Double(maximumSize) else {
        throw DataFileError(file: object.file, path: sizesObject.child(key), problem: "expected a whole number from 1 to \(maximumSize), found \(v)")
      }
      sizes[key] = Int(v)
    }
    for size in type.sizeNames where sizes[size] == nil {
      throw DataFileError(file: object.file, path: "model.sizes", problem: "missing size '\(size)' needed by reference '\(name)'")
    }
    return try type.init(sizes: sizes, options: object)
  }
}
