import Foundation
import Formulas
import Jacobians
import Testing
import TestSupport
@testable import Grader

/// Every model's formula declarations against its own reference: the notes' formula of each
/// item, evaluated at the model's bindings, is the item's reference (relative error ≤ 1e-10) at
/// 20 seeded inputs, for every option that changes the formulas.
///
/// The formulas are the item statements of the notes (the comments of each model's
/// `…Formulas.swift`); the references come from `Jacobians` and `BPTTReference`, which are
/// checked against central differences and `_Differentiation` in their own tests, so an error in
/// a binding (a step off by one, a missing bias, the wrong carry) shows as a mismatch here.
@Suite("Formula declarations agree with each model's reference")
struct FormulaDeclarationsTests {
  struct ModelCase: Sendable, CustomStringConvertible {
    var name: String
    var json: String
    /// item → the notes' formula for it under these options.
    var formulas: [String: String]
    var description: String { name }
  }

  static func rnn(mean: Bool = true) -> [String: String] {
    let m = mean ? "(1/T) " : ""
    return [
      "loss": "\(m)sum_t -y[t]^T log(yhat[t])", "dU": "\(m)sum_t delta1[t] h[t]^T", "db_2": "\(m)sum_t delta1[t]",
      "dW_h": "sum_t dz[t] h[t-1]^T", "dW_e": "sum_t dz[t] e[t]^T", "db_1": "sum_t dz[t]", "dE": "sum_t W_e^T dz[t] x[t]^T",
      "dh0": "W_h^T dz[1]", "delta1": "yhat[t] - y[t]", "delta2": "(U^T delta1[t]) .* f'(z[t])",
    ]
  }

  static func canonical(mean: Bool) -> [String: String] {
    let m = mean ? "(1/T) " : ""
    return [
      "loss": "\(m)sum_t -x[t+1]^T log(y[t])", "dW_xh": "sum_t dh[t] x[t]^T", "dW_hh": "sum_t δh_t h_{t-1}^T",
      "dW_yh": "\(m)sum_t (y[t] - x[t+1]) h[t]^T", "db_h": "sum_t dh[t]", "db_y": "\(m)sum_t (y[t] - onehot(tokens[t+1]))",
      "dh0": "W_hh^T dh[1]",
    ]
  }

  static func basics(half: Bool = false) -> [String: String] { [
    "dh_dz": "diag(f'(z))", "delta": "u^T .* f'(z)^T", "ds_db": "delta^T", "ds_dW": "delta^T x^T", "ds_dx": "W^T delta^T",
    "ds_du": "h", "softmax_jacobian": "diag(yhat) - yhat yhat^T", "dCE_dtheta": "yhat - y",
    "dJ_dwindow": "sigma'(s_win) W_win^T delta_win^T", "dJ_dW_win": "sigma'(s_win) delta_win^T x_win^T",
    "dJ_db_win": "sigma'(s_win) delta_win^T", "dJ_du_win": "sigma'(s_win) h_win",
    "dL_dW_cls": half ? "(1/N) X^T (P - Y) + reg W_cls" : "(1/N) X^T (P - Y) + 2 reg W_cls", "dz_dt": "10 t t t t - 8 t",
  ] }

  static let window: [String: String] = [
    "loss": "-y^T log(yhat)", "delta1": "yhat - y", "dU": "delta1 h^T", "db_2": "delta1", "delta2": "(U^T delta1) .* f'(z)",
    "dW": "delta2 e^T", "db_1": "delta2", "de": "W^T delta2", "dE": "sum_k W_e[k]^T delta2 x[k]^T",
  ]

