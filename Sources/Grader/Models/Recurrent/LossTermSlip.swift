/// Which loss terms J^(t) a recurrent model's gradients keep: all of them (the sum, or the mean,
/// over t = 1 … T), or, as a slip, only the last or only the first.
enum LossTermSlip: Hashable {
  case all, last, first

  /// The weight of each loss term J^(1) … J^(T) in the gradients: `weight` (1/T or 1) for a
  /// term kept, zero for a term left out.
  func weights(steps T: Int, weight: Double) -> [Double] {
    (1...T).map { t in
      switch self {
      case .all: return weight
      case .last: return t == T ? weight : 0
      case .first: return t == 1 ? weight : 0
      }
    }
  }
}
