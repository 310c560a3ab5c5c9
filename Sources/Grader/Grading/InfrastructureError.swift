import Foundation

/// A submission the grader could not grade for a reason of its own — a full disk, an I/O
/// error, a sandbox that could not be started, a grading process that was killed — as opposed
/// to anything about the submission. It is never recorded as a score: a batch marks the student
/// not graded and grades them again when run again.
///
/// ```
/// "not graded (infrastructure): the sandbox directory could not be prepared: No space left on device"
/// ```
public struct InfrastructureError: Error, Sendable, Equatable, CustomStringConvertible {
  public var reason: String

  public init(_ reason: String) {
    self.reason = reason
  }

  /// The prefix of every message about such a submission.
  public static let prefix = "not graded (infrastructure)"

  public var description: String { "\(Self.prefix): \(reason)" }
}

/// An error from Foundation or the C library as a sentence a person reads: the failing file and
/// the system's reason ("No space left on device"), not `NSCocoaErrorDomain error 640`.
public enum SystemErrorText {
  public static func sentence(_ error: Error) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
    var reason: String?
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(underlying.code)))
    } else if ns.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(ns.code)))
    }
    let file = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    let fallback = ns.localizedFailureReason ?? ns.localizedDescription
    switch (file, reason) {
    case (let file?, let reason?): return "\(file): \(reason)"
    case (nil, let reason?): return reason
    case (let file?, nil): return "\(file): \(fallback)"
    case (nil, nil): return fallback
    }
  }

  /// The system's reason alone ("No space left on device"), without the file.
  public static func reason(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    if ns.domain == NSCocoaErrorDomain && ns.code == NSFileWriteOutOfSpaceError { return String(cString: strerror(ENOSPC)) }
    return sentence(error)
  }

  /// Whether `error` comes from Foundation's file system or the C library (a write that failed,
  /// a full disk), rather than from reading the grader's input.
  public static func isSystemError(_ error: Error) -> Bool {
    let domain = (error as NSError).domain
    return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain || error is SandboxedProcess.SpawnError
  }

  /// Whether `error` says the disk is full (or a quota is exhausted).
  public static func isDiskFull(_ error: Error) -> Bool {
    let ns = error as NSError
    let codes = [ns.code] + ((ns.userInfo[NSUnderlyingErrorKey] as? NSError).map { [$0.code] } ?? [])
    return ns.domain == NSCocoaErrorDomain && ns.code == NSFileWriteOutOfSpaceError || codes.contains(Int(ENOSPC)) || codes.contains(Int(EDQUOT))
  }
}
