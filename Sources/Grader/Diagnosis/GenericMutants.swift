import Jacobians

/// Mutants that need nothing but the reference value: a model lists them for the items where the
/// mistake can be made.
///
/// ```
/// transposed           each trailing square slice transposed      (square, non-symmetric items)
/// rowColumnSwapped     the transpose laid out by a reshape         (non-square matrix items)
/// gradientClipped      clamped at c, or scaled by 0 < α < 1        (fitted: c and α are unknown)
/// ```
extension Mutant {
  /// The item's square slices transposed (a 3-D stack: every slice).
  public static func transposed(_ kind: MistakeKind = .transposed, items: Set<String>) -> Mutant {
    Mutant(kind, items: items, produce: { c in
      let shape = c.item.shape
      let n = shape[shape.count - 1]
      var out = c.reference.scalars
      for base in stride(from: 0, to: out.count, by: n * n) {
        for i in 0..<n { for j in 0..<n { out[base + i * n + j] = c.reference.scalars[base + j * n + i] } }
      }
      return [MutantVariant(value: Tensor(shape: shape, scalars: out))]
    })
  }

  /// The row-form result (the transpose, n × m) laid out as m × n by a reshape. On a square item
  /// this *is* the transpose, so it applies to non-square matrix items only: `items` are the
  /// 2-D items of `quantities` with both sizes above 1 and different.
  public static func rowColumnSwapped(_ quantities: [ModelQuantity]) -> Mutant {
    let items = Set(quantities.filter { q in
      q.shape.count == 2 && q.shape[0] != q.shape[1] && q.shape[0] > 1 && q.shape[1] > 1
    }.map(\.name))
    return Mutant(.rowColumnSwapped, items: items, produce: { c in
      [MutantVariant(value: Tensor(shape: c.item.shape, scalars: c.reference.matrix.T.scalars))]
    })
  }

  /// Clipping changes the gradient after it is computed, with a threshold the grader does not
  /// know: fitted as entries clamped at c = max|submitted| (by value), or the whole item scaled
  /// by 0 < α < 1 (by norm). `produce` clamps at half the largest entry.
  public static func gradientClipped(items: Set<String>) -> Mutant {
    Mutant(.gradientClipped, items: items,
      produce: { c in
        let c0 = 0.5 * c.reference.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
        guard c0 > 0 else { return [] }
        return [MutantVariant(parameter: c0, value: Tensor(shape: c.item.shape, scalars: c.reference.scalars.map { Swift.min(Swift.max($0, -c0), c0) }))]
      },
      fit: { c, s, tol in
        let r = c.reference.scalars
        guard r.count > 1 else { return nil }
        // By value: c = max|s|, some reference entry beyond c, s = clamp(r, c).
        let bound = s.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
        if bound > 0, r.contains(where: { !(Swift.abs($0) <= bound + tol.bound(for: bound)) }) {
          let clamped = r.map { Swift.min(Swift.max($0, -bound), bound) }
          if EntryComparison.compare(submitted: s.scalars, expected: clamped, shape: c.item.shape, tolerance: tol).passed {
            return MutantVariant(parameter: bound, value: Tensor(shape: c.item.shape, scalars: clamped), note: "every entry clamped to ±\(Autograder.number(bound))")
          }
        }
        // By norm: s = α r with 0 < α < 1.
        let rr = r.reduce(0) { $0 + $1 * $1 }
        guard rr > 0 else { return nil }
        let alpha = zip(s.scalars, r).reduce(0) { $0 + $1.0 * $1.1 } / rr
        guard alpha > 0, alpha < 0.999 else { return nil }
        let scaled = r.map { alpha * $0 }
        if EntryComparison.compare(submitted: s.scalars, expected: scaled, shape: c.item.shape, tolerance: tol).passed {
          return MutantVariant(parameter: alpha, value: Tensor(shape: c.item.shape, scalars: scaled), note: "every entry scaled by \(Autograder.number(alpha)), as clipping by norm does")
        }
        return nil
      })
  }
}
