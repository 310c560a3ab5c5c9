import Foundation
import Grader

/// Where a command writes: its standard output and its standard error. `grade` writes to the
/// process's own; a caller of `GradeCommand.run(arguments:console:)` may capture both.
public final class Console: @unchecked Sendable {
  private let writeOut: (String) -> Void
  private let writeError: (String) -> Void
  private let lock = NSLock()

  public init(out: @escaping (String) -> Void, error: @escaping (String) -> Void) {
    writeOut = out
    writeError = error
  }

  /// The process's standard output and standard error.
  public static let standard = Console(
    out: { FileHandle.standardOutput.write(Data($0.utf8)) },
    error: { FileHandle.standardError.write(Data($0.utf8)) })

  /// Writes `text` and `terminator` to standard output.
  public func print(_ text: String, terminator: String = "\n") {
    lock.lock()
    defer { lock.unlock() }
    writeOut(text + terminator)
  }

  /// Writes `text` and a newline to standard error.
  public func error(_ text: String) {
    lock.lock()
    defer { lock.unlock() }
    writeError(text + "\n")
  }

  /// True when standard output is a terminal that takes colour (and the process's own).
  public var isColorTerminal: Bool { self === Console.standard && TerminalStyle.shouldColor() }
}
