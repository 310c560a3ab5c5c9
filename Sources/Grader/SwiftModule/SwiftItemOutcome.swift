/// What one item of a Swift submission produced.
///
/// - `value`: the function returned an array (or a `Double`); its shape is whatever the student
///   returned, unchecked, and NaN or ±Inf entries are kept for the grader to fail.
/// - `missing`: the function returned `nil` (the starter's unanswered state), with a sentence.
/// - `failed`: the item produced no value; the sentence says what happened, e.g.
///   "crashed with SIGILL (fatalError or a runtime trap): Solution.swift:42: Fatal error: boom".
public enum SwiftItemOutcome: Sendable, Equatable, CustomStringConvertible {
  case value(Tensor)
  case missing(String)
  case failed(String)

  public var tensor: Tensor? {
    if case .value(let t) = self { return t }
    return nil
  }

  public var description: String {
    switch self {
    case .value(let t): return "value \(t.shapeDescription)"
    case .missing(let why): return "missing: \(why)"
    case .failed(let why): return "failed: \(why)"
    }
  }
}

/// Everything one run of a Swift submission produced.
public struct SwiftModuleRun: Sendable {
  /// The isolation actually used, e.g. "bubblewrap" or "rlimits (chroot, unprivileged uid)".
  public var isolationUsed: String
  /// Compiler errors as `Solution.swift:12:5: error: …`; empty when the submission compiled.
  public var compileErrors: [String]
  /// One outcome per requested item id.
  public var outcomes: [String: SwiftItemOutcome]
  public var compileSeconds: Double
  /// Wall-clock seconds from the first item's start to the last item's end.
  public var runSeconds: Double
  /// Sentences about the run itself, e.g. which submitted files were replaced by the starter's.
  public var notes: [String]
  /// Why items could not be run for a reason of the grader's, not the submission's (the
  /// sandbox could not be prepared or started, the disk is full): the run says nothing about the
  /// submission, which must not be graded on it.
  public var infrastructureError: String?
  /// The uid each item ran under (tests look for processes it left).
  var itemUIDs: [String: UInt32] = [:]

  public init(
    isolationUsed: String, compileErrors: [String], outcomes: [String: SwiftItemOutcome],
    compileSeconds: Double, runSeconds: Double, notes: [String] = []
  ) {
    self.isolationUsed = isolationUsed
    self.compileErrors = compileErrors
    self.outcomes = outcomes
    self.compileSeconds = compileSeconds
    self.runSeconds = runSeconds
    self.notes = notes
  }
}
