import Jacobians

/// How an explanation is told: in the notes' terms, naming the step and what it needs.
///
/// ```
/// one slip, today's mistake   its own sentence and hint (`MistakeKind`)
/// one slip                    "Your dW_hh was computed with ∂E/∂h^(t−1) = W_hh ∂E/∂z^(t) where the
///                              derivation has ∂E/∂h^(t−1) = W_hhᵀ ∂E/∂z^(t): the carry needs W_hhᵀ."
/// two slips                   "Your … fits two slips made together: …; and …."
/// a tie                       "Two explanations fit your …, and the rest of your submission does
///                              not tell them apart: …; or …."
/// ```
enum SlipWording {
  /// "<wrong> instead of <formula> (<fix>)".
  static func clause(_ s: ExplainedSlip, _ c: MutantContext) -> String {
    let d = s.declared
    let wrong = d.slip.wrong(c, s.parameter ?? s.variant.parameter.map { Int($0) })
    let fix = d.slip.fix(c, s.parameter)
    let note = s.variant.note.map { " (\($0))" } ?? ""
    return "\(wrong)\(note) instead of \(d.step.formula) — \(fix)"
  }

  /// The sentence for one slip alone.
  static func sentence(_ s: ExplainedSlip, _ c: MutantContext) -> String {
    if let kind = s.declared.slip.mistake { return kind.describe(c, s.variant) }
    if let sentence = s.declared.slip.sentence { return sentence(c, s.variant) }
    let d = s.declared
    let note = s.variant.note.map { " (\($0))" } ?? ""
    return "Your \(c.item.id) was computed with \(d.slip.wrong(c, s.parameter))\(note) where the derivation has \(d.step.formula): \(d.slip.fix(c, s.parameter))."
  }

  static func hint(_ s: ExplainedSlip, _ c: MutantContext) -> String {
    if let kind = s.declared.slip.mistake { return kind.hint }
    return capitalized(s.declared.slip.fix(c, s.parameter)) + ": " + s.declared.step.formula + "."
  }

  static func describe(_ e: SlipExplanation, _ c: MutantContext) -> String {
    if e.slips.count == 1 { return clause(e.slips[0], c) }
    return "both " + e.slips.map { clause($0, c) }.joined(separator: ", and ")
  }

  /// The diagnosis of an item from the search's explanations (the first is the best).
  static func diagnosis(_ found: [SlipExplanation], _ c: MutantContext) -> Diagnosis? {
    guard let best = found.first else { return nil }
    let hints = best.slips.map { hint($0, c) }.joined(separator: " ")
    var message: String
    if found.count == 1 {
      if best.slips.count == 1 {
        message = sentence(best.slips[0], c)
      } else {
        message = "Your \(c.item.id) fits two slips made together: " + best.slips.map { clause($0, c) }.joined(separator: "; and ") + "."
      }
    } else {
      let number = found.count == 2 ? "Two" : (found.count == 3 ? "Three" : "\(found.count)")
      message = "\(number) explanations fit your \(c.item.id), and the rest of your submission does not tell them apart: "
        + found.map { describe($0, c) }.joined(separator: "; or ") + "."
    }
    var d = Diagnosis(id: best.id, message: message, hint: hints)
    if found.count > 1 { d.hint += " If that is not it, check the other explanation." }
    return d
  }

  static func capitalized(_ s: String) -> String {
    guard let first = s.first else { return s }
    return first.uppercased() + s.dropFirst()
  }
}
