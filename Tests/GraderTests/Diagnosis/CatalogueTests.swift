import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

@Suite("Mistake catalogue")
struct CatalogueTests {
  static func close(_ a: Tensor, _ b: Tensor, _ shape: [Int], _ tolerance: Tolerance) -> Bool {
    a.count == b.count && EntryComparison.compare(submitted: a.scalars, expected: b.scalars, shape: shape, tolerance: tolerance).passed
  }

  @Test("no mutant equals the correct answer, and no two mutants coincide, at the shipped sizes", arguments: shippedAssignments)
  func noCollisions(assignment: String) throws {
    let g = try grader(assignment)
    for student in DiagnosisFixtures.students + ["eli", "flo"] {
      let inputs = g.inputs(for: student)
      let reference = g.model.reference(inputs: inputs)
      let all = DiagnosisFixtures.cases(g, students: [student])
      for spec in g.assignment.items {
        let tolerance = g.rubric.entry(spec.id).tolerance
        let cases = all.filter { $0.item == spec.id }
        for c in cases {
          #expect(!Self.close(c.value, reference[spec.id]!, spec.shape, tolerance), "\(c) equals the correct answer")
        }
        for a in cases.indices {
          for b in cases.indices where b > a {
            #expect(!Self.close(cases[a].value, cases[b].value, spec.shape, tolerance), "\(cases[a]) coincides with \(cases[b])")
          }
        }
      }
    }
  }

  @Test("on a square item the row-form gradient reshaped is the transpose: reported as 'transposed'")
  func squareRowColumnIsTransposed() throws {
    let g = try grader("rnn-bptt")
    let spec = g.assignment.item("dW_h")!
    #expect(!g.model.mistakes.mutant("row-column-swapped")!.applies(to: "dW_h"))
    for student in DiagnosisFixtures.students {
      let reference = g.reference(for: student)["dW_h"]!
      // The row convention's ∂J/∂W_h is the transpose (H × H); "reshaped" to H × H it stays so.
      let rowForm = Tensor(shape: spec.shape, scalars: reference.matrix.T.scalars)
      let item = DiagnosisFixtures.gradeItem(g, item: "dW_h", student: student, value: rowForm)
      #expect(item.diagnosis?.id == "transposed")
    }
  }

  @Test("truncation to k = 1 is the i = t term alone: reported as 'only-current-step'")
  func windowOneIsOnlyCurrentStep() throws {
    let g = try grader("rnn-bptt")
    let model = g.model as! RNNLanguageModel
    var options = model.options
    options.truncation = .window(1)
    for student in DiagnosisFixtures.students {
      let inputs = g.inputs(for: student)
      let p = model.columnForm(inputs)
      let truncated = BPTT.gradients(p, tokens: inputs["tokens"]!.ints, options: options)
      let item = DiagnosisFixtures.gradeItem(g, item: "dW_h", student: student, value: Tensor(truncated.dW_h))
      #expect(item.diagnosis?.id == "only-current-step")
    }
  }

  @Test("a uniform scale of 1/T is reported as the misplaced mean, not as clipping by norm", arguments: ["rnn-bptt", "rnn-canonical"])
  func uniformOneOverTIsTheMean(assignment: String) throws {
    let g = try grader(assignment)
    let expected = assignment == "rnn-bptt" ? "mean-applied-twice" : "mean-on-sum"
    let T = Double(g.assignment.model.size("T"))
    let gradients = (g.model as? RNNLanguageModel)?.gradientItems ?? (g.model as! CanonicalRNNModel).gradientItems
    for spec in g.assignment.items where gradients.contains(spec.id) {
      let reference = g.reference(for: "hal")[spec.id]!
      let scaled = Tensor(shape: reference.shape, scalars: reference.scalars.map { $0 / T })
      #expect(DiagnosisFixtures.gradeItem(g, item: spec.id, student: "hal", value: scaled).diagnosis?.id == expected, "\(spec.id)")
    }
  }

  @Test("clipping is recognized by value at any threshold and by norm at any scale 0 < α < 1", arguments: [0.2, 0.45, 0.8])
  func clippingFits(fraction: Double) throws {
    let g = try grader("rnn-bptt")
    for id in ["dU", "dW_h", "dE"] {
      let reference = g.reference(for: "ivy")[id]!
      let c = fraction * reference.scalars.map(abs).max()!
      let byValue = Tensor(shape: reference.shape, scalars: reference.scalars.map { min(max($0, -c), c) })
      let byValueItem = DiagnosisFixtures.gradeItem(g, item: id, student: "ivy", value: byValue)
      #expect(byValueItem.diagnosis?.id == "gradient-clipped", "\(id) by value: \(byValueItem.diagnosis?.id ?? "none")")
      #expect(byValueItem.diagnosis?.message.contains("clamped") == true)
      let byNorm = Tensor(shape: reference.shape, scalars: reference.scalars.map { $0 * (fraction + 0.013) })
      let byNormItem = DiagnosisFixtures.gradeItem(g, item: id, student: "ivy", value: byNorm)
      #expect(byNormItem.diagnosis?.id == "gradient-clipped", "\(id) by norm: \(byNormItem.diagnosis?.id ?? "none")")
    }
  }

  @Test("the detection rate and diagnosis rate over every mutant × assignment × item × student case are 100 %")
  func rates() throws {
    var total = 0, detected = 0, diagnosed = 0
    var mutantIDs = Set<String>()
    var lines: [String] = []
    for id in shippedAssignments {
      let g = try grader(id)
      let cases = DiagnosisFixtures.cases(g)
      mutantIDs.formUnion(g.model.mistakes.mutants.map(\.id))
      var d = 0, n = 0
      for c in cases {
        let item = DiagnosisFixtures.gradeItem(g, item: c.item, student: c.student, value: c.value)
        if item.status == .fail { d += 1 }
        if item.diagnosis?.id == c.mutant { n += 1 }
      }
      lines.append("\(id): \(cases.count) cases, detected \(d), diagnosed as themselves \(n)")
      total += cases.count
      detected += d
      diagnosed += n
    }
    let report = lines.joined(separator: "\n") + String(format: "\nall: %d cases (%d mutants, %d students each); detection rate %.1f %%, diagnosis rate %.1f %%",
      total, mutantIDs.count, DiagnosisFixtures.students.count,
      100 * Double(detected) / Double(max(total, 1)), 100 * Double(diagnosed) / Double(max(total, 1)))
    print(report)
    #expect(total > 300)
    #expect(detected == total)
    #expect(diagnosed == total)
  }
}
