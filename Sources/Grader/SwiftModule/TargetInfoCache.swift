import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `swiftc -print-target-info`, run once per compiler rather than once per grading process.
///
/// ```
/// <harness root>/target-info-<key>.json
///   key = FNV-1a of, for swiftc and the swift-frontend beside its resolved path:
///         path, resolved path, device, inode, size, modification time (ns), change time (ns)
/// ```
/// A compiler replaced, upgraded or touched in place gets a new key, so the cached text is always
/// the output of the binaries there now. The file is read only when it is a regular file (not a
/// symbolic link) owned by the grader's user that neither group nor others may write, in a
/// directory with the same properties; otherwise the compiler is asked again, and its answer
/// written (to a temporary name, then renamed) for the next process.
enum TargetInfoCache {
  static func targetInfo(of swiftc: String, in root: URL) throws -> String {
    let key = identity(of: swiftc)
    let file = key.map { root.appendingPathComponent("target-info-\($0).json") }
    if let file, isTrusted(root.path, directory: true), let text = readTrusted(file.path) { return text }
    let temporary = FileManager.default.temporaryDirectory
      .appendingPathComponent("target-info-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
    try? FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: temporary) }
    let report = try SandboxedProcess.run(
      executable: swiftc, arguments: ["-print-target-info"], environment: HarnessToolchain.compilerEnvironment(temporary: temporary),
      wallClockSeconds: 60, maxOutputBytes: 1 << 16)
    guard report.termination == .exited(0), !report.timedOut, !report.outputTruncated else {
      throw HarnessSetupError.supportModule("`swiftc -print-target-info` failed: \(report.stdoutText + report.stderrText)")
    }
    let text = report.stdoutText
    if let file { store(text, at: file, in: root) }
    return text
  }

  /// The key of the compiler at `swiftc` as installed now; nil when it cannot be examined.
  static func identity(of swiftc: String) -> String? {
    guard let resolved = realpath(swiftc, nil) else { return nil }
    let path = String(cString: resolved)
    free(resolved)
    let frontend = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("swift-frontend")
    var parts = [swiftc, path]
    for candidate in [path, frontend] {
      var info = stat()
      guard stat(candidate, &info) == 0 else {
        if candidate == frontend { parts.append("no swift-frontend"); continue }
        return nil
      }
      parts += [candidate, "\(info.st_dev)", "\(info.st_ino)", "\(info.st_size)",
                "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)", "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"]
    }
    return FNV1a.hex(parts.joined(separator: "\u{0}"))
  }

  /// Whether `path` is a directory or regular file (as asked, not a symbolic link) owned by this
  /// user and not writable by group or others.
  static func isTrusted(_ path: String, directory: Bool) -> Bool {
    var info = stat()
    guard lstat(path, &info) == 0 else { return false }
    let kind = info.st_mode & S_IFMT
    return kind == (directory ? S_IFDIR : S_IFREG) && info.st_uid == geteuid() && (info.st_mode & 0o022) == 0
  }

  private static func readTrusted(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
          (info.st_mode & 0o022) == 0, info.st_size > 0, info.st_size < 1 << 16,
          let data = try? handle.readToEnd() else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    // Only a whole answer: the compiler prints one JSON object.
    guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else { return nil }
    return text
  }

  private static func store(_ text: String, at file: URL, in root: URL) {
    let fm = FileManager.default
    if !fm.fileExists(atPath: root.path) {
      try? fm.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }
    guard isTrusted(root.path, directory: true) else { return }
    let staging = root.appendingPathComponent("\(file.lastPathComponent).staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
      try Data(text.utf8).write(to: staging, options: .withoutOverwriting)
      try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: staging.path)
      if rename(staging.path, file.path) != 0 { try? fm.removeItem(at: staging) }
    } catch {
      try? fm.removeItem(at: staging)
    }
  }
}
