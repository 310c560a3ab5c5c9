import Jacobians

/// The catalogue of `backprop-basics`, in the order it is tried.
///
/// ```
/// id                          items
/// row-column-swapped          the non-square matrix items (ds_dW, dJ_dwindow, dJ_dW_win, dL_dW_cls)
/// sign-flipped                dCE_dtheta, dL_dW_cls
/// activation-for-derivative   dh_dz … ds_dx, the window items
/// diagonal-softmax-jacobian   softmax_jacobian, dCE_dtheta, dL_dW_cls
/// bias-omitted                the scoring and window items
/// regularization-missing, l2-factor          dL_dW_cls
/// max-routed-wrong, branches-not-summed      graph_grad
/// chain-rule-one-path                        dz_dt
/// ```
/// `transposed` is not tried: dh_dz is diagonal and softmax_jacobian symmetric, where the
/// transpose is the correct answer; the other matrices are not square.
extension BackpropBasics {
  static let scoringItems: Set<String> = ["dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du"]
  static let windowItems: Set<String> = ["dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win"]

  func variants(_ c: MutantContext, _ mistake: BasicsMistake) -> [MutantVariant] {
    let v = MutantBasics.value(
      item: c.item.id, inputs: c.inputs, f: f, l2: l2, windowSize: size("window"), d: size("d"), mistake: mistake)
    return v.map { [MutantVariant(value: $0)] } ?? []
  }

  var basicsMistakes: MistakeCatalogue {
    let l2 = self.l2
    return MistakeCatalogue(mutants: [
      .rowColumnSwapped(items),
      Mutant(.signFlipped, items: ["dCE_dtheta", "dL_dW_cls"]) { self.variants($0, .signFlipped) },
      Mutant(.activationForDerivative, items: Self.scoringItems.subtracting(["ds_du"]).union(Self.windowItems)) {
        self.variants($0, .activationForDerivative)
      },
      Mutant(MistakeKind.diagonalSoftmaxJacobian.describing { c, v in
        c.item.id == "softmax_jacobian"
          ? "Your softmax_jacobian keeps only the diagonal ŷ_i(1 − ŷ_i): the off-diagonal −ŷ_i ŷ_j are missing, as if softmax acted entry by entry."
          : MistakeKind.diagonalSoftmaxJacobian.describe(c, v)
      }, items: ["softmax_jacobian", "dCE_dtheta", "dL_dW_cls"]) { self.variants($0, .diagonalSoftmaxJacobian) },
      Mutant(.biasOmitted, items: Self.scoringItems.union(Self.windowItems)) { self.variants($0, .biasOmitted) },
      Mutant(Self.regularizationMissing, items: ["dL_dW_cls"]) { self.variants($0, .regularizationMissing) },
      Mutant(Self.l2Factor(l2), items: ["dL_dW_cls"]) { self.variants($0, .otherL2Factor) },
      Mutant(Self.maxRoutedWrong, items: ["graph_grad"]) { self.variants($0, .maxRoutedWrong) },
      Mutant(Self.branchesNotSummed, items: ["graph_grad"]) { self.variants($0, .branchesNotSummed) },
      Mutant(Self.chainRuleOnePath, items: ["dz_dt"]) { self.variants($0, .chainRuleOnePath) },
    ])
  }

  static let regularizationMissing = MistakeKind(
    id: "regularization-missing", name: "the regularization term missing",
    hint: "L includes λ Σ W²: its gradient 2λW adds to the data gradient (1/N) Xᵀ(P − Y).",
    describe: { c, _ in "Your \(c.item.id) lacks the gradient of the regularization term: add 2λW_cls." })

  static func l2Factor(_ l2: L2Factor) -> MistakeKind {
    MistakeKind(
      id: "l2-factor", name: "the L2 factor ½ versus 1",
      hint: "The penalty λ Σ W² has gradient 2λW; ½λ Σ W² has gradient λW. Use the factor the assignment states.",
      describe: { c, _ in
        l2 == .half
          ? "Your \(c.item.id) uses 2λW_cls, the gradient of λΣW², for this assignment's ½λΣW² (gradient λW_cls)."
          : "Your \(c.item.id) uses λW_cls, the gradient of ½λΣW², for this assignment's λΣW² (gradient 2λW_cls)."
      })
  }

  static let maxRoutedWrong = MistakeKind(
    id: "max-routed-wrong", name: "the max gate routed to the wrong input",
    hint: "max routes the whole upstream gradient to the input that won (the larger one); the other gets 0.",
    describe: { _, _ in "Your graph_grad routes the max gate's gradient to the smaller of y and z: max(y, z) passes ∂f/∂b = a to the input that is larger." })

  static let branchesNotSummed = MistakeKind(
    id: "branches-not-summed", name: "a variable's branches not summed",
    hint: "y feeds both x + y and max(y, z): ∂f/∂y is the sum of the two branches, b + a·1(y ≥ z).",
    describe: { _, _ in "Your ∂f/∂y keeps only the branch through x + y: y is used twice, so its gradient sums the branch through max(y, z) as well." })

  static let chainRuleOnePath = MistakeKind(
    id: "chain-rule-one-path", name: "one path of the multivariable chain rule",
    hint: "dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt: z depends on t through x and through y.",
    describe: { _, _ in "Your dz_dt is only ∂z/∂x·dx/dt: the path through y = 2t, ∂z/∂y·dy/dt, is missing." })
}
