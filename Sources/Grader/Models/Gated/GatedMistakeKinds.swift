/// The mistakes both gated models can make, in the words of their gates: a derivative of the
/// wrong nonlinearity, a gate block of W_h transposed, and the carries of BPTT cut (the RNN-LM's
/// `only-current-step` and `truncated-bptt`, with the gated models' own hints).
///
/// ```
/// sigmoid-derivative-for-tanh-gate     y(1 − y) for the tanh gate (LSTM g, GRU n)
/// tanh-derivative-for-sigmoid-gates    1 − y² for the σ gates (LSTM i, f, o; GRU r, z)
/// transposed                           each H × H gate block of dW_h transposed
/// only-current-step, truncated-bptt    every carry cut after 1 or k steps
/// ```
/// Each model words them for its own gates with `describing(_:)`.
extension MistakeKind {
  static let sigmoidDerivativeForTanhGate = MistakeKind(
    id: "sigmoid-derivative-for-tanh-gate", name: "σ′ used for the tanh gate",
    hint: "The candidate is a tanh: its derivative is 1 − y², not the σ′ form y(1 − y) of the other gates.",
    describe: { c, _ in "Your \(c.item.id) differentiates the tanh gate with σ′ (y(1 − y)) instead of tanh′ = 1 − y²." })

  static let tanhDerivativeForSigmoidGates = MistakeKind(
    id: "tanh-derivative-for-sigmoid-gates", name: "tanh′ used for the σ gates",
    hint: "The gates are sigmoids: σ′(a) = σ(a)(1 − σ(a)) = y(1 − y), not 1 − y².",
    describe: { c, _ in "Your \(c.item.id) differentiates the σ gates with tanh′ (1 − y²) instead of σ′ = y(1 − y)." })

  /// `transposed`, for a stack of square gate blocks (W_h is the gates' H × H blocks stacked);
  /// `adjoint` names what W_h h^(t−1) feeds (`a` for the LSTM, `ah` for the GRU).
  static func gateBlocksTransposed(_ gates: String, adjoint: String) -> MistakeKind {
    MistakeKind.transposed.describing { c, _ in
      "Each H × H gate block (\(gates)) of your \(c.item.id) is transposed: a block of ∂\(c.loss)/∂W_h is Σ_t ∂\(c.loss)/∂\(adjoint)^(t) ⊗ h^(t−1) = δ h^(t−1)ᵀ, not h^(t−1) δᵀ."
    }
  }

  /// `only-current-step` for a gated cell: `carries` names what was not carried back.
  static func gatedOnlyCurrentStep(carries: String, hint: String) -> MistakeKind {
    var kind = MistakeKind.onlyCurrentStep.describing { c, _ in
      "Your \(c.item.id) keeps only the step t of each loss term \(c.loss)^(t): \(carries) \(carries.contains(" and ") ? "were" : "was") never propagated to step t − 1."
    }
    kind.hint = hint
    return kind
  }

  /// `truncated-bptt` for a gated cell.
  static let gatedTruncated: MistakeKind = {
    var kind = MistakeKind.truncated.describing { c, v in
      let k = Int(v?.parameter ?? 0)
      return "Your \(c.item.id) is truncated BPTT with k = \(k): each \(c.loss)^(t) is carried back through the steps t−\(k - 1) … t only, where full BPTT (every step back to 1) was asked."
    }
    kind.hint = "Full BPTT was asked: carry the gradient of every loss term back through every step, down to h^(0)."
    return kind
  }()
}
