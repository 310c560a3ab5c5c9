import Jacobians

/// The slips of a layer h = f(z) and of its Jacobian ∂h/∂z = diag(f′(z)), for every model that has
/// one (the RNNs, the window LM, the networks of backprop-basics), in that model's symbols.
///
/// ```
/// forward(f)   h = g(z) for each other supported g (its derivative follows: a g network)
///              h = g(z) in the forward pass only, f′ still written in h (g ∈ {σ, tanh})
/// local(f)     diag(f(z)) (today's activation-for-derivative), diag(g′(z)) for each other g,
///              diag(g′ written in h): 1 − h² for tanh′, h(1 − h) for σ′, diag(f′(h)), dropped
/// ```
/// The activations are `Activation`'s: σ, tanh, relu, hardtanh, leaky ReLU (slope 0.01), swish.
enum ActivationSlips {
  /// σ for the sigmoid, the name otherwise.
  static func symbol(_ g: Activation) -> String { g == .sigmoid ? "σ" : g.description }

  /// The activations a student may use instead of f.
  static func others(_ f: Activation) -> [Activation] {
    [Activation.tanh, .sigmoid, .relu, .hardTanh, .leakyReLU(slope: 0.01), .swish].filter { $0 != f }
  }

  /// f′ written in the output h, for σ and tanh (`h` is the model's symbol, e.g. h^(t)).
  static func writtenInH(_ f: Activation, _ h: String = "h") -> String? {
    switch f {
    case .sigmoid: return "\(h)(1 − \(h))"
    case .tanh: return "1 − \(h)²"
    default: return nil
    }
  }

  /// f′(z) as the notes write it (`z` the model's symbol).
  static func derivative(_ f: Activation, _ z: String = "z") -> String {
    switch f {
    case .sigmoid: return "σ′(\(z)) = σ(\(z))(1 − σ(\(z)))"
    case .tanh: return "tanh′(\(z)) = 1 − tanh²(\(z))"
    case .relu: return "relu′(\(z)) = 1 for \(z) > 0, 0 otherwise"
    default: return "\(symbol(f))′(\(z))"
    }
  }

  static func cost(_ g: Activation, _ base: Double) -> Double { g == .tanh || g == .sigmoid ? base : base + 1 }

  /// The slips of h = f(z) in the forward pass.
  static func forward(_ f: Activation, z: String = "z", h: String = "h", fix: String) -> [StepSlip] {
    var slips = others(f).map { g in
      StepSlip(.activation(g), wrong: "\(h) = \(symbol(g))(\(z)) (with its derivative)", fix: fix, cost: cost(g, 2))
    }
    if let mine = writtenInH(f, h) {
      for g in [Activation.tanh, .sigmoid] where g != f {
        slips.append(StepSlip(.forwardOnly(g), wrong: "\(h) = \(symbol(g))(\(z)) in the forward pass, the derivative still \(mine)",
          fix: "\(fix) (a \(symbol(g)) network would need \(writtenInH(g, h)!))", cost: 2.5))
      }
    }
    return slips
  }

  /// The slips of ∂h/∂z = diag(f′(z)); `dropped` says what the chain becomes without it.
  static func local(_ f: Activation, z: String = "z", h: String = "h", dropped: String) -> [StepSlip] {
    let fs = symbol(f)
    let inH = writtenInH(f, h).map { "\(fs)′(\(z)) = \($0)" } ?? derivative(f, z)
    var slips: [StepSlip] = [
      StepSlip(.activationForDerivative, wrong: "diag(\(fs)(\(z)))", fix: "use the derivative", mistake: .activationForDerivative),
      StepSlip(.derivativeAtOutput, wrong: "diag(\(fs)′(\(h)))", fix: "differentiate at \(z): \(inH)", cost: 2),
      StepSlip(.dropped, wrong: dropped, fix: "\(h) = \(fs)(\(z)) is a step of the chain: multiply by \(fs)′(\(z))", cost: 2),
    ]
    for g in others(f) {
      slips.append(StepSlip(.derivative(g), wrong: "diag(\(symbol(g))′(\(z)))", fix: "the derivative of \(fs) is \(derivative(f, z))", cost: cost(g, 2)))
    }
    for g in [Activation.sigmoid, .tanh] where g != f {
      slips.append(StepSlip(.derivativeFormula(g), wrong: "diag(\(writtenInH(g, h)!)), \(symbol(g))′ written in \(h)", fix: "\(fs)′ is \(inH)", cost: 2))
    }
    return slips
  }
}
