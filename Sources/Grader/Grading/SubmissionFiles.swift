import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The entries of a submission as the grader may read them: regular files and folders inside
/// the submission, never a symbolic link that leaves it, a FIFO, a device or a socket.
///
/// ```
/// alice/Solution.swift                     a regular file                 read
/// alice/Helpers.swift → lib/Helpers.swift  a link resolving inside alice  read (the file it names)
/// alice/Solution.swift → ../bob/…          a link leaving alice           refused, naming both
/// alice/answers.json   (a FIFO, /dev/zero, a socket)                       refused, naming the kind
/// ```
/// `check` walks the whole submission (links are resolved, never walked into; at most
/// `maximumEntries` entries, 32 levels deep) before anything of it is read, so a student's
/// folder cannot make the grader read another student's file, hang on a pipe or stream a
/// device. `read` is how a file is then read: the link resolved and checked again, the target
/// opened with O_NOFOLLOW | O_NONBLOCK, then `fstat` must show a regular file of at most
/// `limit` bytes before a byte is read.
///
/// The submission itself (`root`) may be a link, e.g. `grade check a latest/` naming the folder
/// the instructor chose; what counts as inside is the folder it resolves to.
public enum SubmissionFiles {
  public static let maximumEntries = 10_000

  /// Refuses the submission at `root` if any entry in it is not a regular file or folder inside
  /// it.
  public static func check(_ root: URL) throws(SubmissionEntryError) {
    let base = try resolvedRoot(root)
    var info = stat()
    guard stat(base, &info) == 0 else { throw .cannotRead(entry: root.lastPathComponent, reason: String(cString: strerror(errno))) }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      var count = 0
      try walk(base, relative: "", base: base, depth: 0, count: &count)
    } else {
      try requireRegularOrFolder(info, entry: root.lastPathComponent)
    }
  }

  /// The bytes of `url`, an entry of the submission at `root`: the regular file it names inside
  /// the submission, of at most `limit` bytes.
  public static func read(_ url: URL, root: URL, limit: Int) throws(SubmissionEntryError) -> Data {
    let base = try resolvedRoot(root)
    let entry = relativeName(url.path, root: root.path)
    let target = try resolveInside(url.path, entry: entry, base: base)
    let fd = open(target, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw .cannotRead(entry: entry, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .cannotRead(entry: entry, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(entry: entry, kind: kind(of: info.st_mode)) }
    guard Int(info.st_size) <= limit else { throw .tooLarge(entry: entry, bytes: Int(info.st_size), limit: limit) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = Glibc.read(fd, &buffer, buffer.count)
      if n > 0 {
        data.append(contentsOf: buffer[0..<n])
        if data.count > limit { throw .tooLarge(entry: entry, bytes: data.count, limit: limit) }
      } else if n == 0 {
        return data
      } else if errno != EINTR {
        throw .cannotRead(entry: entry, reason: String(cString: strerror(errno)))
      }
    }
  }

  // MARK: Walking

  private static func resolvedRoot(_ root: URL) throws(SubmissionEntryError) -> String {
    guard let resolved = realpath(root.path, nil) else {
      throw .cannotRead(entry: root.lastPathComponent, reason: String(cString: strerror(errno)))
    }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  private static func walk(_ path: String, relative: String, base: String, depth: Int, count: inout Int) throws(SubmissionEntryError) {
    guard depth < 32 else { throw .tooDeep(entry: relative) }
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
      throw .cannotRead(entry: relative.isEmpty ? "the submission folder" : relative, reason: "it cannot be listed")
    }
    for name in names {
      count += 1
      guard count <= maximumEntries else { throw .tooManyEntries(limit: maximumEntries) }
      let child = path + "/" + name
      let entry = relative.isEmpty ? name : relative + "/" + name
      var info = stat()
      guard lstat(child, &info) == 0 else { throw .cannotRead(entry: entry, reason: String(cString: strerror(errno))) }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        try walk(child, relative: entry, base: base, depth: depth + 1, count: &count)
      case S_IFLNK:
        let target = try resolveInside(child, entry: entry, base: base)
        var resolved = stat()
        guard stat(target, &resolved) == 0 else { throw .cannotRead(entry: entry, reason: String(cString: strerror(errno))) }
        try requireRegularOrFolder(resolved, entry: entry)
      default:
        try requireRegularOrFolder(info, entry: entry)
      }
    }
  }

  /// The real path `path` names, which must lie inside `base`.
  private static func resolveInside(_ path: String, entry: String, base: String) throws(SubmissionEntryError) -> String {
    guard let resolved = realpath(path, nil) else {
      var info = stat()
      if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
        throw .danglingLink(entry: entry, target: (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
      }
      throw .cannotRead(entry: entry, reason: String(cString: strerror(errno)))
    }
    defer { free(resolved) }
    let target = String(cString: resolved)
    guard target == base || target.hasPrefix(base == "/" ? "/" : base + "/") else {
      throw .linkLeavesSubmission(entry: entry, target: target)
    }
    return target
  }

  private static func requireRegularOrFolder(_ info: stat, entry: String) throws(SubmissionEntryError) {
    let type = info.st_mode & S_IFMT
    guard type == S_IFREG || type == S_IFDIR else { throw .notARegularFile(entry: entry, kind: kind(of: info.st_mode)) }
  }

  private static func kind(of mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFDIR: return "a folder"
    case S_IFLNK: return "a symbolic link"
    default: return "not a regular file"
    }
  }

  /// `path` relative to `root`, for messages (`Solution.swift`, `lib/Helpers.swift`).
  static func relativeName(_ path: String, root: String) -> String {
    let prefix = root.hasSuffix("/") ? root : root + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : (path as NSString).lastPathComponent
  }
}

/// Why a submission's files cannot be read: an entry that is not the student's own regular file.
public enum SubmissionEntryError: Error, Sendable, Equatable, CustomStringConvertible {
  case linkLeavesSubmission(entry: String, target: String)
  case danglingLink(entry: String, target: String)
  case notARegularFile(entry: String, kind: String)
  case tooLarge(entry: String, bytes: Int, limit: Int)
  case tooManyEntries(limit: Int)
  case tooDeep(entry: String)
  case cannotRead(entry: String, reason: String)

  public var description: String {
    switch self {
    case .linkLeavesSubmission(let entry, let target):
      return "\(entry) is a symbolic link to \(target), outside the submission; a submission may hold only its own files."
    case .danglingLink(let entry, let target):
      return "\(entry) is a symbolic link to \(target), which does not exist."
    case .notARegularFile(let entry, let kind):
      return "\(entry) is \(kind), not a regular file; a submission may hold only regular files and folders."
    case .tooLarge(let entry, let bytes, let limit):
      return "\(entry) holds \(bytes) bytes; a submitted source file may hold at most \(limit)."
    case .tooManyEntries(let limit):
      return "The submission holds more than \(limit) files and folders."
    case .tooDeep(let entry):
      return "The submission's folders are nested more than 32 deep (at \(entry))."
    case .cannotRead(let entry, let reason):
      return "\(entry) cannot be read: \(reason)."
    }
  }
}
