import Jacobians

/// Mistakes of the fixed-window LM's backward pass, switched on in `MutantWindowLM`; with none it
/// computes the reference gradients.
///
/// ```
/// signFlipped               δ1 = y − ŷ
/// diagonalSoftmaxJacobian   δ1 = (ŷ_l − 1) e_l, l = x(n+1)
/// activationForDerivative   δ2 = (Uᵀδ1) ⊙ f(z)
/// biasOmitted               z = W e, θ = U h (the forward pass without b_1, b_2)
/// embeddingAssigned         dE[:, x(k)] = ∂J/∂e^(k): a repeated word keeps its last position
/// slicesStrided             ∂J/∂e^(k) read as entries k, k + n, k + 2n, … (de reshaped d × n)
/// ```
struct WindowMistakes: OptionSet, Sendable {
  let rawValue: Int
  static let signFlipped = WindowMistakes(rawValue: 1 << 0)
  static let diagonalSoftmaxJacobian = WindowMistakes(rawValue: 1 << 1)
  static let activationForDerivative = WindowMistakes(rawValue: 1 << 2)
  static let biasOmitted = WindowMistakes(rawValue: 1 << 3)
  static let embeddingAssigned = WindowMistakes(rawValue: 1 << 4)
  static let slicesStrided = WindowMistakes(rawValue: 1 << 5)
}

/// The fixed-window LM's items computed with `WindowMistakes`, written out beside the formulas of
/// `WindowLanguageModel` (a test shows that with no mistake every item equals the reference).
///
/// ```
/// e = [E x^(1); …; E x^(n)], z = W e + b_1, h = f(z), θ = U h + b_2, ŷ = softmax(θ)
/// δ1 = ŷ − y   dU = δ1 hᵀ   db_2 = δ1   δ2 = (Uᵀδ1) ⊙ f′(z)   dW = δ2 eᵀ   db_1 = δ2
/// de = Wᵀδ2    dE[:, x(k)] += de[(k−1)d ..< kd]
/// ```
enum MutantWindowLM {
  static func values(_ p: WindowLanguageModelParameters, tokens: [Int], f: Activation, mistakes m: WindowMistakes) -> [String: Matrix] {
    let n = tokens.count - 1, d = p.E.rows, V = p.E.cols
    var e = Matrix(rows: n * d, cols: 1)
    for k in 0..<n { for i in 0..<d { e[k * d + i, 0] = p.E[i, tokens[k]] } }
    let biases = !m.contains(.biasOmitted)
    let z = biases ? p.W * e + p.b_1 : p.W * e                   // H × 1
    let h = f(z)
    let theta = biases ? p.U * h + p.b_2 : p.U * h               // |V| × 1
    let yHat = Softmax.probabilities(theta)
    let target = tokens[n]
    var delta1 = yHat                                             // ŷ − y
    if m.contains(.diagonalSoftmaxJacobian) {
      delta1 = Matrix(rows: V, cols: 1)
      delta1[target, 0] = yHat[target, 0] - 1
    } else {
      delta1[target, 0] -= 1
    }
    if m.contains(.signFlipped) { delta1 = -delta1 }
    let local = m.contains(.activationForDerivative) ? f(z) : f.derivative(z)
    let delta2 = (p.U.T * delta1) ⊙ local                         // H × 1
    let de = p.W.T * delta2                                       // nd × 1
    var dE = Matrix(rows: d, cols: V)
    for k in 0..<n {
      let word = tokens[k]
      for i in 0..<d {
        let piece = m.contains(.slicesStrided) ? de[i * n + k, 0] : de[k * d + i, 0]
        dE[i, word] = (m.contains(.embeddingAssigned) ? 0 : dE[i, word]) + piece
      }
    }
    return [
      "loss": Matrix(scalar: CrossEntropy.loss(scores: theta, label: target)),
      "delta1": delta1, "dU": Matrix.outer(delta1, h), "db_2": delta1,
      "delta2": delta2, "dW": Matrix.outer(delta2, e), "db_1": delta2, "de": de, "dE": dE,
    ]
  }
}

/// The catalogue of `window-lm`, in the order it is tried.
///
/// ```
/// row-column-swapped          dU, dW, dE                       the transpose laid out by a reshape
/// sign-flipped                every gradient and δ
/// activation-for-derivative   delta2, dW, db_1, de, dE
/// diagonal-softmax-jacobian   every gradient and δ
/// bias-omitted                every item
/// embedding-assigned          dE (a repeated word)
/// window-slices-strided       dE
/// ```
/// `embedding-assigned` changes nothing when no word repeats in the window; the inputs repeat one
/// whenever n ≥ 3.
extension FixedWindowLanguageModel {
  static let gradientItems: Set<String> = ["delta1", "dU", "db_2", "delta2", "dW", "db_1", "de", "dE"]
  static let behindActivation: Set<String> = ["delta2", "dW", "db_1", "de", "dE"]

  func variants(_ c: MutantContext, _ mistakes: WindowMistakes) -> [MutantVariant] {
    let v = MutantWindowLM.values(parameters(c.inputs), tokens: tokens(c.inputs), f: f, mistakes: mistakes)[c.item.id]
    guard let v, v.scalars != c.reference.scalars else { return [] }
    return [MutantVariant(value: Tensor(shape: c.item.shape, scalars: v.scalars))]
  }

  var windowMistakes: MistakeCatalogue {
    MistakeCatalogue(mutants: [
      .rowColumnSwapped(items),
      Mutant(.signFlipped, items: Self.gradientItems) { self.variants($0, .signFlipped) },
      Mutant(.activationForDerivative, items: Self.behindActivation) { self.variants($0, .activationForDerivative) },
      Mutant(.diagonalSoftmaxJacobian, items: Self.gradientItems) { self.variants($0, .diagonalSoftmaxJacobian) },
      Mutant(.biasOmitted, items: Set(items.map(\.name))) { self.variants($0, .biasOmitted) },
      Mutant(Self.embeddingAssigned, items: ["dE"]) { self.variants($0, .embeddingAssigned) },
      Mutant(Self.slicesStrided, items: ["dE"]) { self.variants($0, .slicesStrided) },
    ])
  }

  static let embeddingAssigned = MistakeKind(
    id: "embedding-assigned", name: "the embedding gradient assigned, not accumulated",
    hint: "A word that occurs at several positions of the window receives the sum of their gradients: dE[:, x(k)] += ∂J/∂e^(k).",
    describe: { c, _ in "Your \(c.item.id) keeps only one position of a word repeated in the window: its column was assigned (=) for each position instead of accumulated (+=)." })

  static let slicesStrided = MistakeKind(
    id: "window-slices-strided", name: "the window's pieces of ∂J/∂e read in the wrong order",
    hint: "∂J/∂e^(k) is the k-th block of d consecutive entries of ∂J/∂e = Wᵀδ2 (entries (k−1)d … kd − 1): split it into n rows of d, not d rows of n.",
    describe: { c, _ in "Your \(c.item.id) takes the piece of ∂J/∂e for position k from every n-th entry (∂J/∂e reshaped as d × n): the embedding of x^(k) is the k-th block of d consecutive entries of e." })
}
