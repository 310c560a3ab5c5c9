import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files of a Python submission, read before anything runs: `solution.py` (one `.py` file, or
/// the `solution.py` of a folder) and the folder's other top-level `.py` files, the modules
/// `solution.py` may import.
///
/// ```
/// each file    a regular file opened with O_NOFOLLOW (a symbolic link is not followed), at most
///              1 MiB; at most 32 files and 4 MiB together
/// each name    a Python identifier, not the name of a standard-library module or an allowed
///              package (a `numpy.py` would hide NumPy): such a file is left out, with a note
/// ```
/// A single `.py` file of any name (`alice.py` in a batch) is the student's `solution.py`. The
/// files are copied into the sandbox; the student's folder is never bound into it.
struct PythonSubmissionFiles {
  /// File name → contents; `solution.py` always among them.
  var files: [(name: String, contents: Data)]
  /// Sentences about files left out or renamed.
  var notes: [String]

  static let moduleName = "solution"
  static let solutionFileName = "solution.py"
  static let maximumFileBytes = 1 << 20
  static let maximumFiles = 32
  static let maximumTotalBytes = 4 << 20

  /// Reads the submission at `url`; `reserved` are the module names a file may not take.
  static func read(_ url: URL, reserved: Set<String>) throws(PythonSubmissionError) -> PythonSubmissionFiles {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw .notFound(path: url.path)
    }
    if !isDirectory.boolValue {
      let contents = try readFile(url)
      let notes = url.lastPathComponent == solutionFileName ? [] : ["\(url.lastPathComponent) was run as \(solutionFileName)."]
      return PythonSubmissionFiles(files: [(solutionFileName, contents)], notes: notes)
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".py") }.sorted()
    guard names.contains(solutionFileName) else { throw .noSolution(folder: url.path) }
    var files: [(String, Data)] = [(solutionFileName, try readFile(url.appendingPathComponent(solutionFileName)))]
    var notes: [String] = []
    var total = files[0].1.count
    for name in names where name != solutionFileName {
      let module = String(name.dropLast(3))
      guard isIdentifier(module) else {
        notes.append("\(name) was not used: its name is not a Python module name.")
        continue
      }
      guard !reserved.contains(module) else {
        notes.append("\(name) was not used: it would hide the module \(module) of Python or of an allowed package.")
        continue
      }
      guard files.count < maximumFiles else {
        notes.append("\(name) was not used: a submission holds at most \(maximumFiles) .py files.")
        continue
      }
      let contents: Data
      do {
        contents = try readFile(url.appendingPathComponent(name))
      } catch {
        notes.append("\(name) was not used: \(error.reason).")
        continue
      }
      total += contents.count
      guard total <= maximumTotalBytes else { throw .tooLarge(file: url.path, bytes: total, limit: maximumTotalBytes) }
      files.append((name, contents))
    }
    return PythonSubmissionFiles(files: files, notes: notes)
  }

  /// The file's bytes, refusing a symbolic link, anything but a regular file, and a large file.
  static func readFile(_ url: URL) throws(PythonSubmissionError) -> Data {
    let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      if errno == ELOOP { throw .notRegular(file: url.path, what: "a symbolic link") }
      throw .cannotOpen(file: url.path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .cannotOpen(file: url.path, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegular(file: url.path, what: "not a regular file") }
    guard Int(info.st_size) <= maximumFileBytes else {
      throw .tooLarge(file: url.path, bytes: Int(info.st_size), limit: maximumFileBytes)
    }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = Glibc.read(fd, &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw .cannotOpen(file: url.path, reason: String(cString: strerror(errno))) }
      if n == 0 { break }
      data.append(contentsOf: buffer[0..<n])
      guard data.count <= maximumFileBytes else { throw .tooLarge(file: url.path, bytes: data.count, limit: maximumFileBytes) }
    }
    return data
  }

  /// Python's keywords, which no module, function or parameter can be named.
  static let keywords: Set<String> = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
  ]

  /// True for an ASCII Python identifier that is not a keyword.
  static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
    let ok = name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    return ok && !keywords.contains(name)
  }
}

/// Why a Python submission cannot be read at all.
public enum PythonSubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
  case notFound(path: String)
  case noSolution(folder: String)
  case cannotOpen(file: String, reason: String)
  case notRegular(file: String, what: String)
  case tooLarge(file: String, bytes: Int, limit: Int)

  /// The reason alone, for a note about one file.
  var reason: String {
    switch self {
    case .notFound: return "it does not exist"
    case .noSolution: return "it holds no solution.py"
    case .cannotOpen(_, let reason): return "it cannot be read (\(reason))"
    case .notRegular(_, let what): return "it is \(what)"
    case let .tooLarge(_, bytes, limit): return "it holds \(bytes) bytes, more than \(limit)"
    }
  }

  public var description: String {
    switch self {
    case .notFound(let path):
      return "\(path) does not exist; expected a solution.py, or a folder holding one"
    case .noSolution(let folder):
      return "\(folder) holds no solution.py; a Python submission is solution.py (from the assignment's starter-python/), with any modules it imports beside it"
    case let .cannotOpen(file, reason):
      return "\(file) cannot be read: \(reason)"
    case let .notRegular(file, what):
      return "\(file) is \(what); submit the file itself"
    case let .tooLarge(file, bytes, limit):
      return "\(file) holds \(bytes) bytes, more than the \(limit) a Python submission may hold; it was not read"
    }
  }
}
