/// The seed of a student's sampled numeric checks in a batch: fixed per (assignment, student), so
/// grading the same submission again — or resuming an interrupted batch — gives the same result.
///
/// ```
/// with the course key   CourseKey.numericSeed: HMAC-SHA256(key, "numeric-seed\0<assignment>\0<student>")
/// without (--self-check) SplitMix64(FNV-1a-64("numeric-seed/<assignment>/<student>")).next()
/// ```
/// With the key nobody else can compute it, so a submission cannot be tuned to the probes; the
/// practice seed without it is public, which a self-check can afford. Either is distinct from the
/// seed of the student's inputs (`StudentVariant`), which hashes "<assignment>/<student>".
public enum BatchNumericSeed {
  public static func seed(assignment: String, student: String, key: CourseKey? = nil) -> UInt64 {
    if let key { return key.numericSeed(assignment: assignment, student: student) }
    var rng = StudentVariant.generator(assignment: "numeric-seed/\(assignment)", student: student)
    return rng.next()
  }
}
