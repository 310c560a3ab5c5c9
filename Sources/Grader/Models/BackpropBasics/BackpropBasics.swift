import BPTTReference
import Jacobians

/// `backprop-basics`: the feed-forward gradients of note 003, from `Jacobians`.
///
/// ```
/// scoring network   z = Wx + b, h = f(z), s = uᵀh           dh_dz (n×n), delta, ds_db, ds_du (n), ds_dW (n×m), ds_dx (m)
/// softmax + CE      ŷ = softmax(θ), CE = −log ŷ_label         softmax_jacobian (K×K), dCE_dtheta (K)
/// window classifier J = σ(u_winᵀ f(W_win x + b_win))          dJ_dwindow (window×d), dJ_dW_win, dJ_db_win, dJ_du_win
/// softmax classifier L = mean CE(XW_cls) + c·reg·ΣW_cls²      dL_dW_cls (D×C)
/// graph             f = (x + y)·max(y, z)                     graph_grad (3)
/// chain rule        z = x²y − y², x = t², y = 2t             dz_dt (scalar)
/// ```
///
/// Options: `activation` (f of the scoring network and the window classifier, default σ) and
/// `regularization` (`full` λΣW², the default, or `half` ½λΣW²).
struct BackpropBasics: ModelReference {
  static let name = "backprop-basics"
  static let summary = "the feed-forward gradients of note 003: Jacobians, δ, softmax, window and softmax classifiers, graphs"
  static let sizeNames = ["m", "n", "K", "window", "d", "N", "D", "C"]
  static let optionKeys = ["activation", "convention", "regularization"]
  static let sizeMeanings = [
    "m": "the input size of the scoring network", "n": "its hidden size (and the window classifier's)", "K": "the number of classes of the softmax",
    "d": "the size of a word vector of the window", "N": "the number of examples of the softmax classifier", "D": "their number of features", "C": "their number of classes",
  ]

  let sizes: [String: Int]
  let f: Activation
  let l2: L2Factor

  init(sizes: [String: Int], options: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    f = try Activation.decode(options)
    try VectorConvention.decodeColumnOnly(options)
    let regularization = try options.optionalString("regularization") ?? "full"
    guard let l2 = L2Factor(assignmentName: regularization) else {
      throw DataFileError(file: options.file, path: options.child("regularization"), problem: "unknown regularization '\(regularization)'; expected 'full' (λΣW²) or 'half' (½λΣW²)")
    }
    self.l2 = l2
  }

  var inputs: [ModelQuantity] {
    let m = size("m"), n = size("n"), K = size("K"), window = size("window"), d = size("d")
    let N = size("N"), D = size("D"), C = size("C")
    return [
      ModelQuantity("x", [m]), ModelQuantity("W", [n, m]), ModelQuantity("b", [n]), ModelQuantity("u", [n]),
      ModelQuantity("theta", [K]), ModelQuantity("label", [], .int64), ModelQuantity("window", [window, d]),
      ModelQuantity("W_win", [n, window * d]), ModelQuantity("b_win", [n]), ModelQuantity("u_win", [n]),
      ModelQuantity("X", [N, D]), ModelQuantity("y", [N], .int64), ModelQuantity("W_cls", [D, C]),
      ModelQuantity("reg", []), ModelQuantity("xyz", [3]), ModelQuantity("t", []),
    ]
  }

  var items: [ModelQuantity] {
    let m = size("m"), n = size("n"), K = size("K"), window = size("window"), d = size("d")
    let D = size("D"), C = size("C")
    return [
      ModelQuantity("dh_dz", [n, n]), ModelQuantity("delta", [n]), ModelQuantity("ds_db", [n]), ModelQuantity("ds_dW", [n, m]),
      ModelQuantity("ds_dx", [m]), ModelQuantity("ds_du", [n]), ModelQuantity("softmax_jacobian", [K, K]),
      ModelQuantity("dCE_dtheta", [K]), ModelQuantity("dJ_dwindow", [window, d]), ModelQuantity("dJ_dW_win", [n, window * d]),
      ModelQuantity("dJ_db_win", [n]), ModelQuantity("dJ_du_win", [n]), ModelQuantity("dL_dW_cls", [D, C]),
      ModelQuantity("graph_grad", [3]), ModelQuantity("dz_dt", []),
    ]
  }

