import Digest
import Foundation
import Jacobians

/// The course's secret: 256 random bits from which every secret of a graded run is derived, so
/// that nobody without it — a student reading the grader's public source included — can compute
/// a hidden input set or the seed of the sampled numeric checks.
///
/// ```
/// key file   # comment lines (what the file is, how to keep it)
///            64 hexadecimal digits                                   (`grade key new`)
/// seed       HMAC-SHA256(key, purpose ‖ 0 ‖ assignment ‖ 0 ‖ student [‖ 0 ‖ k])[0..<8], big-endian
/// purposes   "hidden-inputs"  hidden input set k of a student        (`hiddenInputsSeed`)
///            "numeric-seed"   the directions and entries of the sampled numeric checks
///            "formula-points" random point k of a student's formulas        (`formulaPointSeed`)
/// ```
/// The messages are domain-separated (a purpose, then NUL-separated fields), so no two uses share
/// a seed. A student's own inputs do not use the key: they stay derivable from (assignment,
/// student) (`StudentVariant`), so that students can fetch them and check themselves.
///
/// A key file must be readable by its owner only (`chmod 600`), as ssh asks of a private key;
/// one that group or others may read is refused.
public struct CourseKey: Sendable, Equatable {
  /// The key's 32 bytes.
  public var bytes: [UInt8]

  /// Bytes in a key.
  public static let byteCount = 32

  /// The environment variable naming a key file when `--key-file` is not given.
  public static let environmentVariable = "GRADE_COURSE_KEY_FILE"

  public init(bytes: [UInt8]) throws(CourseKeyError) {
    guard bytes.count == Self.byteCount else { throw .wrongLength(file: nil, digits: 2 * bytes.count) }
    self.bytes = bytes
  }

  /// A new key: 32 bytes from the operating system's cryptographically secure generator
  /// (`SystemRandomNumberGenerator`: getrandom(2) on Linux, arc4random on Apple platforms).
  public static func generate() -> CourseKey {
    var rng = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    while bytes.count < byteCount {
      let word = rng.next()
      for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }
    return try! CourseKey(bytes: Array(bytes.prefix(byteCount)))
  }

  /// The text of a key file: comment lines, then the key in hexadecimal.
  public var fileText: String {
    """
    # GradientGrader course key: 256 random bits from which the hidden input sets and the other
    # secrets of graded runs are derived. Anyone who holds it can compute every hidden input set.
    # Keep it private and readable by you only (chmod 600); never commit it to a course repository.
    # The Gradescope autograder bundle carries a copy, so keep the bundle private as well.
    \(Hex.string(bytes))

    """
  }

  /// The key in `text` (a key file's contents): `#` comment lines and blank lines are skipped; the
  /// rest must be exactly 64 hexadecimal digits.
  public static func parse(_ text: String, file: String? = nil) throws(CourseKeyError) -> CourseKey {
    let digits = text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && !$0.hasPrefix("#") }
      .joined()
    guard !digits.isEmpty else { throw .empty(file: file) }
    guard let bytes = Hex.bytes(digits), !digits.contains(" ") else { throw .notHexadecimal(file: file) }
    guard bytes.count == byteCount else { throw .wrongLength(file: file, digits: digits.count) }
    return try CourseKey(bytes: bytes)
  }

  /// Reads the key file at `url`, refusing one that group or others may read or write.
  public static func load(_ url: URL) throws(CourseKeyError) -> CourseKey {
    let path = url.path
    var info = stat()
    guard stat(path, &info) == 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notAFile(file: path) }
    let mode = Int(info.st_mode & 0o777)
    guard mode & 0o077 == 0 else { throw .tooOpen(file: path, mode: mode) }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadable(file: path, reason: "permission denied")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw .notHexadecimal(file: path) }
    return try parse(text, file: path)
  }

  // MARK: Derived secrets

  /// The 64-bit seed of `purpose` for `fields`, domain-separated:
  /// HMAC-SHA256(key, purpose ‖ 0 ‖ field₁ ‖ 0 ‖ field₂ …), its first 8 bytes big-endian.
  public func seed(_ purpose: String, _ fields: [String]) -> UInt64 {
    var message = Array(purpose.utf8)
    for field in fields {
      message.append(0)
      message += Array(field.utf8)
    }
    return HMACSHA256.seed(key: bytes, message: message)
  }

  /// The seed of hidden input set `k` (0-based) of `student`: message "hidden-inputs\0<assignment>\0<student>\0<k>".
  public func hiddenInputsSeed(assignment: String, student: String, set k: Int) -> UInt64 {
    seed("hidden-inputs", [assignment, student, String(k)])
  }

  /// The seed of a student's sampled numeric checks: message "numeric-seed\0<assignment>\0<student>".
  public func numericSeed(assignment: String, student: String) -> UInt64 {
    seed("numeric-seed", [assignment, student])
  }

  /// The seed of random point `k` (0-based) at which `student`'s formulas are checked: message
  /// "formula-points\0<assignment>\0<student>\0<k>".
  public func formulaPointSeed(assignment: String, student: String, point k: Int) -> UInt64 {
    seed("formula-points", [assignment, student, String(k)])
  }

  /// Where the key of a command comes from: `--key-file`, else `GRADE_COURSE_KEY_FILE`; nil when
  /// neither is given.
  public static func locate(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    if let option { return URL(fileURLWithPath: option) }
    if let path = environment[environmentVariable], !path.isEmpty { return URL(fileURLWithPath: path) }
    return nil
  }
}

/// Why a course key cannot be used.
public enum CourseKeyError: Error, Sendable, Equatable, CustomStringConvertible {
  case unreadable(file: String, reason: String)
  case notAFile(file: String)
  case tooOpen(file: String, mode: Int)
  case empty(file: String?)
  case notHexadecimal(file: String?)
  case wrongLength(file: String?, digits: Int)

  public var description: String {
    func named(_ file: String?) -> String { file.map { "The key file \($0)" } ?? "The course key" }
    switch self {
    case .unreadable(let file, let reason):
      return "The key file \(file) cannot be read: \(reason). Create one with 'grade key new > course.key' (then chmod 600 course.key)."
    case .notAFile(let file):
      return "The key file \(file) is not a regular file; give the file 'grade key new' wrote."
    case .tooOpen(let file, let mode):
      return "The key file \(file) may be read by group or others (mode \(String(mode, radix: 8))); a course key must be private: run 'chmod 600 \(file)'."
    case .empty(let file):
      return "\(named(file)) holds no key; expected a line of 64 hexadecimal digits, as 'grade key new' writes."
    case .notHexadecimal(let file):
      return "\(named(file)) is not a course key: expected 64 hexadecimal digits (0-9, a-f) on one line, and # comment lines."
    case .wrongLength(let file, let digits):
      return "\(named(file)) has \(digits) hexadecimal digits; a course key has 64 (256 bits), as 'grade key new' writes."
    }
  }
}