  static let rnnSizes = #""sizes": {"T": 6, "V": 10, "d": 4, "H": 5}"#
  static let cases: [ModelCase] = [
    ModelCase(name: "rnn-lm", json: #"{"reference": "rnn-lm", \#(rnnSizes)}"#, formulas: rnn()),
    ModelCase(name: "rnn-lm, tanh, sum", json: #"{"reference": "rnn-lm", \#(rnnSizes), "activation": "tanh", "reduction": "sum"}"#, formulas: rnn(mean: false)),
    ModelCase(name: "rnn-lm, window(2)", json: #"{"reference": "rnn-lm", \#(rnnSizes), "truncation": "window(2)"}"#, formulas: rnn()),
    ModelCase(name: "rnn-lm, chunks(3), relu", json: #"{"reference": "rnn-lm", \#(rnnSizes), "truncation": "chunks(3)", "activation": "relu"}"#, formulas: rnn()),
    ModelCase(name: "rnn-lm, no biases", json: #"{"reference": "rnn-lm", \#(rnnSizes), "biases": false}"#,
              formulas: rnn().filter { !["db_1", "db_2"].contains($0.key) }),
    ModelCase(name: "rnn-lm, T = 1", json: #"{"reference": "rnn-lm", "sizes": {"T": 1, "V": 7, "d": 3, "H": 4}}"#, formulas: rnn()),
    ModelCase(name: "rnn-canonical", json: #"{"reference": "rnn-canonical", "sizes": {"T": 6, "V": 8, "H": 5}, "activation": "tanh", "reduction": "sum"}"#,
              formulas: canonical(mean: false)),
    ModelCase(name: "rnn-canonical, mean, window(3)", json: #"{"reference": "rnn-canonical", "sizes": {"T": 6, "V": 8, "H": 5}, "reduction": "mean", "truncation": "window(3)"}"#,
              formulas: canonical(mean: true)),
    ModelCase(name: "backprop-basics", json: #"{"reference": "backprop-basics", "sizes": { "m": 5, "n": 4, "K": 6, "window": 5, "d": 3, "N": 6, "D": 4, "C": 3 }}"#,
              formulas: basics()),
    ModelCase(name: "backprop-basics, tanh, ½λΣW²", json: #"{"reference": "backprop-basics", "sizes": { "m": 3, "n": 7, "K": 4, "window": 3, "d": 2, "N": 5, "D": 3, "C": 4 }, "activation": "tanh", "regularization": "half"}"#,
              formulas: basics(half: true)),
    ModelCase(name: "window-lm", json: #"{"reference": "window-lm", "sizes": {"n": 3, "d": 4, "H": 5, "V": 10}}"#, formulas: window),
    ModelCase(name: "window-lm, swish, n = 5", json: #"{"reference": "window-lm", "sizes": {"n": 5, "d": 2, "H": 3, "V": 6}, "activation": "swish"}"#, formulas: window),
  ]

  static func model(_ json: String) throws -> any ModelReference {
    let root = try StrictObject.parse(Data("{\"model\": \(json)}".utf8), file: "assignment.json")
    return try ModelRegistry.decode(try root.object("model"))
  }

  static func spec(_ model: any ModelReference, _ item: String) -> ItemSpec {
    let q = model.item(item)!
    return ItemSpec(id: item, statement: "", shape: q.shape, checks: [.reference], symbolicShape: [])
  }

  @Test("the notes' formula of every item is its reference, at 20 seeded inputs", arguments: cases)
  func formulasAreTheReference(_ c: ModelCase) throws {
    let model = try Self.model(c.json)
    let declarations = try #require(model.formulas)
    #expect(Set(c.formulas.keys) == Set(declarations.items.keys), "every declared item has its formula in this test")
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let reference = model.reference(inputs: inputs)
      let point = model.formulaBindings(inputs: inputs)
      for (item, source) in c.formulas.sorted(by: { $0.key < $1.key }) {
        let compiled = try CompiledFormulaItem(source, item: Self.spec(model, item), declarations: declarations)
        let value = try compiled.value(at: point)
        let expected = reference[item]!
        let err = Discrepancy.relative(Matrix(row: value.scalars), Matrix(row: expected.scalars))
        #expect(err <= 1e-10, "\(c) seed \(seed): \(item) = \(source) is off by \(err)")
      }
    }
  }

  @Test("every quantity is bound at its declared shape and steps, and every item's shape fits it", arguments: cases)
  func everyQuantityIsBound(_ c: ModelCase) throws {
    let model = try Self.model(c.json)
    let declarations = try #require(model.formulas)
    var rng = SplitMix64(seed: 5)
    let point = model.formulaBindings(inputs: model.generateInputs(using: &rng))
    #expect(Set(point.values.keys) == Set(declarations.quantities.map(\.name)), "the bindings name exactly the declared quantities")
    let all = try FormulaContext(quantities: declarations.quantities, activation: declarations.activation, stepCount: declarations.stepCount)
    for q in declarations.quantities {
      // Each quantity alone, at its first step: the binding is checked against the declaration.
      var reference = q.name
      if case .classIndex = q.kind { reference = "onehot(\(q.name)\(q.steps == nil ? "" : "[1]"))" } else if let s = q.steps {
        reference += "[\(s.first.offset)]"
      }
      let f = try Formula(reference, in: all)
      let value = try f.evaluate(at: point)
      #expect(value.isFinite, "\(c): \(reference)")
    }
    for (item, spec) in declarations.items {
      #expect(model.item(item) != nil, "\(c): \(item) is an item of the model")
      #expect(throws: Never.self, "\(c): the context of \(item) builds") { _ = try declarations.context(for: item) }
      #expect(spec.excluded.allSatisfy { declarations.quantity(named: $0) != nil }, "\(c): \(item) excludes declared quantities")
    }
    for item in declarations.withoutClosedForm.keys {
      #expect(model.item(item) != nil && declarations.items[item] == nil, "\(c): \(item) has no formula")
    }
  }

  @Test("models without formulas declare none; the registry's other models declare them")
  func whichModelsTakeFormulas() throws {
    let (a, _) = try shipped("ngram-lm")
    #expect(a.model.formulas == nil)
    let item = a.items[0]
    var g = try grader("ngram-lm")
    g.formulaSeed = 1
    let r = g.grade(student: "x", answers: [item.id: .formula(FormulaAnswer("1"))]).item(item.id)!
    #expect(r.status == .error && r.message.contains("takes no formulas"), "\(r.message)")
  }
}
