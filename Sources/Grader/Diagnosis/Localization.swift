import Jacobians

/// Where a slip no explanation matches lies, from what the submission shows.
///
/// ```
/// across items   the items that agree share steps that are right: the first step (in the
///                derivation's order) with a slip that would change the failing item and no
///                agreeing item is where to look
/// along terms    an item that is a sum over steps (∂J/∂W_h = Σ_i ∂J/∂W_h|_(i)) compared with the
///                partial sums of its terms, and fitted as Σ_i c_i · term_i: which terms it
///                holds, which it lacks, which it weights wrongly — or that the terms themselves
///                differ
/// ```
enum Localization {
  static func list(_ names: [String]) -> String {
    switch names.count {
    case 0: return ""
    case 1: return names[0]
    default: return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
  }

  /// The sentence for the items that agree, or nil without other items.
  static func acrossItems(_ r: DiagnosisRequest, derivation: Derivation) -> String? {
    guard !r.others.isEmpty else { return nil }
    let agreeing = r.others.filter(\.agrees).map(\.spec.id)
    let failing = r.others.filter { !$0.agrees }.map(\.spec.id)
    let agreeSet = Set(agreeing)
    var out: String
    if agreeing.isEmpty {
      out = "None of your other items agrees with the reference either."
    } else {
      out = "Your \(list(agreeing)) \(agreeing.count == 1 ? "agrees" : "agree") with the reference"
      out += failing.isEmpty ? ", so only \(r.item.id) goes wrong." : "; \(list(failing)) \(failing.count == 1 ? "does" : "do") not."
    }
    guard !agreeing.isEmpty else { return out }
    // A step is suspect when one of its slips would change this item and none of those that agree.
    let suspects = derivation.steps.filter { step in
      step.slips.contains { slip in
        let items = step.items(of: slip)
        return items.contains(r.item.id) && items.isDisjoint(with: agreeSet)
      }
    }
    if let first = suspects.first {
      out += " The first step your \(r.item.id) goes through that no agreeing item does is \(first.formula)."
    } else {
      out += " Every step your \(r.item.id) goes through is shared with an item that agrees: look at how \(r.item.id) itself is put together."
    }
    return out
  }

  /// The sentence for an item that is a sum of `terms`, or nil when it says nothing useful.
  static func alongTerms(_ item: ItemSpec, submitted: Tensor, terms: StepTerms, tolerance: Tolerance) -> String? {
    let K = terms.terms.count
    guard K >= 2, terms.terms.allSatisfy({ $0.count == submitted.count }) else { return nil }
    let n = submitted.count
    let s = terms.symbol
    // Partial sums, each from the one before (O(K n), not O(K² n)): the loop stopped early
    // (from K back) or late (from 1 on).
    var partial = [Double](repeating: 0, count: n)
    func add(_ k: Int) { terms.terms[k - 1].scalars.withUnsafeBufferPointer { t in for e in 0..<n { partial[e] += t[e] } } }
    add(K)
    for j in stride(from: K, through: 2, by: -1) {
      if j < K { add(j) }
      if SlipSearch.matches(submitted, Tensor(shape: submitted.shape, scalars: partial), tolerance) {
        return "Your \(item.id) equals Σ over \(s) = \(j) … \(K) of \(terms.name): the terms \(s) = 1 … \(j - 1) are missing (going back from \(s) = \(K), your sum stops after \(s) = \(j))."
      }
    }
    partial = [Double](repeating: 0, count: n)
    for j in 1..<K {
      add(j)
      if SlipSearch.matches(submitted, Tensor(shape: submitted.shape, scalars: partial), tolerance) {
        return "Your \(item.id) equals Σ over \(s) = 1 … \(j) of \(terms.name): the terms \(s) = \(j + 1) … \(K) are missing."
      }
    }
    // Σ_k c_k term_k by least squares over a sample of entries.
    let sample = SlipSearch.sampleIndices(count: n, size: 2048)
    guard sample.count >= 2 * K else { return nil }
    var gram = [[Double]](repeating: [Double](repeating: 0, count: K), count: K)
    var rhs = [Double](repeating: 0, count: K)
    for a in 0..<K {
      for b in a..<K {
        var g = 0.0
        for e in sample { g += terms.terms[a].scalars[e] * terms.terms[b].scalars[e] }
        gram[a][b] = g
        gram[b][a] = g
      }
      for e in sample { rhs[a] += terms.terms[a].scalars[e] * submitted.scalars[e] }
    }
    guard let c = solve(gram, rhs) else { return nil }
    var fit = [Double](repeating: 0, count: n)
    for k in 0..<K { for e in 0..<n { fit[e] += c[k] * terms.terms[k].scalars[e] } }
    let fitted = Tensor(shape: submitted.shape, scalars: fit)
    guard SlipSearch.matches(submitted, fitted, tolerance.widened(to: Tolerance(relative: 1e-6, absolute: 1e-9))) else {
      return "Your \(item.id) is not a weighted sum of the terms \(terms.name): the terms themselves differ, not only how they are added up."
    }
    let off = (1...K).reversed().filter { !(Swift.abs(c[$0 - 1] - 1) <= 1e-4) }
    guard let first = off.first else { return nil }
    let weights = off.prefix(4).map { "\(s) = \($0): \(Autograder.number(c[$0 - 1]))" }.joined(separator: ", ")
    return "Your \(item.id) is Σ_\(s) c_\(s) · \(terms.name) with weights c_\(s) ≠ 1: going back from \(s) = \(K), the terms agree down to \(s) = \(first + 1) and first differ at \(s) = \(first) (\(weights)\(off.count > 4 ? ", …" : ""))."
  }

  /// The solution of the square system `a x = b` by Gaussian elimination with partial pivoting;
  /// nil when it is singular.
  static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
    var m = a, v = b
    let n = b.count
    let scale = a.flatMap { $0 }.map(Swift.abs).max() ?? 0
    guard scale > 0 else { return nil }
    for col in 0..<n {
      let pivot = (col..<n).max { Swift.abs(m[$0][col]) < Swift.abs(m[$1][col]) }!
      guard Swift.abs(m[pivot][col]) > 1e-12 * scale else { return nil }
      m.swapAt(col, pivot)
      v.swapAt(col, pivot)
      for row in (col + 1)..<n {
        let f = m[row][col] / m[col][col]
        if f == 0 { continue }
        for k in col..<n { m[row][k] -= f * m[col][k] }
        v[row] -= f * v[col]
      }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
      var s = v[row]
      for k in (row + 1)..<n { s -= m[row][k] * x[k] }
      x[row] = s / m[row][row]
    }
    return x
  }
}
