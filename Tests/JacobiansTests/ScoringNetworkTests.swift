import Testing
import _Differentiation
import Jacobians
import TestSupport

/// `s = uᵀ f(Wx + b)` for `_Differentiation`; `p = vec(W) ++ b ++ u ++ x` (W row-major, n × m).
@differentiable(reverse, wrt: p)
func scoreMirror(_ p: [Double], n: Int, m: Int, f: Activation) -> Double {
  let bAt = withoutDerivative(at: n * m), uAt = withoutDerivative(at: n * m + n), xAt = withoutDerivative(at: n * m + 2 * n)
  var s = 0.0
  for i in withoutDerivative(at: 0..<n) {
    var zi = p[bAt + i]
    for k in withoutDerivative(at: 0..<m) { zi = zi + p[i * m + k] * p[xAt + k] }
    s = s + p[uAt + i] * activationMirror(zi, f)
  }
  return s
}

/// A random network and input (sizes from the seed) whose pre-activations z stay at least 1e-3
/// away from every kink of f, so central differences never straddle one.
func randomScoringCase(seed: UInt64, f: Activation, n: Int? = nil, m: Int? = nil) -> (net: ScoringNetwork, x: Matrix) {
  var rng = SplitMix64(seed: seed)
  let n = n ?? 2 + rng.int(below: 5), m = m ?? 2 + rng.int(below: 6)
  let W = rng.matrix(n, m), u = rng.matrix(n, 1), x = rng.matrix(m, 1)
  while true {
    let b = rng.matrix(n, 1)
    let net = try! ScoringNetwork(W: W, b: b, u: u, f: f)
    if isAwayFromKinks(net.forward(x).z, f) { return (net, x) }
  }
}

@Suite struct ScoringNetworkTests {
  static let cases: [(Activation, UInt64)] = allActivations.flatMap { f in randomSeeds.map { (f, $0) } }

  @Test(arguments: cases)
  func forwardKeepsZHAndS(f: Activation, seed: UInt64) {
    let (net, x) = randomScoringCase(seed: seed, f: f)
    let pass = net.forward(x)
    #expect(pass.z.shape == Shape(net.n, 1))
    #expect(pass.h.shape == Shape(net.n, 1))
    #expect(pass.z == net.W * x + net.b)
    #expect(pass.h == f(pass.z))
    #expect(pass.s == (net.u.T * pass.h).scalars[0])
    #expect(pass.x == x)
  }

  /// uᵀ diag(f′(z)) I = uᵀ ⊙ f′(z) = δ, and the other chains equal their δ shortcuts.
  @Test(arguments: cases)
  func explicitJacobianProductEqualsDeltaShortcut(f: Activation, seed: UInt64) {
    let (net, x) = randomScoringCase(seed: seed, f: f)
    let pass = net.forward(x)
    let g = net.backward(pass)
    let chain = net.explicitChain(pass)
    let n = net.n, m = net.m
    // Shapes, as documented.
    #expect(g.delta.shape == Shape(1, n))
    #expect(g.deltaColumn.shape == Shape(n, 1))
    #expect(g.ds_db.shape == Shape(n, 1))
    #expect(g.ds_dW.shape == Shape(n, m))
    #expect(g.ds_dx.shape == Shape(m, 1))
    #expect(g.ds_du.shape == Shape(n, 1))
    #expect(chain.ds_dh.shape == Shape(1, n))
    #expect(chain.dh_dz.shape == Shape(n, n))
    #expect(chain.dz_db.shape == Shape(n, n))
    #expect(chain.dz_dx.shape == Shape(n, m))
    #expect(chain.dz_dvecW.shape == Shape(n, n * m))
    #expect(chain.ds_dvecW.shape == Shape(1, n * m))

    expectAgree(chain.ds_db, g.delta, within: exactTolerance, "uᵀ diag(f′(z)) I vs δ")
    expectAgree(chain.ds_db.T, g.ds_db, within: exactTolerance, "∂s/∂b chain vs shortcut")
    expectAgree(chain.ds_dW, g.ds_dW, within: exactTolerance, "∂s/∂W chain vs δᵀxᵀ")
    expectAgree(chain.ds_dx.T, g.ds_dx, within: exactTolerance, "∂s/∂x chain vs Wᵀδᵀ")
    expectAgree(chain.ds_du.T, g.ds_du, within: exactTolerance, "∂s/∂u: hᵀ vs h")
    // δ is re-used: ∂s/∂W and ∂s/∂b are built from the same δ.
    #expect(g.ds_dW == Matrix.outer(g.deltaColumn, x))
    #expect(g.ds_db == g.deltaColumn)
    #expect(g.ds_dx == net.W.T * g.deltaColumn)
    #expect(g.delta == (net.u.T ⊙ f.derivative(pass.z).T))
  }

  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(f: Activation, seed: UInt64) {
    let (net, x) = randomScoringCase(seed: seed, f: f)
    let g = net.backward(net.forward(x))
    let numeric = NumericGradient.gradients(of: { p in
      (try! ScoringNetwork(W: p[0], b: p[1], u: p[2], f: f)).score(p[3])
    }, at: [net.W, net.b, net.u, x])
    expectAgree(g.ds_dW, numeric[0], within: centralDifferenceTolerance, "∂s/∂W")
    expectAgree(g.ds_db, numeric[1], within: centralDifferenceTolerance, "∂s/∂b")
    expectAgree(g.ds_du, numeric[2], within: centralDifferenceTolerance, "∂s/∂u")
    expectAgree(g.ds_dx, numeric[3], within: centralDifferenceTolerance, "∂s/∂x")
  }

  @Test(arguments: cases)
  func gradientsMatchAutodiff(f: Activation, seed: UInt64) {
    let (net, x) = randomScoringCase(seed: seed, f: f)
    let pass = net.forward(x)
    let g = net.backward(pass)
    let n = net.n, m = net.m
    let p = net.W.scalars + net.b.scalars + net.u.scalars + x.scalars
    expectAgree(pass.s, scoreMirror(p, n: n, m: m, f: f), within: exactTolerance, "s vs mirror")
    let auto = autodiffGradient(of: { scoreMirror($0, n: n, m: m, f: f) }, at: p)
    expectAgree(g.ds_dW, slice(auto, 0..<(n * m), n, m), within: exactTolerance, "∂s/∂W vs autodiff")
    expectAgree(g.ds_db, slice(auto, (n * m)..<(n * m + n), n, 1), within: exactTolerance, "∂s/∂b vs autodiff")
    expectAgree(g.ds_du, slice(auto, (n * m + n)..<(n * m + 2 * n), n, 1), within: exactTolerance, "∂s/∂u vs autodiff")
    expectAgree(g.ds_dx, slice(auto, (n * m + 2 * n)..<(n * m + 2 * n + m), m, 1), within: exactTolerance, "∂s/∂x vs autodiff")
  }

  @Test func shapesAreCheckedWithASentence() {
    let W = Matrix(rows: 3, cols: 4)
    #expect(throws: ShapeError.self) { try ScoringNetwork(W: W, b: Matrix(rows: 2, cols: 1), u: Matrix(rows: 3, cols: 1), f: .tanh) }
    do {
      _ = try ScoringNetwork(W: W, b: Matrix(rows: 3, cols: 1), u: Matrix(rows: 1, cols: 3), f: .tanh)
      Issue.record("a 1×3 u was accepted")
    } catch {
      #expect(error.description == "scoring network needs W of shape n×m and u of shape n×1, got 3×4 and 1×3")
    }
  }
}
