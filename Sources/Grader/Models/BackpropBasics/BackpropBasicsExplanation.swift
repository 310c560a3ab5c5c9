import Jacobians

/// The derivations of the `backprop-basics` items (note 003) as chains of explicit Jacobians:
///
/// ```
/// ∂s/∂b = (∂s/∂h)(∂h/∂z)(∂z/∂b) = uᵀ diag(f′(z)) I = δ          (1 × n)(n × n)(n × n) = 1 × n
/// ∂s/∂W = δᵀ xᵀ                                               (n × 1)(1 × m) = n × m
/// ∂CE/∂θ = (∂CE/∂ŷ)(∂ŷ/∂θ) = −(y ⊘ ŷ)ᵀ (diag(ŷ) − ŷŷᵀ) = (ŷ − y)ᵀ
/// ```
/// Every value comes from `Jacobians` at the student's inputs.
struct BackpropBasicsExplanation {
  let model: BackpropBasics
  let inputs: [String: Tensor]

  var f: Activation { model.f }
  func size(_ name: String) -> Int { model.size(name) }

  func steps(for item: String) -> [ExplanationStep] {
    switch item {
    case "dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du":
      return scoring(item)
    case "softmax_jacobian", "dCE_dtheta":
      return softmax(item)
    case "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win":
      return window(item)
    case "dL_dW_cls":
      return classifier()
    case "graph_grad":
      return graph()
    case "dz_dt":
      return chainRule()
    default:
      return []
    }
  }

  func scoring(_ item: String) -> [ExplanationStep] {
    let n = size("n"), m = size("m")
    let net = try! ScoringNetwork(W: inputs["W"]!.matrix, b: inputs["b"]!.matrix, u: inputs["u"]!.matrix, f: f)
    let pass = net.forward(inputs["x"]!.matrix)
    let chain = net.explicitChain(pass)
    var steps = [
      ExplanationStep(formula: "z = Wx + b", shape: "(n × m)(m × 1) + (n × 1) = \(n) × 1", value: pass.z.T),
      ExplanationStep(formula: "h = \(f.name)(z),  s = uᵀh", shape: "\(n) × 1", value: pass.h.T, note: "s = \(Autograder.number(pass.s))"),
      ExplanationStep(formula: "∂s/∂h = uᵀ", shape: "1 × \(n)", value: chain.ds_dh),
      ExplanationStep(formula: "∂h/∂z = diag(\(f.name)′(z))", shape: "\(n) × \(n)", value: chain.dh_dz),
    ]
    if item == "dh_dz" { return steps }
    if item == "ds_du" {
      return [steps[0], steps[1], ExplanationStep(formula: "∂s/∂u = ∂(uᵀh)/∂u = hᵀ, as a gradient h", shape: "1 × \(n)", value: chain.ds_du)]
    }
    let delta = net.backward(pass).delta
    steps.append(ExplanationStep(formula: "δ = (∂s/∂h)(∂h/∂z) = uᵀ diag(\(f.name)′(z)) = uᵀ ⊙ \(f.name)′(z)ᵀ", shape: "(1 × n)(n × n) = 1 × \(n)", value: delta))
    switch item {
    case "ds_db":
      steps.append(ExplanationStep(formula: "∂s/∂b = δ ∂z/∂b = δ I", shape: "(1 × n)(n × n) = 1 × \(n)", value: chain.ds_db))
    case "ds_dW":
      steps.append(ExplanationStep(formula: "∂s/∂W = δᵀ xᵀ (outer product δ ⊗ x)", shape: "(n × 1)(1 × m) = \(n) × \(m)", note: "(∂s/∂W)_ij = δ_i x_j: W_ij feeds only z_i"))
    case "ds_dx":
      steps.append(ExplanationStep(formula: "∂s/∂x = δ ∂z/∂x = δ W, as a gradient Wᵀ δᵀ", shape: "(1 × n)(n × m) = 1 × \(m)", value: chain.ds_dx))
    default:
      break
    }
    return steps
  }

  func softmax(_ item: String) -> [ExplanationStep] {
    let K = size("K")
    let label = Int(inputs["label"]!.scalar)
    let chain = CrossEntropy.explicitChain(inputs["theta"]!.matrix, label: label)
    var steps = [
      ExplanationStep(formula: "ŷ = softmax(θ)", shape: "\(K) × 1", value: chain.yHat.T, note: "label l = \(label)"),
      ExplanationStep(formula: "∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ,  (∂ŷ/∂θ)_ij = ŷ_i([i = j] − ŷ_j)", shape: "\(K) × \(K)", value: chain.dyHat_dtheta,
                      note: "off the diagonal −ŷ_i ŷ_j: every ŷ_i depends on every θ_j"),
    ]
    if item == "dCE_dtheta" {
      steps.append(ExplanationStep(formula: "∂CE/∂ŷ = −(y ⊘ ŷ)ᵀ", shape: "1 × \(K)", value: chain.dCE_dyHat, note: "only the label entry, −1/ŷ_l, is nonzero"))
      steps.append(ExplanationStep(formula: "∂CE/∂θ = (∂CE/∂ŷ)(∂ŷ/∂θ) = (ŷ − y)ᵀ", shape: "(1 × K)(K × K) = 1 × \(K)", value: chain.dCE_dtheta))
    }
    return steps
  }

