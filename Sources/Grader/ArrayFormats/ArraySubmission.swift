import Foundation

/// The arrays a student handed in, by item id, each read or marked unreadable with a reason.
public struct ArraySubmission: Sendable, Equatable {
  /// The path that was read.
  public var source: String
  public var entries: [String: ArrayEntry]
  /// Where each item was found, for reports: `W_h.npy`, `grads.npz, member W_h.npy`.
  public var origins: [String: String]
  /// Files and archive members skipped because they hold no arrays (`README.txt`, `__metadata__`).
  public var ignored: [String]
  /// Sentences about files in a folder that could not be read at all while others could (an
  /// `.npz` with a damaged directory beside readable `.npy` files); their items are missing.
  public var fileProblems: [String]

  public init(source: String, entries: [String: ArrayEntry], origins: [String: String] = [:], ignored: [String] = [], fileProblems: [String] = []) {
    self.source = source
    self.entries = entries
    self.origins = origins
    self.ignored = ignored
    self.fileProblems = fileProblems
  }

  /// Item ids in sorted order.
  public var itemNames: [String] { entries.keys.sorted() }
}

/// Reads a submission of arrays from a file or a folder.
///
/// ```
/// submission.json          {"W_h": [[…]], "b_1": {"shape": […], "data": […]}, …}
/// submission.npz           np.savez / np.savez_compressed, member W_h.npy → item W_h
/// submission.safetensors   tensor W_h → item W_h
/// W_h.npy                  one item, named by the file stem
/// submission/              W_h.npy, b_1.json, … (one item each, by stem) and/or archives
/// ```
///
/// A `.json` file holding a single array (a list, a number or `{"shape", "data"}`) is one item
/// named by its stem; a `.json` object of arrays holds one item per key. Hidden files,
/// subfolders and files of other types in a folder are skipped (see `ignored`). An item found
/// in two files of a folder is unreadable, with both places named.
///
/// Reading is bounded by `ArrayReadLimits` (see there): a file's size is checked before it is
/// read (and only regular files are read, at most `maximumFileBytes` of them), a folder's array
/// files are counted and their sizes summed before any is read, and every reader holds each
/// array and the submission's total to the entry bounds before it allocates. `read(at:)` uses
/// `ArrayReadLimits.default`; the grader passes the limits of its assignment.
public enum ArraySubmissionReader {
  public static func read(at url: URL) throws(SubmissionReadError) -> ArraySubmission {
    try read(at: url, limits: .default)
  }

