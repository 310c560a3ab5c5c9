import Foundation
import Jacobians

/// One size of a symbolic shape: a dimension symbol of the model (`H`, `V`, `d`, …) whose value is
/// unknown until the formula is evaluated, or a literal size (`1` for the sides of a vector).
///
/// Two dimensions are the same only when they are the same symbol or the same literal: `H` and `V`
/// differ even if an evaluation happens to give them equal sizes, so a product that only works
/// because H = V is rejected before any number is computed.
public enum Dimension: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
  ExpressibleByIntegerLiteral
{
  case symbol(String)
  case size(Int)

  /// The literal size 1.
  public static let one = Dimension.size(1)

  /// `"H"` is the symbol H, `"1"` (any decimal) the literal size.
  public init(stringLiteral value: String) { self.init(value) }

  public init(integerLiteral value: Int) { self = .size(value) }

  /// `"H"` → `.symbol("H")`, `"5"` → `.size(5)`; surrounding spaces are ignored.
  public init(_ text: String) {
    let t = text.trimmingCharacters(in: .whitespaces)
    if let n = Int(t) { self = .size(n) } else { self = .symbol(t) }
  }

  public var description: String {
    switch self {
    case .symbol(let s): return s
    case .size(let n): return String(n)
    }
  }

  /// The size at an evaluation, from the sizes of the dimension symbols; nil when unknown.
  func resolved(_ sizes: [String: Int]) -> Int? {
    switch self {
    case .size(let n): return n
    case .symbol(let s): return sizes[s]
    }
  }
}

/// The shape of a formula or a quantity written in dimension symbols: `V×H`, `H×1`, `1×1`.
///
/// A column vector of length H is `H×1`, a scalar `1×1` (as `Shape` in `Jacobians`).
public struct SymbolicShape: Hashable, Sendable, CustomStringConvertible {
  public var rows: Dimension
  public var cols: Dimension

  public init(_ rows: Dimension, _ cols: Dimension) {
    self.rows = rows
    self.cols = cols
  }

  /// `"V×H"`, `"V x H"`, `"H*1"`: two dimensions separated by `×`, `x` or `*`; nil otherwise.
  public init?(parsing text: String) {
    let separators: Set<Character> = ["×", "x", "*", "X"]
    // The separator is the one character between two non-empty sides; try each position from the
    // left so that a symbol containing x (`idx×H`) still splits at the last possible separator.
    let chars = Array(text)
    for i in chars.indices.reversed() where separators.contains(chars[i]) {
      let lhs = String(chars[..<i]).trimmingCharacters(in: .whitespaces)
      let rhs = String(chars[(i + 1)...]).trimmingCharacters(in: .whitespaces)
      guard !lhs.isEmpty, !rhs.isEmpty, Self.isDimension(lhs), Self.isDimension(rhs) else { continue }
      self.init(Dimension(lhs), Dimension(rhs))
      return
    }
    return nil
  }

  static func isDimension(_ s: String) -> Bool {
    if Int(s) != nil { return true }
    guard let first = s.first, first.isLetter || first == "|" else { return false }
    return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "|" }
  }

  /// `1×1`.
  public static let scalar = SymbolicShape(.one, .one)

  /// A column vector `n×1`.
  public static func column(_ n: Dimension) -> SymbolicShape { SymbolicShape(n, .one) }

  /// A row vector `1×n`.
  public static func row(_ n: Dimension) -> SymbolicShape { SymbolicShape(.one, n) }

  /// The shape with rows and columns exchanged.
  public var transposed: SymbolicShape { SymbolicShape(cols, rows) }

  /// Literally `1×1` (a symbol that happens to be 1 at an evaluation does not count).
  public var isScalar: Bool { rows == .one && cols == .one }

  /// `n×1` or `1×n`.
  public var isVector: Bool { rows == .one || cols == .one }

  /// The length of a vector: the side that is not the literal 1 (1 for a scalar); nil otherwise.
  public var vectorLength: Dimension? {
    if rows == .one { return cols }
    if cols == .one { return rows }
    return nil
  }

  /// Written as on the slides: `V×H`.
  public var description: String { "\(rows)×\(cols)" }

  /// The concrete shape at an evaluation; nil when a symbol's size is unknown.
  func resolved(_ sizes: [String: Int]) -> Shape? {
    guard let r = rows.resolved(sizes), let c = cols.resolved(sizes) else { return nil }
    return Shape(r, c)
  }
}
