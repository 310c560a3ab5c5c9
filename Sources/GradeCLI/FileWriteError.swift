import Foundation
import Grader

/// A file or folder a command could not write, as a sentence naming the path and the reason:
///
/// ```
/// "Could not write /nonexistent/dir/r.json: its folder /nonexistent/dir does not exist and cannot be created (Permission denied)."
/// "Could not write /root/r.json: permission denied."
/// "Could not write out/report.html: the disk is full (No space left on device)."
/// "Could not write inputs.npz: it is a folder."
/// ```
/// Every command that writes a file given on its command line (`--out`) goes through `writing`.
struct FileWriteError: Error, CustomStringConvertible {
  var path: String
  var reason: Error

  /// Runs `body`, which writes `path`; an error of the file system becomes a `FileWriteError`
  /// naming `path` (the grader's own errors, already sentences, pass through).
  static func writing<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as FileWriteError { throw error } catch {
      if case ArrayWriteError.cannotWrite(let file, _)? = error as? ArrayWriteError { throw FileWriteError(path: file, reason: error) }
      guard error is AtomicFileError || SystemErrorText.isSystemError(error) else { throw error }
      throw FileWriteError(path: path, reason: error)
    }
  }

  var description: String {
    var text = why
    while text.hasSuffix(".") { text.removeLast() }
    return "Could not write \(path): \(text)."
  }

  private var why: String {
    let folder = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      return "it is a folder"
    }
    if let file = Self.fileOnPath(folder) {
      return "\(file) is a file, not a folder"
    }
    if !folder.isEmpty, let missing = Self.firstMissing(folder) {
      let system = Self.systemReason(reason).map { " (\($0))" } ?? ""
      return missing == folder
        ? "its folder \(folder) does not exist and cannot be created\(system)"
        : "its folder \(folder) does not exist and cannot be created: \(missing) is missing\(system)"
    }
    let cocoa = reason as NSError
    if SystemErrorText.isDiskFull(reason) || (reason as? AtomicFileError)?.reason == String(cString: strerror(ENOSPC)) {
      return "the disk is full (\(String(cString: strerror(ENOSPC))))"
    }
    if let atomic = reason as? AtomicFileError { return atomic.reason }
    if cocoa.domain == NSCocoaErrorDomain && cocoa.code == NSFileWriteNoPermissionError { return "permission denied" }
    if let system = Self.systemReason(reason) { return system }
    return cocoa.localizedFailureReason ?? "the system refused it (\(cocoa.domain) \(cocoa.code))"
  }

  /// The first component of `folder`'s path that exists and is not a folder.
  private static func fileOnPath(_ folder: String) -> String? {
    var prefix = folder.hasPrefix("/") ? "" : "."
    for component in folder.split(separator: "/") {
      prefix += "/" + component
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory) else { return nil }
      if !isDirectory.boolValue { return folder.hasPrefix("/") ? prefix : String(prefix.dropFirst(2)) }
    }
    return nil
  }

  /// The outermost folder of `folder`'s path that does not exist; nil when `folder` exists.
  private static func firstMissing(_ folder: String) -> String? {
    guard !FileManager.default.fileExists(atPath: folder) else { return nil }
    var missing = folder
    var parent = (folder as NSString).deletingLastPathComponent
    while !parent.isEmpty && parent != missing && !FileManager.default.fileExists(atPath: parent) {
      missing = parent
      parent = (parent as NSString).deletingLastPathComponent
    }
    return missing
  }

  /// The C library's reason (`Permission denied`), when the error carries one.
  private static func systemReason(_ error: Error) -> String? {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey].flatMap({ $0 as? Error }).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    if let atomic = error as? AtomicFileError { return atomic.reason }
    if case ArrayWriteError.cannotWrite(_, let reason)? = error as? ArrayWriteError { return reason }
    return nil
  }
}
