import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sentence for a Python item whose process ended without answering an input set, from the
/// harness's `ended` record: how it ended, the limit it hit, and where in the student's files a
/// crash happened (from the traceback `faulthandler` prints).
///
/// ```
/// timeout       "killed after the 10 s wall-clock limit (an endless loop, or work that never finishes)"
/// signaled 24   "stopped by SIGXCPU at the 10 s CPU-time limit"
/// signaled 11   "crashed with SIGSEGV (…) at solution.py, line 12, in dE"
/// exited 0      "exited before returning a value (does the code call os._exit()?)"
/// exited 3      "exited with status 3 before returning a value: <its last output>"
/// failed …      "the item's process sent an answer for input set 3 while set 2 was expected"
/// ```
/// Limits, signals and the wall clock read as they do for Swift items (`ItemEnding`).
enum PythonItemEnding {
  /// The harness's exit status when it could not prepare an item (a limit or a uid refused).
  static let setupStatus: Int32 = 70

  static func sentence(ending: String, output: String, limits: SandboxLimits, inputSets: Int, studentDirectories: [String]) -> String {
    let output = strip(output, studentDirectories: studentDirectories)
    let words = ending.split(separator: " ", maxSplits: 1).map(String.init)
    let kind = words.first ?? ""
    let argument = words.count > 1 ? words[1] : ""
    switch kind {
    case "timeout":
      return ItemEnding.sentence(termination: .signaled(SIGKILL), timedOut: true, stderr: "", limits: limits,
                                 inputSets: inputSets, signalsAsExitStatus: false)
    case "signaled":
      let signal = Int32(argument) ?? SIGKILL
      let base = ItemEnding.sentence(termination: .signaled(signal), timedOut: false, stderr: "", limits: limits,
                                     inputSets: inputSets, signalsAsExitStatus: false)
      return base + (location(in: output).map { " at \($0)" } ?? "")
    case "exited":
      let status = Int32(argument) ?? 1
      if status == 0 { return "exited before returning a value (does the code call os._exit()?)" }
      let last = lastLines(output)
      if status == setupStatus { return "the grading harness could not start the item (status \(status))" + (last.isEmpty ? "" : ": \(last)") }
      return "exited with status \(status) before returning a value" + (last.isEmpty ? "" : ": \(last)")
    case "failed":
      return "the item's process " + argument
    default:
      return "ended in a way the harness did not describe (\(ending))"
    }
  }

  /// `solution.py, line 12, in dE`: the innermost of the student's frames `faulthandler` printed
  /// (`  File "/sbx/student/solution.py", line 12 in dE`, most recent call first).
  static func location(in output: String) -> String? {
    for line in output.split(separator: "\n") {
      let text = line.trimmingCharacters(in: .whitespaces)
      guard text.hasPrefix("File \"") else { continue }
      let afterQuote = text.dropFirst(6)
      guard let close = afterQuote.firstIndex(of: "\"") else { continue }
      let file = String(afterQuote[..<close])
      // The harness's and the libraries' frames keep their absolute paths.
      guard !file.hasPrefix("/"), file.hasSuffix(".py") else { continue }
      return file + afterQuote[afterQuote.index(after: close)...].replacingOccurrences(of: " in ", with: ", in ")
    }
    return nil
  }

  /// `output` with the student's folder removed from paths (`/sbx/student/solution.py` →
  /// `solution.py`).
  static func strip(_ output: String, studentDirectories: [String]) -> String {
    var text = output
    for directory in studentDirectories where !directory.isEmpty {
      text = text.replacingOccurrences(of: directory.hasSuffix("/") ? directory : directory + "/", with: "")
    }
    return text
  }

  static func lastLines(_ text: String) -> String {
    text.split(separator: "\n").suffix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " / ")
  }
}
