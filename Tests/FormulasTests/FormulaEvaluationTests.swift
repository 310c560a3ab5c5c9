import BPTTReference
import Formulas
import Jacobians
import Testing
import TestSupport

/// A gradient of the notes written several ways, with two independent values to meet: the
/// package's reference (BPTT, the scoring network, cross entropy) and a direct `Matrix`
/// computation in the test from the same bound intermediates.
struct RNNFormulaCase: Sendable, CustomStringConvertible {
  var name: String
  var shape: SymbolicShape
  /// The first is the plain spelling; the rest are equivalent rewritings (LaTeX, Unicode,
  /// reordered sums, (AB)ᵀ = BᵀAᵀ, ⊙ commuted, 1/T moved in and out of the sum).
  var spellings: [String]
  /// The steps t at which a per-step item is evaluated (nil: the item has no free step).
  var steps: (@Sendable (Int) -> ClosedRange<Int>)?
  var stepRange: StepRange = .oneThroughT
  var reference: @Sendable (RNNPoint, Int) -> Matrix
  var direct: @Sendable (RNNPoint, Int) -> Matrix

  var description: String { name }
}

let rnnCases: [RNNFormulaCase] = [
  RNNFormulaCase(
    name: "dU = (1/T) Σ_t δ1^(t) h^(t)ᵀ", shape: SymbolicShape("V", "H"),
    spellings: [
      "(1/T) * sum_t delta1[t] * h[t]^T",
      #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#,
      "Σ_t δ1^(t) h^(t)ᵀ / T",
      "sum_t (1/T) outer(delta1[t], h[t])",
      "(sum_t h[t] delta1[t]^T)^T / T",
      "1/T Σ_{t=1}^{T} (ŷ^(t) − y^(t)) h_t^T",
      #"\frac{1}{T} \sum_t \left(\hat{y}^{(t)} - y^{(t)}\right) \left(h^{(t)}\right)^{\top}"#,
      "sum_t delta1[t] ⊗ h[t] / T",
    ],
    reference: { p, _ in p.gradients.dU },
    direct: { p, _ in
      let d = p.steps("delta1"), h = p.steps("h")
      var s = Matrix(rows: p.parameters.U.rows, cols: p.parameters.U.cols)
      for t in 1...p.T { s += d[t - 1] * h[t].T }
      return s / Double(p.T)
    }),
  RNNFormulaCase(
    name: "db_2 = (1/T) Σ_t δ1^(t)", shape: SymbolicShape("V", "1"),
    spellings: [
      "(1/T) sum_t delta1[t]",
      #"\frac{1}{T}\sum_{t=1}^{T}\left(\hat{y}^{(t)} - y^{(t)}\right)"#,
      "sum_t (yhat[t] - y[t]) / T",
      "(1/T) Σ_t (softmax(U h[t] + b_2) − onehot(tokens[t+1]))",
      "1/T * Σ_t yhat[t] − 1/T * Σ_t y[t]",
      "Σ_t δ_1^{(t)}/T",
    ],
    reference: { p, _ in p.gradients.db_2 },
    direct: { p, _ in
      let d = p.steps("delta1")
      var s = Matrix(rows: d[0].rows, cols: 1)
      for t in 1...p.T { s += d[t - 1] }
      return s / Double(p.T)
    }),
  RNNFormulaCase(
    name: "dW_h = Σ_t dz^(t) h^(t−1)ᵀ", shape: SymbolicShape("H", "H"),
    spellings: [
      "sum_t dz[t] h[t-1]^T",
      #"\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\top"#,
      "Σ_{i=1}^{T} outer(dz[i], h[i-1])",
      "(Σ_t h[t-1] dz[t]^T)^T",
      "sum_{s=0}^{T-1} dz[s+1] h[s]^T",
      "Σ_t dz_t h_{t-1}ᵀ",
      "sum_t dJdz[t] * h[t−1]'",
    ],
    reference: { p, _ in p.gradients.dW_h },
    direct: { p, _ in
      let dz = p.steps("dz"), h = p.steps("h")
      var s = Matrix(rows: h[0].rows, cols: h[0].rows)
      for t in 1...p.T { s += dz[t - 1] * h[t - 1].T }
      return s
    }),
  RNNFormulaCase(
    name: "dW_e = Σ_t dz^(t) e^(t)ᵀ", shape: SymbolicShape("H", "d"),
    spellings: [
      "sum_t dz[t] e[t]^T",
      #"\sum_{t=1}^{T} dz^{(t)} {e^{(t)}}^\top"#,
      "Σ_t dz^(t) (E x^(t))ᵀ",
      "Σ_t dz_t x_t^T E^T",
      "(Σ_t E x[t] dz[t]^T)^T",
      "sum_t outer(dJdz[t], e[t])",
    ],
    reference: { p, _ in p.gradients.dW_e },
    direct: { p, _ in
      let dz = p.steps("dz"), e = p.steps("e")
      var s = Matrix(rows: dz[0].rows, cols: e[0].rows)
      for t in 1...p.T { s += dz[t - 1] * e[t - 1].T }
      return s
    }),
  RNNFormulaCase(
    name: "db_1 = Σ_t dz^(t)", shape: SymbolicShape("H", "1"),
    spellings: [
      "sum_t dz[t]",
      #"\sum_{t=1}^{T} dz^{(t)}"#,
      "Σ_{s=1}^{T} dJdz[s]",
      "sum_{t=1..T} dz[t]",
      "(Σ_t dz[t]^T)^T",
      "sum_{t=0}^{T-1} dz[t+1]",
    ],
    reference: { p, _ in p.gradients.db_1 },
    direct: { p, _ in
      let dz = p.steps("dz")
      var s = Matrix(rows: dz[0].rows, cols: 1)
      for m in dz { s += m }
      return s
    }),
  RNNFormulaCase(
    name: "dE = Σ_t W_eᵀ dz^(t) x^(t)ᵀ", shape: SymbolicShape("d", "V"),
    spellings: [
      "sum_t W_e^T dz[t] x[t]^T",
      #"\sum_t W_e^\top dz^{(t)} {x^{(t)}}^\top"#,
      "W_e^T Σ_t dz[t] x[t]^T",
      "Σ_t outer(W_eᵀ dz^(t), x^(t))",
      "(Σ_t x[t] dz[t]^T W_e)^T",
      "Σ_t W_eᵀ dz^(t) onehot(tokens[t])ᵀ",
    ],
    reference: { p, _ in p.gradients.dE },
    direct: { p, _ in
      let dz = p.steps("dz"), x = p.steps("x")
      var s = Matrix(rows: p.parameters.E.rows, cols: p.parameters.E.cols)
      for t in 1...p.T { s += p.parameters.W_e.T * dz[t - 1] * x[t - 1].T }
      return s
    }),
  RNNFormulaCase(
    name: "dh0 = W_hᵀ dz^(1)", shape: SymbolicShape("H", "1"),
    spellings: [
      "W_h^T dz[1]",
      #"W_h^\top dz^{(1)}"#,
      "(dz[1]^T W_h)^T",
      "Wₕᵀ dz₁",
      #"\mathbf{W}_h^{\top}\,dz_{1}"#,
    ],
    reference: { p, _ in p.gradients.dh0 },
    direct: { p, _ in p.parameters.W_h.T * p.steps("dz")[0] }),
  RNNFormulaCase(
    name: "Σ_t Σ_{i=1}^{t} δ2^(i) h^(i−1)ᵀ (nested, the inner range depends on t)", shape: SymbolicShape("H", "H"),
    spellings: [
      #"\sum_{t=1}^{T}\sum_{i=1}^{t} delta2[i] h[i-1]^T"#,
      "sum_{i=1}^{T} (T - i + 1) delta2[i] h[i-1]^T",
      "Σ_t Σ_{i=1}^{t} outer(δ2^(i), h^(i−1))",
      "sum_{i=1}^{T} sum_{t=i}^{T} delta2[i] h[i-1]^T",
      "(Σ_t Σ_{i=1}^{t} h[i-1] delta2[i]^T)^T",
    ],
    reference: { p, _ in
      // Σ_t Σ_{i≤t} = Σ_i (T − i + 1)·: the weights counted by hand.
      let d = p.steps("delta2"), h = p.steps("h")
      var s = Matrix(rows: h[0].rows, cols: h[0].rows)
      for i in 1...p.T { s += Double(p.T - i + 1) * (d[i - 1] * h[i - 1].T) }
      return s
    },
    direct: { p, _ in
      let d = p.steps("delta2"), h = p.steps("h")
      var s = Matrix(rows: h[0].rows, cols: h[0].rows)
      for t in 1...p.T {
        for i in 1...t { s += d[i - 1] * h[i - 1].T }
      }
      return s
    }),
  RNNFormulaCase(
    name: "δ2^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t))", shape: SymbolicShape("H", "1"),
    spellings: [
      "(U^T delta1[t]) .* sigma'(z[t])",
      #"(U^\top \delta_1^{(t)}) \odot \sigma'(z^{(t)})"#,
      "σ′(z^(t)) ⊙ Uᵀ δ1^(t)",
      "diag(sigma'(z[t])) U^T delta1[t]",
      "(delta1[t]^T U)^T ⊙ f'(z_t)",
      #"\left(\mathbf{U}^{T}\boldsymbol{\delta}_1^{(t)}\right)\circ\sigma^\prime\left(\mathbf{z}^{(t)}\right)"#,
      "(U^T (yhat[t] - y[t])) .* (h[t] - h[t] .* h[t])",
    ],
    steps: { T in 1...T },
    reference: { p, t in p.deltas.delta2.row(t - 1).T },
    direct: { p, t in p.parameters.U.T * p.steps("delta1")[t - 1] ⊙ p.activation.derivative(p.steps("z")[t - 1]) }),
  RNNFormulaCase(
    name: "δ1^(t) = ŷ^(t) − y^(t)", shape: SymbolicShape("V", "1"),
    spellings: [
      "yhat[t] - y[t]",
      "softmax(U h[t] + b_2) - onehot(tokens[t+1])",
      #"\hat{y}^{(t)} - y^{(t)}"#,
      "ŷ^(t) − y^(t)",
      "-y[t] + yhat[t]",
      "softmax(U h_t + b_2) − y_t",
    ],
    steps: { T in 1...T },
    reference: { p, t in p.deltas.delta1.row(t - 1).T },
    direct: { p, t in softmax(p.parameters.U * p.forward.h[t] + p.parameters.b_2) - p.steps("y")[t - 1] }),
  RNNFormulaCase(
    name: "h^(t) = σ(W_h h^(t−1) + W_e e^(t) + b_1)", shape: SymbolicShape("H", "1"),
    spellings: [
      "sigma(W_h h[t-1] + W_e e[t] + b_1)",
      #"\sigma(W_h h^{(t-1)} + W_e E x^{(t)} + b_1)"#,
      "f(W_e e_t + W_h h_{t-1} + b_1)",
      "σ(z^(t))",
      #"\sigma\left(\mathbf{W}_h \mathbf{h}^{(t-1)} + \mathbf{W}_e \mathbf{e}^{(t)} + \mathbf{b}_1\right)"#,
    ],
    steps: { T in 1...T },
    reference: { p, t in p.forward.h[t] },
    direct: { p, t in
      let q = p.parameters
      return p.activation(q.W_h * p.steps("h")[t - 1] + q.W_e * p.steps("e")[t - 1] + q.b_1)
    }),
  RNNFormulaCase(
    name: "dz^(t) = ((1/T) Uᵀ δ1^(t) + W_hᵀ dz^(t+1)) ⊙ σ′(z^(t)), t < T", shape: SymbolicShape("H", "1"),
    spellings: [
      "(U^T delta1[t] / T + W_h^T dz[t+1]) .* sigma'(z[t])",
      "((1/T) U^T delta1[t] + W_h^T dz[t+1]) ⊙ σ′(z^(t))",
      #"\left(\frac{1}{T} U^\top \delta_1^{(t)} + W_h^\top dz^{(t+1)}\right) \odot \sigma'(z^{(t)})"#,
      "delta2[t] / T + (W_h^T dz[t+1]) ⊙ σ′(z[t])",
      "diag(f'(z[t])) (U^T delta1[t] / T + W_h^T dz[t+1])",
      "σ′(z_t) ⊙ (Uᵀ δ1_t / T + W_hᵀ dz_{t+1})",
    ],
    steps: { T in 1...(T - 1) }, stepRange: StepRange(1, .T - 1),
    reference: { p, t in p.deltas.dJdz.row(t - 1).T },
    direct: { p, t in
      let q = p.parameters
      let g = q.U.T * p.steps("delta1")[t - 1] / Double(p.T) + q.W_h.T * p.steps("dz")[t]
      return g ⊙ p.activation.derivative(p.steps("z")[t - 1])
    }),
]

