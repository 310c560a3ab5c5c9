import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `J = σ(uᵀ f(Wx + b))` for `_Differentiation`; `p = vec(W) ++ b ++ u ++ x`.
@differentiable(reverse, wrt: p)
func windowMirror(_ p: [Double], n: Int, m: Int, f: Activation) -> Double {
  let s = scoreMirror(p, n: n, m: m, f: f)
  return 1 / (1 + exp(-s))
}

@Suite struct WindowClassifierTests {
  static let cases: [(Activation, UInt64)] = allActivations.flatMap { f in randomSeeds.map { (f, $0) } }

  /// A classifier for 5-word windows of d-dimensional vectors (d, n from the seed), with the
  /// pre-activations kept away from the kinks of f.
  static func randomCase(seed: UInt64, f: Activation, windowSize: Int = 5) -> (WindowClassifier, [Matrix]) {
    var rng = SplitMix64(seed: seed ^ 0xA5A5)
    let d = 2 + rng.int(below: 3), n = 2 + rng.int(below: 4)
    let words = (0..<windowSize).map { _ in rng.matrix(d, 1) }
    let W = rng.matrix(n, windowSize * d), u = rng.matrix(n, 1, -2, 2)
    while true {
      let classifier = try! WindowClassifier(windowSize: windowSize, d: d, W: W, b: rng.matrix(n, 1), u: u, f: f)
      if isAwayFromKinks(classifier.forward(words: words).scoring.z, f) { return (classifier, words) }
    }
  }

  @Test(arguments: cases)
  func forwardConcatenatesTheWindow(f: Activation, seed: UInt64) {
    let (classifier, words) = Self.randomCase(seed: seed, f: f)
    let d = classifier.d
    let x = WindowClassifier.window(words)
    #expect(x.shape == Shape(5 * d, 1))
    for w in 0..<5 {
      #expect(Array(x.scalars[(w * d)..<((w + 1) * d)]) == words[w].scalars)
    }
    let pass = classifier.forward(words: words)
    #expect(pass.J == Activation.logistic(pass.scoring.s))
    #expect(pass.J > 0 && pass.J < 1)
  }

  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(f: Activation, seed: UInt64) {
    let (classifier, words) = Self.randomCase(seed: seed, f: f)
    let net = classifier.network
    let x = WindowClassifier.window(words)
    let g = classifier.backward(classifier.forward(x))
    let numeric = NumericGradient.gradients(of: { p in
      (try! WindowClassifier(d: classifier.d, W: p[0], b: p[1], u: p[2], f: f)).forward(p[3]).J
    }, at: [net.W, net.b, net.u, x])
    expectAgree(g.dJ_dW, numeric[0], within: centralDifferenceTolerance, "∂J/∂W")
    expectAgree(g.dJ_db, numeric[1], within: centralDifferenceTolerance, "∂J/∂b")
    expectAgree(g.dJ_du, numeric[2], within: centralDifferenceTolerance, "∂J/∂u")
    expectAgree(g.dJ_dx, numeric[3], within: centralDifferenceTolerance, "∂J/∂x")
    // Each word's gradient, perturbing that word vector alone.
    let perWord = NumericGradient.gradients(of: { classifier.forward(words: $0).J }, at: words)
    for w in 0..<5 {
      expectAgree(g.wordGradients[w], perWord[w], within: centralDifferenceTolerance, "∂J/∂x_\(w)")
    }
  }

  @Test(arguments: cases)
  func gradientsMatchAutodiff(f: Activation, seed: UInt64) {
    let (classifier, words) = Self.randomCase(seed: seed, f: f)
    let net = classifier.network
    let x = WindowClassifier.window(words)
    let g = classifier.backward(classifier.forward(x))
    let n = net.n, m = net.m
    let p = net.W.scalars + net.b.scalars + net.u.scalars + x.scalars
    let auto = autodiffGradient(of: { windowMirror($0, n: n, m: m, f: f) }, at: p)
    expectAgree(g.dJ_dW, slice(auto, 0..<(n * m), n, m), within: exactTolerance, "∂J/∂W vs autodiff")
    expectAgree(g.dJ_db, slice(auto, (n * m)..<(n * m + n), n, 1), within: exactTolerance, "∂J/∂b vs autodiff")
    expectAgree(g.dJ_du, slice(auto, (n * m + n)..<(n * m + 2 * n), n, 1), within: exactTolerance, "∂J/∂u vs autodiff")
    expectAgree(g.dJ_dx, slice(auto, (n * m + 2 * n)..<(n * m + 2 * n + m), m, 1), within: exactTolerance, "∂J/∂x vs autodiff")
  }

  /// ∂J/∂θ = σ′(s) ∂s/∂θ, and the word split is ∂J/∂x cut into windowSize pieces of d.
  @Test(arguments: cases)
  func gradientsAreTheScoreGradientsScaledAndSplit(f: Activation, seed: UInt64) {
    let (classifier, words) = Self.randomCase(seed: seed, f: f)
    let pass = classifier.forward(words: words)
    let g = classifier.backward(pass)
    let score = classifier.network.backward(pass.scoring)
    let d = classifier.d, n = classifier.network.n
    #expect(g.dJ_ds == pass.J * (1 - pass.J))
    #expect(g.delta.shape == Shape(1, n))
    #expect(g.dJ_dW.shape == Shape(n, 5 * d))
    #expect(g.dJ_dx.shape == Shape(5 * d, 1))
    #expect(g.dJ_dwords.shape == Shape(5, d))
    expectAgree(g.dJ_dW, g.dJ_ds * score.ds_dW, within: exactTolerance, "∂J/∂W = σ′(s) ∂s/∂W")
    expectAgree(g.dJ_dx, g.dJ_ds * score.ds_dx, within: exactTolerance, "∂J/∂x = σ′(s) ∂s/∂x")
    #expect(g.wordGradients.count == 5)
    for w in 0..<5 {
      #expect(g.wordGradients[w].shape == Shape(d, 1))
      #expect(g.wordGradients[w].scalars == Array(g.dJ_dx.scalars[(w * d)..<((w + 1) * d)]))
      #expect(g.dJ_dwords.row(w).scalars == g.wordGradients[w].scalars)
    }
  }

  /// Other window sizes work the same way.
  @Test(arguments: [1, 3, 7])
  func otherWindowSizes(windowSize: Int) {
    let (classifier, words) = Self.randomCase(seed: randomSeeds[3], f: .tanh, windowSize: windowSize)
    let g = classifier.backward(classifier.forward(words: words))
    let perWord = NumericGradient.gradients(of: { classifier.forward(words: $0).J }, at: words)
    #expect(g.wordGradients.count == windowSize)
    for w in 0..<windowSize {
      expectAgree(g.wordGradients[w], perWord[w], within: centralDifferenceTolerance, "∂J/∂x_\(w)")
    }
  }

  @Test func shapesAreCheckedWithASentence() {
    do {
      _ = try WindowClassifier(d: 4, W: Matrix(rows: 3, cols: 12), b: Matrix(rows: 3, cols: 1), u: Matrix(rows: 3, cols: 1), f: .relu)
      Issue.record("W with 12 columns was accepted for 5 words of 4")
    } catch {
      #expect(error.description == "window classifier needs W of shape n×(windowSize·d) for a window x of shape (windowSize·d)×1, got 3×12 and 20×1")
    }
  }
}
