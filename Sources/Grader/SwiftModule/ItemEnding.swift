import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sentence for an item process that produced no value: what happened and which limit, if
/// any, was hit.
///
/// ```
/// wall clock          "killed after the 10 s wall-clock limit (…)"
/// SIGXCPU             "stopped by SIGXCPU at the 10 s CPU-time limit"
/// SIGILL / SIGTRAP    "crashed with SIGILL (fatalError or a runtime trap): Solution.swift:4: Fatal error: boom"
/// allocation failure  "ran out of memory under the 2 GiB address-space limit: Fatal error: failed to allocate …"
/// SIGSEGV             "crashed with SIGSEGV (a stack overflow from deep or endless recursion, or a bad memory access)"
/// SIGXFSZ             "stopped by SIGXFSZ at the 16777216-byte file-size limit"
/// ```
/// `limits` are those of one input set; a process that answers `inputSets` sets ran under the
/// wall-clock and CPU limits times `inputSets`, and the sentence says so:
/// "killed after the 20 s wall-clock limit of 2 input sets (10 s each; …)".
enum ItemEnding {
  static func sentence(
    termination: ProcessTermination, timedOut: Bool, stderr: String, limits: SandboxLimits, inputSets: Int = 1,
    signalsAsExitStatus: Bool
  ) -> String {
    let whole = limits.scaled(forInputSets: inputSets)
    if timedOut {
      let limit = inputSets > 1
        ? "\(seconds(whole.wallClockSeconds)) s wall-clock limit of \(inputSets) input sets (\(seconds(limits.wallClockSeconds)) s each; "
        : "\(seconds(limits.wallClockSeconds)) s wall-clock limit ("
      return "killed after the " + limit + "an endless loop, or work that never finishes)"
    }
    let cpu = inputSets > 1
      ? "\(whole.cpuSeconds) s CPU-time limit of \(inputSets) input sets (\(limits.cpuSeconds) s each)"
      : "\(limits.cpuSeconds) s CPU-time limit"
    let signal: Int32
    switch termination {
    case .signaled(let s):
      signal = s
    case .exited(let code) where signalsAsExitStatus && code > 128 && code < 128 + 65:
      signal = code - 128
    case .exited(let code):
      let detail = lastLines(stderr)
      if stderr.contains("grading harness:") {
        return "the grading harness stopped (status \(code)): \(detail)"
      }
      if code == 0 {
        return "exited before returning a value (does the code call exit()?)"
      }
      return "exited with status \(code) before returning a value" + (detail.isEmpty ? "" : ": \(detail)")
    }
    let fatal = fatalLine(stderr).map { located($0, stderr: stderr) }
    let suffix = fatal.map { ": \($0)" } ?? ""
    if stderr.contains("failed to allocate") || stderr.contains("Could not allocate memory")
        || stderr.contains("std::bad_alloc") {
      return "ran out of memory under the \(bytes(limits.memoryBytes)) address-space limit" + suffix
    }
    switch signal {
    case SIGXCPU:
      return "stopped by SIGXCPU at the \(cpu)"
    case SIGKILL:
      return "killed with SIGKILL (past the \(cpu), or out of memory)"
    case SIGXFSZ:
      return "stopped by SIGXFSZ at the \(limits.maxFileBytes)-byte file-size limit"
    case SIGILL, SIGTRAP:
      return "crashed with \(name(signal)) (fatalError or a runtime trap such as an index out of range)" + suffix
    case SIGSEGV:
      return "crashed with SIGSEGV (a stack overflow from deep or endless recursion, or a bad memory access)" + suffix
    case SIGABRT:
      return "aborted with SIGABRT" + (suffix.isEmpty ? (lastLines(stderr).isEmpty ? "" : ": \(lastLines(stderr))") : suffix)
    default:
      return "crashed with \(name(signal))" + suffix
    }
  }

  /// The runtime's `…: Fatal error: …` line, if the process printed one.
  static func fatalLine(_ stderr: String) -> String? {
    stderr.split(separator: "\n").last { $0.contains("Fatal error") || $0.contains("fatal error") }
      .map { $0.trimmingCharacters(in: .whitespaces) }
  }

  /// The fatal-error line located in the student's code: a trap raised inside the standard
  /// library (`Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range`) is put at
  /// the student's own frame of the backtrace when there is one
  /// (`Fatal error: Index out of range, at Solution.swift:12`), and otherwise said to come from
  /// the standard library, called by the student's code. A line already in the student's files
  /// (`Solution.swift:4: Fatal error: boom`) is kept.
  static func located(_ fatal: String, stderr: String) -> String {
    guard let range = fatal.range(of: "Fatal error"), fatal[..<range.lowerBound].hasPrefix("Swift/") else { return fatal }
    let message = String(fatal[range.lowerBound...])
    if let frame = studentFrame(stderr) { return "\(message), at \(frame)" }
    return "\(message) (raised inside the Swift standard library, by a call in your code)"
  }

  /// `Solution.swift:12` of the first backtrace frame in a student's file (`… in Submission at
  /// /tmp/…/Solution.swift:12:5`): the deepest frame outside the standard library and the harness.
  static func studentFrame(_ stderr: String) -> String? {
    for line in stderr.split(separator: "\n") {
      guard let at = line.range(of: " at ", options: .backwards) else { continue }
      let location = line[at.upperBound...].trimmingCharacters(in: .whitespaces)
      let parts = location.split(separator: ":")
      guard parts.count >= 2, parts[0].hasSuffix(".swift"), let lineNumber = Int(parts[1]) else { continue }
      let path = String(parts[0])
      let file = (path as NSString).lastPathComponent
      if path.hasPrefix("Swift/") || path.contains("/swift/stdlib/") || path.contains("/usr/lib/swift") || file.hasPrefix("Harness") || file == "main.swift" { continue }
      return "\(file):\(lineNumber)"
    }
    return nil
  }

  static func name(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
      SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
      SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
      SIGSYS: "SIGSYS",
    ]
    return names[signal] ?? "signal \(signal)"
  }

  private static func lastLines(_ text: String) -> String {
    text.split(separator: "\n").suffix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " / ")
  }

  static func seconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int(s)) : String(s)
  }

  private static func bytes(_ n: Int) -> String {
    if n >= 1 << 30 && n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
    if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
    return "\(n)-byte"
  }
}
