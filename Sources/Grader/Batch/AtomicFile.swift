import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files written whole or not at all: the contents go to a temporary file in the same folder,
/// which is then renamed over the destination (a rename within one file system is atomic), so
/// a reader — or a batch resumed after an interruption — never sees half a file.
public enum AtomicFile {
  /// Writes `data` to `url` through a temporary sibling and a rename, creating the folder.
  ///
  /// ```
  /// open(".<name>.<pid>.<uuid>.tmp", O_CREAT | O_EXCL, 0666 & ~umask) · write (one call for
  /// any file the kernel takes whole) · close · rename over <name>
  /// ```
  /// The folder is created only when the first attempt finds it missing.
  public static func write(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString).tmp", isDirectory: false).path
    var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    if descriptor < 0 && errno == ENOENT {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    }
    guard descriptor >= 0 else { throw AtomicFileError(file: url.path, reason: String(cString: strerror(errno))) }
    // A full disk leaves half a file: it goes, and the error says why in a sentence.
    var failure: Int32 = 0
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { failure = n < 0 ? errno : ENOSPC; return }
        offset += n
      }
    }
    if close(descriptor) != 0 && failure == 0 && errno != EINTR { failure = errno }
    if failure != 0 {
      unlink(temporary)
      throw AtomicFileError(file: url.path, reason: String(cString: strerror(failure)))
    }
    if rename(temporary, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw AtomicFileError(file: url.path, reason: reason)
    }
  }

  /// Writes `text` as UTF-8.
  public static func write(_ text: String, to url: URL) throws {
    try write(Data(text.utf8), to: url)
  }
}

/// A file that could not be put in place.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
  public var file: String
  public var reason: String
  public var description: String { "Could not write \(file): \(reason)." }
}
