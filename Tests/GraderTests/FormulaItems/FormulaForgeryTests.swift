import Foundation
import Formulas
import Testing
@testable import Grader

/// A formula item cannot be gamed: no name gives the reference away, no formula that is NaN or
/// ±Inf passes, and a formula that agrees with the reference only at the student's inputs fails
/// at the random points.
@Suite("Formula items cannot be gamed")
struct FormulaForgeryTests {
  static let assignments = ["backprop-basics", "rnn-bptt", "window-lm", "rnn-canonical"]

  /// The items a single quantity answers in the notes, each the notes' own formula (a vector in
  /// either orientation): ∂s/∂b = δ, ∂s/∂u = h (note 003); ∂J/∂b_2 = δ1, ∂J/∂b_1 = δ2 (note 002,
  /// the window); ∂J/∂b_2 = (1/T) Σ_t δ1^(t), ∂J/∂b_1 = Σ_t dz^(t) with dz^(t) = ∂J/∂z^(t)
  /// (notes 000/002: the carry is the quantity `dz`, which the formulas of δ1 and δ2 cannot
  /// use); ∂E/∂b_h = Σ_t δh_t (note 001, δh_t the carry at the pre-activation).
  static let notesAnswers: Set<String> = [
    "backprop-basics ds_db = delta", "backprop-basics ds_db = delta^T",
    "backprop-basics ds_du = h", "backprop-basics ds_du = h^T",
    "window-lm db_2 = delta1", "window-lm db_2 = delta1^T",
    "window-lm db_1 = delta2", "window-lm db_1 = delta2^T",
    "rnn-bptt db_1 = sum_t dz[t]", "rnn-bptt db_1 = sum_t dz[t]^T", "rnn-bptt db_2 = (1/T) sum_t delta1[t]",
    "rnn-canonical db_h = sum_t dh[t]", "rnn-canonical db_h = sum_t dh[t]^T",
  ]

  /// Every formula that is one quantity alone (transposed, at step t or t − 1, summed over the
  /// steps, or the mean over them), for every item of every model with formulas.
  static func singleQuantityFormulas(_ declarations: FormulaDeclarations, item: String) -> [String] {
    let perStep = declarations.items[item]?.perStep != nil
    let count = declarations.stepCount ?? "T"
    var out: [String] = []
    for q in declarations.quantities {
      let n = q.name
      if q.steps == nil {
        out += [n, "\(n)^T"]
      } else {
        if perStep { out += ["\(n)[t]", "\(n)[t]^T", "\(n)[t-1]"] }
        out += ["sum_t \(n)[t]", "sum_t \(n)[t]^T", "(1/\(count)) sum_t \(n)[t]", "\(n)[1]", "\(n)[\(count)]"]
      }
    }
    return out
  }

  /// A single declared quantity answers an item only where the notes say so; every other such
  /// formula is either rejected (the item's own quantity, a shape, a step) or wrong at the
  /// student's inputs. The set of those that match is compared with the notes' list, so a new
  /// quantity that gives an item away fails this test.
  @Test("no quantity by itself gives an item away, but where the notes' formula is that quantity")
  func noQuantityGivesAnItemAway() throws {
    var matching: Set<String> = []
    var evaluated = 0
    for id in Self.assignments {
      let g = formulaGraders[id]!
      let declarations = try #require(g.model.formulas)
      let inputs = g.inputs(for: "alice")
      let reference = g.reference(for: "alice")
      let bindings = g.model.formulaBindings(inputs: inputs)
      for item in g.assignment.items where declarations.items[item.id] != nil {
        for source in Self.singleQuantityFormulas(declarations, item: item.id) {
          guard let compiled = try? CompiledFormulaItem(source, item: item, declarations: declarations),
                let value = try? compiled.value(at: bindings) else { continue }
          evaluated += 1
          let expected = reference[item.id]!
          let c = EntryComparison.compare(submitted: value.scalars, expected: expected.scalars, shape: item.shape, tolerance: g.rubric.entry(item.id).tolerance)
          if c.passed { matching.insert("\(id) \(item.id) = \(source)") }
        }
      }
    }
    #expect(evaluated >= 50, "the formulas are read and evaluated: \(evaluated)")
    #expect(matching == Self.notesAnswers, "giving away: \(matching.subtracting(Self.notesAnswers).sorted()); not matching: \(Self.notesAnswers.subtracting(matching).sorted())")
    // And the notes' answers do pass the grader, at every point.
    for answer in Self.notesAnswers {
      let parts = answer.split(separator: " ", maxSplits: 3).map(String.init)
      let r = gradeFormula(parts[0], parts[1], parts[3])
      #expect(r.status == .pass, "\(answer): \(r.message)")
    }
  }

