import Foundation
import Testing
@testable import Grader
import Jacobians

@Suite("BasicsSlipEvaluation")
struct BasicsSlipEvaluationTests {
  static func value(_ g: Autograder, _ item: String, _ inputs: [String: Tensor], _ slips: [AppliedSlip] = []) -> Tensor? {
    g.model.derivation!.prepare(inputs).value(of: item, with: slips)
  }

  static let regMissing = AppliedSlip(step: "classifier.regularization", kind: .termDropped)
  static let otherL2 = AppliedSlip(step: "classifier.regularization", kind: .custom("l2-factor"))
  static let sign = AppliedSlip(step: "ce", kind: .signFlipped)

  @Test("with no slip every item equals the reference, for 20 students")
  func equalsReference() throws {
    let g = try grader("backprop-basics")
    for k in 1...20 {
      let inputs = g.inputs(for: "basics-\(k)")
      let reference = g.model.reference(inputs: inputs)
      for spec in g.assignment.items {
        let mine = try #require(Self.value(g, spec.id, inputs), "\(spec.id)")
        #expect(mine.shape == reference[spec.id]!.shape, "\(spec.id)")
        let err = zip(mine.scalars, reference[spec.id]!.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(err <= 1e-12, "\(spec.id): \(err)")
      }
    }
  }

  @Test("closed forms: the regularization term is 2λW, the other L2 factor differs by λW, sign flips the data part, 1/N missing is N times the data part")
  func closedForms() throws {
    let g = try grader("backprop-basics")
    let inputs = g.inputs(for: "reg")
    let W = inputs["W_cls"]!.matrix, lambda = inputs["reg"]!.scalar
    let N = Double(inputs["X"]!.shape[0])
    let full = Self.value(g, "dL_dW_cls", inputs)!.matrix
    let none = Self.value(g, "dL_dW_cls", inputs, [Self.regMissing])!.matrix
    let half = Self.value(g, "dL_dW_cls", inputs, [Self.otherL2])!.matrix
    let sign = Self.value(g, "dL_dW_cls", inputs, [Self.sign])!.matrix
    let mean = Self.value(g, "dL_dW_cls", inputs, [AppliedSlip(step: "classifier.mean", kind: .scale)])!.matrix
    #expect(((full - none) - 2 * lambda * W).maxAbs <= 1e-12)
    #expect(((full - half) - lambda * W).maxAbs <= 1e-12)
    #expect(((sign - 2 * lambda * W) + (full - 2 * lambda * W)).maxAbs <= 1e-12)
    #expect(((mean - 2 * lambda * W) - N * (full - 2 * lambda * W)).maxAbs <= 1e-12)
  }

  @Test("the graph at the lecture's point (1, 2, 0): correct (2, 5, 0); max routed wrong (2, 2, 3); branches not summed (2, 2, 0); only the max branch (2, 3, 0)")
  func lecturePoint() throws {
    let g = try grader("backprop-basics")
    var inputs = g.inputs(for: "graph")
    inputs["xyz"] = Tensor(shape: [3], scalars: [1, 2, 0])
    #expect(Self.value(g, "graph_grad", inputs)?.scalars == [2, 5, 0])
    #expect(Self.value(g, "graph_grad", inputs, [AppliedSlip(step: "graph.max", kind: .custom("routed-wrong"))])?.scalars == [2, 2, 3])
    #expect(Self.value(g, "graph_grad", inputs, [AppliedSlip(step: "graph.branches", kind: .firstTerm)])?.scalars == [2, 2, 0])
    #expect(Self.value(g, "graph_grad", inputs, [AppliedSlip(step: "graph.branches", kind: .lastTerm)])?.scalars == [2, 3, 0])
  }

  @Test("the window's σ′(s) slips: σ(s) for σ′(s) scales by 1/(1 − J), dropping it divides by J(1 − J)")
  func windowOutput() throws {
    let g = try grader("backprop-basics")
    let inputs = g.inputs(for: "win")
    let right = Self.value(g, "dJ_du_win", inputs)!.scalars
    let net = try WindowClassifier(windowSize: 5, d: 3, W: inputs["W_win"]!.matrix, b: inputs["b_win"]!.matrix, u: inputs["u_win"]!.matrix, f: .sigmoid)
    let J = net.forward(Matrix(column: inputs["window"]!.scalars)).J
    let activation = Self.value(g, "dJ_du_win", inputs, [AppliedSlip(step: "window.output", kind: .activationForDerivative)])!.scalars
    let dropped = Self.value(g, "dJ_du_win", inputs, [AppliedSlip(step: "window.output", kind: .dropped)])!.scalars
    for k in right.indices {
      #expect(abs(activation[k] - right[k] / (1 - J)) <= 1e-12)
      #expect(abs(dropped[k] - right[k] / (J * (1 - J))) <= 1e-9)
    }
  }

  @Test("an unknown slip, or two on one switch, gives nil")
  func inapplicable() throws {
    let g = try grader("backprop-basics")
    let inputs = g.inputs(for: "nil")
    #expect(Self.value(g, "dz_dt", inputs, [AppliedSlip(step: "chain", kind: .transposed)]) == nil)
    #expect(Self.value(g, "dCE_dtheta", inputs, [Self.sign, AppliedSlip(step: "softmax", kind: .diagonalOnly)]) == nil)
  }
}