  func window(_ item: String) -> [ExplanationStep] {
    let n = size("n"), k = size("window"), d = size("d")
    let classifier = try! WindowClassifier(windowSize: k, d: d, W: inputs["W_win"]!.matrix, b: inputs["b_win"]!.matrix, u: inputs["u_win"]!.matrix, f: f)
    let x = Matrix(column: inputs["window"]!.scalars)
    let pass = classifier.forward(x)
    let g = classifier.backward(pass)
    var steps = [
      ExplanationStep(formula: "x = [x_1; …; x_\(k)]", shape: "(window·d) × 1 = \(k * d) × 1", value: x.T),
      ExplanationStep(formula: "z = W_win x + b_win,  h = \(f.name)(z),  s = u_winᵀ h,  J = σ(s)", shape: "\(n) × 1", value: pass.scoring.h.T,
                      note: "s = \(Autograder.number(pass.scoring.s)), J = \(Autograder.number(pass.J))"),
      ExplanationStep(formula: "∂J/∂s = σ(s)(1 − σ(s))", value: Matrix(scalar: g.dJ_ds)),
    ]
    if item == "dJ_du_win" {
      steps.append(ExplanationStep(formula: "∂J/∂u_win = σ′(s) h", shape: "\(n) × 1"))
      return steps
    }
    steps.append(ExplanationStep(formula: "δ = σ′(s) (u_winᵀ ⊙ \(f.name)′(z)ᵀ) = σ′(s) u_winᵀ diag(\(f.name)′(z))", shape: "1 × \(n)", value: g.delta))
    switch item {
    case "dJ_dW_win": steps.append(ExplanationStep(formula: "∂J/∂W_win = δᵀ xᵀ", shape: "(n × 1)(1 × window·d) = \(n) × \(k * d)"))
    case "dJ_db_win": steps.append(ExplanationStep(formula: "∂J/∂b_win = δᵀ", shape: "\(n) × 1"))
    default:
      steps.append(ExplanationStep(formula: "∂J/∂x = W_winᵀ δᵀ", shape: "(window·d × n)(n × 1) = \(k * d) × 1", value: g.dJ_dx.T))
      steps.append(ExplanationStep(formula: "∂J/∂x_w = (∂J/∂x)[w·d ..< (w+1)·d], w = 0…\(k - 1)", shape: "\(k) × \(d) (row w = ∂J/∂x_w)"))
    }
    return steps
  }

  func classifier() -> [ExplanationStep] {
    let N = size("N"), D = size("D"), C = size("C")
    let lambda = inputs["reg"]!.scalar
    let l2 = model.l2
    let r = try! SoftmaxClassifier(lambda: lambda, l2: l2).evaluate(X: inputs["X"]!.matrix, y: inputs["y"]!.ints, W: inputs["W_cls"]!.matrix)
    return [
      ExplanationStep(formula: "S = X W_cls,  P = softmax of each row of S", shape: "(N × D)(D × C) = \(N) × \(C)", value: r.probabilities),
      ExplanationStep(formula: "∂L/∂S = (P − Y)/N", shape: "\(N) × \(C)", value: r.dS, note: "row i: the δ of example i, ŷ_i − y_i, divided by N"),
      ExplanationStep(formula: "(1/N) Xᵀ(P − Y)", shape: "(D × N)(N × C) = \(D) × \(C)", value: inputs["X"]!.matrix.T * r.dS),
      ExplanationStep(formula: l2 == .full ? "∂(λΣW²)/∂W = 2λW_cls" : "∂(½λΣW²)/∂W = λW_cls", shape: "\(D) × \(C)",
                      value: (2 * l2.c * lambda) * inputs["W_cls"]!.matrix, note: "λ = \(Autograder.number(lambda))"),
    ]
  }

  func graph() -> [ExplanationStep] {
    let p = inputs["xyz"]!.scalars
    let r = ExampleGraph.evaluate(x: p[0], y: p[1], z: p[2])
    return [
      ExplanationStep(formula: "a = x + y,  b = max(y, z),  f = a·b", value: Matrix(row: [r.a, r.b, r.f]),
                      note: "at (x, y, z) = (\(p.map { Autograder.number($0) }.joined(separator: ", "))): (a, b, f)"),
      ExplanationStep(formula: "multiply switches: ∂f/∂a = b, ∂f/∂b = a", value: Matrix(row: [r.df_da, r.df_db])),
      ExplanationStep(formula: "add distributes: ∂f/∂x = ∂f/∂a, and y's add branch ∂f/∂a", value: Matrix(row: [r.df_da])),
      ExplanationStep(formula: "max routes: ∂f/∂b goes to \(p[1] >= p[2] ? "y (y ≥ z)" : "z (z > y)"), 0 to the other"),
      ExplanationStep(formula: "y is used twice: ∂f/∂y = b + a·1(y ≥ z)", value: Matrix(scalar: r.df_dy)),
    ]
  }

  func chainRule() -> [ExplanationStep] {
    let c = ChainRuleExample.evaluate(t: inputs["t"]!.scalar)
    return [
      ExplanationStep(formula: "x = t², y = 2t", value: Matrix(row: [c.x, c.y]), note: "t = \(Autograder.number(c.t))"),
      ExplanationStep(formula: "∂z/∂x = 2xy,  dx/dt = 2t", value: Matrix(row: [c.dz_dx, c.dx_dt])),
      ExplanationStep(formula: "∂z/∂y = x² − 2y,  dy/dt = 2", value: Matrix(row: [c.dz_dy, c.dy_dt])),
      ExplanationStep(formula: "dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt = 10t⁴ − 8t", value: Matrix(row: [c.dz_dx * c.dx_dt, c.dz_dy * c.dy_dt]), note: "the two paths, then their sum"),
    ]
  }
}