  /// Reads the arrays at `url`; in a folder, the files named in `skipping` (the formula files of
  /// the submission) are left out, unlisted.
  public static func read(at url: URL, limits: ArrayReadLimits, skipping: Set<String> = []) throws(SubmissionReadError) -> ArraySubmission {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw .notFound(path: url.path)
    }
    var budget = ArrayReadBudget(limits)
    if isDirectory.boolValue { return try readFolder(url, budget: &budget, skipping: skipping) }
    let file = url.lastPathComponent
    guard let kind = FileKind(url) else { throw .unknownExtension(file: file) }
    let data = try load(url, limit: limits.maximumFileBytes, limits: limits)
    var builder = Builder()
    switch read(data, kind: kind, file: file, stem: url.deletingPathExtension().lastPathComponent, budget: &budget) {
    case .success(let collection): builder.add(collection, file: file)
    case .failure(let error): throw error
    }
    return builder.submission(source: url.path)
  }

  enum FileKind {
    case npy, npz, safetensors, json

    init?(_ url: URL) {
      switch url.pathExtension.lowercased() {
      case "npy": self = .npy
      case "npz": self = .npz
      case "safetensors": self = .safetensors
      case "json": self = .json
      default: return nil
      }
    }
  }

  /// The size of the regular file at `url` (symbolic links followed), without reading it.
  private static func size(of url: URL) throws(SubmissionReadError) -> Int {
    var info = stat()
    guard stat(url.path, &info) == 0 else {
      throw .cannotOpen(file: url.lastPathComponent, reason: String(cString: strerror(errno)))
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw .cannotOpen(file: url.lastPathComponent, reason: "it is not a regular file (a device, a pipe or a socket)")
    }
    return Int(info.st_size)
  }

  /// The bytes of `url`, refused unread when its size passes `limit`; at most `limit` bytes are
  /// read even if the file grows meanwhile.
  private static func load(_ url: URL, limit: Int, limits: ArrayReadLimits) throws(SubmissionReadError) -> Data {
    let bytes = try size(of: url)
    guard bytes <= limit else {
      throw .tooLarge(file: url.lastPathComponent, bytes: bytes, limit: limits.maximumFileBytes, rationale: limits.rationale)
    }
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      let data = try handle.read(upToCount: limit + 1) ?? Data()
      guard data.count <= limit else {
        throw SubmissionReadError.tooLarge(file: url.lastPathComponent, bytes: data.count, limit: limits.maximumFileBytes, rationale: limits.rationale)
      }
      return data
    } catch let error as SubmissionReadError {
      throw error
    } catch {
      throw .cannotOpen(file: url.lastPathComponent, reason: (error as NSError).localizedDescription)
    }
  }

  /// The arrays of one file, or the whole-file error it would raise as a submission on its own.
  static func read(_ data: Data, kind: FileKind, file: String, stem: String, budget: inout ArrayReadBudget) -> Result<ArrayCollection, SubmissionReadError> {
    switch kind {
    case .npy:
      let entry: ArrayEntry
      do {
        entry = .tensor(try NpyFormat.read(data, budget: &budget))
      } catch {
        entry = .unreadable(error.description)
      }
      return .success(ArrayCollection(items: [ArrayItem(name: stem, location: "", entry: entry)]))
    case .npz:
      do {
        return .success(try NpzFormat.read(data, budget: &budget))
      } catch {
        return .failure(.invalidArchive(file: file, problem: error))
      }
    case .safetensors:
      do {
        return .success(try SafetensorsFormat.read(data, budget: &budget))
      } catch {
        return .failure(.invalidSafetensors(file: file, problem: error))
      }
    case .json:
      do {
        return .success(try JSONArrayFormat.read(data, singleItemName: stem, budget: &budget))
      } catch {
        return .failure(.invalidJSON(file: file, problem: error))
      }
    }
  }

  private static func readFolder(_ url: URL, budget: inout ArrayReadBudget, skipping: Set<String>) throws(SubmissionReadError) -> ArraySubmission {
    let folder = url.lastPathComponent + "/"
    let limits = budget.limits
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    } catch {
      throw .cannotOpen(file: folder, reason: (error as NSError).localizedDescription)
    }
    var builder = Builder()
    var problems: [String] = []
    var arrayFiles: [(url: URL, name: String, kind: FileKind)] = []
    for name in names where !name.hasPrefix(".") && !skipping.contains(name) {
      let child = url.appendingPathComponent(name)
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory)
      guard !isDirectory.boolValue, let kind = FileKind(child) else {
        builder.ignored.append(isDirectory.boolValue ? name + "/" : name)
        continue
      }
      arrayFiles.append((child, name, kind))
    }
    guard !arrayFiles.isEmpty else { throw .noArrayFiles(folder: folder, otherFiles: builder.ignored) }
    guard arrayFiles.count <= limits.maximumArrays else {
      throw .tooManyFiles(folder: folder, count: arrayFiles.count, limit: limits.maximumArrays, rationale: limits.rationale)
    }
    // Every size first: the folder is refused before anything is read if together they pass the bound.
    var sizes: [Int?] = []
    var total = 0
    for file in arrayFiles {
      do {
        let bytes = try size(of: file.url)
        sizes.append(bytes)
        total = ArrayReadLimits.sum(total, bytes)
      } catch {
        sizes.append(nil)
      }
    }
    guard total <= limits.maximumFileBytes else {
      throw .folderTooLarge(folder: folder, bytes: total, limit: limits.maximumFileBytes, rationale: limits.rationale)
    }
    var remaining = limits.maximumFileBytes
    for (file, bytes) in zip(arrayFiles, sizes) {
      do {
        let data = try load(file.url, limit: min(remaining, bytes ?? remaining), limits: limits)
        remaining -= data.count
        switch read(data, kind: file.kind, file: file.name, stem: file.url.deletingPathExtension().lastPathComponent, budget: &budget) {
        case .success(let collection): builder.add(collection, file: file.name)
        case .failure(let error): problems.append(error.description)
        }
      } catch {
        problems.append(error.description)
      }
    }
    if builder.entries.isEmpty && !problems.isEmpty { throw .nothingReadable(folder: folder, problems: problems) }
    var submission = builder.submission(source: url.path)
    submission.fileProblems = problems
    return submission
  }

  /// Collects items from one or more files, prefixing each problem with where it was found.
  private struct Builder {
    var entries: [String: ArrayEntry] = [:]
    var origins: [String: String] = [:]
    var ignored: [String] = []

    mutating func add(_ collection: ArrayCollection, file: String) {
      ignored += collection.ignored.map { "\(file), \($0)" }
      for item in collection.items {
        let origin = item.location.isEmpty ? file : "\(file), \(item.location)"
        if let earlier = origins[item.name] {
          entries[item.name] = .unreadable("\(item.name) is given twice, in \(earlier) and in \(origin); keep one")
          origins[item.name] = "\(earlier) and \(origin)"
          continue
        }
        origins[item.name] = origin
        switch item.entry {
        case .tensor: entries[item.name] = item.entry
        case .unreadable(let reason): entries[item.name] = .unreadable("\(origin): \(reason)")
        }
      }
    }

    func submission(source: String) -> ArraySubmission {
      ArraySubmission(source: source, entries: entries, origins: origins, ignored: ignored)
    }
  }
}
