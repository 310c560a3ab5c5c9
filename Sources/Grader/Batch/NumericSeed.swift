/// The seed of a student's sampled numeric checks in a batch: fixed per (assignment, student), so
/// grading the same submission again — or resuming an interrupted batch — gives the same result.
///
/// ```
/// seed = SplitMix64(FNV-1a-64("numeric-seed/<assignment>/<student>")).next()
/// ```
/// Distinct from the seed of the student's inputs (`StudentVariant`), which hashes
/// "<assignment>/<student>".
public enum BatchNumericSeed {
  public static func seed(assignment: String, student: String) -> UInt64 {
    var rng = StudentVariant.generator(assignment: "numeric-seed/\(assignment)", student: student)
    return rng.next()
  }
}
