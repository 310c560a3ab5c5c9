import Foundation

/// Why a submission of arrays cannot be read at all.
///
/// Problems with single items never land here: they become `ArrayEntry.unreadable` and the
/// other items are still graded. This error means nothing can be graded from the path given.
public enum SubmissionReadError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Nothing exists at the path.
  case notFound(path: String)
  /// The file exists but cannot be opened or read.
  case cannotOpen(file: String, reason: String)
  /// The file's extension is not one of the array formats.
  case unknownExtension(file: String)
  /// A `.json` submission that is not JSON, or not an object of arrays.
  case invalidJSON(file: String, problem: JSONArrayFormatError)
  /// An `.npz` whose ZIP directory is missing or damaged.
  case invalidArchive(file: String, problem: NpzFormatError)
  /// A `.safetensors` file whose header cannot be read.
  case invalidSafetensors(file: String, problem: SafetensorsFormatError)
  /// A folder without a single array file in it.
  case noArrayFiles(folder: String, otherFiles: [String])
  /// A folder whose array files are all wholly unreadable.
  case nothingReadable(folder: String, problems: [String])
  /// A file larger than `ArrayReadLimits.maximumFileBytes`, refused unread.
  case tooLarge(file: String, bytes: Int, limit: Int, rationale: String)
  /// A folder whose array files together pass `ArrayReadLimits.maximumFileBytes`, refused unread.
  case folderTooLarge(folder: String, bytes: Int, limit: Int, rationale: String)
  /// A folder of more array files than `ArrayReadLimits.maximumArrays`, refused unread.
  case tooManyFiles(folder: String, count: Int, limit: Int, rationale: String)
  /// A file of formulas (or a folder with only such files) that answers no item.
  case noFormulas(file: String, problems: [String])

  static let expectedFormats = "expected a .json, .npz, .safetensors or .npy file, or a folder of <item>.npy and <item>.json files"

  public var description: String {
    switch self {
    case .notFound(let path):
      return "\(path) does not exist; \(Self.expectedFormats)"
    case let .cannotOpen(file, reason):
      return "\(file) cannot be read: \(reason)"
    case .unknownExtension(let file):
      let ext = URL(fileURLWithPath: file).pathExtension
      return "\(file) has \(ext.isEmpty ? "no extension" : "the extension .\(ext)"), which is not an array format; \(Self.expectedFormats)"
    case let .invalidJSON(file, problem):
      return problem.sentence(about: file)
    case let .invalidArchive(file, problem):
      return problem.sentence(about: file)
    case let .invalidSafetensors(file, problem) where problem.isLimit:
      return "\(file) is refused: \(problem)"
    case let .invalidSafetensors(file, problem):
      return "\(file) is not a readable safetensors file: \(problem); expected an 8-byte header size, a JSON header and the tensor data"
    case let .noArrayFiles(folder, otherFiles):
      let found = otherFiles.isEmpty ? "it is empty" : "it holds only " + otherFiles.prefix(5).joined(separator: ", ") + (otherFiles.count > 5 ? ", …" : "")
      return "\(folder) holds no array files (\(found)); \(Self.expectedFormats)"
    case let .nothingReadable(folder, problems):
      return "no file in \(folder) can be read: " + problems.joined(separator: "; ")
    case let .tooLarge(file, bytes, limit, rationale):
      return "\(file) is \(bytes) bytes (\(ArrayReadLimits.describe(bytes: bytes))), more than \(limit) (\(ArrayReadLimits.describe(bytes: limit))), \(rationale); it was not read"
    case let .folderTooLarge(folder, bytes, limit, rationale):
      return "the array files of \(folder) hold \(ArrayReadLimits.describe(bytes: bytes)) together, more than \(ArrayReadLimits.describe(bytes: limit)), \(rationale); none was read"
    case let .tooManyFiles(folder, count, limit, rationale):
      return "\(folder) holds \(count) array files; expected at most \(limit), \(rationale); none was read"
    case let .noFormulas(file, problems):
      let first = problems.first.map { " (\($0))" } ?? ""
      return "\(file) answers no item: a file of formulas holds one `<item>: <formula>` line per item ('grade formulas <assignment>' lists the names a formula may use)\(first)"
    }
  }
}
