import Foundation

/// Files written whole or not at all: the contents go to a temporary file in the same folder,
/// which is then renamed over the destination (a rename within one file system is atomic), so
/// a reader — or a batch resumed after an interruption — never sees half a file.
public enum AtomicFile {
  /// Writes `data` to `url` through a temporary sibling and a rename, creating the folder.
  public static func write(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
    do {
      try data.write(to: temporary)
    } catch {
      // A full disk leaves half a file: it goes, and the error says why in a sentence.
      try? FileManager.default.removeItem(at: temporary)
      throw AtomicFileError(file: url.path, reason: SystemErrorText.reason(error))
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
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