struct ScoringFormulaCase: Sendable, CustomStringConvertible {
  var name: String
  var shape: SymbolicShape
  var spellings: [String]
  var reference: @Sendable (ScoringPoint) -> Matrix
  var direct: @Sendable (ScoringPoint) -> Matrix

  var description: String { name }
}

let scoringCases: [ScoringFormulaCase] = [
  ScoringFormulaCase(
    name: "∂s/∂W = δᵀ xᵀ", shape: SymbolicShape("n", "m"),
    spellings: ["delta^T x^T", #"\delta^\top x^\top"#, "(x delta)^T", "outer(delta, x)", "(u ⊙ f'(z)) x^T",
                "diag(f'(z)) u x^T", "δᵀ ⊗ x"],
    reference: { p in p.chain.ds_dW },
    direct: { p in p.gradients.delta.T * p.pass.x.T }),
  ScoringFormulaCase(
    name: "∂s/∂b = δᵀ = u ⊙ f′(z)", shape: SymbolicShape("n", "1"),
    spellings: ["delta^T", "u .* f'(z)", "(u^T diag(f'(z)))^T", #"\delta^\top"#, "diag(f′(z)) u", "f'(W x + b) .* u"],
    reference: { p in p.chain.ds_db.T },
    direct: { p in p.net.u ⊙ p.net.f.derivative(p.pass.z) }),
  ScoringFormulaCase(
    name: "∂s/∂x = Wᵀ δᵀ", shape: SymbolicShape("m", "1"),
    spellings: ["W^T delta^T", "(delta W)^T", #"W^\top \delta^\top"#, "Wᵀ (u ⊙ f′(z))", "W^T diag(f'(z)) u"],
    reference: { p in p.chain.ds_dx.T },
    direct: { p in p.net.W.T * p.gradients.delta.T }),
  ScoringFormulaCase(
    name: "∂h/∂x = diag(f′(z)) W", shape: SymbolicShape("n", "m"),
    spellings: ["diag(f'(z)) W", #"\mathrm{diag}(f'(z)) W"#, "diag(f′(z)) * W", "(W^T diag(f'(z)))^T",
                "diag(tanh'(W x + b)) W", #"\operatorname{diag}\left(\tanh'\left(\mathbf{W}\mathbf{x}+\mathbf{b}\right)\right)\mathbf{W}"#],
    reference: { p in p.chain.dh_dz * p.chain.dz_dx },
    direct: { p in Matrix.diag(p.net.f.derivative(p.pass.z)) * p.net.W }),
  ScoringFormulaCase(
    name: "uᵀ diag(f′(z)) W (the Jacobian ∂s/∂x)", shape: SymbolicShape("1", "m"),
    spellings: ["u^T diag(f'(z)) W", "delta W", #"\mathbf{u}^\top \mathrm{diag}(f'(\mathbf{z})) \mathbf{W}"#,
                "(W^T (u .* f'(z)))^T", "(u ⊙ f′(z))ᵀ W"],
    reference: { p in p.chain.ds_dx },
    direct: { p in p.net.u.T * Matrix.diag(p.net.f.derivative(p.pass.z)) * p.net.W }),
  ScoringFormulaCase(
    name: "∂CE/∂θ = softmax(θ) − onehot(label)", shape: SymbolicShape("C", "1"),
    spellings: ["softmax(theta) - onehot(label)", #"\operatorname{softmax}(\theta) - \mathrm{onehot}(label)"#,
                "−onehot(label) + softmax(θ)", #"\mathrm{softmax}\left(\theta\right) - \text{onehot}\left(\text{label}\right)"#,
                "softmax(θ) + (−1) onehot(label)", "-(onehot(label) - softmax(theta))"],
    reference: { p in CrossEntropy.explicitChain(p.theta, label: p.label).dCE_dtheta.T },
    direct: { p in softmax(p.theta) - CrossEntropy.oneHot(p.label, classes: p.theta.rows) }),
  ScoringFormulaCase(
    name: "∂s/∂u = h", shape: SymbolicShape("n", "1"),
    spellings: ["h", "f(W x + b)", "tanh(W x + b)", #"\tanh(Wx+b)"#, "f(z)"],
    reference: { p in p.chain.ds_du.T },
    direct: { p in p.net.f(p.net.W * p.pass.x + p.net.b) }),
]

@Suite struct FormulaEvaluationTests {
  @Test(arguments: rnnCases)
  func rnnSpellingsAgreeWithReferenceAndDirectComputation(_ c: RNNFormulaCase) throws {
    let context = rnnContext(stepVariables: ["t": c.stepRange])
    let formulas = c.spellings.compactMap { parse($0, context) }
    try #require(formulas.count == c.spellings.count)
    for f in formulas {
      #expect(f.shape == c.shape, "`\(f.source)` has shape \(f.shape), expected \(c.shape)")
      #expect(f.compare(toExpected: c.shape) == .matches)
    }
    for seed in randomSeeds {
      let point = RNNPoint(seed: seed)
      for t in c.steps?(point.T) ?? 0...0 {
        let bindings = c.steps == nil ? point.bindings : point.at(t: t)
        guard let first = evaluate(formulas[0], bindings) else { continue }
        expectSame(first, c.reference(point, t), "seed \(seed) t \(t): `\(formulas[0].source)` vs the reference")
        expectSame(first, c.direct(point, t), "seed \(seed) t \(t): `\(formulas[0].source)` vs the direct computation")
        for f in formulas.dropFirst() {
          guard let v = evaluate(f, bindings) else { continue }
          expectSame(v, first, "seed \(seed) t \(t): `\(f.source)` vs `\(formulas[0].source)`")
        }
      }
    }
  }

  @Test(arguments: scoringCases)
  func scoringSpellingsAgreeWithReferenceAndDirectComputation(_ c: ScoringFormulaCase) throws {
    let context = scoringContext()
    let formulas = c.spellings.compactMap { parse($0, context) }
    try #require(formulas.count == c.spellings.count)
    for f in formulas { #expect(f.shape == c.shape, "`\(f.source)` has shape \(f.shape), expected \(c.shape)") }
    for seed in randomSeeds {
      let point = ScoringPoint(seed: seed)
      guard let first = evaluate(formulas[0], point.bindings) else { continue }
      expectSame(first, c.reference(point), "seed \(seed): `\(formulas[0].source)` vs the reference")
      expectSame(first, c.direct(point), "seed \(seed): `\(formulas[0].source)` vs the direct computation")
      for f in formulas.dropFirst() {
        guard let v = evaluate(f, point.bindings) else { continue }
        expectSame(v, first, "seed \(seed): `\(f.source)` vs `\(formulas[0].source)`")
      }
    }
  }

  /// `f` and `f′` follow the model's activation; a wrong formula is a different value, which the
  /// comparison catches (so the agreement above is not vacuous).
  @Test(arguments: [Activation.sigmoid, .tanh, .relu, .swish])
  func modelActivationFollowsTheContext(_ a: Activation) throws {
    let context = rnnContext(activation: a)
    let point = RNNPoint(seed: 7, activation: a).at(t: 3)
    let f = try Formula("f'(z[t]) .* f(z[t])", in: context)
    let z = RNNPoint(seed: 7, activation: a).steps("z")[2]
    expectSame(try f.evaluate(at: point), a.derivative(z) ⊙ a(z), "f′(z) ⊙ f(z) for \(a)")
    // A wrong formula (δ1 without the 1/T of the mean) is far from the reference.
    let wrong = try Formula("sum_t delta1[t] h[t]^T", in: context)
    let p = RNNPoint(seed: 7, activation: a)
    let err = Discrepancy.relative(try wrong.evaluate(at: p.bindings), p.gradients.dU)
    #expect(err > 0.5, "Σ_t δ1 hᵀ without 1/T should differ from dU; relative error \(err)")
  }

  /// Scalars: numbers, T, a sum's variable, a declared scalar; division by a scalar expression.
  @Test func scalarsScaleAndDivide() throws {
    let context = rnnContext()
    let point = RNNPoint(seed: 3)
    let h = point.steps("h")
    let cases: [(String, Matrix)] = [
      ("2 h[1]", 2 * h[1]),
      ("h[1] * 2", 2 * h[1]),
      ("h[1] / (T + 2)", h[1] / Double(point.T + 2)),
      ("sum_t t h[t]", (1...point.T).reduce(Matrix(rows: h[0].rows, cols: 1)) { $0 + Double($1) * h[$1] }),
      ("0.5 h[2] - h[2]/2", Matrix(rows: h[0].rows, cols: 1)),
      ("(h[1]^T h[2]) h[3]", (h[1].T * h[2]).scalars[0] * h[3]),
      ("h[3] (h[1]^T h[2])", (h[1].T * h[2]).scalars[0] * h[3]),
      ("exp(log(2)) h[1]", 2 * h[1]),
    ]
    for (source, expected) in cases {
      let f = try Formula(source, in: context)
      expectSame(try f.evaluate(at: point.bindings), expected, source, tolerance: 1e-14)
    }
    let s = ScoringPoint(seed: 2)
    let f = try Formula("s * h / s", in: scoringContext())
    expectSame(try f.evaluate(at: s.bindings), s.pass.h, "s h / s")
  }

  /// An empty sum (upper bound below the lower) is the zero matrix of the body's shape.
  @Test func emptySumIsZero() throws {
    let context = rnnContext()
    let point = RNNPoint(seed: 5)
    let f = try Formula(#"\sum_{t=1}^{T}\sum_{i=1}^{t-1} h[i] h[t]^T"#, in: context)
    let h = point.steps("h")
    var expected = Matrix(rows: h[0].rows, cols: h[0].rows)
    for t in 1...point.T {
      for i in stride(from: 1, to: t, by: 1) { expected += h[i] * h[t].T }
    }
    expectSame(try f.evaluate(at: point.bindings), expected, "Σ_t Σ_{i<t}")
    let empty = try Formula(#"\sum_{i=2}^{1} h[i]"#, in: context)
    #expect(try empty.evaluate(at: point.bindings) == Matrix(rows: h[0].rows, cols: 1))
  }

  /// The step count is inferred from a sequence when the bindings leave it out.
  @Test func stepCountInferredFromASequence() throws {
    let point = RNNPoint(seed: 11)
    var b = point.bindings
    b.stepCount = nil
    let f = try Formula("(1/T) sum_t delta1[t] h[t]^T", in: rnnContext())
    expectSame(try f.evaluate(at: b), point.gradients.dU, "dU with T inferred")
  }
}
