// Gates with a forward/backward API, and the lecture's example graph built from them.
//
// Each gate computes its output when it is made (the forward pass) and keeps the inputs its
// backward pass needs; `backward(upstream)` returns the downstream gradients
// ```
// [downstream gradient] = [upstream gradient] × [local gradient]
// ```
// Node intuitions:
// ```
// add       a = x + y         ∂L/∂x = ∂L/∂a,            ∂L/∂y = ∂L/∂a          ("distributes")
// max       b = max(x, y)     ∂L/∂x = ∂L/∂b·1(x ≥ y),   ∂L/∂y = ∂L/∂b·1(x < y)  ("routes")
// multiply  f = x · y         ∂L/∂x = ∂L/∂f · y,        ∂L/∂y = ∂L/∂f · x      ("switches")
// ```
// On a tie `x == y` the max gate routes the whole upstream gradient to its FIRST argument (a
// valid subgradient; either choice is).

/// The downstream gradients of a two-input gate, `∂L/∂x` and `∂L/∂y`.
public struct GateGradients: Equatable, Sendable {
  public var dx: Double
  public var dy: Double

  public init(dx: Double, dy: Double) {
    self.dx = dx
    self.dy = dy
  }
}

/// `a = x + y`; backward distributes the upstream gradient to both summands.
public struct AddGate: Sendable {
  public let x: Double
  public let y: Double
  public let output: Double

  /// The forward pass.
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
    output = x + y
  }

  /// `∂L/∂x = ∂L/∂a · 1`, `∂L/∂y = ∂L/∂a · 1`.
  public func backward(_ upstream: Double) -> GateGradients {
    GateGradients(dx: upstream, dy: upstream)
  }
}

/// `b = max(x, y)`; backward routes the upstream gradient to the larger input (the first on a tie).
public struct MaxGate: Sendable {
  public let x: Double
  public let y: Double
  public let output: Double

  /// The forward pass.
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
    output = x >= y ? x : y
  }

  /// `∂L/∂x = ∂L/∂b · 1(x ≥ y)`, `∂L/∂y = ∂L/∂b · 1(x < y)`: a tie goes to x.
  public func backward(_ upstream: Double) -> GateGradients {
    x >= y ? GateGradients(dx: upstream, dy: 0) : GateGradients(dx: 0, dy: upstream)
  }
}

/// `f = x · y`; backward switches the inputs: `∂L/∂x = ∂L/∂f · y`.
public struct MultiplyGate: Sendable {
  public let x: Double
  public let y: Double
  public let output: Double

  /// The forward pass (keeps x and y for the backward pass).
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
    output = x * y
  }

  /// `∂L/∂x = ∂L/∂f · y`, `∂L/∂y = ∂L/∂f · x`.
  public func backward(_ upstream: Double) -> GateGradients {
    GateGradients(dx: upstream * y, dy: upstream * x)
  }
}

/// The lecture's graph `f(x, y, z) = (x + y) · max(y, z)`.
///
/// ```
/// a = x + y          AddGate(x, y)
/// b = max(y, z)      MaxGate(y, z)
/// f = a · b          MultiplyGate(a, b)
///
/// ∂f/∂x = ∂f/∂a · ∂a/∂x                     = b
/// ∂f/∂y = ∂f/∂a · ∂a/∂y + ∂f/∂b · ∂b/∂y     = b + a · 1(y ≥ z)     (y branches out: gradients sum)
/// ∂f/∂z = ∂f/∂b · ∂b/∂z                     = a · 1(z > y)
/// ```
/// At `(x, y, z) = (1, 2, 0)`: `a = 3`, `b = 2`, `f = 6`, gradient `(2, 3 + 2, 0) = (2, 5, 0)`.
public enum ExampleGraph {
  /// The forward pass (in topological order) then the backward pass (in reverse order).
  public static func evaluate(x: Double, y: Double, z: Double) -> ExampleGraphResult {
    // Forward: visit nodes in topological order.
    let add = AddGate(x, y)                     // a = x + y
    let max = MaxGate(y, z)                     // b = max(y, z)
    let mul = MultiplyGate(add.output, max.output)  // f = a · b

    // Backward: output gradient 1, then nodes in reverse order.
    let df = 1.0
    let dMul = mul.backward(df)                 // ∂f/∂a = b, ∂f/∂b = a
    let dAdd = add.backward(dMul.dx)            // x and y each receive ∂f/∂a
    let dMax = max.backward(dMul.dy)            // routed to y or z

    // y feeds both the add and the max gate: its gradient is the SUM over its two uses.
    var df_dy = 0.0
    df_dy += dAdd.dy
    df_dy += dMax.dx
    return ExampleGraphResult(
      a: add.output, b: max.output, f: mul.output,
      df_da: dMul.dx, df_db: dMul.dy,
      df_dx: dAdd.dx, df_dy: df_dy, df_dz: dMax.dy
    )
  }
}

/// The values and gradients of `f(x, y, z) = (x + y) · max(y, z)`.
public struct ExampleGraphResult: Equatable, Sendable {
  /// `a = x + y`.
  public var a: Double
  /// `b = max(y, z)`.
  public var b: Double
  /// `f = a · b`.
  public var f: Double
  /// `∂f/∂a = b`.
  public var df_da: Double
  /// `∂f/∂b = a`.
  public var df_db: Double
  /// `∂f/∂x`.
  public var df_dx: Double
  /// `∂f/∂y`, the sum of the contributions through `a` and through `b`.
  public var df_dy: Double
  /// `∂f/∂z`.
  public var df_dz: Double
}
