import Formulas
import Jacobians
import Testing
import TestSupport

@Suite struct FormulaContextTests {
  /// Every spelling of a name reads the same quantity: Greek letters, LaTeX commands, accents,
  /// styles, underscores, Unicode subscripts, aliases.
  @Test(arguments: [
    ("delta1[2]", ["δ1[2]", "delta_1[2]", #"\delta_1^{(2)}"#, #"\delta_{1}^{(2)}"#, "δ_1^(2)", #"\boldsymbol{\delta}_1^{(2)}"#,
                   "δ₁[2]", #"\delta1[2]"#, "delta1_2", #"\delta_1^{2}"#]),
    ("yhat[2]", ["ŷ[2]", #"\hat{y}^{(2)}"#, #"\hat y_2"#, "y_hat[2]", #"\vec{\hat{y}}^{(2)}"#, "ŷ^(2)", #"\widehat{y}_{2}"#]),
    ("W_h h[0]", [#"W_{h} h^{(0)}"#, #"\mathbf{W}_h \mathbf{h}^{(0)}"#, "Wₕ h₀", #"\mathbf{W}_{h}\vec{h}_0"#, "W_h h_0", "W_h h0"]),
    ("dz[3]", ["dJdz[3]", "dz_3", #"dz^{(3)}"#, "dJdz_{3}"]),
  ])
  func spellingsOfANameAgree(reference: String, spellings: [String]) throws {
    let context = rnnContext()
    let point = RNNPoint(seed: 2)
    let expected = try Formula(reference, in: context).evaluate(at: point.bindings)
    for s in spellings {
      guard let f = parse(s, context), let v = evaluate(f, point.bindings) else { continue }
      #expect(v == expected, "`\(s)` differs from `\(reference)`")
    }
  }

  @Test func lookUpBySpelling() {
    let context = rnnContext()
    #expect(context.quantity(named: "δ1")?.name == "delta1")
    #expect(context.quantity(named: "\\hat{y}")?.name == "yhat")
    #expect(context.quantity(named: "ŷ")?.name == "yhat")
    #expect(context.quantity(named: "dJdz")?.name == "dz")
    #expect(context.quantity(named: "W_hh") == nil)
  }

  @Test(arguments: [
    ([QuantityDeclaration.matrix("delta1", "V×1"), .matrix("δ1", "V×1")], "the spelling `δ1` of `δ1` already names `delta1`"),
    ([.matrix("yhat", "V×1"), .matrix("p", "V×1", aliases: ["ŷ"])], "the spelling `ŷ` of `p` already names `yhat`"),
    ([.matrix("exp", "1×1")], "`exp` is a function or keyword"),
    ([.matrix("sigma", "1×1")], "`sigma` is a function or keyword"),
    ([.matrix("T", "1×1")], "`T` is a function or keyword"),
    ([.matrix("sum", "1×1")], "`sum` is a function or keyword"),
    ([.matrix("a b", "1×1")], "`a b` is not a valid quantity name"),
    ([.matrix("1x", "1×1")], "`1x` is not a valid quantity name"),
  ])
  func invalidDeclarationsAreRejected(_ quantities: [QuantityDeclaration], message: String) {
    do {
      _ = try FormulaContext(quantities: quantities)
      Issue.record("accepted \(quantities.map(\.name))")
    } catch {
      #expect(error.description.contains(message), "«\(error.description)» lacks «\(message)»")
    }
  }

  @Test func shapesParse() {
    #expect(SymbolicShape(parsing: "V×H") == SymbolicShape("V", "H"))
    #expect(SymbolicShape(parsing: "H x 1") == SymbolicShape("H", 1))
    #expect(SymbolicShape(parsing: "1*1") == .scalar)
    #expect(SymbolicShape(parsing: "idx×H") == SymbolicShape("idx", "H"))
    #expect(SymbolicShape(parsing: "H") == nil)
    #expect(SymbolicShape(parsing: "×H") == nil)
    #expect(SymbolicShape("V", "H").transposed.description == "H×V")
    #expect(StepRange(1, .T + 1).description == "1…T+1")
    #expect(StepRange(1, .T - 1).count(stepCount: 6) == 5)
  }

  /// Sizes are symbols: a product that works only because two symbols happen to be equal at a
  /// point is rejected (here d = H = 4 would make `W_e W_h` conform).
  @Test func symbolsNeverUnifyByValue() {
    let e = formulaError("W_e W_h") { () throws(FormulaError) in _ = try Formula("W_e W_h", in: rnnContext()) }
    #expect(e?.description.contains("(H×d)(H×H) — the inner sizes d and H differ") == true)
  }

  /// The text before `=` is kept and not checked.
  @Test func leftHandSideIsKept() throws {
    let f = try Formula(#"\frac{\partial J}{\partial U} = \frac{1}{T}\sum_t \delta_1^{(t)} {h^{(t)}}^\top"#, in: rnnContext())
    #expect(f.leftHandSide == #"\frac{\partial J}{\partial U}"#)
    #expect(f.shape == SymbolicShape("V", "H"))
    #expect(f.quantityNames == ["delta1", "h"])
  }
}
