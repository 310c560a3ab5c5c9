#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The elementary functions of the loss, from the C library (no Foundation needed).
enum RNNMath {
  @inline(__always) static func exp(_ x: Double) -> Double { libmExp(x) }
  @inline(__always) static func log(_ x: Double) -> Double { libmLog(x) }

  /// Softmax cross entropy of one logit vector, stable for large logits:
  /// ```
  /// −log softmax(l)_target = log Σᵥ exp(lᵥ − m) + m − l_target,   m = max l
  /// ```
  static func crossEntropy(logits l: [Double], target: Int) -> Double {
    var m = -Double.infinity
    for x in l where x > m { m = x }
    if !m.isFinite { m = 0 }
    var s = 0.0
    for x in l { s += exp(x - m) }
    return (log(s) + m) - l[target]
  }
}

@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
