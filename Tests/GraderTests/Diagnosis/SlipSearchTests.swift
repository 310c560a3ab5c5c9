import Foundation
import Testing
@testable import Grader
import Jacobians

/// The search over a derivation's slips: its budget, its ranking, ties said as such, pairs.
@Suite("Slip search")
struct SlipSearchTests {
  /// `slips` made by the model's evaluation on every item they change, for `student`: the
  /// submission, and the items that fail.
  static func submission(_ g: Autograder, student: String, _ slips: [AppliedSlip]) -> (answers: [String: Tensor], failing: [String]) {
    let inputs = g.inputs(for: student)
    let reference = g.model.reference(inputs: inputs)
    let evaluation = g.model.derivation!.prepare(inputs)
    var answers = reference, failing: [String] = []
    for spec in g.assignment.items {
      guard let v = evaluation.value(of: spec.id, with: slips),
            !SlipSearch.matches(v, reference[spec.id]!, g.rubric.entry(spec.id).tolerance) else { continue }
      answers[spec.id] = v
      failing.append(spec.id)
    }
    return (answers, failing)
  }

  static func request(_ g: Autograder, student: String, item: String, answers: [String: Tensor], alone: Bool = false) -> DiagnosisRequest {
    let inputs = g.inputs(for: student)
    let reference = g.model.reference(inputs: inputs)
    let others = alone ? [] : g.assignment.items.filter { $0.id != item }.map {
      SubmittedItem(spec: $0, submitted: answers[$0.id]!, reference: reference[$0.id]!, tolerance: g.rubric.entry($0.id).tolerance)
    }
    return DiagnosisRequest(item: g.assignment.item(item)!, submitted: answers[item]!, inputs: inputs, reference: reference,
                            tolerance: g.rubric.entry(item).tolerance, others: others)
  }

  @Test("an answer nothing explains spends at most the budget, and a smaller budget is kept")
  func budget() throws {
    let g = try grader("rnn-bptt")
    var rng = SplitMix64(seed: 4)
    var answers = g.reference(for: "budget")
    answers["dW_h"]!.scalars = answers["dW_h"]!.scalars.map { $0 * (1 + rng.uniform(0.05, 0.15)) }
    let diagnoser = Diagnoser(assignment: g.assignment)
    let result = try #require(diagnoser.explain(Self.request(g, student: "budget", item: "dW_h", answers: answers, alone: true)))
    #expect(result.explanations.isEmpty)
    #expect(result.evaluations <= 200 && result.evaluations > 100, "\(result.evaluations)")
    var smaller = Diagnoser(assignment: g.assignment)
    smaller.search?.budget = 25
    let small = try #require(smaller.explain(Self.request(g, student: "budget", item: "dW_h", answers: answers, alone: true)))
    #expect(small.evaluations <= 25)
  }

