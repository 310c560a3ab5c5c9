/// The elementwise nonlinearities of the notes, `h = f(z)`, with their derivatives `f′(z)`.
///
/// ```
/// sigmoid     σ(z) = 1 / (1 + e^(−z))         σ′(z) = σ(z)(1 − σ(z))
/// tanh        tanh(z)                          tanh′(z) = 1 − tanh²(z)
/// hardTanh    −1 for z < −1, z on [−1, 1], 1 for z > 1
///                                              1 on the open interval (−1, 1), 0 outside;
///                                              at the kinks z = ±1 we take 1 (the left/right
///                                              value from inside the interval)
/// relu        max(0, z)                        1 for z > 0, 0 for z < 0; at z = 0 we take 0
/// leakyReLU   z for z > 0, a·z otherwise       1 for z > 0, a for z ≤ 0 (so a at z = 0)
/// swish       z · σ(z)                         σ(z) + z σ(z)(1 − σ(z))
/// ```
/// At a kink any value between the one-sided derivatives is a valid subgradient; the values
/// above are the ones the reference uses, and a grader should not test exactly at a kink.
public enum Activation: Hashable, Sendable, CustomStringConvertible {
  case sigmoid
  case tanh
  case hardTanh
  case relu
  /// Leaky ReLU with slope `a` for negative inputs (0.01 is common).
  case leakyReLU(slope: Double)
  case swish

  /// `f(z)`.
  public func callAsFunction(_ z: Double) -> Double {
    switch self {
    case .sigmoid: return Activation.logistic(z)
    case .tanh: return _tanh(z)
    case .hardTanh: return z < -1 ? -1 : (z > 1 ? 1 : z)
    case .relu: return z > 0 ? z : 0
    case .leakyReLU(let a): return z > 0 ? z : a * z
    case .swish: return z * Activation.logistic(z)
    }
  }

  /// `f′(z)`, with the kink conventions of the type's documentation.
  public func derivative(_ z: Double) -> Double {
    switch self {
    case .sigmoid:
      let s = Activation.logistic(z)
      return s * (1 - s)
    case .tanh:
      let t = _tanh(z)
      return 1 - t * t
    case .hardTanh: return (z >= -1 && z <= 1) ? 1 : 0
    case .relu: return z > 0 ? 1 : 0
    case .leakyReLU(let a): return z > 0 ? 1 : a
    case .swish:
      let s = Activation.logistic(z)
      return s + z * s * (1 - s)
    }
  }

  /// `f(z)` entry by entry: same shape as `z`.
  public func callAsFunction(_ z: Matrix) -> Matrix { z.map { self($0) } }

  /// `f′(z)` entry by entry: same shape as `z`.
  public func derivative(_ z: Matrix) -> Matrix { z.map { derivative($0) } }

  /// σ(z) = 1 / (1 + e^(−z)), written so that neither branch overflows.
  public static func logistic(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + _exp(-z)) }
    let e = _exp(z)
    return e / (1 + e)
  }

  /// The names used in assignment files: `sigmoid`, `tanh`, `hardtanh`, `relu`, `leakyrelu`, `swish`.
  public var name: String {
    switch self {
    case .sigmoid: return "sigmoid"
    case .tanh: return "tanh"
    case .hardTanh: return "hardtanh"
    case .relu: return "relu"
    case .leakyReLU: return "leakyrelu"
    case .swish: return "swish"
    }
  }

  /// Parses `name` (leaky ReLU takes the slope 0.01 unless written `leakyrelu(0.2)`).
  public init?(name: String) {
    let n = String(name.lowercased().filter { $0 != "_" && $0 != " " })
    switch n {
    case "sigmoid", "logistic", "σ": self = .sigmoid
    case "tanh": self = .tanh
    case "hardtanh": self = .hardTanh
    case "relu": self = .relu
    case "leakyrelu": self = .leakyReLU(slope: 0.01)
    case "swish", "silu": self = .swish
    default:
      if n.hasPrefix("leakyrelu("), n.hasSuffix(")"), let a = Double(n.dropFirst(10).dropLast()) {
        self = .leakyReLU(slope: a)
      } else {
        return nil
      }
    }
  }

  public var description: String {
    if case .leakyReLU(let a) = self { return "leakyrelu(\(a))" }
    return name
  }
}
