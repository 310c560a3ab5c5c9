import Testing
import Jacobians
import TestSupport

@Suite struct SGDTests {
  @Test(arguments: randomSeeds)
  func stepIsThetaMinusAlphaGradient(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let theta = rng.matrix(3, 4), g = rng.matrix(3, 4)
    let alpha = rng.uniform(0.001, 0.5)
    let next = sgdStep(theta, gradient: g, learningRate: alpha)
    #expect(next.shape == theta.shape)
    for k in 0..<theta.count {
      #expect(next.scalars[k] == theta.scalars[k] - alpha * g.scalars[k])
    }
    #expect(try sgdStepChecked(theta, gradient: g, learningRate: alpha) == next)
  }

  /// Small steps along −∇J decrease the softmax classifier's loss (first-order: ΔJ ≈ −α‖∇J‖²).
  @Test(arguments: randomSeeds)
  func stepsDecreaseTheLoss(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let X = rng.normalMatrix(12, 4)
    let y = (0..<12).map { _ in rng.int(below: 3) }
    var W = rng.normalMatrix(4, 3)
    let model = SoftmaxClassifier(lambda: 0.01)
    var previous = try model.evaluate(X: X, y: y, W: W)
    for _ in 0..<10 {
      W = sgdStep(W, gradient: previous.dW, learningRate: 0.05)
      let current = try model.evaluate(X: X, y: y, W: W)
      #expect(current.loss < previous.loss, "loss \(previous.loss) → \(current.loss)")
      previous = current
    }
  }

  @Test func mismatchedShapesAreReported() async {
    #expect(throws: ShapeError(operation: "gradient descent step", lhs: Shape(3, 4), rhs: Shape(4, 3),
                               requirement: "a gradient of the parameter's shape")) {
      try sgdStepChecked(Matrix(rows: 3, cols: 4), gradient: Matrix(rows: 4, cols: 3), learningRate: 0.1)
    }
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = sgdStep(Matrix(rows: 3, cols: 4), gradient: Matrix(rows: 4, cols: 3), learningRate: 0.1)
    }
    if let result {
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("3×4 and 4×3"), "stderr: \(message)")
    }
  }
}
