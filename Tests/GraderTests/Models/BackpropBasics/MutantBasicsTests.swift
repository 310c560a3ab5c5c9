import Foundation
import Testing
@testable import Grader
import Jacobians

@Suite("MutantBasics")
struct MutantBasicsTests {
  static func value(_ g: Autograder, _ item: String, _ inputs: [String: Tensor], _ mistake: BasicsMistake?) -> Tensor? {
    MutantBasics.value(item: item, inputs: inputs, f: (g.model as! BackpropBasics).f, l2: .full,
                       windowSize: g.assignment.model.size("window"), d: g.assignment.model.size("d"), mistake: mistake)
  }

  @Test("with no mistake every item equals the reference, for 20 students")
  func equalsReference() throws {
    let g = try grader("backprop-basics")
    for k in 1...20 {
      let inputs = g.inputs(for: "basics-\(k)")
      let reference = g.model.reference(inputs: inputs)
      for spec in g.assignment.items {
        let mine = try #require(Self.value(g, spec.id, inputs, nil), "\(spec.id)")
        #expect(mine.shape == reference[spec.id]!.shape, "\(spec.id)")
        let err = zip(mine.scalars, reference[spec.id]!.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(err <= 1e-12, "\(spec.id): \(err)")
      }
    }
  }

  @Test("closed forms: the regularization term is 2λW, the other L2 factor differs by λW, sign flips the data part")
  func closedForms() throws {
    let g = try grader("backprop-basics")
    let inputs = g.inputs(for: "reg")
    let W = inputs["W_cls"]!.matrix, lambda = inputs["reg"]!.scalar
    let full = Self.value(g, "dL_dW_cls", inputs, nil)!.matrix
    let none = Self.value(g, "dL_dW_cls", inputs, .regularizationMissing)!.matrix
    let half = Self.value(g, "dL_dW_cls", inputs, .otherL2Factor)!.matrix
    let sign = Self.value(g, "dL_dW_cls", inputs, .signFlipped)!.matrix
    #expect(((full - none) - 2 * lambda * W).maxAbs <= 1e-12)
    #expect(((full - half) - lambda * W).maxAbs <= 1e-12)
    #expect(((sign - 2 * lambda * W) + (full - 2 * lambda * W)).maxAbs <= 1e-12)
  }

  @Test("the graph at the lecture's point (1, 2, 0): correct (2, 5, 0); max routed wrong (2, 2, 3); branches not summed (2, 2, 0)")
  func lecturePoint() throws {
    let g = try grader("backprop-basics")
    var inputs = g.inputs(for: "graph")
    inputs["xyz"] = Tensor(shape: [3], scalars: [1, 2, 0])
    #expect(Self.value(g, "graph_grad", inputs, nil)?.scalars == [2, 5, 0])
    #expect(Self.value(g, "graph_grad", inputs, .maxRoutedWrong)?.scalars == [2, 2, 3])
    #expect(Self.value(g, "graph_grad", inputs, .branchesNotSummed)?.scalars == [2, 2, 0])
    inputs["xyz"] = Tensor(shape: [3], scalars: [1, 0, 2])
    #expect(Self.value(g, "graph_grad", inputs, .branchesNotSummed) == nil, "with z > y the max branch of y carries nothing")
  }

  @Test("a mistake that does not enter an item gives nil")
  func inapplicable() throws {
    let g = try grader("backprop-basics")
    let inputs = g.inputs(for: "nil")
    #expect(Self.value(g, "dz_dt", inputs, .signFlipped) == nil)
    #expect(Self.value(g, "ds_du", inputs, .activationForDerivative) == nil)
    #expect(Self.value(g, "softmax_jacobian", inputs, .biasOmitted) == nil)
  }
}
