import Formulas
import Testing

@Suite struct NameSpellingTests {
  /// Spellings of one name find one declaration; different names stay different.
  @Test func spellingsFindTheirDeclaration() throws {
    let context = try FormulaContext(quantities: [
      .matrix("delta1", "H×1"), .matrix("delta2", "H×1"), .matrix("yhat", "V×1"), .matrix("W_h", "H×H"),
      .matrix("w_h", "H×1"), .matrix("theta", "C×1"), .matrix("x_bar", "H×1"),
    ], stepCount: nil)
    let table: [(String, String?)] = [
      ("δ1", "delta1"), ("delta_1", "delta1"), (#"\delta_1"#, "delta1"), (#"\delta_{1}"#, "delta1"), ("δ_1", "delta1"),
      ("δ2", "delta2"), ("ŷ", "yhat"), ("y_hat", "yhat"), (#"\hat{y}"#, "yhat"), (#"\hat y"#, "yhat"), ("y\u{0302}", "yhat"),
      ("W_h", "W_h"), (#"W_{h}"#, "W_h"), ("w_h", "w_h"), ("θ", "theta"), (#"\theta"#, "theta"), ("x̄", "x_bar"),
      (#"\bar{x}"#, "x_bar"), ("delta3", nil), ("W_hh", nil), ("Y_hat", nil),
    ]
    for (spelling, name) in table {
      #expect(context.quantity(named: spelling)?.name == name, "\(spelling)")
    }
  }

  @Test func suggestionsForSlips() throws {
    let context = try FormulaContext(quantities: [.matrix("W_h", "H×H"), .matrix("W_e", "H×d"), .matrix("delta1", "H×1")],
                                     stepCount: nil)
    let cases: [(String, String)] = [("W_hh", "W_h"), ("W_{hh}", "W_h"), ("detla1", "delta1"), ("Delta1", "delta1"), ("w_e", "W_e")]
    for (typo, suggestion) in cases {
      do {
        _ = try Formula(typo, in: context)
        Issue.record("`\(typo)` accepted")
      } catch {
        #expect(error.description.contains("did you mean `\(suggestion)`?"), "\(typo): \(error)")
      }
    }
  }
}
