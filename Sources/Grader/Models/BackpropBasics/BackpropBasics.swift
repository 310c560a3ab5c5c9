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

  /// Every item is a gradient or a Jacobian of a function of the student's inputs; f is taken on
  /// the pieces of the point's pre-activations (`Activation.onPiece`), so that no step crosses a
  /// kink of relu, leakyrelu or hardtanh. Jacobians (dh_dz, softmax_jacobian) are probed along
  /// rank-one directions a bᵀ: aᵀ J b = d/dε aᵀ f(x + ε b).
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    let net = scoring(inputs)
    let x = inputs["x"]!.matrix
    let z = net.forward(x).z
    let f = self.f
    let theta = inputs["theta"]!.matrix
    let label = Int(inputs["label"]!.scalar)
    // s = uᵀ f̄(W x + b), f̄ on the pieces of z̄ = W x + b at the inputs.
    func score(W: Matrix, b: Matrix, u: Matrix, x: Matrix, zbar: Matrix) -> Double {
      (u.T * f.onPieces(of: zbar, W * x + b))[0, 0]
    }
    let window = windowClassifier(inputs)
    let xw = windowVector(inputs)
    let zw = window.network.forward(xw).z
    let (Ww, bw, uw) = (window.network.W, window.network.b, window.network.u)
    func windowJ(W: Matrix = Ww, b: Matrix = bw, u: Matrix = uw, x: Matrix = xw) -> Double {
      Activation.logistic(score(W: W, b: b, u: u, x: x, zbar: zw))
    }
    let cls = classifier(inputs), X = inputs["X"]!.matrix, y = inputs["y"]!.ints
    let (W, b, u) = (net.W, net.b, net.u)
    let windowShape = inputs["window"]!.matrix
    return [
      "dh_dz": .jacobian(of: { f.onPieces(of: z, $0) }, at: z),
      "delta": .gradient(of: { (u.T * f.onPieces(of: z, $0))[0, 0] }, at: z),
      "ds_db": .gradient(of: { score(W: W, b: $0, u: u, x: x, zbar: z) }, at: b),
      "ds_dW": .gradient(of: { score(W: $0, b: b, u: u, x: x, zbar: z) }, at: W),
      "ds_dx": .gradient(of: { score(W: W, b: b, u: u, x: $0, zbar: z) }, at: x),
      "ds_du": .gradient(of: { score(W: W, b: b, u: $0, x: x, zbar: z) }, at: u),
      "softmax_jacobian": .jacobian(of: { Softmax.probabilities($0) }, at: theta),
      "dCE_dtheta": .gradient(of: { CrossEntropy.loss(scores: $0, label: label) }, at: theta),
      "dJ_dwindow": .gradient(of: { windowJ(x: Matrix(column: $0.scalars)) }, at: windowShape),
      "dJ_dW_win": .gradient(of: { windowJ(W: $0) }, at: Ww),
      "dJ_db_win": .gradient(of: { windowJ(b: $0) }, at: bw),
      "dJ_du_win": .gradient(of: { windowJ(u: $0) }, at: uw),
      "dL_dW_cls": .gradient(of: { (try? cls.evaluate(X: X, y: y, W: $0).loss) ?? .nan }, at: inputs["W_cls"]!.matrix),
      "graph_grad": .gradient(of: { p in ExampleGraph.evaluate(x: p.scalars[0], y: p.scalars[1], z: p.scalars[2]).f }, at: inputs["xyz"]!.matrix),
      "dz_dt": .gradient(of: { t in ChainRuleExample.evaluate(t: t.scalars[0]).z }, at: inputs["t"]!.matrix),
    ]
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
