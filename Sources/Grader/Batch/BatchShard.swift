import Digest
import Foundation

/// One of N deterministic slices of a batch's roster, for grading a large class on many machines
/// (`grade batch … --shard i/N`; `grade merge` joins the slices).
///
/// ```
/// student s is in shard   UInt64(first 8 bytes of SHA-256(UTF-8 of s)) mod N
/// ```
/// A student's shard depends on their id alone, never on their position in the roster: adding
/// or removing other students moves nobody else, so a shard re-run after a late submission grades
/// the same students as before (plus the newcomer, in whichever shard it hashes to).
///
/// The index is 0-based (`0/7` … `6/7`), as Kubernetes' `JOB_COMPLETION_INDEX`. Given as
/// `auto/N` (or just `N`), it is read from the environment, the first that is set:
///
/// ```
/// JOB_COMPLETION_INDEX                        Kubernetes Indexed Job (completionMode: Indexed)
/// SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN  Slurm job array (--array=1-7 gives 0…6; MIN 0 if unset)
/// ```
/// (A GitHub Actions matrix names its index itself: `--shard ${{ matrix.shard }}/N`.)
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
  /// 0-based, below `count`.
  public var index: Int
  public var count: Int

  public init(index: Int, count: Int) throws(BatchShardError) {
    guard count >= 1, count <= Self.maximumCount else { throw .badCount(text: String(count)) }
    guard index >= 0, index < count else { throw .indexOutOfRange(index: index, count: count, source: "the shard index") }
    self.index = index
    self.count = count
  }

  public static let maximumCount = 100_000

  /// "3/7"
  public var description: String { "\(index)/\(count)" }

  /// The shard of `student` among `count`.
  public static func of(_ student: String, count: Int) -> Int {
    let digest = SHA256.hash(Array(student.utf8))
    let word = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return Int(word % UInt64(count))
  }

  public func contains(_ student: String) -> Bool { Self.of(student, count: count) == index }

  /// The environment variables an index is read from, in order.
  public static let indexVariables = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"]

  /// `--shard <spec>`: `i/N`, `auto/N` or `N` (the index from `environment`).
  public static func parse(_ spec: String, environment: [String: String]) throws(BatchShardError) -> BatchShard {
    let parts = spec.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count <= 2, let countText = parts.last, let count = Int(countText), count >= 1, count <= maximumCount else {
      throw .badSpec(spec)
    }
    if parts.count == 2 && parts[0] != "auto" {
      guard let index = Int(parts[0]) else { throw .badSpec(spec) }
      guard index >= 0, index < count else { throw .indexOutOfRange(index: index, count: count, source: "--shard \(spec)") }
      return try BatchShard(index: index, count: count)
    }
    if let text = environment["JOB_COMPLETION_INDEX"], !text.isEmpty {
      guard let index = Int(text) else { throw .badVariable(name: "JOB_COMPLETION_INDEX", value: text) }
      guard index >= 0, index < count else { throw .indexOutOfRange(index: index, count: count, source: "JOB_COMPLETION_INDEX=\(text)") }
      return try BatchShard(index: index, count: count)
    }
    if let text = environment["SLURM_ARRAY_TASK_ID"], !text.isEmpty {
      guard let id = Int(text) else { throw .badVariable(name: "SLURM_ARRAY_TASK_ID", value: text) }
      let minText = environment["SLURM_ARRAY_TASK_MIN"] ?? "0"
      guard let min = Int(minText.isEmpty ? "0" : minText) else { throw .badVariable(name: "SLURM_ARRAY_TASK_MIN", value: minText) }
      if let tasks = environment["SLURM_ARRAY_TASK_COUNT"], let n = Int(tasks), n != count {
        throw .countMismatch(variable: "SLURM_ARRAY_TASK_COUNT", value: n, count: count)
      }
      let index = id - min
      guard index >= 0, index < count else {
        throw .indexOutOfRange(index: index, count: count, source: "SLURM_ARRAY_TASK_ID=\(text) − SLURM_ARRAY_TASK_MIN=\(min)")
      }
      return try BatchShard(index: index, count: count)
    }
    throw .noIndex(count: count)
  }
}

/// Why a `--shard` cannot be used.
public enum BatchShardError: Error, Sendable, Equatable, CustomStringConvertible {
  case badSpec(String)
  case badCount(text: String)
  case badVariable(name: String, value: String)
  case indexOutOfRange(index: Int, count: Int, source: String)
  case countMismatch(variable: String, value: Int, count: Int)
  case noIndex(count: Int)

  public var description: String {
    switch self {
    case .badSpec(let spec):
      return "The value '\(spec)' is invalid for '--shard': expected i/N (0 ≤ i < N, e.g. 2/7), or auto/N to read i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID."
    case .badCount(let text):
      return "A batch cannot be cut into \(text) shards: expected a whole number from 1 to \(BatchShard.maximumCount)."
    case .badVariable(let name, let value):
      return "\(name) is '\(value)', expected a whole number."
    case .indexOutOfRange(let index, let count, let source):
      return "\(source) gives shard index \(index), but the shards of \(count) are numbered 0 to \(count - 1)."
    case .countMismatch(let variable, let value, let count):
      return "\(variable) is \(value), but --shard asks for \(count) shards: submit the array with as many tasks as shards."
    case .noIndex(let count):
      return "--shard auto/\(count) reads the shard index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a Slurm job array), and neither is set; give it as --shard i/\(count)."
    }
  }
}
