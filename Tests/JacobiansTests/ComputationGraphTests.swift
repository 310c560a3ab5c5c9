import Testing
import _Differentiation
import Jacobians
import TestSupport

/// `f(x, y, z) = (x + y) · max(y, z)` for `_Differentiation`, `v = [x, y, z]`; a tie picks y, as
/// the max gate does.
@differentiable(reverse)
func exampleGraphMirror(_ v: [Double]) -> Double {
  let a = v[0] + v[1]
  var b = v[2]
  if v[1] >= v[2] { b = v[1] }
  return a * b
}

@Suite struct ComputationGraphTests {
  /// The slides' example, exactly: a = 3, b = 2, f = 6, ∂f/∂(x, y, z) = (2, 3 + 2, 0).
  @Test func lectureExampleIsExact() {
    let r = ExampleGraph.evaluate(x: 1, y: 2, z: 0)
    #expect(r.a == 3 && r.b == 2 && r.f == 6)
    #expect(r.df_da == 2 && r.df_db == 3)
    #expect(r.df_dx == 2)
    #expect(r.df_dy == 5)
    #expect(r.df_dz == 0)
  }

  static func randomPoint(_ seed: UInt64) -> (Double, Double, Double) {
    var rng = SplitMix64(seed: seed)
    while true {
      let x = rng.uniform(-3, 3), y = rng.uniform(-3, 3), z = rng.uniform(-3, 3)
      if Swift.abs(y - z) > 1e-3 { return (x, y, z) }   // away from the max's kink
    }
  }

  @Test(arguments: randomSeeds)
  func gradientMatchesCentralDifferencesAndAutodiff(seed: UInt64) {
    let (x, y, z) = Self.randomPoint(seed)
    let r = ExampleGraph.evaluate(x: x, y: y, z: z)
    let analytic = Matrix(row: [r.df_dx, r.df_dy, r.df_dz])
    let numeric = NumericGradient.gradient(of: { ExampleGraph.evaluate(x: $0[0, 0], y: $0[0, 1], z: $0[0, 2]).f },
                                           at: Matrix(row: [x, y, z]))
    expectAgree(analytic, numeric, within: centralDifferenceTolerance, "∂f/∂(x, y, z) vs central differences")
    let auto = autodiffGradient(of: exampleGraphMirror, at: [x, y, z])
    expectAgree(analytic, Matrix(row: auto), within: exactTolerance, "∂f/∂(x, y, z) vs autodiff")
    expectAgree(r.f, (x + y) * Swift.max(y, z), within: 0, "f")
  }

  /// y feeds the add gate and the max gate: ∂f/∂y is the sum of both contributions.
  @Test(arguments: randomSeeds)
  func gradientsSumAtTheBranch(seed: UInt64) {
    let (x, y, z) = Self.randomPoint(seed)
    let r = ExampleGraph.evaluate(x: x, y: y, z: z)
    let throughAdd = r.df_da                       // ∂f/∂a · ∂a/∂y = b · 1
    let throughMax = y >= z ? r.df_db : 0          // ∂f/∂b · 1(y ≥ z) = a or 0
    #expect(r.df_dy == throughAdd + throughMax)
    #expect(r.df_dx == r.b)
    #expect(r.df_dz == (z > y ? r.a : 0))
  }

  @Test(arguments: randomSeeds)
  func gatesDistributeRouteAndSwitch(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let x = rng.uniform(-5, 5), y = rng.uniform(-5, 5), upstream = rng.uniform(-2, 2)
    let add = AddGate(x, y)
    #expect(add.output == x + y)
    #expect(add.backward(upstream) == GateGradients(dx: upstream, dy: upstream))
    let max = MaxGate(x, y)
    #expect(max.output == Swift.max(x, y))
    #expect(max.backward(upstream) == (x >= y ? GateGradients(dx: upstream, dy: 0) : GateGradients(dx: 0, dy: upstream)))
    let mul = MultiplyGate(x, y)
    #expect(mul.output == x * y)
    #expect(mul.backward(upstream) == GateGradients(dx: upstream * y, dy: upstream * x))
    // The gates keep the inputs their backward pass needs.
    #expect(mul.x == x && mul.y == y)
  }

  /// On a tie the max gate routes everything to its FIRST argument: at (1, 2, 2) the graph gives
  /// ∂f/∂y = b + a = 2 + 3 = 5 and ∂f/∂z = 0.
  @Test func maxGateTieGoesToFirstArgument() {
    #expect(MaxGate(2, 2).backward(1.5) == GateGradients(dx: 1.5, dy: 0))
    let r = ExampleGraph.evaluate(x: 1, y: 2, z: 2)
    #expect(r.df_dx == 2 && r.df_dy == 5 && r.df_dz == 0)
  }
}
