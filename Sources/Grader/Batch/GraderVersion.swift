/// The grader's version, recorded in every batch result (`GradeProvenance`) so that `grade
/// regrade` re-runs the submissions a newer grader could grade differently.
///
/// A committed constant: SwiftPM runs no scripts at build time (only plugins could, and the
/// package has none), so `git describe` cannot be baked in. Raise it with every change to what
/// the grader concludes — a check, a tolerance rule, a diagnosis, a report's wording — in the
/// same commit; `grade --version` prints it.
public enum GraderVersion {
  public static let current = "1.0.0"
}