  var notation: ModelNotation { ModelNotation(loss: "J", activation: f.name) }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let m = size("m"), n = size("n"), K = size("K"), window = size("window"), d = size("d")
    let N = size("N"), D = size("D"), C = size("C")
    // The graph's point keeps |y − z| ≥ 0.2, away from the tie of max(y, z).
    var xyz = rng.uniformTensor([3], -2, 2)
    if Swift.abs(xyz.scalars[1] - xyz.scalars[2]) < 0.2 { xyz.scalars[2] = xyz.scalars[1] + (xyz.scalars[2] < xyz.scalars[1] ? -0.5 : 0.5) }
    return [
      "x": rng.normalTensor([m], standardDeviation: 1),
      "W": rng.normalTensor([n, m], standardDeviation: 0.8),
      "b": rng.normalTensor([n], standardDeviation: 0.5),
      "u": rng.normalTensor([n], standardDeviation: 1),
      "theta": rng.normalTensor([K], standardDeviation: 1),
      "label": Tensor(shape: [], scalars: [Double(rng.int(below: K))], dtype: .int64),
      "window": rng.normalTensor([window, d], standardDeviation: 1),
      "W_win": rng.normalTensor([n, window * d], standardDeviation: 0.6),
      "b_win": rng.normalTensor([n], standardDeviation: 0.5),
      "u_win": rng.normalTensor([n], standardDeviation: 1.5),
      "X": rng.normalTensor([N, D], standardDeviation: 1),
      "y": Tensor(shape: [N], scalars: (0..<N).map { _ in Double(rng.int(below: C)) }, dtype: .int64),
      "W_cls": rng.normalTensor([D, C], standardDeviation: 0.5),
      "reg": Tensor(scalar: rng.uniform(0.05, 0.5)),
      "xyz": xyz,
      "t": Tensor(scalar: rng.uniform(-1.5, 1.5)),
    ]
  }

  // MARK: The models at a student's inputs

  func scoring(_ inputs: [String: Tensor]) -> ScoringNetwork {
    try! ScoringNetwork(W: inputs["W"]!.matrix, b: inputs["b"]!.matrix, u: inputs["u"]!.matrix, f: f)
  }

  func windowClassifier(_ inputs: [String: Tensor], W: Matrix? = nil, b: Matrix? = nil, u: Matrix? = nil) -> WindowClassifier {
    try! WindowClassifier(
      windowSize: size("window"), d: size("d"),
      W: W ?? inputs["W_win"]!.matrix, b: b ?? inputs["b_win"]!.matrix, u: u ?? inputs["u_win"]!.matrix, f: f)
  }

  func windowVector(_ inputs: [String: Tensor]) -> Matrix { Matrix(column: inputs["window"]!.scalars) }

  func classifier(_ inputs: [String: Tensor]) -> SoftmaxClassifier {
    SoftmaxClassifier(lambda: inputs["reg"]!.scalar, l2: l2)
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let net = scoring(inputs)
    let pass = net.forward(inputs["x"]!.matrix)
    let g = net.backward(pass)
    let theta = inputs["theta"]!.matrix
    let label = Int(inputs["label"]!.scalar)
    let window = windowClassifier(inputs)
    let wg = window.backward(window.forward(windowVector(inputs)))
    let cls = try! classifier(inputs).evaluate(X: inputs["X"]!.matrix, y: inputs["y"]!.ints, W: inputs["W_cls"]!.matrix)
    let p = inputs["xyz"]!.scalars
    let graph = ExampleGraph.evaluate(x: p[0], y: p[1], z: p[2])
    return [
      "dh_dz": Tensor(ElementaryJacobians.elementwise(f, at: pass.z)),
      "delta": Tensor(g.delta, vector: true),
      "ds_db": Tensor(g.ds_db, vector: true),
      "ds_dW": Tensor(g.ds_dW),
      "ds_dx": Tensor(g.ds_dx, vector: true),
      "ds_du": Tensor(g.ds_du, vector: true),
      "softmax_jacobian": Tensor(ElementaryJacobians.softmax(at: theta)),
      "dCE_dtheta": Tensor(CrossEntropy.gradientWithRespectToScores(theta, label: label), vector: true),
      "dJ_dwindow": Tensor(wg.dJ_dwords),
      "dJ_dW_win": Tensor(wg.dJ_dW),
      "dJ_db_win": Tensor(wg.dJ_db, vector: true),
      "dJ_du_win": Tensor(wg.dJ_du, vector: true),
      "dL_dW_cls": Tensor(cls.dW),
      "graph_grad": Tensor(shape: [3], scalars: [graph.df_dx, graph.df_dy, graph.df_dz]),
      "dz_dt": Tensor(scalar: ChainRuleExample.evaluate(t: inputs["t"]!.scalar).dz_dt),
    ]
  }

  func numericProbes(item: String, inputs: [String: Tensor]) -> [NumericProbe] {
    let net = scoring(inputs)
    let x = inputs["x"]!.matrix
    let z = net.forward(x).z
    let f = self.f
    let theta = inputs["theta"]!.matrix
    let label = Int(inputs["label"]!.scalar)
    switch item {
    case "dh_dz":
      return [NumericProbe(point: z) { z in f(z) }]
    case "delta":
      return [NumericProbe(point: z) { z in (net.u.T * f(z))[0, 0] }]
    case "ds_db":
      return [NumericProbe(point: net.b) { b in var m = net; m.b = b; return m.score(x) }]
    case "ds_dW":
      return [NumericProbe(point: net.W) { W in var m = net; m.W = W; return m.score(x) }]
    case "ds_dx":
      return [NumericProbe(point: x) { x in net.score(x) }]
    case "ds_du":
      return [NumericProbe(point: net.u) { u in var m = net; m.u = u; return m.score(x) }]
    case "softmax_jacobian":
      return [NumericProbe(point: theta) { theta in Softmax.probabilities(theta) }]
    case "dCE_dtheta":
      return [NumericProbe(point: theta) { theta in CrossEntropy.loss(scores: theta, label: label) }]
    case "dJ_dwindow":
      let window = windowClassifier(inputs)
      return [NumericProbe(point: inputs["window"]!.matrix) { w in window.forward(Matrix(column: w.scalars)).J }]
    case "dJ_dW_win":
      let xw = windowVector(inputs)
      return [NumericProbe(point: inputs["W_win"]!.matrix) { W in windowClassifier(inputs, W: W).forward(xw).J }]
    case "dJ_db_win":
      let xw = windowVector(inputs)
      return [NumericProbe(point: inputs["b_win"]!.matrix) { b in windowClassifier(inputs, b: b).forward(xw).J }]
    case "dJ_du_win":
      let xw = windowVector(inputs)
      return [NumericProbe(point: inputs["u_win"]!.matrix) { u in windowClassifier(inputs, u: u).forward(xw).J }]
    case "dL_dW_cls":
      let cls = classifier(inputs), X = inputs["X"]!.matrix, y = inputs["y"]!.ints
      return [NumericProbe(point: inputs["W_cls"]!.matrix) { W in (try? cls.evaluate(X: X, y: y, W: W).loss) ?? .nan }]
    case "graph_grad":
      return [NumericProbe(point: inputs["xyz"]!.matrix) { p in ExampleGraph.evaluate(x: p.scalars[0], y: p.scalars[1], z: p.scalars[2]).f }]
    case "dz_dt":
      return [NumericProbe(point: inputs["t"]!.matrix) { t in ChainRuleExample.evaluate(t: t.scalars[0]).z }]
    default:
      return []
    }
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { basicsDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    BackpropBasicsExplanation(model: self, inputs: inputs).steps(for: item)
  }
}

extension L2Factor {
  /// `full` (λΣW²) or `half` (½λΣW²), as `assignment.json` names them.
  init?(assignmentName: String) {
    switch assignmentName {
    case "full": self = .full
    case "half": self = .half
    default: return nil
    }
  }
}