  /// An item's id, or a name for "the answer", is never a formula that earns points: the item's
  /// own quantity is refused, every other such name is unknown.
  @Test("a formula naming the item, another item or the reference earns nothing", arguments: assignments)
  func namingTheItemEarnsNothing(_ id: String) throws {
    let g = formulaGraders[id]!
    let declarations = try #require(g.model.formulas)
    let ids = g.assignment.items.map(\.id)
    for item in g.assignment.items where declarations.items[item.id] != nil {
      let spec = declarations.items[item.id]!
      var names = [item.id, "d\(item.id)", "reference", "expected", "answer", "grad", "J", "ref_\(item.id)", "\(item.id)_ref"]
      names += ids.filter { $0 != item.id && declarations.quantity(named: $0) == nil }
      for name in names {
        for source in [name, "\(name)[t]", "sum_t \(name)[t]"] {
          let r = gradeFormula(id, item.id, source)
          #expect(r.status != .pass && r.points == 0, "\(id) \(item.id) = \(source): \(r.status) \(r.message)")
          guard source == name else { continue }
          if declarations.quantity(named: name) == nil {
            #expect(r.message.contains("unknown name"), "\(id) \(item.id) = \(source): \(r.message)")
          } else if spec.excluded.contains(name) {
            #expect(r.message.contains("is what this item asks for"), "\(id) \(item.id) = \(source): \(r.message)")
          }
        }
      }
    }
  }

  /// NaN and ±Inf never pass, wherever they appear: everywhere, or only at the random points.
  @Test("a formula that is NaN or ±Inf fails, at the student's inputs or only at the random points", arguments: [
    ("backprop-basics", "dz_dt", "0/0", "NaN"), ("backprop-basics", "dz_dt", "(t - t)/(t - t)", "NaN"),
    ("backprop-basics", "dz_dt", "log(t - t)", "Inf"), ("backprop-basics", "dz_dt", "1/(t - t)", "Inf"),
    ("backprop-basics", "dz_dt", "exp(1000 t t)", "Inf"),
    ("backprop-basics", "dz_dt", "10 t t t t - 8 t + 0 log(t - t)", "NaN"),
    ("backprop-basics", "dCE_dtheta", "softmax(theta) - y + 0 log(y - y)", "NaN"),
    ("rnn-bptt", "loss", "0/0", "NaN"), ("rnn-bptt", "dU", "(1/T) sum_t delta1[t] h[t]^T / 0", "NaN"),
    ("rnn-bptt", "delta2", "(U^T delta1[t]) .* sigma'(z[t]) + 0 log(h[t] - h[t])", "NaN"),
    ("window-lm", "delta1", "yhat - y + log(y - y)", "Inf"), ("window-lm", "loss", "-log(0 y^T yhat)", "Inf"),
  ])
  func nonFiniteNeverPasses(_ assignment: String, _ item: String, _ formula: String, _ kind: String) throws {
    let r = gradeFormula(assignment, item, formula)
    #expect(r.status == .fail && r.points == 0, "\(formula): \(r.status) \(r.message)")
    #expect(r.message.range(of: "contains [+-]?\(kind)", options: .regularExpression) != nil, "\(formula): \(r.message)")
  }

  /// dz/dt plus log(1 − (t − t₀)² e⁷⁰⁰): exactly the reference at the student's t₀, NaN at every
  /// other t (1 − a huge number < 0); so it passes at the student's inputs and fails at the first
  /// random point, saying it is NaN there.
  @Test("a formula finite only at the student's inputs fails at the random points", arguments: ["alice", "bob"])
  func nanAtRandomPointsFails(student: String) throws {
    let t = formulaGraders["backprop-basics"]!.inputs(for: student)["t"]!.scalar
    let formula = "10 t t t t - 8 t + log(1 - (t - (\(t))) (t - (\(t))) exp(700))"
    let r = gradeFormula("backprop-basics", "dz_dt", formula, student: student)
    #expect(r.reference?.comparison.passed == true, "at the student's inputs it is the reference: \(r.message)")
    #expect(r.status == .fail && r.points == 0, "\(r.status) \(r.message)")
    #expect(r.message.contains("not at random point 1 of 3") && r.message.contains("NaN or infinite there"), "\(r.message)")
  }

  /// Numbers of the student's inputs typed into a formula tie it to those inputs: the student's
  /// label, the reference's entries, a fit in t through the student's point.
  @Test("constants fitted to the student's inputs fail", arguments: ["alice", "bob", "carol"])
  func fittedConstantsFail(student: String) throws {
    let g = formulaGraders["backprop-basics"]!
    let reference = g.reference(for: student)
    let t = g.inputs(for: student)["t"]!.scalar
    let dz = reference["dz_dt"]!.scalar
    // 10t⁴ − 8t agrees with dz/dt everywhere; a quadratic through (t₀, dz(t₀)) only at t₀.
    let quadratic = "(\(dz / (t * t))) t t"
    let label = Int(g.inputs(for: student)["label"]!.scalar)
    let forged: [(String, String)] = [
      ("dz_dt", quadratic), ("dz_dt", "\(dz) + 0 t"), ("dz_dt", "(\(dz)) t / (\(t))"),
      ("dCE_dtheta", "softmax(theta) - onehot(\(label))"),
      ("dCE_dtheta", "softmax(theta) - y + 0 theta"),
    ]
    for (item, formula) in forged {
      let r = gradeFormula("backprop-basics", item, formula, student: student)
      if formula.hasSuffix("0 theta") {
        #expect(r.status == .pass, "a correct formula plus nothing is correct: \(r.message)")
        continue
      }
      #expect(r.status != .pass && r.points == 0, "\(item) = \(formula): \(r.status) \(r.message)")
    }
  }
}
