import Jacobians

/// The functions of the formula language.
///
/// ```
/// σ(z), tanh(z), relu(z), …, f(z)   elementwise activation        same shape as z
/// σ′(z), tanh′(z), …, f′(z)          its derivative, elementwise   same shape as z
/// exp(z), log(z)                     elementwise                   same shape as z
/// softmax(θ)                         θ a vector                    same shape as θ
/// onehot(k)                          k a class index in 0..<C      C×1
/// diag(v)                            v: n×1 or 1×n                 n×n
/// outer(a, b) = a bᵀ                 a, b vectors of lengths m, n  m×n
/// ```
/// `f` is the model's activation (`FormulaContext.activation`).
public enum FormulaFunction: Hashable, Sendable, CustomStringConvertible {
  case activation(Activation)
  /// `f`, whatever the model's activation is.
  case modelActivation
  case exp
  case log
  case softmax
  case onehot
  case diag
  case outer

  /// The number of arguments.
  public var arity: Int { self == .outer ? 2 : 1 }

  /// True for the functions that have a derivative in the language (`σ′`, `f′`).
  public var isActivation: Bool {
    switch self {
    case .activation, .modelActivation: return true
    default: return false
    }
  }

  /// The name in plain formulas: `sigma`, `tanh`, `f`, `softmax`, …
  public var name: String {
    switch self {
    case .activation(let a):
      switch a {
      case .sigmoid: return "sigma"
      case .leakyReLU(let s): return s == 0.01 ? "leakyrelu" : "leakyrelu(\(s))"
      default: return a.name
      }
    case .modelActivation: return "f"
    case .exp: return "exp"
    case .log: return "log"
    case .softmax: return "softmax"
    case .onehot: return "onehot"
    case .diag: return "diag"
    case .outer: return "outer"
    }
  }

  public var description: String { name }

  /// How the notes write it: `σ`, `tanh`, `f`, `softmax`.
  var textName: String {
    switch self {
    case .activation(.sigmoid): return "σ"
    case .activation(.relu): return "ReLU"
    default: return name
    }
  }

  /// LaTeX: `\sigma`, `\tanh`, `\exp`, `\log`, `\operatorname{softmax}`, …
  var latexName: String {
    switch self {
    case .activation(.sigmoid): return "\\sigma"
    case .activation(.tanh): return "\\tanh"
    case .activation(.relu): return "\\operatorname{ReLU}"
    case .activation(.leakyReLU(let s)) where s != 0.01: return "\\operatorname{leakyrelu}"
    case .activation: return "\\operatorname{\(name)}"
    case .modelActivation: return "f"
    case .exp: return "\\exp"
    case .log: return "\\log"
    default: return "\\operatorname{\(name)}"
    }
  }

  /// The spellings by key (`NameSpelling.key`, lowercased): `sigma` stands for σ and \sigma too.
  static let byKey: [String: FormulaFunction] = [
    "sigma": .activation(.sigmoid), "sigmoid": .activation(.sigmoid), "logistic": .activation(.sigmoid),
    "tanh": .activation(.tanh), "relu": .activation(.relu), "hardtanh": .activation(.hardTanh),
    "leakyrelu": .activation(.leakyReLU(slope: 0.01)), "swish": .activation(.swish), "silu": .activation(.swish),
    "f": .modelActivation, "exp": .exp, "log": .log, "ln": .log, "softmax": .softmax,
    "onehot": .onehot, "one_hot": .onehot, "diag": .diag, "outer": .outer,
  ]

  /// The function a spelling names, if any.
  static func named(_ spelled: String) -> FormulaFunction? {
    let k = NameSpelling.key(spelled)
    if k == "f" || k == "F" { return k == "f" ? .modelActivation : nil }
    return byKey[k.lowercased()]
  }

  /// Every plain function name, for "did you mean …?".
  static let spellings: [String] = ["sigma", "sigmoid", "tanh", "relu", "hardtanh", "leakyrelu", "swish", "f", "exp", "log",
                                    "softmax", "onehot", "diag", "outer"]
}
