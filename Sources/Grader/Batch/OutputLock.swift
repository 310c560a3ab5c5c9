import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lock that keeps two batches from writing one output folder at once (they would share
/// result files and scratch space).
///
/// ```
/// <out>/.grade-batch.lock   flock(LOCK_EX | LOCK_NB), held for the whole run; holds the pid
///                           while held, emptied when released (so two runs leave the same bytes)
/// ```
/// The kernel releases it when the holder exits, however it exits, so a batch killed midway
/// never leaves the folder locked.
public final class OutputLock {
  private var fd: Int32

  /// Takes the lock of `folder`, or throws `BatchError.outputBusy` naming the batch that holds it.
  public init(_ folder: URL) throws(BatchError) {
    let path = folder.appendingPathComponent(".grade-batch.lock").path
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      let holder = Self.holder(fd)
      close(fd)
      throw .outputBusy(path: folder.path, holder: holder)
    }
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
  }

  deinit { release() }

  /// Gives the lock up (also when the value is released).
  public func release() {
    if fd >= 0 {
      _ = ftruncate(fd, 0)
      close(fd)
      fd = -1
    }
  }

  private static func holder(_ fd: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return nil }
    return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
