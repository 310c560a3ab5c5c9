/// Items that are derivatives of one objective along different parts of its point — ∂J/∂U,
/// ∂J/∂W_h, ∂J/∂E, … of one loss J — and so can be checked together: one line moves every
/// part at once, each along its item's own direction,
/// ```
/// φ(ε) = J(θ₁ + ε c₁, θ₂ + ε c₂, …)        φ′(0) = Σ_m ⟨item_m, c_m⟩
/// ```
/// so that one direction (4 evaluations of J) checks all of them instead of one each. The
/// directions c_m are drawn as for single items (`ProbeDirection.random`): the concatenation
/// (c₁, c₂, …) is itself such a direction, so what `NumericEstimator` says of detection holds
/// for the family as one item. Where the family's check fails, the grader checks its items one
/// by one to find which reference is wrong (`Autograder`).
public struct NumericProbeFamily {
  /// The objective's name, shared by the family's probes (`J`).
  public var name: String
  /// φ at each ε along the items' directions, by item name (items not given stay unmoved).
  public var line: ([String: ProbeDirection]) -> ([Double]) -> [Double]
  /// The work of one evaluation of φ and of the model's forward pass (as `NumericProbe`).
  public var work: Double
  public var forwardWork: Double

  public init(name: String, work: Double, forwardWork: Double, line: @escaping ([String: ProbeDirection]) -> ([Double]) -> [Double]) {
    self.name = name
    self.work = work
    self.forwardWork = forwardWork
    self.line = line
  }
}