  @Test("two slips that give the same value are said as a tie when the item is alone, and told apart by the rest of the submission")
  func ties() throws {
    let g = try grader("rnn-bptt")
    // ∂J/∂h^(0) keeps the loss terms t ≤ k under a window of k steps and under chunks of k.
    let (answers, failing) = Self.submission(g, student: "tie", [AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: 3)])
    #expect(failing.contains("dh0") && failing.contains("dW_h"))
    let diagnoser = Diagnoser(assignment: g.assignment)
    let alone = try #require(diagnoser.diagnose(Self.request(g, student: "tie", item: "dh0", answers: answers, alone: true)))
    #expect(alone.message.hasPrefix("Two explanations fit your dh0"), "\(alone.message)")
    #expect(alone.message.contains("window") && alone.message.contains("chunks"))
    let together = try #require(Diagnoser(assignment: g.assignment).explain(Self.request(g, student: "tie", item: "dh0", answers: answers)))
    #expect(together.explanations.map(\.id) == ["bptt:truncated-chunks"], "\(together.explanations.map(\.id))")
  }

  @Test("a slip and an item transform together are one explanation of two slips, told as such")
  func pairWithTransform() throws {
    let g = try grader("rnn-bptt")
    let T = Double(g.assignment.model.size("T"))
    let (answers, _) = Self.submission(g, student: "pair", [AppliedSlip(step: "carry", kind: .transposed)])
    var scaled = answers
    scaled["dW_h"]!.scalars = answers["dW_h"]!.scalars.map { $0 * T }
    let d = try #require(Diagnoser(assignment: g.assignment).diagnose(Self.request(g, student: "pair", item: "dW_h", answers: scaled, alone: true)))
    #expect(Set(d.id.split(separator: "+").map(String.init)) == ["carry:transposed", "mean-missing"], "\(d.id)")
    #expect(d.message.contains("fits two slips made together"))
    #expect(d.message.contains("W_hᵀ") && d.message.contains("1/T"))
  }

  @Test("a pair of slips that interact (h0 zero and the biases left out) is found for every item it changes, sharing what the other items found")
  func interactingPair() throws {
    let g = try grader("rnn-canonical")
    let slips = [AppliedSlip(step: "h0", kind: .zero), AppliedSlip(step: "biases", kind: .zero)]
    for student in ["p-1", "p-2", "p-3"] {
      let (answers, failing) = Self.submission(g, student: student, slips)
      let diagnoser = Diagnoser(assignment: g.assignment)
      for item in failing {
        let result = try #require(diagnoser.explain(Self.request(g, student: student, item: item, answers: answers)))
        #expect(result.explanations.first.map { Set($0.ids) } == ["h0:zero", "bias-omitted"], "\(student)/\(item): \(result.explanations.map(\.id))")
        #expect(result.evaluations <= 200)
      }
    }
  }

  @Test("a fitted explanation (clipping) is reported only when no exact one of the same size fits")
  func fittedAfterExact() throws {
    let g = try grader("rnn-canonical")
    let reference = g.reference(for: "clip")
    var answers = reference
    // Scaled by 1/T: the misplaced mean, exactly; clipping by norm would also fit.
    let T = Double(g.assignment.model.size("T"))
    answers["dW_hh"]!.scalars = reference["dW_hh"]!.scalars.map { $0 / T }
    let exact = try #require(Diagnoser(assignment: g.assignment).explain(Self.request(g, student: "clip", item: "dW_hh", answers: answers, alone: true)))
    #expect(exact.explanations.map(\.id) == ["mean-on-sum"])
    answers["dW_hh"]!.scalars = reference["dW_hh"]!.scalars.map { $0 * 0.37 }
    let fitted = try #require(Diagnoser(assignment: g.assignment).explain(Self.request(g, student: "clip", item: "dW_hh", answers: answers, alone: true)))
    #expect(fitted.explanations.map(\.id) == ["gradient-clipped"])
    #expect(fitted.explanations.first?.fitted == true)
  }

  /// `base` with the early stop of large models switched off: the full search.
  final class WithoutEarlyStop: SlipEvaluation {
    let base: any SlipEvaluation
    init(_ base: any SlipEvaluation) { self.base = base }
    func value(of item: String, with slips: [AppliedSlip]) -> Tensor? { base.value(of: item, with: slips) }
    func entries(of item: String, with slips: [AppliedSlip], at indices: [Int]) -> [Double]? { base.entries(of: item, with: slips, at: indices) }
    func terms(of item: String) -> StepTerms? { base.terms(of: item) }
    func isExpensive(_ slips: [AppliedSlip]) -> Bool { base.isExpensive(slips) }
    var stopsExpensiveWorkAtMatch: Bool { false }
  }

  @Test("on a large model an exact match ends the new forward passes, and the search finds what the full search finds (another activation with or without its derivative tie on dU)")
  func earlyStop() throws {
    let g = try NumericEstimatorTests.grader("rnn-bptt", sizes: ["T": 8, "H": 32, "d": 8, "V": 16_000])
    let inputs = g.inputs(for: "large")
    let reference = g.model.reference(inputs: inputs)
    let derivation = try #require(g.model.derivation)
    #expect(derivation.prepare(inputs).stopsExpensiveWorkAtMatch)
    let shipped = try grader("rnn-bptt")
    #expect(!shipped.model.derivation!.prepare(shipped.inputs(for: "large")).stopsExpensiveWorkAtMatch)
    let search = SlipSearch(derivation: derivation)
    func names(_ r: SlipSearchResult) -> Set<String> {
      Set(r.explanations.map { $0.slips.map { "\($0.declared.applied($0.parameter))" }.sorted().joined(separator: "+") })
    }
    let forwardOnly = AppliedSlip(step: "h", kind: .forwardOnly(.tanh))
    var fewer = 0
    for slip in [AppliedSlip(step: "h0", kind: .zero), AppliedSlip(step: "h", kind: .activation(.tanh))] {
      let made = derivation.prepare(inputs)
      for id in ["dU", "dW_h"] {
        let spec = try #require(g.assignment.item(id)), tolerance = g.rubric.entry(id).tolerance
        let submitted = try #require(made.value(of: id, with: [slip]))
        let stopped = search.explain(item: spec, submitted: submitted, reference: reference[id]!, tolerance: tolerance, evaluation: derivation.prepare(inputs))
        let full = search.explain(item: spec, submitted: submitted, reference: reference[id]!, tolerance: tolerance, evaluation: WithoutEarlyStop(derivation.prepare(inputs)))
        #expect(names(stopped).contains("\(slip)"), "\(slip) \(id): \(names(stopped))")
        #expect(names(stopped) == names(full), "\(slip) \(id): \(names(stopped)) vs \(names(full))")
        #expect(stopped.evaluations <= full.evaluations)
        if stopped.evaluations < full.evaluations { fewer += 1 }
        if id == "dU", slip.kind == .activation(.tanh), derivation.slips.contains(where: { $0.applied(nil) == forwardOnly }) {
          #expect(names(stopped).contains("\(forwardOnly)"), "\(names(stopped))")
        }
      }
    }
    #expect(fewer > 0)
  }
}
